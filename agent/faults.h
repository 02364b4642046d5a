#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "energy/soc.h"
#include "hal/result.h"
#include "scheduler/problem.h"

namespace qeil {

// The pieces of the agent's fault handling and re-plan triggers (issue 7 "Faults"), each small,
// allocation-free and tested on its own; the Agent runs them every tick.

// The energy model's estimate of what a sensor would read (MODEL.md §5):
//  - a device's power at frequency f: idle + leakage at its zone's temperature and the OPP's
//    voltage + C V^2 f * activeCores * u, nothing for a gated accelerator with no work;
//  - a zone's temperature: the RC node C dT/dt = P - (T - T_amb) / R integrated from the last
//    trusted reading.
// `activeCores[d]` is cores x activity of the work planned on device d (0: idle).
double estimateDevicePowerW(const energy::DeviceSpec& dev, double freqHz, double tempC,
                            double activeCores);

// A thermal sensor whose reading froze (MODEL.md §5 gives the rule): the reading did not change
// at all for at least kMinSamples samples while the zone's RC node, driven by the change in the
// zone's power since the freeze and by the trend the reading had before it, says it should have
// moved by kMoveK or more. A sensor that stays put because nothing changes (a quantised reading
// at steady power) is not stuck. While stuck (or unreadable) the zone's temperature is that RC
// estimate; a reading that changes again is trusted again at once.
class FrozenSensorDetector {
 public:
  static constexpr int kMinSamples = 5;
  static constexpr double kMoveK = 1.0;
  void init(const energy::ZoneSpec& zone) { zone_ = zone; }
  // One sample every dtS: the raw reading (valid or not) and the zone's power now. Returns the
  // temperature to use; *estimated says whether it is the model's.
  double update(double readingC, bool valid, double zonePowerW, double dtS, bool* estimated);
  bool stuck() const { return stuck_; }

 private:
  energy::ZoneSpec zone_;
  bool have_ = false;
  bool stuck_ = false;
  double lastC_ = 0.0;
  int same_ = 0;
  double slopeKPerS_ = 0.0;  // EWMA of the reading's trend while it moved
  double frozenPowerW_ = 0.0;
  double frozenSlopeKPerS_ = 0.0;
  double deltaK_ = 0.0;  // the RC node's predicted move since the freeze
  double lastPowerW_ = 0.0;
};

// The thermal margin of MODEL.md §5 as a re-plan trigger and a control: a zone whose sensed (or
// estimated) temperature reaches its passive trip minus the model's margin is "in the margin";
// it leaves it below that minus kHystK. Entering, and every kStepMs while still in it and not
// cooling, the devices the zone cools (or heats, when it names none) lose one OPP from their
// allowed top; once out, every kStepMs one OPP comes back. Each change re-plans under the new
// caps, so the kernel's step_wise governor never sees its trip.
class ThermalMarginWatch {
 public:
  static constexpr double kHystK = 2.0;
  static constexpr int64_t kStepMs = 500;

  // zoneDevices[z]: the devices whose cap zone z moves (bit d); passive trips NaN: none.
  void init(const energy::SocSpec& soc, const std::array<uint32_t, energy::kMaxZones>& zoneDevices,
            const std::array<double, energy::kMaxZones>& passiveC);
  // Temperatures of every zone now; `topOpp[d]` the OPP device d runs at most now (its plan).
  // Returns true when a cap changed (re-plan).
  bool update(const double* tempC, size_t zones, const std::array<int, energy::kMaxDevices>& topOpp,
              int64_t nowNs);
  // The cap of device d (-1: none).
  int cap(size_t d) const { return cap_[d]; }
  bool inMargin(size_t z) const { return in_[z]; }
  uint64_t crossings() const { return crossings_; }

 private:
  energy::SocSpec soc_;
  std::array<uint32_t, energy::kMaxZones> zoneDevices_{};
  std::array<double, energy::kMaxZones> passiveC_{};
  std::array<bool, energy::kMaxZones> in_{};
  std::array<double, energy::kMaxZones> lastC_{};
  std::array<int64_t, energy::kMaxZones> lastStepNs_{};
  std::array<int, energy::kMaxDevices> cap_{};
  uint64_t crossings_ = 0;
};

// Model drift as a re-plan trigger: the measured board power departs from the model's estimate
// of it by more than kRelBound of the estimate (and kAbsBoundW) for kTicks ticks in a row, not
// counting the offset it last fired on. A lasting offset (regulator losses and DRAM power the
// estimate leaves out, a coefficient off) fires once: re-planning again would not change it.
// It fires again when the offset changes by as much, and at most every kRepeatMs.
class DriftWatch {
 public:
  static constexpr double kRelBound = 0.25;
  static constexpr double kAbsBoundW = 0.5;
  static constexpr int kTicks = 10;
  static constexpr int64_t kRepeatMs = 10'000;
  bool update(double measuredW, double estimatedW, int64_t nowNs);
  // measured - estimated, the offset included.
  double residualW() const { return residualW_; }
  double acknowledgedOffsetW() const { return offsetW_; }
  uint64_t fired() const { return fired_; }

 private:
  int over_ = 0;
  double residualW_ = 0.0;
  double offsetW_ = 0.0;
  int64_t lastFiredNs_ = -1;
  uint64_t fired_ = 0;
};

}  // namespace qeil
