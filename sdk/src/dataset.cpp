// Default Dataset behaviour.
#include "scoregen/dataset.hpp"

#include "scoregen/error.hpp"

namespace scoregen {

Batch Dataset::get(std::int64_t, std::int64_t) {
  throw Error("this dataset draws fresh examples and has no fixed order; use --num to choose how many");
}

}  // namespace scoregen
