#include "energy/evaluator.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>

#include "energy/cpq.h"
#include "energy/power.h"
#include "energy/roofline.h"
#include "energy/thermal.h"
#include "energy/transient.h"

namespace qeil::energy {
namespace {

// MODEL.md §5 transient: the error each step of stepTemperature may leave in a zone's
// temperature.
constexpr double kThermalToleranceK = 0.02;
// Work left below this fraction of a phase's FLOPs is rounding: it ends with the segment.
constexpr double kDoneFraction = 1e-12;

// The runaway pre-check's g(T_crit) must clear zero by this much to skip the Newton solve; far
// above the solve's rounding (1e-9 K steps).
constexpr double kClearlyBelowK = 1e-6;

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

const char* infeasibilityName(Infeasibility reason) {
  switch (reason) {
    case Infeasibility::None:
      return "none";
    case Infeasibility::BadPlacement:
      return "bad-placement";
    case Infeasibility::Memory:
      return "memory";
    case Infeasibility::ThermalMargin:
      return "thermal-margin";
    case Infeasibility::ThermalRunaway:
      return "thermal-runaway";
  }
  return "unknown";
}

EnergyModel::EnergyModel(const SocSpec& soc) : soc_(soc) {
  startTempC_.fill(std::numeric_limits<double>::quiet_NaN());
  for (size_t z = 0; z < soc_.zones.size(); ++z)
    setZoneRc(static_cast<int>(z), soc_.zones[z].rThKPerW, soc_.zones[z].cThJPerK);
  for (size_t d = 0; d < soc_.devices.size(); ++d) {
    const DeviceSpec& dev = soc_.devices[d];
    eta_[d].fill(dev.defaultEta);
    assert(dev.zone >= 0 && dev.zone < static_cast<int>(soc_.zones.size()));
    zoneDevices_[dev.zone].push_back(static_cast<int>(d));
    // MODEL.md §6 U(x) weighs device d by pi_d: its highest peak over the data types it runs,
    // at its top OPP with all cores. A fixed weight per device, so U measures idle capacity
    // whatever data types the placed phases happen to use.
    if (dev.opps.empty()) continue;
    const double perCycle = *std::max_element(dev.flopsPerCycle.begin(), dev.flopsPerCycle.end());
    topPeakFlops_[d] = dev.cores * perCycle * dev.opps.back().freqHz;
  }
  refreshLeakage();
}

void EnergyModel::setEta(int device, int workload, double eta) {
  assert(device >= 0 && device < static_cast<int>(soc_.devices.size()));
  assert(workload >= 0 && workload < static_cast<int>(kMaxWorkloads));
  eta_[device][workload] = eta;
}

void EnergyModel::setLeakage(int device, const LeakageParams& leak) {
  soc_.devices[device].leakage = leak;
  refreshLeakage();
}

void EnergyModel::refreshLeakage() {
  int slots = 0;
  for (size_t z = 0; z < soc_.zones.size(); ++z) {
    const int first = slots;
    leakTermFirst_[z] = first;
    leakMaxLambdaPerK_[z] = 0.0;
    for (int d : zoneDevices_[z]) {
      const LeakageParams& leak = soc_.devices[d].leakage;
      int t = first;
      while (t < slots && !(leakTerm_[t].lambdaPerK == leak.lambdaPerK &&
                            leakTerm_[t].refTempC == leak.refTempC)) {
        ++t;
      }
      if (t == slots) {
        const double criticalFactor = leakagePowerW({1.0, 1.0, leak.lambdaPerK, leak.refTempC}, 1.0,
                                                    soc_.zones[z].criticalTripC);
        leakTerm_[slots++] = {leak.lambdaPerK, leak.refTempC, criticalFactor, true};
        leakMaxLambdaPerK_[z] = std::max(leakMaxLambdaPerK_[z], std::fabs(leak.lambdaPerK));
      }
      leakTerm_[t].rises = leakTerm_[t].rises && leak.refW >= 0.0 && leak.lambdaPerK >= 0.0;
      deviceLeakTerm_[d] = t;
      leakWPerV_[d] = leak.refW / leak.refVoltV;
    }
    leakTerms_[z] = slots - first;
  }
}

void EnergyModel::setZoneRc(int zone, double rThKPerW, double cThJPerK) {
  soc_.zones[zone].rThKPerW = rThKPerW;
  soc_.zones[zone].cThJPerK = cThJPerK;
  invRWPerK_[zone] = 1.0 / rThKPerW;
  invCKPerJ_[zone] = 1.0 / cThJPerK;
  minStepS_[zone] = transient::minStepS(soc_.zones[zone]);
}

// One evaluation (MODEL.md §3-6): validation and set-up, the segment walk with the zones'
// transients, the idle tail, the totals and the constraints. Everything lives in fixed-size
// arrays on the caller's stack. The walk is event-driven: a running phase keeps its bandwidth
// share, rate, power and predicted end until its share changes (a phase starting or ending
// elsewhere changes it only when the caps overflow beta_soc), and its progress and time
// integrals are brought up to date only then; a zone is integrated when one of its stretches of
// constant power ends. So a segment costs work only for what changed in it.
class EnergyModel::Walk {
 public:
  Walk(const EnergyModel& model, const PhaseList& phases, const Placement& placement,
       double horizonS, Evaluation* out)
      : soc_(model.soc_),
        model_(model),
        phases_(phases),
        placement_(placement),
        requestedHorizonS_(horizonS),
        out_(*out),
        n_(static_cast<int>(phases.size())),
        devices_(static_cast<int>(model.soc_.devices.size())),
        zones_(static_cast<int>(model.soc_.zones.size())) {}

