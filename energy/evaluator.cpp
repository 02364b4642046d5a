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
}

void EnergyModel::setEta(int device, int workload, double eta) {
  assert(device >= 0 && device < static_cast<int>(soc_.devices.size()));
  assert(workload >= 0 && workload < static_cast<int>(kMaxWorkloads));
  eta_[device][workload] = eta;
}

double EnergyModel::eta(int device, int workload) const {
  return eta_[device][workload];
}

void EnergyModel::setZoneRc(int zone, double rThKPerW, double cThJPerK) {
  soc_.zones[zone].rThKPerW = rThKPerW;
  soc_.zones[zone].cThJPerK = cThJPerK;
}

// One evaluation (MODEL.md §3-6): validation, the segment walk, the idle tail, the totals and
// the constraints. Everything lives in fixed-size arrays on the caller's stack. The running set,
// the devices' power and the zones' inputs are kept up to date as phases start and end, so a
// segment costs work only for what changed in it.
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
        n_(static_cast<int>(phases.size())) {}

  void run();

 private:
  // What a phase needs for the walk, fixed for the evaluation, plus its progress.
  struct PhaseRun {
    int device;
    int next;          // the next phase in its device's queue (list order), -1: none
    int pred;          // its workload's previous phase (list order), -1: none
    int succ;          // its workload's next phase, -1: none
    double peakFlops;  // pi at its OPP and cores (§1)
    double intensity;  // I, FLOP/byte
    double needBps;    // the beta_eff that makes it compute-bound, pi / I (0: no bytes)
    double capBps;     // what it can use: min(beta_d, needBps) (§3)
    double speed;      // eta / (1 + CPQ): progress in FLOP/s per FLOP/s attainable (§3, §4)
    double fullDynW;   // dynamic power at activity 1 (§5)
    double voltV;
    double remainingFlops;
    bool started;
    bool done;
  };

  bool reject(Infeasibility reason, int culprit);
  bool validate();
  bool validatePhase(int i);
  bool placeInMemory();
  void setUp();
  void setUpPhase(int i, std::array<int, kMaxDevices>* lastOnDevice,
                  std::array<int, kMaxWorkloads>* lastOfWorkload);
  void setUpPower();
  void tryStart(int i, double nowS);
  double plan();
  void share();
  void spend(double startS, double dtS);
  void setDevicePower(int d, double dynW, double voltV);
  void updateZones(double nowS);
  bool zoneUnchanged(int z, double otherW) const;
  void flushZone(int z, double endS);
  void advance(double dtS, double endS);
  void idleTail();
  void totals();
  void checkThermal();
  bool runaway(size_t z);

  const SocSpec& soc_;
  const EnergyModel& model_;
  const PhaseList& phases_;
  const Placement& placement_;
  const double requestedHorizonS_;
  Evaluation& out_;
  const int n_;
  int doneCount_ = 0;

  std::array<PhaseRun, kMaxPhases> run_;

  // The phases running in this segment (one per device at most), in the order they started.
  int running_ = 0;
  std::array<int, kMaxDevices> runPhase_{};
  std::array<double, kMaxDevices> capBps_{};
  std::array<double, kMaxDevices> betaBps_{};
  std::array<double, kMaxDevices> rate_{};  // FLOP/s of progress
  std::array<double, kMaxDevices> dasi_{};
  int first_ = -1;  // the running slot that ends the segment

  // Per device.
  std::array<bool, kMaxDevices> powered_{};
  std::array<int, kMaxDevices> head_{};          // the phase its queue is at, -1: empty
  std::array<double, kMaxDevices> idleVoltV_{};  // powered but idle: its lowest OPP
  std::array<double, kMaxDevices> dynW_{};       // now
  std::array<double, kMaxDevices> voltV_{};      // now; 0: power-gated
  double poweredIdleW_ = 0.0;

  // Per zone (bit z of a mask: zone z).
  static_assert(kMaxZones <= 32, "zone masks are 32 bits");
  uint32_t dirtyZones_ = 0;  // a device's power or voltage changed
  std::array<double, kMaxZones> tempC_{};
  // The stretch of constant power and voltages not yet integrated.
  std::array<bool, kMaxZones> pending_{};
  std::array<double, kMaxZones> pendingFromS_{};
  std::array<double, kMaxZones> pendingW_{};        // non-leakage power
  std::array<double, kMaxDevices> pendingVoltV_{};  // 0: gated
  std::array<double, kMaxZones> worstW_{};          // highest non-leakage power of any stretch
  std::array<double, kMaxDevices> worstVoltV_{};    // each device's voltage in that stretch
  ZoneLeakage leak_;
};

