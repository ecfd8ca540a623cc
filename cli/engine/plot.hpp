// `scoregen plot RUN_DIR`: the run's metrics.jsonl drawn as a PNG, one panel per metric against the step.
#pragma once

#include <string>

#include "engine/report.hpp"

namespace scoregen::engine {

Report plot_run(const std::string& run_dir, const std::string& out);

}  // namespace scoregen::engine
