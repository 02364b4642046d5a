#include "hal/linux/monotonic_clock.h"

#include <ctime>

namespace qeil {

int64_t MonotonicClock::nowNs() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * kNsPerS + ts.tv_nsec;
}

}  // namespace qeil