  void run();

 private:
  // What a phase needs for the walk, fixed for the evaluation, plus its progress.
  struct PhaseRun {
    int device;
    int next;           // the next phase in its device's queue (list order), -1: none
    int pred;           // its workload's previous phase (list order), -1: none
    int succ;           // its workload's next phase, -1: none
    double needBps;     // the beta_eff that makes it compute-bound, pi / I (0: no bytes)
    double invNeedBps;  // 1 / needBps (0: no bytes)
    double capBps;      // what it can use: min(beta_d, needBps) (§3)
    double fullRate;    // FLOP/s of progress at DASI 1: eta * pi / (1 + CPQ) (§3, §4)
    double fullDynW;    // dynamic power at activity 1 (§5)
    double voltV;
    double doneFlops;  // remaining work below this is rounding (kDoneFraction of its FLOPs)
    // While it runs: its share and what follows from it, since sinceS.
    double sinceS;
    double remainingFlops;  // at sinceS
    double betaBps;         // NaN until its first share
    double dasi;
    double rate;  // FLOP/s of progress
    double dynW;
    double endsAtS;  // when it ends at this rate
    bool started;
    bool done;
    // Its results (PhaseResult), written out by totals(): the walk keeps them here so that the
    // compiler need not assume its stores to the Evaluation alias the walk's own doubles.
    double startS;
    double endS;
    double dasiS;  // time integrals over its run
    double bandwidthBpsS;
    double dynamicJ;
  };

  bool reject(Infeasibility reason, int culprit);
  bool setUp();
  bool setUpPhase(int i, std::array<int, kMaxDevices>* lastOnDevice,
                  std::array<int, kMaxWorkloads>* lastOfWorkload);
  bool placeInMemory(const std::array<double, kMaxWorkloads>& footprintBytes);
  void setUpPower();
  void tryStart(int i, double nowS);
  void share(double nowS);
  void setShare(int i, double betaBps, double nowS);
  void accrue(int i, double nowS);
  int earliestEnd() const;
  void setDevicePower(int d, double dynW, double voltV);
  void updateZones(double nowS);
  void openStretch(int z, double nowS, double otherW);
  void closeStretch(int z, double endS);
  void advance(int first, double endS);
  void finish(int i, double endS);
  void idleTail();
  void integrate(int z, double dtS);
  [[gnu::noinline]] ThermalStep integrateInSteps(int z, double dtS);
  transient::Stretch stretch(int z) const;
  transient::OneTerm leakageTerm(int z) const;
  int leakageTerms(int z, ZoneLeakage::Term* terms) const;
  void totals();
  void checkThermal();
  bool runaway(int z) const;

  const SocSpec& soc_;
  const EnergyModel& model_;
  const PhaseList& phases_;
  const Placement& placement_;
  const double requestedHorizonS_;
  Evaluation& out_;
  const int n_;
  const int devices_;
  const int zones_;
  int doneCount_ = 0;

  std::array<PhaseRun, kMaxPhases> run_;

