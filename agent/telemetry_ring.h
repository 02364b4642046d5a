#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace qeil {

// Capacities of the agent's fixed-size state; a board beyond them is refused at start.
constexpr size_t kAgentMaxRails = 16;
constexpr size_t kAgentMaxZones = 16;
constexpr size_t kAgentMaxDevices = 16;

// One tick's readings of every rail, zone and frequency domain, in the board's order. A reading
// that failed is NaN (power, temperature) or 0 (frequency).
struct TelemetrySample {
  int64_t timeNs = 0;
  std::array<float, kAgentMaxRails> railW{};
  std::array<float, kAgentMaxZones> zoneC{};
  std::array<uint32_t, kAgentMaxDevices> freqKHz{};
};

// The last `capacity` samples: the memory is taken once, at start; push() never allocates and
// overwrites the oldest sample when full.
class TelemetryRing {
 public:
  explicit TelemetryRing(size_t capacity) : samples_(capacity > 0 ? capacity : 1) {}

  void push(const TelemetrySample& s) {
    samples_[next_] = s;
    next_ = (next_ + 1) % samples_.size();
    ++pushed_;
  }
  size_t capacity() const { return samples_.size(); }
  size_t size() const { return pushed_ < samples_.size() ? pushed_ : samples_.size(); }
  uint64_t pushed() const { return pushed_; }
  // 0 is the oldest held sample, size() - 1 the newest.
  const TelemetrySample& at(size_t i) const {
    size_t oldest = pushed_ < samples_.size() ? 0 : next_;
    return samples_[(oldest + i) % samples_.size()];
  }
  // Only when size() > 0.
  const TelemetrySample& newest() const { return at(size() - 1); }

 private:
  std::vector<TelemetrySample> samples_;
  size_t next_ = 0;
  uint64_t pushed_ = 0;
};

}  // namespace qeil
