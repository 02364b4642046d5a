#pragma once

#include <array>

#include "energy/soc.h"
#include "energy/workload.h"
#include "hal/fixed_vector.h"

namespace qeil::energy {

constexpr size_t kMaxWorkloads = 16;
constexpr size_t kMaxPhases = 2 * kMaxWorkloads;

// Where and how one phase runs.
struct PhasePlacement {
  int device = -1;
  int opp = 0;    // index into the device's OPP table
  int cores = 0;  // CPU clusters: cores used (1..n); 0 means all of them
};

// The phases to place: for each workload its prefill, then its decode (a workload may have only
// one of them), workloads in arrival order. placement[i] places phases[i].
using PhaseList = FixedVector<Phase, kMaxPhases>;
using Placement = FixedVector<PhasePlacement, kMaxPhases>;

enum class Infeasibility {
  None,
  BadPlacement,    // a device or OPP index out of range, or a data type the device lacks
  Memory,          // rho >= rho_max (§4)
  ThermalMargin,   // predicted peak above the passive trip minus the margin (§5)
  ThermalRunaway,  // no stable fixed point below the critical trip (§5)
};
const char* infeasibilityName(Infeasibility reason);

struct PhaseResult {
  double startS = 0.0;
  double endS = 0.0;
  double dasi = 0.0;          // averaged over the phase's run time
  double bandwidthBps = 0.0;  // beta_eff, averaged over the phase's run time
  double energyJ = 0.0;       // dynamic energy of its device while it ran, plus its DRAM energy
};

// MODEL.md §6: the outcome of one placement over one horizon. When infeasible, `reason` is the
// first violated constraint (checked in the order of Infeasibility) and the numbers are still
// filled in, unless the placement cannot be walked at all (BadPlacement, or rho >= 1).
struct Evaluation {
  bool feasible = false;
  Infeasibility reason = Infeasibility::None;
  int culprit = -1;  // the phase (BadPlacement) or zone (Thermal*) at fault

  double energyJ = 0.0;  // E(x), the unified energy equation
  double dynamicJ = 0.0;
  double leakageJ = 0.0;
  double idleJ = 0.0;
  double dramJ = 0.0;
  double baseJ = 0.0;
  double horizonS = 0.0;  // max(requested horizon, makespan)
  double makespanS = 0.0;
  double underUtilisation = 0.0;  // U(x)
  double rho = 0.0;
  double cpq = 0.0;
  int segments = 0;  // piecewise-constant stretches walked up to the makespan (<= phases)

  std::array<double, kMaxWorkloads> latencyS{};  // per workload: its last phase's end
  std::array<PhaseResult, kMaxPhases> phases{};
  std::array<double, kMaxZones> peakTempC{};
  std::array<double, kMaxZones> endTempC{};
};

// MODEL.md §3-6 for a whole placement. Phases placed on one device run one after another in
// list order; a workload's decode starts after its prefill ends; phases on different devices
// run concurrently and share DRAM bandwidth (§3 processor sharing), so the evaluation walks
// the piecewise-constant segments between phase starts and ends, carrying each zone's
// temperature through them (§5 transient; a zone is integrated over the stretches in which its
// own power stays the same, to 0.02 K) and summing the energy equation (§6). Fixed memory:
// construction copies the SoC; evaluate() never allocates.
class EnergyModel {
 public:
  explicit EnergyModel(const SocSpec& soc);

  const SocSpec& soc() const { return soc_; }
  // Calibrated values (§7) replace the board file's as they become confident.
  void setEta(int device, int workload, double eta);
  double eta(int device, int workload) const { return eta_[device][workload]; }
  void setKappaM(double kappaM) { soc_.kappaM = kappaM; }
  void setDynCoeff(int device, double dynCoeff) { soc_.devices[device].dynCoeff = dynCoeff; }
  void setLeakage(int device, const LeakageParams& leak);
  void setIdleW(int device, double idleW) { soc_.devices[device].idleW = idleW; }
  void setZoneRc(int zone, double rThKPerW, double cThJPerK);
  void setAmbientC(double ambientC) { soc_.ambientC = ambientC; }
  // Zone temperatures at the start of the horizon (default: ambient, whatever it is then).
  void setZoneTempC(int zone, double tempC) { startTempC_[zone] = tempC; }
  double zoneStartTempC(int zone) const {
    return startTempC_[zone] == startTempC_[zone] ? startTempC_[zone] : soc_.ambientC;
  }

  void evaluate(const PhaseList& phases, const Placement& placement, double horizonS,
                Evaluation* out) const;

 private:
  class Walk;  // one evaluation's state, on the stack (evaluator.cpp)

  SocSpec soc_;
  std::array<std::array<double, kMaxWorkloads>, kMaxDevices> eta_{};
  std::array<double, kMaxZones> startTempC_{};  // NaN: not set, start at ambient
  // Fixed by the board file (no setter changes them), so worked out once.
  std::array<double, kMaxDevices> topPeakFlops_{};  // U(x) weights, §6
  std::array<FixedVector<int, kMaxDevices>, kMaxZones> zoneDevices_;
  // MODEL.md §5 leakage as the transient and the runaway check see it: each zone's devices
  // grouped by (lambda, T0) into terms (as ZoneLeakage does), zone z owning the term slots
  // [leakTermFirst_[z], + leakTerms_[z]); a device adds leakWPerV_ * V to its slot's coefficient.
  // Refreshed by setLeakage().
  struct LeakTerm {
    double lambdaPerK;
    double refTempC;
    double atCriticalFactor;  // exp(lambda (T_crit - T0)): the runaway pre-check's
    bool rises;               // every device in it leaks more as it warms (refW, lambda >= 0)
  };
  std::array<LeakTerm, kMaxDevices> leakTerm_{};
  std::array<int, kMaxZones> leakTermFirst_{};
  std::array<int, kMaxZones> leakTerms_{};
  std::array<double, kMaxZones> leakMaxLambdaPerK_{};
  std::array<int, kMaxDevices> deviceLeakTerm_{};
  std::array<double, kMaxDevices> leakWPerV_{};
  void refreshLeakage();
  // 1/R, 1/C and the transient's shortest step per zone, refreshed by setZoneRc().
  std::array<double, kMaxZones> invRWPerK_{};
  std::array<double, kMaxZones> invCKPerJ_{};
  std::array<double, kMaxZones> minStepS_{};
};

}  // namespace qeil::energy