void EnergyModel::evaluate(const PhaseList& phases, const Placement& placement, double horizonS,
                           Evaluation* out) const {
  Walk(*this, phases, placement, horizonS, out).run();
}

void EnergyModel::Walk::run() {
  out_ = Evaluation{};
  if (!validate() || !placeInMemory()) return;
  setUp();
  double nowS = 0.0;
  // Every segment ends at least one phase, so there are at most n_ of them (§6 piecewise).
  while (doneCount_ < n_) {
    const double dtS = plan();
    spend(nowS, dtS);
    nowS += dtS;
    advance(dtS, nowS);
    ++out_.segments;
  }
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

bool EnergyModel::Walk::validate() {
  if (placement_.size() != phases_.size()) {
    return reject(Infeasibility::BadPlacement,
                  static_cast<int>(std::min(placement_.size(), phases_.size())));
  }
  for (int i = 0; i < n_; ++i) {
    if (!validatePhase(i)) return reject(Infeasibility::BadPlacement, i);
  }
  return true;
}

// A phase the walk can run: indices in range, a data type the device has, and a positive rate
// of progress (an OPP with a frequency, a memory path when it moves bytes, eta > 0).
bool EnergyModel::Walk::validatePhase(int i) {
  const Phase& p = phases_[i];
  const PhasePlacement& at = placement_[i];
  if (p.workload < 0 || p.workload >= static_cast<int>(kMaxWorkloads)) return false;
  if (at.device < 0 || at.device >= static_cast<int>(soc_.devices.size())) return false;
  const DeviceSpec& dev = soc_.devices[at.device];
  if (at.opp < 0 || at.opp >= static_cast<int>(dev.opps.size())) return false;
  if (at.cores < 0 || at.cores > dev.cores) return false;
  if (!(dev.flopsPerCycle[static_cast<size_t>(p.dtype)] > 0.0)) return false;
  if (!(p.flops >= 0.0) || !(p.bytes >= 0.0)) return false;
  if (p.bytes > 0.0 && !(dev.maxBandwidthBps > 0.0 && soc_.dramBandwidthBps > 0.0)) return false;
  const int cores = at.cores == 0 ? dev.cores : at.cores;
  return peakFlops(dev, dev.opps[at.opp], cores, p.dtype) > 0.0 &&
         model_.eta_[at.device][p.workload] > 0.0;
}

// MODEL.md §4 CPQ: one unified pool; each workload's footprint counts once, however many of
// its phases are placed. Returns false when no phase could finish (rho >= 1).
bool EnergyModel::Walk::placeInMemory() {
  std::array<double, kMaxWorkloads> footprint{};
  for (const Phase& p : phases_)
    footprint[p.workload] = std::max(footprint[p.workload], p.footprintBytes);
  double placedBytes = 0.0;
  for (double bytes : footprint)
    placedBytes += bytes;
  out_.rho = memoryPressure(placedBytes, soc_.memReservedBytes, soc_.memCapacityBytes);
  out_.cpq = cpq(out_.rho, soc_.kappaM);
  if (!memoryFeasible(out_.rho, soc_.rhoMax)) reject(Infeasibility::Memory, -1);
  return out_.rho < 1.0;
}

void EnergyModel::Walk::setUp() {
  std::array<int, kMaxDevices> lastOnDevice;
  lastOnDevice.fill(-1);
  std::array<int, kMaxWorkloads> lastOfWorkload;
  lastOfWorkload.fill(-1);
  head_.fill(-1);
  for (int i = 0; i < n_; ++i)
    setUpPhase(i, &lastOnDevice, &lastOfWorkload);
  setUpPower();
  for (size_t d = 0; d < soc_.devices.size(); ++d) {
    if (head_[d] >= 0) tryStart(head_[d], 0.0);
  }
}

void EnergyModel::Walk::setUpPhase(int i, std::array<int, kMaxDevices>* lastOnDevice,
                                   std::array<int, kMaxWorkloads>* lastOfWorkload) {
  const Phase& p = phases_[i];
  const PhasePlacement& at = placement_[i];
  const DeviceSpec& dev = soc_.devices[at.device];
  const Opp& opp = dev.opps[at.opp];
  const int cores = at.cores == 0 ? dev.cores : at.cores;
  PhaseRun& r = run_[i];
  r.device = at.device;
  r.next = r.succ = -1;
  r.pred = (*lastOfWorkload)[p.workload];
  if (r.pred >= 0) run_[r.pred].succ = i;
  (*lastOfWorkload)[p.workload] = i;
  const int before = (*lastOnDevice)[at.device];
  (before < 0 ? head_[at.device] : run_[before].next) = i;
  (*lastOnDevice)[at.device] = i;
  r.peakFlops = peakFlops(dev, opp, cores, p.dtype);
  r.intensity = p.arithmeticIntensity();
  r.needBps = p.flops > 0.0 ? r.peakFlops * p.bytes / p.flops : 0.0;
  r.capBps = std::min(dev.maxBandwidthBps, r.needBps);
  r.speed = model_.eta_[at.device][p.workload] / (1.0 + out_.cpq);
  r.fullDynW = dynamicPowerW(dev.dynCoeff, opp, cores, 1.0);
  r.voltV = opp.voltV;
  r.remainingFlops = p.flops;
  r.started = r.done = false;
}

// MODEL.md §6: a device is powered for the whole horizon when the OS keeps it up or when a
// phase is placed on it; otherwise it is power-gated and contributes nothing.
void EnergyModel::Walk::setUpPower() {
  for (size_t d = 0; d < soc_.devices.size(); ++d) {
    const DeviceSpec& dev = soc_.devices[d];
    powered_[d] = dev.alwaysPowered || head_[d] >= 0;
    if (!powered_[d]) continue;
    poweredIdleW_ += dev.idleW;
    idleVoltV_[d] = dev.opps.empty() ? 0.0 : dev.opps[0].voltV;
    voltV_[d] = idleVoltV_[d];
    dirtyZones_ |= 1u << dev.zone;
  }
  for (size_t z = 0; z < soc_.zones.size(); ++z) {
    const double setC = model_.startTempC_[z];
    tempC_[z] = std::isnan(setC) ? soc_.ambientC : setC;
    out_.peakTempC[z] = tempC_[z];
    worstW_[z] = -kInf;
    // A zone with nothing powered at ambient stays there exactly: never integrated.
    if (tempC_[z] != soc_.ambientC) dirtyZones_ |= 1u << z;
  }
}

// A device runs the phase at the head of its queue once that phase's workload predecessor
// has ended (a decode waits for its prefill, even on another device).
void EnergyModel::Walk::tryStart(int i, double nowS) {
  PhaseRun& r = run_[i];
  if (r.started || head_[r.device] != i || (r.pred >= 0 && !run_[r.pred].done)) return;
  r.started = true;
  out_.phases[i].startS = nowS;
  runPhase_[running_++] = i;
}

// MODEL.md §3: each running phase progresses at eta * A / (1 + CPQ), A = min(pi, I * beta_eff).
// Returns the time to the next phase end.
double EnergyModel::Walk::plan() {
  assert(running_ > 0);  // the lowest unfinished phase in list order can always run
  share();
  double dtS = kInf;
  for (int k = 0; k < running_; ++k) {
    const PhaseRun& r = run_[runPhase_[k]];
    // A phase that moves no bytes, or gets all it needs, is compute-bound: A = pi.
    const double attainable = betaBps_[k] >= r.needBps
                                  ? r.peakFlops
                                  : attainableFlops(r.peakFlops, r.intensity, betaBps_[k]);
    dasi_[k] = attainable / r.peakFlops;
    rate_[k] = r.speed * attainable;
    const double leftS = r.remainingFlops / rate_[k];
    if (leftS < dtS) {
      dtS = leftS;
      first_ = k;
    }
  }
  return dtS;
}

// MODEL.md §3 processor sharing of beta_soc among the running phases, each capped by its
// device's beta_d and by what makes it compute-bound. When the caps fit, each gets its cap,
// which is what the water-filling would give.
void EnergyModel::Walk::share() {
  double capsBps = 0.0;
  for (int k = 0; k < running_; ++k) {
    capBps_[k] = run_[runPhase_[k]].capBps;
    capsBps += capBps_[k];
  }
  if (capsBps <= soc_.dramBandwidthBps) {
    betaBps_ = capBps_;
  } else {
    shareBandwidth(capBps_.data(), running_, soc_.dramBandwidthBps, betaBps_.data());
  }
}

// MODEL.md §5-6: the segment's dynamic and idle energy; the zones take it from there.
void EnergyModel::Walk::spend(double startS, double dtS) {
  if (!(dtS > 0.0)) return;  // a phase with no work: nothing to integrate
  for (int k = 0; k < running_; ++k) {
    const int i = runPhase_[k];
    const PhaseRun& r = run_[i];
    const double dynW = r.fullDynW * dasi_[k];  // u = DASI (§5)
    setDevicePower(r.device, dynW, r.voltV);
    PhaseResult& res = out_.phases[i];
    res.dasi += dasi_[k] * dtS;  // time integrals, divided by the run time in totals()
    res.bandwidthBps += betaBps_[k] * dtS;
    res.energyJ += dynW * dtS;
  }
  out_.idleJ += poweredIdleW_ * dtS;
  updateZones(startS);
}

void EnergyModel::Walk::setDevicePower(int d, double dynW, double voltV) {
  if (dynW == dynW_[d] && voltV == voltV_[d]) return;
  dynW_[d] = dynW;
  voltV_[d] = voltV;
  dirtyZones_ |= 1u << soc_.devices[d].zone;
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
    for (int d : model_.zoneDevices_[z]) {
      if (powered_[d]) otherW += soc_.devices[d].idleW + dynW_[d];
    }
    if (zoneUnchanged(z, otherW)) continue;
    flushZone(z, nowS);
    pending_[z] = true;
    pendingFromS_[z] = nowS;
    pendingW_[z] = otherW;
    for (int d : model_.zoneDevices_[z])
      pendingVoltV_[d] = voltV_[d];
  }
  dirtyZones_ = 0;
}

