#include "hal/sensor_health.h"

#include <algorithm>

namespace qeil {

void HealthTracker::onReadOk() {
  ++stats_.reads;
  stats_.consecutiveFailures = 0;
  stats_.state = SensorState::Ok;
}

bool HealthTracker::onReadFailed(int64_t nowNs) {
  ++stats_.reads;
  ++stats_.failures;
  ++stats_.consecutiveFailures;
  if (stats_.state == SensorState::Probing) return false;
  if (stats_.consecutiveFailures < policy_.failuresBeforeReprobe) {
    stats_.state = SensorState::Failing;
    return false;
  }
  stats_.state = SensorState::Probing;
  backoffNs_ = 0;
  nextProbeNs_ = nowNs;  // the first re-probe is immediate
  return true;
}

bool HealthTracker::probeDue(int64_t nowNs) const {
  return stats_.state == SensorState::Probing && nowNs >= nextProbeNs_;
}

void HealthTracker::onProbe(bool ok, int64_t nowNs) {
  ++stats_.probes;
  if (ok) {
    stats_.state = SensorState::Ok;
    stats_.consecutiveFailures = 0;
    backoffNs_ = 0;
    return;
  }
  stats_.state = SensorState::Probing;
  backoffNs_ =
      backoffNs_ == 0 ? policy_.firstBackoffNs : std::min(backoffNs_ * 2, policy_.maxBackoffNs);
  nextProbeNs_ = nowNs + backoffNs_;
}

void EnergyIntegrator::add(double powerW, int64_t timestampNs) {
  if (lastNs_ >= 0 && timestampNs > lastNs_) {
    int64_t dtNs = timestampNs - lastNs_;
    if (dtNs <= maxGapNs_) {
      energyJ_ += 0.5 * (powerW + lastW_) * static_cast<double>(dtNs) / kNsPerS;
    } else {
      uncoveredNs_ += dtNs;
    }
  }
  lastW_ = powerW;
  lastNs_ = timestampNs;
}

}  // namespace qeil
