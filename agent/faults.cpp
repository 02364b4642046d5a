#include "agent/faults.h"

#include <algorithm>
#include <cmath>

#include "energy/power.h"
#include "hal/clock.h"

namespace qeil {

double estimateDevicePowerW(const energy::DeviceSpec& dev, double freqHz, double tempC,
                            double activeCores) {
  if (!dev.alwaysPowered && activeCores <= 0.0) return 0.0;
  if (dev.opps.empty()) return dev.idleW;
  // The OPP at or above the frequency (the voltage the regulator holds for it).
  energy::Opp opp = dev.opps[dev.opps.size() - 1];
  for (const energy::Opp& o : dev.opps) {
    if (o.freqHz >= freqHz - 1.0) {
      opp = o;
      break;
    }
  }
  if (freqHz > 0.0) opp.freqHz = freqHz;
  return dev.idleW + energy::leakagePowerW(dev.leakage, opp.voltV, tempC) +
         energy::dynamicPowerW(dev.dynCoeff, opp, activeCores, 1.0);
}

double FrozenSensorDetector::update(double readingC, bool valid, double zonePowerW, double dtS,
                                    bool* estimated) {
  if (!have_) {
    *estimated = !valid;
    if (!valid) return readingC;
    have_ = true;
    lastC_ = readingC;
    lastPowerW_ = zonePowerW;
    frozenPowerW_ = zonePowerW;
    return readingC;
  }
  const bool same = valid && readingC == lastC_;
  if (valid && !same) {
    // It moves: trusted again, and its trend is what the node does without a power change.
    if (dtS > 0.0) {
      const double slope = (readingC - lastC_) / (dtS * std::max(1, same_ + 1));
      slopeKPerS_ = 0.7 * slopeKPerS_ + 0.3 * slope;
    }
    lastC_ = readingC;
    same_ = 0;
    stuck_ = false;
    deltaK_ = 0.0;
    frozenPowerW_ = zonePowerW;
    frozenSlopeKPerS_ = slopeKPerS_;
    lastPowerW_ = zonePowerW;
    *estimated = false;
    return readingC;
  }
  // Frozen or unreadable: integrate the RC node's move since the last change. Its response to
  // the power change (C d(dT)/dt = dP - dT / R), plus the trend it had, decaying with R C.
  ++same_;
  const double r = zone_.rThKPerW > 0.0 ? zone_.rThKPerW : 1.0;
  const double c = zone_.cThJPerK > 0.0 ? zone_.cThJPerK : 1.0;
  const double tauS = r * c;
  const double dP = zonePowerW - frozenPowerW_;
  const double decay = std::exp(-dtS / tauS);
  deltaK_ = deltaK_ * decay + r * dP * (1.0 - decay) + frozenSlopeKPerS_ * tauS * (1.0 - decay);
  frozenSlopeKPerS_ *= decay;
  lastPowerW_ = zonePowerW;
  if (!valid || (same_ >= kMinSamples && std::fabs(deltaK_) >= kMoveK)) stuck_ = true;
  *estimated = stuck_;
  return stuck_ ? lastC_ + deltaK_ : lastC_;
}

void ThermalMarginWatch::init(const energy::SocSpec& soc,
                              const std::array<uint32_t, energy::kMaxZones>& zoneDevices,
                              const std::array<double, energy::kMaxZones>& passiveC) {
  soc_ = soc;
  zoneDevices_ = zoneDevices;
  passiveC_ = passiveC;
  in_.fill(false);
  lastC_.fill(NAN);
  lastStepNs_.fill(0);
  cap_.fill(-1);
}

bool ThermalMarginWatch::update(const double* tempC, size_t zones,
                                const std::array<int, energy::kMaxDevices>& topOpp, int64_t nowNs) {
  bool changed = false;
  const int64_t stepNs = kStepMs * kNsPerMs;
  for (size_t z = 0; z < zones && z < energy::kMaxZones; ++z) {
    if (std::isnan(passiveC_[z]) || std::isnan(tempC[z])) continue;
    const double enterC = passiveC_[z] - soc_.thermalMarginK;
    const double prevC = lastC_[z];
    lastC_[z] = tempC[z];
    int dir = 0;  // -1: one OPP down, +1: one back
    if (!in_[z] && tempC[z] >= enterC) {
      in_[z] = true;
      ++crossings_;
      dir = -1;
    } else if (in_[z] && tempC[z] < enterC - kHystK) {
      in_[z] = false;
      ++crossings_;
      dir = 1;
    } else if (nowNs - lastStepNs_[z] >= stepNs) {
      if (in_[z] && tempC[z] >= enterC && !(tempC[z] < prevC)) dir = -1;
      if (!in_[z] && tempC[z] < enterC - kHystK) dir = 1;
    }
    if (dir == 0) continue;
    bool moved = false;
    for (size_t d = 0; d < soc_.devices.size(); ++d) {
      if (!(zoneDevices_[z] & (1u << d))) continue;
      const int top = static_cast<int>(soc_.devices[d].opps.size()) - 1;
      if (dir < 0) {
        const int from = cap_[d] >= 0 ? cap_[d] : std::min(top, topOpp[d] >= 0 ? topOpp[d] : top);
        if (from > 0) {
          cap_[d] = from - 1;
          moved = true;
        }
      } else if (cap_[d] >= 0) {
        cap_[d] = cap_[d] + 1 >= top ? -1 : cap_[d] + 1;
        moved = true;
      }
    }
    if (moved) {
      lastStepNs_[z] = nowNs;
      changed = true;
    }
  }
  return changed;
}

bool DriftWatch::update(double measuredW, double estimatedW, int64_t nowNs) {
  residualW_ = measuredW - estimatedW;
  const double bound = std::max(kAbsBoundW, kRelBound * std::fabs(estimatedW));
  if (!(std::fabs(residualW_ - offsetW_) > bound)) {
    over_ = 0;
    return false;
  }
  if (++over_ < kTicks) return false;
  if (lastFiredNs_ >= 0 && nowNs - lastFiredNs_ < kRepeatMs * kNsPerMs) return false;
  lastFiredNs_ = nowNs;
  offsetW_ = residualW_;
  over_ = 0;
  ++fired_;
  return true;
}

}  // namespace qeil
