#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "energy/evaluator.h"
#include "energy/rls.h"
#include "energy/soc.h"
#include "hal/fixed_vector.h"
#include "hal/result.h"

namespace qeil::energy {

// MODEL.md §7 Online calibration. Every fit starts from the board file and reports the board
// value until it is confident; after that it reports its latest confident value, which holds
// while a later change (a step in the coefficients) makes the fit uncertain again. Each fit
// rejects bad input (non-finite, negative power, out-of-range activity) with a Status naming
// what was wrong and leaves its state as it was. Fixed memory: updates and queries never
// allocate.

static_assert(2 * kMaxRailDevices + 1 <= Rls::kMaxDim, "a full rail's terms fit one RLS");

// One device on a rail during one power sample (quantities averaged over the sample's window).
struct RailDeviceSample {
  Opp opp;                   // present (f, V)
  double activeCores = 0.0;  // 0..DeviceSpec::cores
  double activity = 0.0;     // u in [0, 1] (MODEL.md §5: u = DASI)
  double tempC = 25.0;       // its thermal zone
  bool powered = true;       // a power-gated accelerator neither switches nor leaks
};

struct RailFitConfig {
  RlsConfig rls{0.99, 0.01, 50, 0.05};  // noiseStd in W
  double priorRelStd = 1.0;             // board values trusted to about 100 %
  double minDynCoeffStd = 50.0;         // prior std floor, uW/MHz/V^2 (board value 0 or tiny)
  double minPowerStdW = 0.2;            // prior std floor of leakage refW and the rail constant
  // Leakage refW and the rail constant are also confident when their standard error is below
  // this (a device that hardly leaks is confidently "small").
  double absToleranceW = 0.01;
  // A confident fit further than this factor from the board-file value is not taken: it is
  // power the rail carries but the fit does not model (DRAM traffic, regulator losses, another
  // device's leakage through a near-constant regressor), not this device's. Held at the last
  // plausible value.
  double maxRatioToBoard = 4.0;
};

// MODEL.md §7: the power on one rail is linear, per device d on the rail, in
//   V^2 f cores u  (coefficient dynCoeff, Linux EM convention uW/MHz/V^2, MODEL.md §1)
//   (V / refVoltV) exp(lambda (T - refTempC))  (coefficient leakage refW, MODEL.md §5)
// plus one constant for the whole rail (its idle power). lambda, refVoltV and refTempC stay the
// board's; the fit scales refW. Devices sharing a rail (a Jetson VDD_CPU_GPU_CV feeds CPU and
// GPU) are fitted jointly in one RLS: theta = [dyn_0, leak_0, dyn_1, leak_1, ..., constant].
// The caller gives each device to exactly one rail: a sub-rail is never added to its parent, or
// the sub-rail's devices would be counted twice (Calibration::addRail enforces this).
// Leakage is told from the constant only by temperature and voltage changes within the
// forgetting window (about 1 / (1 - lambda) samples): sample the rail slowly enough (e.g. 1 s
// averages, a 100 s window) that the window spans thermal changes. Dynamic terms, excited by
// every OPP and activity change, converge much faster.
class RailFit {
 public:
  // `devices` index soc.devices; their order is the slot order of update() samples.
  Status init(const SocSpec& soc, const int* devices, size_t count, const RailFitConfig& config);
  // Measured rail power and one sample per device, in slot order (`count` == deviceCount()).
  Status update(double powerW, const RailDeviceSample* samples, size_t count);

  size_t deviceCount() const { return count_; }
  int device(size_t slot) const { return devices_[slot]; }
  double dynCoeff(size_t slot) const { return heldDyn_[slot]; }
  bool dynCoeffConfident(size_t slot) const;
  // The board's law with the fitted refW.
  LeakageParams leakage(size_t slot) const;
  bool leakageConfident(size_t slot) const;
  double idleW() const { return heldIdleW_; }  // the rail's constant
  bool idleConfident() const;
  // The rail constant attributed to one device, in proportion to the board's idle powers
  // (equal shares when the board gives none). A gated accelerator's share is not removed: a
  // known limit of one constant per rail.
  double deviceIdleW(size_t slot) const;
  const Rls& rls() const { return rls_; }

