#pragma once

#include <cassert>

#include "hal/clock.h"

namespace qeil {

// A clock that moves only when told: tests and the twin step simulated time.
class SimClock final : public Clock {
 public:
  explicit SimClock(int64_t startNs = 0) : nowNs_(startNs) {}
  int64_t nowNs() const override { return nowNs_; }
  void advanceNs(int64_t ns) {
    assert(ns >= 0);
    nowNs_ += ns;
  }
  void setNs(int64_t ns) {
    assert(ns >= nowNs_);
    nowNs_ = ns;
  }

 private:
  int64_t nowNs_;
};

}  // namespace qeil