  // The phases running in this segment (one per device at most), in the order they started.
  int running_ = 0;
  std::array<int, kMaxDevices> runPhase_;

  // Per device (set up for every device by setUpPower()).
  std::array<int, kMaxDevices> head_;             // the phase its queue is at, -1: empty
  std::array<bool, kMaxDevices> powered_;         // for the whole horizon (§6)
  std::array<double, kMaxDevices> idleW_;         // 0 when power-gated
  std::array<double, kMaxDevices> idleVoltV_;     // powered but idle: its lowest OPP
  std::array<uint32_t, kMaxDevices> zoneBit_;     // 1 << its zone
  std::array<double, kMaxDevices> dynW_;          // now
  std::array<double, kMaxDevices> voltV_;         // now; 0: power-gated
  std::array<double, kMaxDevices> pendingVoltV_;  // in its zone's pending stretch
  double poweredIdleW_ = 0.0;

  // Per zone (bit z of a mask: zone z; set up for every zone by setUpPower()).
  static_assert(kMaxZones <= 32, "zone masks are 32 bits");
  uint32_t dirtyZones_ = 0;  // a device's power or voltage changed
  // The stretch of constant power and voltages not yet closed.
  std::array<bool, kMaxZones> pending_;
  std::array<double, kMaxZones> pendingFromS_;
  std::array<double, kMaxZones> pendingW_;  // non-leakage power
  std::array<double, kMaxZones> worstW_;    // highest non-leakage power of any stretch
  // The transient's state: each zone's temperature, whether a stretch of it has been integrated;
  // what it adds up (written out by totals()).
  std::array<double, kMaxZones> tempC_;
  std::array<bool, kMaxZones> integrated_;
  std::array<double, kMaxZones> peakTempC_;
  double leakageJ_ = 0.0;
  // Per leakage term slot (EnergyModel::leakTerm_): the coefficient in the zone's pending and
  // worst stretches, and the factor exp(lambda (T - T0)) at the zone's temperature.
  std::array<double, kMaxDevices> pendingCoeffW_;
  std::array<double, kMaxDevices> worstCoeffW_;
  std::array<double, kMaxDevices> factors_;
};

void EnergyModel::evaluate(const PhaseList& phases, const Placement& placement, double horizonS,
                           Evaluation* out) const {
  Walk(*this, phases, placement, horizonS, out).run();
}

void EnergyModel::Walk::run() {
  out_ = Evaluation{};
  if (!setUp()) return;
  double nowS = 0.0;
  int segments = 0;
  // Every segment ends at least one phase, so there are at most n_ of them (§6 piecewise).
  while (doneCount_ < n_) {
    share(nowS);
    const int first = earliestEnd();
    const double endS = std::max(nowS, run_[runPhase_[first]].endsAtS);
    if (endS > nowS) updateZones(nowS);  // a segment of no length changes no zone
    advance(first, endS);
    nowS = endS;
    ++segments;
  }
  out_.segments = segments;
  out_.makespanS = nowS;
  out_.horizonS = std::max(requestedHorizonS_, nowS);
  idleTail();
  totals();
  checkThermal();
  out_.feasible = out_.reason == Infeasibility::None;
}

// Keeps the first violated constraint.
bool EnergyModel::Walk::reject(Infeasibility reason, int culprit) {
  if (out_.reason == Infeasibility::None) {
    out_.reason = reason;
    out_.culprit = culprit;
  }
  return false;
}

// Validates and sets up every phase, then memory (§4) and power. Returns false when the
// placement cannot be walked: a bad placement (the first bad phase is the culprit), or no
// phase could finish (rho >= 1).
bool EnergyModel::Walk::setUp() {
  if (placement_.size() != phases_.size()) {
    return reject(Infeasibility::BadPlacement,
                  static_cast<int>(std::min(placement_.size(), phases_.size())));
  }
  std::array<int, kMaxDevices> lastOnDevice;
  lastOnDevice.fill(-1);
  std::array<int, kMaxWorkloads> lastOfWorkload;
  lastOfWorkload.fill(-1);
  head_.fill(-1);
  // MODEL.md §4 CPQ: each workload's footprint counts once, however many of its phases are
  // placed.
  std::array<double, kMaxWorkloads> footprintBytes{};
  for (int i = 0; i < n_; ++i) {
    if (!setUpPhase(i, &lastOnDevice, &lastOfWorkload)) {
      return reject(Infeasibility::BadPlacement, i);
    }
    const Phase& p = phases_[i];
    footprintBytes[p.workload] = std::max(footprintBytes[p.workload], p.footprintBytes);
  }
  if (!placeInMemory(footprintBytes)) return false;
  const double slowdown = 1.0 + out_.cpq;  // §3: t = F / (eta A) * (1 + CPQ)
  for (int i = 0; i < n_; ++i)
    run_[i].fullRate /= slowdown;
  setUpPower();
  for (int d = 0; d < devices_; ++d) {
    if (head_[d] >= 0) tryStart(head_[d], 0.0);
  }
  return true;
}

// A phase the walk can run: indices in range, a data type the device has, and a positive rate
// of progress (an OPP with a frequency, a memory path when it moves bytes, eta > 0). Then what
// the walk needs of it, and its place in its device's queue and its workload's chain.
bool EnergyModel::Walk::setUpPhase(int i, std::array<int, kMaxDevices>* lastOnDevice,
                                   std::array<int, kMaxWorkloads>* lastOfWorkload) {
  const Phase& p = phases_[i];
  const PhasePlacement& at = placement_[i];
  if (p.workload < 0 || p.workload >= static_cast<int>(kMaxWorkloads)) return false;
  if (at.device < 0 || at.device >= devices_) return false;
  const DeviceSpec& dev = soc_.devices[at.device];
  if (at.opp < 0 || at.opp >= static_cast<int>(dev.opps.size())) return false;
  if (at.cores < 0 || at.cores > dev.cores) return false;
  if (!(dev.flopsPerCycle[static_cast<size_t>(p.dtype)] > 0.0)) return false;
  if (!(p.flops >= 0.0) || !(p.bytes >= 0.0)) return false;
  if (p.bytes > 0.0 && !(dev.maxBandwidthBps > 0.0 && soc_.dramBandwidthBps > 0.0)) return false;
  const Opp& opp = dev.opps[at.opp];
  const int cores = at.cores == 0 ? dev.cores : at.cores;
  const double pi = peakFlops(dev, opp, cores, p.dtype);
  const double eta = model_.eta_[at.device][p.workload];
  if (!(pi > 0.0) || !(eta > 0.0)) return false;

  PhaseRun& r = run_[i];
  r.device = at.device;
  r.next = r.succ = -1;
  r.pred = (*lastOfWorkload)[p.workload];
  if (r.pred >= 0) run_[r.pred].succ = i;
  (*lastOfWorkload)[p.workload] = i;
  const int before = (*lastOnDevice)[at.device];
  (before < 0 ? head_[at.device] : run_[before].next) = i;
  (*lastOnDevice)[at.device] = i;
  r.needBps = p.flops > 0.0 ? pi * p.bytes / p.flops : 0.0;
  r.invNeedBps = r.needBps > 0.0 ? 1.0 / r.needBps : 0.0;
  r.capBps = std::min(dev.maxBandwidthBps, r.needBps);
  r.fullRate = eta * pi;  // divided by 1 + CPQ once that is known
  r.fullDynW = dynamicPowerW(dev.dynCoeff, opp, cores, 1.0);
  r.voltV = opp.voltV;
  r.doneFlops = kDoneFraction * p.flops;
  r.remainingFlops = p.flops;
  r.started = r.done = false;
  return true;
}

// MODEL.md §4 CPQ: one unified pool. Returns false when no phase could finish (rho >= 1).
bool EnergyModel::Walk::placeInMemory(const std::array<double, kMaxWorkloads>& footprintBytes) {
  double placedBytes = 0.0;
  for (double bytes : footprintBytes)
    placedBytes += bytes;
  out_.rho = memoryPressure(placedBytes, soc_.memReservedBytes, soc_.memCapacityBytes);
  out_.cpq = cpq(out_.rho, soc_.kappaM);
  if (!memoryFeasible(out_.rho, soc_.rhoMax)) reject(Infeasibility::Memory, -1);
  return out_.rho < 1.0;
}

// MODEL.md §6: a device is powered for the whole horizon when the OS keeps it up or when a
// phase is placed on it; otherwise it is power-gated and contributes nothing.
void EnergyModel::Walk::setUpPower() {
  for (int d = 0; d < devices_; ++d) {
    const DeviceSpec& dev = soc_.devices[d];
    powered_[d] = dev.alwaysPowered || head_[d] >= 0;
    idleW_[d] = powered_[d] ? dev.idleW : 0.0;
    idleVoltV_[d] = powered_[d] && !dev.opps.empty() ? dev.opps[0].voltV : 0.0;
    zoneBit_[d] = 1u << dev.zone;
    dynW_[d] = 0.0;
    voltV_[d] = idleVoltV_[d];
    poweredIdleW_ += idleW_[d];
    if (powered_[d]) dirtyZones_ |= zoneBit_[d];
  }
  for (int z = 0; z < zones_; ++z) {
    const double setC = model_.startTempC_[z];
    tempC_[z] = std::isnan(setC) ? soc_.ambientC : setC;
    peakTempC_[z] = tempC_[z];
    worstW_[z] = -kInf;
    pending_[z] = integrated_[z] = false;
    // A zone with nothing powered at ambient stays there exactly: never integrated.
    if (tempC_[z] != soc_.ambientC) dirtyZones_ |= 1u << z;
  }
}

// A device runs the phase at the head of its queue once that phase's workload predecessor
// has ended (a decode waits for its prefill, even on another device). Its share comes with the
// next segment's.
void EnergyModel::Walk::tryStart(int i, double nowS) {
  PhaseRun& r = run_[i];
  if (r.started || head_[r.device] != i || (r.pred >= 0 && !run_[r.pred].done)) return;
  r.started = true;
  r.sinceS = nowS;
  r.betaBps = std::numeric_limits<double>::quiet_NaN();
  r.dasi = r.rate = r.dynW = 0.0;
  r.startS = nowS;
  r.dasiS = r.bandwidthBpsS = r.dynamicJ = 0.0;
  runPhase_[running_++] = i;
}

// MODEL.md §3 processor sharing of beta_soc among the running phases, each capped by its
// device's beta_d and by what makes it compute-bound. When the caps fit, each gets its cap,
// which is what the water-filling would give.
void EnergyModel::Walk::share(double nowS) {
  double capsBps = 0.0;
  for (int k = 0; k < running_; ++k)
    capsBps += run_[runPhase_[k]].capBps;
  if (capsBps <= soc_.dramBandwidthBps) {
    for (int k = 0; k < running_; ++k) {
      const int i = runPhase_[k];
      setShare(i, run_[i].capBps, nowS);
    }
    return;
  }
  std::array<double, kMaxDevices> capBps;
  std::array<double, kMaxDevices> betaBps;
  for (int k = 0; k < running_; ++k)
    capBps[k] = run_[runPhase_[k]].capBps;
  shareBandwidth(capBps.data(), running_, soc_.dramBandwidthBps, betaBps.data());
  for (int k = 0; k < running_; ++k)
    setShare(runPhase_[k], betaBps[k], nowS);
}

// MODEL.md §3: a phase progresses at eta * A / (1 + CPQ), A = min(pi, I * beta_eff) = pi * DASI
// with DASI = min(1, beta_eff / (pi / I)); its device draws C V^2 f n * DASI (§5). All of that,
// and so its end, holds until its share changes.
inline void EnergyModel::Walk::setShare(int i, double betaBps, double nowS) {
  PhaseRun& r = run_[i];
  if (betaBps == r.betaBps) return;
  accrue(i, nowS);
  r.betaBps = betaBps;
  // A phase that moves no bytes, or gets all it needs, is compute-bound.
  r.dasi = betaBps >= r.needBps ? 1.0 : betaBps * r.invNeedBps;
  r.rate = r.fullRate * r.dasi;
  r.dynW = r.fullDynW * r.dasi;  // u = DASI (§5)
  r.endsAtS = nowS + r.remainingFlops / r.rate;
  setDevicePower(r.device, r.dynW, r.voltV);
}

// Brings phase i's progress and its time integrals (MODEL.md §6; divided by its run time in
// totals()) up to nowS at its present share.
inline void EnergyModel::Walk::accrue(int i, double nowS) {
  PhaseRun& r = run_[i];
  const double dtS = nowS - r.sinceS;
  if (dtS > 0.0) {
    r.dasiS += r.dasi * dtS;
    r.bandwidthBpsS += r.betaBps * dtS;
    r.dynamicJ += r.dynW * dtS;
    r.remainingFlops -= r.rate * dtS;
  }
  r.sinceS = nowS;
}

// The running slot whose phase ends first (the first of equals).
int EnergyModel::Walk::earliestEnd() const {
  assert(running_ > 0);  // the lowest unfinished phase in list order can always run
  int first = 0;
  double firstEndS = run_[runPhase_[0]].endsAtS;
  for (int k = 1; k < running_; ++k) {
    const double endS = run_[runPhase_[k]].endsAtS;
    if (endS < firstEndS) {
      first = k;
      firstEndS = endS;
    }
  }
  return first;
}

inline void EnergyModel::Walk::setDevicePower(int d, double dynW, double voltV) {
  if (dynW == dynW_[d] && voltV == voltV_[d]) return;
  dynW_[d] = dynW;
  voltV_[d] = voltV;
  dirtyZones_ |= zoneBit_[d];
}

// MODEL.md §5 transient per zone: its devices' dynamic and idle power drive it, their leakage
// at their present voltages feeds back. Each zone is integrated over the stretches in which its
// own power and voltages stay the same: a phase starting or ending elsewhere does not split
// them, so a zone's temperature depends on its own power history only, and a zone in which
// nothing changes costs nothing. From `nowS` on, the zones marked dirty may have new inputs.
void EnergyModel::Walk::updateZones(double nowS) {
  for (uint32_t dirty = dirtyZones_; dirty != 0; dirty &= dirty - 1) {
    const int z = __builtin_ctz(dirty);
    double otherW = 0.0;
    bool sameVoltages = pending_[z];
    for (int d : model_.zoneDevices_[z]) {
      otherW += idleW_[d] + dynW_[d];  // both 0 when gated
      sameVoltages = sameVoltages && voltV_[d] == pendingVoltV_[d];
    }
    if (sameVoltages && otherW == pendingW_[z]) continue;
    closeStretch(z, nowS);
    openStretch(z, nowS, otherW);
  }
  dirtyZones_ = 0;
}

void EnergyModel::Walk::openStretch(int z, double nowS, double otherW) {
  pending_[z] = true;
  pendingFromS_[z] = nowS;
  pendingW_[z] = otherW;
  const int first = model_.leakTermFirst_[z];
  if (model_.leakTerms_[z] == 1) {  // the common zone
    double coeffW = 0.0;
    for (int d : model_.zoneDevices_[z]) {
      pendingVoltV_[d] = voltV_[d];
      coeffW += model_.leakWPerV_[d] * voltV_[d];
    }
    pendingCoeffW_[first] = coeffW;
    return;
  }
  for (int d : model_.zoneDevices_[z])
    pendingCoeffW_[model_.deviceLeakTerm_[d]] = 0.0;
  for (int d : model_.zoneDevices_[z]) {
    pendingVoltV_[d] = voltV_[d];
    pendingCoeffW_[model_.deviceLeakTerm_[d]] += model_.leakWPerV_[d] * voltV_[d];
  }
}

// Ends zone z's pending stretch at `endS` and integrates it; a stretch of no length is dropped.
void EnergyModel::Walk::closeStretch(int z, double endS) {
  if (!pending_[z]) return;
  pending_[z] = false;
  const double dtS = endS - pendingFromS_[z];
  if (!(dtS > 0.0)) return;
  integrate(z, dtS);
  if (pendingW_[z] > worstW_[z]) {
    worstW_[z] = pendingW_[z];
    const int first = model_.leakTermFirst_[z];
    for (int t = first; t < first + model_.leakTerms_[z]; ++t)
      worstCoeffW_[t] = pendingCoeffW_[t];
  }
}

// The segment ends at endS with the phase in slot `first`, and with any other that is done
// within rounding; their devices go idle and move on to their next queued phase, and their
// workloads' next phases may start.
void EnergyModel::Walk::advance(int first, double endS) {
  std::array<int, kMaxDevices> ended;
  int nEnded = 0;
  int kept = 0;
  for (int k = 0; k < running_; ++k) {
    const int i = runPhase_[k];
    const PhaseRun& r = run_[i];
    if (k == first || r.remainingFlops - r.rate * (endS - r.sinceS) <= r.doneFlops) {
      finish(i, endS);
      ended[nEnded++] = i;
    } else {
      runPhase_[kept++] = i;
    }
  }
  running_ = kept;
  doneCount_ += nEnded;
  for (int e = 0; e < nEnded; ++e) {
    const PhaseRun& r = run_[ended[e]];
    if (r.next >= 0) tryStart(r.next, endS);
    if (r.succ >= 0) tryStart(r.succ, endS);
  }
}

inline void EnergyModel::Walk::finish(int i, double endS) {
  accrue(i, endS);
  PhaseRun& r = run_[i];
  r.remainingFlops = 0.0;
  r.done = true;
  r.endS = endS;
  head_[r.device] = r.next;
  setDevicePower(r.device, 0.0, idleVoltV_[r.device]);
}

// MODEL.md §6: powered devices draw their idle power throughout; from the makespan to the
// horizon every one idles at its lowest OPP. Then every zone's last stretch ends with the
// horizon.
void EnergyModel::Walk::idleTail() {
  out_.idleJ = poweredIdleW_ * out_.makespanS + poweredIdleW_ * (out_.horizonS - out_.makespanS);
  updateZones(out_.makespanS);  // every device went idle as its last phase ended
  for (int z = 0; z < zones_; ++z)
    closeStretch(z, out_.horizonS);
}

// MODEL.md §5 transient over zone z's pending stretch, dtS long. Nothing in the walk depends on
// temperatures, so the transient's chain of dependent arithmetic overlaps with the walk's work
// that follows. A stretch of a one-term zone that one step can take is integrated inline;
// everything else goes through integrateInSteps(). The leakage factors carry over from one
// stretch to the next (the zone's terms stay the same).
void EnergyModel::Walk::integrate(int z, double dtS) {
  double* factors = factors_.data() + model_.leakTermFirst_[z];
  ThermalStep step;
  if (model_.leakTerms_[z] == 1) {
    const transient::OneTerm leak = leakageTerm(z);
    if (!integrated_[z]) leak.factors(tempC_[z], factors);
    integrated_[z] = true;
    if (!transient::integrateInOneStep(stretch(z), leak, tempC_[z], dtS, kThermalToleranceK,
                                       factors, &step)) {
      step = integrateInSteps(z, dtS);
    }
  } else {
    step = integrateInSteps(z, dtS);
  }
  tempC_[z] = step.endC;
  peakTempC_[z] = std::max(peakTempC_[z], step.peakC);
  leakageJ_ += step.leakageJ;
}

ThermalStep EnergyModel::Walk::integrateInSteps(int z, double dtS) {
  double* factors = factors_.data() + model_.leakTermFirst_[z];
  const double minStepS = model_.minStepS_[z];
  if (model_.leakTerms_[z] == 1) {
    return transient::integrateInSteps(stretch(z), leakageTerm(z), tempC_[z], dtS,
                                       kThermalToleranceK, minStepS, factors);
  }
  std::array<ZoneLeakage::Term, kMaxDevices> terms;
  const transient::Terms leak{terms.data(), leakageTerms(z, terms.data()),
                              model_.leakMaxLambdaPerK_[z]};
  if (!integrated_[z]) leak.factors(tempC_[z], factors);
  integrated_[z] = true;
  return transient::integrateInSteps(stretch(z), leak, tempC_[z], dtS, kThermalToleranceK, minStepS,
                                     factors);
}

// The pending stretch's constant inputs and leakage: one term (the common zone) or several.
transient::Stretch EnergyModel::Walk::stretch(int z) const {
  return {model_.invRWPerK_[z], soc_.zones[z].cThJPerK, model_.invCKPerJ_[z], soc_.ambientC,
          pendingW_[z]};
}

transient::OneTerm EnergyModel::Walk::leakageTerm(int z) const {
  const int first = model_.leakTermFirst_[z];
  const LeakTerm& term = model_.leakTerm_[first];
  return {{pendingCoeffW_[first], term.lambdaPerK, term.refTempC}};
}

int EnergyModel::Walk::leakageTerms(int z, ZoneLeakage::Term* terms) const {
  const int first = model_.leakTermFirst_[z];
  for (int t = 0; t < model_.leakTerms_[z]; ++t) {
    const LeakTerm& term = model_.leakTerm_[first + t];
    terms[t] = {pendingCoeffW_[first + t], term.lambdaPerK, term.refTempC};
  }
  return model_.leakTerms_[z];
}

// MODEL.md §6 unified energy equation, latencies, U(x), the per-phase means, and the zones'
// temperatures.
void EnergyModel::Walk::totals() {
  std::array<double, kMaxDevices> busyS{};
  for (int i = 0; i < n_; ++i) {
    const Phase& p = phases_[i];
    const PhaseRun& r = run_[i];
    PhaseResult& res = out_.phases[i];
    const double runS = r.endS - r.startS;
    const double perS = runS > 0.0 ? 1.0 / runS : 1.0;  // the integrals are 0 when runS is
    const double dramJ = p.bytes * soc_.dramJPerByte;
    res = {r.startS, r.endS, r.dasiS * perS, r.bandwidthBpsS * perS, r.dynamicJ + dramJ};
    busyS[r.device] += runS;
    out_.dynamicJ += r.dynamicJ;
    out_.dramJ += dramJ;
    out_.latencyS[p.workload] = std::max(out_.latencyS[p.workload], r.endS);
  }
  out_.leakageJ = leakageJ_;
  out_.baseJ = soc_.baseW * out_.horizonS;
  out_.energyJ = out_.dynamicJ + out_.leakageJ + out_.idleJ + out_.dramJ + out_.baseJ;
  // U = 1 - sum_d busy_d pi_d / sum_{d powered} pi_d, busy_d its share of the makespan.
  double busyFlops = 0.0;
  double poweredFlops = 0.0;
  for (int d = 0; d < devices_; ++d) {
    if (!powered_[d]) continue;
    poweredFlops += model_.topPeakFlops_[d];
    if (out_.makespanS > 0.0) busyFlops += busyS[d] / out_.makespanS * model_.topPeakFlops_[d];
  }
  out_.underUtilisation = poweredFlops > 0.0 ? 1.0 - busyFlops / poweredFlops : 0.0;
  for (int z = 0; z < zones_; ++z) {
    out_.peakTempC[z] = peakTempC_[z];
    out_.endTempC[z] = tempC_[z];
  }
}

// MODEL.md §5 constraints, zone by zone: the peak over the horizon must stay below the passive
// trip minus the margin; and the zone's worst stretch (highest non-leakage power, with the
// voltages its devices had then), were it sustained, must settle below the critical trip.
void EnergyModel::Walk::checkThermal() {
  for (int z = 0; z < zones_; ++z) {
    if (out_.peakTempC[z] > soc_.zones[z].passiveTripC - soc_.thermalMarginK) {
      reject(Infeasibility::ThermalMargin, z);
    }
  }
  if (out_.reason != Infeasibility::None) return;  // the first violation is already known
  for (int z = 0; z < zones_; ++z) {
    if (worstW_[z] == -kInf) continue;  // never integrated: nothing powered, or no time passed
    if (runaway(z)) {
      reject(Infeasibility::ThermalRunaway, z);
      return;
    }
  }
}

// g(T) = T - T_amb - R (P + L(T)) is concave when every leakage term grows with T, so a stable
// fixed point below the critical trip exists exactly when g(T_crit) > 0 (steadyState's own
// argument, thermal.cpp). Checking that costs a few products (the leakage at T_crit per volt is
// the model's); steadyState() decides everything that is not clearly clear.
bool EnergyModel::Walk::runaway(int z) const {
  const ZoneSpec& zone = soc_.zones[z];
  const int first = model_.leakTermFirst_[z];
  const int last = first + model_.leakTerms_[z];
  double leakAtCriticalW = 0.0;
  bool rising = true;
  for (int t = first; t < last; ++t) {
    if (worstCoeffW_[t] == 0.0) continue;
    leakAtCriticalW += worstCoeffW_[t] * model_.leakTerm_[t].atCriticalFactor;
    rising = rising && model_.leakTerm_[t].rises;
  }
  const double gK =
      zone.criticalTripC - soc_.ambientC - zone.rThKPerW * (worstW_[z] + leakAtCriticalW);
  if (rising && gK > kClearlyBelowK) return false;
  ZoneLeakage leak;
  for (int t = first; t < last; ++t) {
    const LeakTerm& term = model_.leakTerm_[t];
    leak.add({worstCoeffW_[t], 1.0, term.lambdaPerK, term.refTempC}, 1.0);
  }
  return steadyState(zone, soc_.ambientC, worstW_[z], leak).runaway;
}

}  // namespace qeil::energy