 private:
  Status checkSample(size_t slot, const RailDeviceSample& s) const;
  void holdConfident();
  // Within maxRatioToBoard of the board-file value (any value when the board says 0).
  bool plausible(double fitted, double board) const;

  Rls rls_;
  RailFitConfig config_;
  size_t count_ = 0;
  std::array<int, kMaxRailDevices> devices_{};
  std::array<std::array<char, sizeof DeviceSpec::name>, kMaxRailDevices> names_{};
  std::array<int, kMaxRailDevices> cores_{};
  std::array<LeakageParams, kMaxRailDevices> boardLeak_{};
  std::array<double, kMaxRailDevices> boardIdleW_{};
  std::array<double, kMaxRailDevices> boardDyn_{};
  double boardRailIdleW_ = 0.0;
  std::array<double, kMaxRailDevices> heldDyn_{};
  std::array<double, kMaxRailDevices> heldLeakW_{};
  double heldIdleW_ = 0.0;
};

struct ThermalFitConfig {
  // R_th and C_th are nearly constant (they change with a fan or an enclosure), and a sample
  // says little about them when dt << R C: a long window (1000 samples) suits them.
  RlsConfig rls{0.999, 0.05, 100, 0.05};  // noiseStd in K (sensor noise)
};

// MODEL.md §7 thermal pair: with samples every periodS and P held between them, the RC node of
// MODEL.md §5 is exactly T[k+1] - T_amb = a (T[k] - T_amb) + b P[k], a = exp(-dt / (R C)),
// b = R (1 - a). RLS fits (a, b); R = b / (1 - a), C = -dt / (R ln a). A fit with a outside
// (0, 1) or b <= 0 is not physical and never confident.
class ThermalFit {
 public:
  Status init(const ZoneSpec& board, double periodS, const ThermalFitConfig& config);
  // The zone's temperature now and its total power from now until the next sample (one call
  // every periodS). Bad input is rejected and breaks the sequence, so the next sample starts a
  // new pair instead of spanning two periods.
  Status update(double tempC, double powerW, double ambientC);
  // A sample was missed: the next update starts a new pair.
  void breakSequence() { havePrev_ = false; }

  double rThKPerW() const { return heldR_; }
  double cThJPerK() const { return heldC_; }
  bool confident() const;
  // The present fit's values (meaningless unless physical()).
  double fittedRThKPerW() const;
  double fittedCThJPerK() const;
  bool physical() const;
  const Rls& rls() const { return rls_; }

 private:
  Rls rls_;
  double periodS_ = 1.0;
  double heldR_ = 0.0;
  double heldC_ = 0.0;
  bool havePrev_ = false;
  double prevExcessK_ = 0.0;  // T[k] - T_amb
  double prevPowerW_ = 0.0;
  double prevAmbientC_ = 0.0;
};

struct EfficiencyConfig {
  double alpha = 0.2;       // EWMA weight of a new sample
  uint32_t minSamples = 3;  // board default until then
};

// MODEL.md §3: eta_d,w = EWMA of measured rate / the model's rate at eta 1, per (device,
// workload). The rate at eta 1 is F / t at eta 1: A = min(pi, I beta_eff) divided by (1 + CPQ)
// when the model's CPQ is non-zero, so memory stalls are not counted in both eta and CPQ. Each
// sample's ratio is clamped to [kEtaMin, kEtaMax]. The EWMA is bias-corrected (weights of the
// samples seen only), so its value does not lean towards the board default.
class EfficiencyTracker {
 public:
  static constexpr double kEtaMin = 0.01;
  static constexpr double kEtaMax = 1.5;

  Status init(const SocSpec& soc, const EfficiencyConfig& config);
  // measuredRate and predictedRateAtEta1 in the same unit (FLOP/s or tokens/s). A window with
  // no measured progress (rate 0) says nothing about efficiency (the workload may have waited)
  // and is ignored.
  Status update(int device, int workload, double measuredRate, double predictedRateAtEta1);
  double eta(int device, int workload) const;
  bool confident(int device, int workload) const;
  uint32_t samples(int device, int workload) const { return cells_[device][workload].count; }
  // The workload slot now runs something else: back to the board defaults.
  void forgetWorkload(int workload);
  size_t deviceCount() const { return devices_; }