bool EnergyModel::Walk::zoneUnchanged(int z, double otherW) const {
  if (!pending_[z] || otherW != pendingW_[z]) return false;
  for (int d : model_.zoneDevices_[z]) {
    if (voltV_[d] != pendingVoltV_[d]) return false;
  }
  return true;
}

// Integrates zone z's pending stretch up to `endS`.
void EnergyModel::Walk::flushZone(int z, double endS) {
  if (!pending_[z]) return;
  pending_[z] = false;
  const double dtS = endS - pendingFromS_[z];
  if (!(dtS > 0.0)) return;
  leak_.clear();
  for (int d : model_.zoneDevices_[z]) {
    if (pendingVoltV_[d] > 0.0) leak_.add(soc_.devices[d].leakage, pendingVoltV_[d]);
  }
  const ThermalStep step = stepTemperature(soc_.zones[z], soc_.ambientC, tempC_[z], pendingW_[z],
                                           leak_, dtS, kThermalToleranceK);
  tempC_[z] = step.endC;
  out_.peakTempC[z] = std::max(out_.peakTempC[z], step.peakC);
  out_.leakageJ += step.leakageJ;
  if (pendingW_[z] > worstW_[z]) {
    worstW_[z] = pendingW_[z];
    for (int d : model_.zoneDevices_[z])
      worstVoltV_[d] = pendingVoltV_[d];
  }
}

