// The precompiled header shared by every target: the heavy, stable headers.
#pragma once
#include <torch/torch.h>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <map>
#include <memory>
#include <string>
#include <vector>
