// The one exception type that crosses library boundaries (docs/plugins.md "ABI rules").
#pragma once

#include <stdexcept>
#include <string>

#include "scoregen/api.hpp"

namespace scoregen {

// A user-caused error: main prints "scoregen: error: <what>" and exits with status 2.
class SCOREGEN_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message);
  ~Error() override;
};

// Raised when the user interrupts a long command (Ctrl-C): exit status 130.
class SCOREGEN_API Interrupted : public std::runtime_error {
 public:
  Interrupted();
  ~Interrupted() override;
};

}  // namespace scoregen