// Progress over the segment: the phase that set its length ends, with any other that is done
// within rounding; their devices go idle and move on to their next queued phase, and their
// workloads' next phases may start.
void EnergyModel::Walk::advance(double dtS, double endS) {
  std::array<int, kMaxDevices> ended;
  int nEnded = 0;
  int kept = 0;
  for (int k = 0; k < running_; ++k) {
    const int i = runPhase_[k];
    PhaseRun& r = run_[i];
    r.remainingFlops -= rate_[k] * dtS;
    if (k == first_ || r.remainingFlops <= kDoneFraction * phases_[i].flops) {
      r.remainingFlops = 0.0;
      r.done = true;
      out_.phases[i].endS = endS;
      head_[r.device] = r.next;
      setDevicePower(r.device, 0.0, idleVoltV_[r.device]);
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

// MODEL.md §6: from the makespan to the horizon every powered device idles at its lowest OPP.
// Then every zone's last stretch is integrated.
void EnergyModel::Walk::idleTail() {
  out_.idleJ += poweredIdleW_ * (out_.horizonS - out_.makespanS);
  updateZones(out_.makespanS);  // every device went idle as its last phase ended
  for (size_t z = 0; z < soc_.zones.size(); ++z)
    flushZone(static_cast<int>(z), out_.horizonS);
}

// MODEL.md §6 unified energy equation, latencies, U(x), and the per-phase means.
void EnergyModel::Walk::totals() {
  std::array<double, kMaxDevices> busyS{};
  for (int i = 0; i < n_; ++i) {
    const Phase& p = phases_[i];
    PhaseResult& res = out_.phases[i];
    const double runS = res.endS - res.startS;
    if (runS > 0.0) {
      res.dasi /= runS;
      res.bandwidthBps /= runS;
    }
    busyS[run_[i].device] += runS;
    out_.dynamicJ += res.energyJ;
    const double dramJ = p.bytes * soc_.dramJPerByte;
    res.energyJ += dramJ;
    out_.dramJ += dramJ;
    out_.latencyS[p.workload] = std::max(out_.latencyS[p.workload], res.endS);
  }
  out_.baseJ = soc_.baseW * out_.horizonS;
  out_.energyJ = out_.dynamicJ + out_.leakageJ + out_.idleJ + out_.dramJ + out_.baseJ;
  // U = 1 - sum_d busy_d pi_d / sum_{d powered} pi_d, busy_d its share of the makespan.
  double busyFlops = 0.0;
  double poweredFlops = 0.0;
  for (size_t d = 0; d < soc_.devices.size(); ++d) {
    if (!powered_[d]) continue;
    poweredFlops += model_.topPeakFlops_[d];
    if (out_.makespanS > 0.0) busyFlops += busyS[d] / out_.makespanS * model_.topPeakFlops_[d];
  }
  out_.underUtilisation = poweredFlops > 0.0 ? 1.0 - busyFlops / poweredFlops : 0.0;
  for (size_t z = 0; z < soc_.zones.size(); ++z)
    out_.endTempC[z] = tempC_[z];
}

// MODEL.md §5 constraints, zone by zone: the peak over the horizon must stay below the passive
// trip minus the margin; and the zone's worst stretch (highest non-leakage power, with the
// voltages its devices had then), were it sustained, must settle below the critical trip.
void EnergyModel::Walk::checkThermal() {
  for (size_t z = 0; z < soc_.zones.size(); ++z) {
    const ZoneSpec& zone = soc_.zones[z];
    if (out_.peakTempC[z] > zone.passiveTripC - soc_.thermalMarginK) {
      reject(Infeasibility::ThermalMargin, static_cast<int>(z));
    }
  }
  if (out_.reason != Infeasibility::None) return;  // the first violation is already known
  for (size_t z = 0; z < soc_.zones.size(); ++z) {
    if (worstW_[z] == -kInf) continue;  // never integrated: nothing powered, or no time passed
    if (runaway(z)) {
      reject(Infeasibility::ThermalRunaway, static_cast<int>(z));
      return;
    }
  }
}

// g(T) = T - T_amb - R (P + L(T)) is concave when every leakage term grows with T, so a stable
// fixed point below the critical trip exists exactly when g(T_crit) > 0 (steadyState's own
// argument, thermal.cpp). Checking that costs one exp per device instead of a Newton solve;
// steadyState() decides everything that is not clearly clear.
bool EnergyModel::Walk::runaway(size_t z) {
  const ZoneSpec& zone = soc_.zones[z];
  leak_.clear();
  bool rising = true;
  for (int d : model_.zoneDevices_[z]) {
    if (!(worstVoltV_[d] > 0.0)) continue;
    const LeakageParams& params = soc_.devices[d].leakage;
    leak_.add(params, worstVoltV_[d]);
    rising = rising && params.refW >= 0.0 && params.lambdaPerK >= 0.0;
  }
  const double critC = zone.criticalTripC;
  const double gK = critC - soc_.ambientC - zone.rThKPerW * (worstW_[z] + leak_.powerW(critC));
  if (rising && gK > kClearlyBelowK) return false;
  return steadyState(zone, soc_.ambientC, worstW_[z], leak_).runaway;
}

}  // namespace qeil::energy
