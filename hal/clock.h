#pragma once

#include <cstdint>

namespace qeil {

// Monotonic time in nanoseconds. The daemon uses the real clock; tests and the twin use a
// stepping simulated clock (hal/sim/sim_clock.h) so an hour of load runs in seconds.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t nowNs() const = 0;
};

constexpr int64_t kNsPerUs = 1000;
constexpr int64_t kNsPerMs = 1000 * 1000;
constexpr int64_t kNsPerS = 1000 * 1000 * 1000;

}  // namespace qeil
