#pragma once

#include "hal/clock.h"

namespace qeil {

// CLOCK_MONOTONIC: the daemon's clock on a board.
class MonotonicClock final : public Clock {
 public:
  int64_t nowNs() const override;
};

}  // namespace qeil