 private:
  struct Cell {
    double sum = 0.0;  // EWMA numerator
    double weight = 0.0;
    uint32_t count = 0;
  };
  EfficiencyConfig config_;
  size_t devices_ = 0;
  std::array<double, kMaxDevices> defaultEta_{};
  std::array<std::array<Cell, kMaxWorkloads>, kMaxDevices> cells_{};
};

struct CpqScaleConfig {
  RlsConfig rls{0.99, 0.01, 20, 0.1};  // noiseStd in CPQ units
  double priorRelStd = 1.0;
  double minKappaStd = 0.05;    // prior std floor (board kappa_m 0 or tiny)
  double absTolerance = 0.005;  // kappa_m also confident when its standard error is below this
  double rhoFloor = 0.2;        // below it predicted stall is tiny and the sample says little
  double rhoCeiling = 0.99;     // at or above it rho / (1 - rho) is meaningless
  double stallCeiling = 0.99;   // a saturated PSI (s near 1) only bounds CPQ from below
};

// MODEL.md §4, §7: kappa_m such that CPQ = kappa_m rho / (1 - rho) matches the kernel's memory
// PSI. With s = some avg10 / 100 the stalled fraction, the measured CPQ (stall time per unit of
// work time) is s / (1 - s); RLS through the origin fits CPQ_measured = kappa_m * rho / (1 - rho)
// over samples with rhoFloor <= rho < rhoCeiling (others are ignored, not errors).
class CpqScaleFit {
 public:
  Status init(double boardKappaM, const CpqScaleConfig& config);
  // someAvg10Pct: /proc/pressure/memory "some avg10" (percent); rho: the present pressure (§4).
  Status update(double someAvg10Pct, double rho);
  double kappaM() const { return heldKappa_; }
  bool confident() const;
  const Rls& rls() const { return rls_; }

 private:
  Rls rls_;
  CpqScaleConfig config_;
  double heldKappa_ = 0.0;
};

struct CalibrationConfig {
  RailFitConfig rail;
  ThermalFitConfig thermal;
  EfficiencyConfig efficiency;
  CpqScaleConfig cpq;
};

// Owns every fit of one SoC: a RailFit per power rail (added by the agent from the board file),
// a ThermalFit per zone, the efficiency table and the CPQ scale. The agent feeds the fits
// through rail(), zone(), efficiency() and cpqScale(), then calls apply() on its EnergyModel.
class Calibration {
 public:
  // zonePeriodS: the interval between zone samples.
  Status init(const SocSpec& soc, double zonePeriodS, const CalibrationConfig& config);
  // A rail feeding `devices` (fitted jointly). A device already on a rail is refused: giving it
  // to a second one would add a sub-rail to its parent (MODEL.md §7, double counting).
  Result<int> addRail(const int* devices, size_t count);

  size_t railCount() const { return rails_.size(); }
  RailFit& rail(size_t r) { return rails_[r]; }
  const RailFit& rail(size_t r) const { return rails_[r]; }
  // -1 when the device is on no rail.
  int railOf(int device) const { return railOf_[device]; }
  size_t zoneCount() const { return zones_.size(); }
  ThermalFit& zone(size_t z) { return zones_[z]; }
  const ThermalFit& zone(size_t z) const { return zones_[z]; }
  EfficiencyTracker& efficiency() { return efficiency_; }
  const EfficiencyTracker& efficiency() const { return efficiency_; }
  CpqScaleFit& cpqScale() { return cpq_; }
  const CpqScaleFit& cpqScale() const { return cpq_; }

  // Writes every calibrated quantity into `model`: confident values, board values elsewhere, so
  // it can be called after every tick. Devices on no rail keep the model's values.
  void apply(EnergyModel& model) const;

 private:
  CalibrationConfig config_;
  FixedVector<RailFit, kMaxRails> rails_;
  FixedVector<ThermalFit, kMaxZones> zones_;
  std::array<int, kMaxDevices> railOf_{};
  size_t devices_ = 0;
  SocSpec soc_;  // the board values the fits start from
  EfficiencyTracker efficiency_;
  CpqScaleFit cpq_;
};

}  // namespace qeil::energy
