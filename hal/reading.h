#pragma once

#include <cstdint>

namespace qeil {

// One sensor value. `valid` is false when the read failed; `value` then holds the last good
// value (or 0) and must not be used as a measurement.
struct Reading {
  double value = 0.0;
  bool valid = false;
  int64_t timestampNs = 0;
};

}  // namespace qeil
