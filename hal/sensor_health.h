#pragma once

#include <cstdint>

#include "hal/clock.h"
#include "hal/power_monitor.h"

namespace qeil {

// Health of one sensor, shared by every PowerMonitor backend: a run of failed reads sends it
// back to probing, and failed probes back off (doubling, up to a cap) so a dead chip does not
// cost a bus transaction on every tick.
class HealthTracker {
 public:
  struct Policy {
    uint32_t failuresBeforeReprobe = 3;
    int64_t firstBackoffNs = 1 * kNsPerS;
    int64_t maxBackoffNs = 30 * kNsPerS;
  };

  HealthTracker() = default;
  explicit HealthTracker(Policy policy) : policy_(policy) {}

  void onReadOk();
  // Returns true when this failure sent the sensor back to probing.
  bool onReadFailed(int64_t nowNs);
  // Probing and the back-off has elapsed.
  bool probeDue(int64_t nowNs) const;
  void onProbe(bool ok, int64_t nowNs);

  const SensorHealthStats& stats() const { return stats_; }

 private:
  Policy policy_;
  SensorHealthStats stats_;
  int64_t nextProbeNs_ = 0;
  int64_t backoffNs_ = 0;
};

// Energy from power samples by the trapezoid rule. A gap longer than `maxGapNs` between valid
// samples is not bridged: its duration is counted in uncoveredNs() instead.
class EnergyIntegrator {
 public:
  explicit EnergyIntegrator(int64_t maxGapNs = 5 * kNsPerS) : maxGapNs_(maxGapNs) {}
  void add(double powerW, int64_t timestampNs);
  double energyJ() const { return energyJ_; }
  int64_t uncoveredNs() const { return uncoveredNs_; }

 private:
  int64_t maxGapNs_;
  double energyJ_ = 0.0;
  double lastW_ = 0.0;
  int64_t lastNs_ = -1;
  int64_t uncoveredNs_ = 0;
};

}  // namespace qeil
