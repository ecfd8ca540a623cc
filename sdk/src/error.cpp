// Out-of-line key functions: one type_info for scoregen::Error across all libraries.
#include "scoregen/error.hpp"

namespace scoregen {

Error::Error(const std::string& message) : std::runtime_error(message) {}
Error::~Error() = default;

Interrupted::Interrupted() : std::runtime_error("interrupted") {}
Interrupted::~Interrupted() = default;

}  // namespace scoregen
