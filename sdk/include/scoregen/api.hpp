// Symbol visibility for libscoregen: everything else is built with hidden visibility.
#pragma once

#define SCOREGEN_API __attribute__((visibility("default")))
#define SCOREGEN_LOCAL __attribute__((visibility("hidden")))
