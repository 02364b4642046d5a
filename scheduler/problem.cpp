#include "scheduler/problem.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <limits>

#include "energy/cpq.h"
#include "energy/power.h"
#include "energy/roofline.h"

namespace qeil::scheduler {
namespace {

using energy::DataType;
using energy::DeviceKind;
using energy::DeviceSpec;
using energy::Evaluation;
using energy::Infeasibility;
using energy::PhasePlacement;
using energy::Placement;

// How the violation of each constraint counts while a search is still infeasible: placements
// that cannot run at all dwarf the rest; thermal excess counts per 10 K, SLO excess relatively.
constexpr double kUnusableViolation = 1e3;
constexpr double kMemoryViolation = 1e6;
constexpr double kRunawayViolation = 1e2;
constexpr double kThermalViolationPerK = 0.1;

const char* dtypeName(DataType t) {
  static const char* const kNames[] = {"fp32", "fp16", "int8", "int4"};
  return kNames[static_cast<int>(t)];
}

int errnoOf(Constraint c) {
  switch (c) {
    case Constraint::Memory:
      return ENOMEM;
    case Constraint::NoDevice:
      return ENODEV;
    case Constraint::LatencySlo:
      return ETIME;
    case Constraint::Size:
      return E2BIG;
    default:
      return ERANGE;
  }
}

// MODEL.md §4: one pool, each workload's footprint counted once, wherever it runs.
double placedBytes(const PlanningProblem& problem) {
  std::array<double, kMaxWorkloads> footprint{};
  for (const energy::Phase& p : problem.phases)
    footprint[p.workload] = std::max(footprint[p.workload], p.footprintBytes);
  double placed = 0.0;
  for (double b : footprint)
    placed += b;
  return placed;
}

}  // namespace

const char* constraintName(Constraint c) {
  static const char* const kNames[] = {
      "none", "memory", "no-device", "latency-slo", "thermal-margin", "thermal-runaway", "size"};
  return kNames[static_cast<int>(c)];
}

const char* policyName(Policy p) {
  static const char* const kNames[] = {"energy-first", "latency-first", "balanced"};
  return kNames[static_cast<int>(p)];
}

int PlanningContext::topOpp(const PlanningProblem& problem, int device) const {
  const int n = static_cast<int>(model_.soc().devices[device].opps.size());
  const int cap = problem.devices[device].maxOpp;
  return cap < 0 ? n - 1 : std::min(cap, n - 1);
}

int PlanningContext::allCores(int device) const {
  const DeviceSpec& dev = model_.soc().devices[device];
  return dev.kind == DeviceKind::CpuCluster ? dev.cores : 0;
}

bool PlanningContext::usable(const PlanningProblem& problem, int phase, int device) const {
  const energy::SocSpec& soc = model_.soc();
  if (device < 0 || device >= static_cast<int>(soc.devices.size())) return false;
  if (problem.devices[device].health != DeviceHealth::Ok) return false;
  const DeviceSpec& dev = soc.devices[device];
  const energy::Phase& p = problem.phases[phase];
  if (dev.cores <= 0 || dev.opps.empty() || topOpp(problem, device) < 0) return false;
  if (!(dev.flopsPerCycle[static_cast<size_t>(p.dtype)] > 0.0)) return false;
  if (!(model_.eta(device, p.workload) > 0.0)) return false;
  return !(p.bytes > 0.0) || (dev.maxBandwidthBps > 0.0 && soc.dramBandwidthBps > 0.0);
}

double PlanningContext::cpqSlowdown(const PlanningProblem& problem) const {
  const double placed = placedBytes(problem);
  const energy::SocSpec& soc = model_.soc();
  const double rho = energy::memoryPressure(placed, soc.memReservedBytes, soc.memCapacityBytes);
  return 1.0 + energy::cpq(rho, soc.kappaM);
}

// MODEL.md §3: t = F / (eta A) (1 + CPQ), A = min(pi, I beta) with beta at most min(beta_d,
// beta_soc): contention only lowers beta, so this bounds the time from below.
double PlanningContext::aloneTimeS(const PlanningProblem& problem, int phase, int device, int opp,
                                   int cores) const {
  const DeviceSpec& dev = model_.soc().devices[device];
  const energy::Phase& p = problem.phases[phase];
  const double pi = energy::peakFlops(dev, dev.opps[opp], cores == 0 ? dev.cores : cores, p.dtype);
  const double bw = std::min(dev.maxBandwidthBps, model_.soc().dramBandwidthBps);
  const double a = energy::attainableFlops(pi, p.arithmeticIntensity(), bw);
  const double intensityFree = p.bytes > 0.0 ? a : pi;
  return energy::phaseTimeS(p.flops, model_.eta(device, p.workload), intensityFree, 0.0) *
         cpqSlowdown(problem);
}

int PlanningContext::fastestDevice(const PlanningProblem& problem, int phase) const {
  int best = -1;
  double bestS = 0.0;
  for (int d = 0; d < static_cast<int>(model_.soc().devices.size()); ++d) {
    if (!usable(problem, phase, d)) continue;
    const double t = aloneTimeS(problem, phase, d, topOpp(problem, d), allCores(d));
    if (best < 0 || t < bestS) {
      best = d;
      bestS = t;
    }
  }
  return best;
}

void PlanningContext::repair(const PlanningProblem& problem, Placement* p) const {
  const int n = static_cast<int>(problem.phases.size());
  if (static_cast<int>(p->size()) != n) p->resize(0);
  while (static_cast<int>(p->size()) < n)
    p->push_back(energy::PhasePlacement{-1, 0, 0});
  for (int i = 0; i < n; ++i) {
    energy::PhasePlacement& at = (*p)[i];
    if (usable(problem, i, at.device)) {
      at.opp = std::clamp(at.opp, 0, topOpp(problem, at.device));
      const int cores = allCores(at.device);
      if (at.cores < 0 || at.cores > cores || (cores > 0 && at.cores == 0)) at.cores = cores;
      continue;
    }
    const int d = fastestDevice(problem, i);
    if (d < 0) continue;
    at = {d, topOpp(problem, d), allCores(d)};
  }
}

Objectives PlanningContext::assess(const PlanningProblem& problem, const Placement& placement,
                                   Evaluation* eval) const {
  Objectives o;
  model_.evaluate(problem.phases, placement, problem.horizonS, eval);
  const int n = static_cast<int>(problem.phases.size());
  for (int i = 0; i < n && i < static_cast<int>(placement.size()); ++i) {
    const energy::PhasePlacement& at = placement[i];
    if (!usable(problem, i, at.device) || at.opp > topOpp(problem, at.device)) {
      o.violation += kUnusableViolation;
      if (o.violated == Constraint::None) o.violated = Constraint::NoDevice;
    }
  }
  const Infeasibility reason = eval->reason;
  if (reason == Infeasibility::BadPlacement || eval->rho >= 1.0) {
    o.energyJ = o.latencyS = o.underUtilisation = std::numeric_limits<double>::infinity();
    o.violation += reason == Infeasibility::BadPlacement ? kUnusableViolation : kMemoryViolation;
    if (o.violated == Constraint::None) {
      o.violated =
          reason == Infeasibility::BadPlacement ? Constraint::NoDevice : Constraint::Memory;
    }
    return o;
  }
  o.energyJ = eval->energyJ;
  o.underUtilisation = eval->underUtilisation;
  double weighted = 0.0;
  double weights = 0.0;
  double sloExcess = 0.0;
  for (const WorkloadSpec& w : problem.workloads) {
    const int k = static_cast<int>(&w - problem.workloads.begin());
    const double latS = eval->latencyS[k];
    weighted += w.priority * latS;
    weights += w.priority;
    if (latS > w.sloS) sloExcess += (latS - w.sloS) / w.sloS;
  }
  o.latencyS = weights > 0.0 ? weighted / weights : 0.0;
  Constraint model = Constraint::None;
  if (reason == Infeasibility::Memory) {
    model = Constraint::Memory;
    o.violation += kMemoryViolation;
  } else if (reason == Infeasibility::ThermalMargin) {
    model = Constraint::ThermalMargin;
    const energy::SocSpec& soc = model_.soc();
    for (size_t z = 0; z < soc.zones.size(); ++z) {
      const double limitC = soc.zones[z].passiveTripC - soc.thermalMarginK;
      o.violation += kThermalViolationPerK * std::max(0.0, eval->peakTempC[z] - limitC);
    }
  } else if (reason == Infeasibility::ThermalRunaway) {
    model = Constraint::ThermalRunaway;
    o.violation += kRunawayViolation;
  }
  if (o.violated == Constraint::None) o.violated = model;
  if (sloExcess > 0.0) {
    o.violation += sloExcess;
    if (o.violated == Constraint::None) o.violated = Constraint::LatencySlo;
  }
  o.feasible = o.violated == Constraint::None;
  return o;
}

Status PlanningContext::checkInstance(const PlanningProblem& problem, Constraint* which) const {
  *which = Constraint::None;
  const energy::SocSpec& soc = model_.soc();
  const int n = static_cast<int>(problem.phases.size());
  if (n == 0) return {};
  for (const energy::Phase& p : problem.phases) {
    if (p.workload < 0 || p.workload >= static_cast<int>(problem.workloads.size())) {
      *which = Constraint::NoDevice;
      return Error::make(EINVAL, "phase of workload %d, but the problem describes %zu workloads",
                         p.workload, problem.workloads.size());
    }
  }
  const double placed = placedBytes(problem);
  const double rho = energy::memoryPressure(placed, soc.memReservedBytes, soc.memCapacityBytes);
  if (!energy::memoryFeasible(rho, soc.rhoMax)) {
    *which = Constraint::Memory;
    return Error::make(ENOMEM,
                       "memory: the workloads' footprints (%.2f GB) and the reserved %.2f GB "
                       "fill %.1f %% of the %.2f GB pool; at most %.1f %% is feasible (MODEL.md "
                       "§4 rho_max), wherever they run",
                       placed / 1e9, soc.memReservedBytes / 1e9, 100.0 * rho,
                       soc.memCapacityBytes / 1e9, 100.0 * soc.rhoMax);
  }
  for (int i = 0; i < n; ++i) {
    if (fastestDevice(problem, i) >= 0) continue;
    const energy::Phase& p = problem.phases[i];
    *which = Constraint::NoDevice;
    return Error::make(ENODEV,
                       "phase %d (workload %d %s, %s): no usable device (every device that runs "
                       "%s is lost, offline or capped out)",
                       i, p.workload, p.kind == energy::PhaseKind::Prefill ? "prefill" : "decode",
                       dtypeName(p.dtype), dtypeName(p.dtype));
  }
  // A workload's phases run one after another, each no faster than alone on its fastest
  // usable device at its top allowed OPP.
  std::array<double, kMaxWorkloads> boundS{};
  for (int i = 0; i < n; ++i) {
    const int d = fastestDevice(problem, i);
    boundS[problem.phases[i].workload] +=
        aloneTimeS(problem, i, d, topOpp(problem, d), allCores(d));
  }
  for (size_t w = 0; w < problem.workloads.size(); ++w) {
    if (boundS[w] <= problem.workloads[w].sloS) continue;
    *which = Constraint::LatencySlo;
    return Error::make(ETIME,
                       "latency SLO: workload %zu needs at least %.3f s even alone on its fastest "
                       "usable devices at their top OPPs; its SLO is %.3f s",
                       w, boundS[w], problem.workloads[w].sloS);
  }
  return {};
}

Status PlanningContext::searchFailed(const char* planner, const Objectives& best, Plan* plan) {
  plan->infeasible = best.violated == Constraint::None ? Constraint::ThermalMargin : best.violated;
  const char* detail = "";
  switch (plan->infeasible) {
    case Constraint::ThermalMargin:
      detail = " (every placement tried peaks above a passive trip minus the margin, MODEL.md §5)";
      break;
    case Constraint::ThermalRunaway:
      detail = " (every placement tried runs a zone away, MODEL.md §5)";
      break;
    case Constraint::LatencySlo:
      detail = " (contention and thermal limits leave some workload past its SLO)";
      break;
    default:
      break;
  }
  return Error::make(errnoOf(plan->infeasible),
                     "%s: no feasible placement; the closest found violates %s%s", planner,
                     constraintName(plan->infeasible), detail);
}

void ObjectiveBounds::prepare(const PlanningContext& context, const PlanningProblem& problem) {
  model_ = &context.model();
  const energy::SocSpec& soc = model_->soc();
  slowdown_ = context.cpqSlowdown(problem);
  dramJ_ = 0.0;
  for (const energy::Phase& ph : problem.phases)
    dramJ_ += ph.bytes * soc.dramJPerByte;
  for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d) {
    const DeviceSpec& dev = soc.devices[d];
    bandwidthBps_[d] = std::min(dev.maxBandwidthBps, soc.dramBandwidthBps);
    gated_[d] = !dev.alwaysPowered;
    topPeakFlops_[d] = dev.opps.empty() ? 0.0
                                        : dev.cores * dev.opps.back().freqHz *
                                              *std::max_element(dev.flopsPerCycle.begin(),
                                                                dev.flopsPerCycle.end());
    leakFloorW_[d] = 0.0;
    for (int i = 0; i < static_cast<int>(problem.phases.size()); ++i) {
      const energy::Phase& ph = problem.phases[i];
      const double eta = model_->eta(d, ph.workload);
      const double perCycle = dev.flopsPerCycle[static_cast<size_t>(ph.dtype)];
      PhaseOn& on = phaseOn_[i][d];
      on.perCycle = perCycle;
      on.workS = ph.flops * slowdown_ / eta;
      on.rooflineFlops = ph.bytes > 0.0 ? ph.flops / ph.bytes * bandwidthBps_[d]
                                        : std::numeric_limits<double>::infinity();
      on.dynamicJPerV2 = dev.dynCoeff * 1e-12 * ph.flops * slowdown_ / (eta * perCycle);
      on.dramBytesS = ph.bytes * slowdown_ / eta;
    }
  }
  for (int z = 0; z < static_cast<int>(soc.zones.size()); ++z) {
    // Nothing in the zone cools it (every power and leakage >= 0): it stays above the lower
    // of its start and ambient, and a device whose leakage rises with temperature leaks at
    // least what it leaks there, at its lowest voltage.
    bool heatsOnly = true;
    for (const DeviceSpec& dev : soc.devices) {
      if (dev.zone != z) continue;
      heatsOnly = heatsOnly && dev.idleW >= 0.0 && dev.dynCoeff >= 0.0 && dev.leakage.refW >= 0.0 &&
                  dev.leakage.refVoltV > 0.0;
    }
    const double floorC = std::min(model_->zoneStartTempC(z), soc.ambientC);
    for (int d = 0; heatsOnly && d < static_cast<int>(soc.devices.size()); ++d) {
      const DeviceSpec& dev = soc.devices[d];
      if (dev.zone != z || dev.opps.empty() || dev.leakage.lambdaPerK < 0.0) continue;
      leakFloorW_[d] = energy::leakagePowerW(dev.leakage, dev.opps[0].voltV, floorC);
    }
  }
}

// Lower bounds that hold for any placement, the evaluator's rules being monotone (§3, §5, §6):
// - Times: the schedule with every phase as fast as alone (contention only slows a phase)
//   bounds every start and end from below: a phase starts when the one before it on its device
//   and its workload's previous phase have ended. And the running phases' shares never add up
//   to more than beta_soc, a phase needing its bytes * (1 + CPQ) / eta of share-seconds. So the
//   makespan, and the horizon max(requested, makespan), are bounded below.
// - Energy: a phase's dynamic energy does not depend on its share of bandwidth (power and
//   progress both scale with DASI): C V^2 F (1 + CPQ) / (eta w), exact. DRAM energy is fixed.
//   Base and idle power (of the devices powered: always-powered or used) last the horizon.
//   Leakage: a powered device leaks at least at its lowest OPP's voltage, at the lowest
//   temperature its zone can reach (no power: it decays towards ambient from its start), when
//   its leakage rises with temperature; otherwise 0.
// - Latency: the priority-weighted mean of the workloads' contention-free ends.
// - U: busy_d <= makespan for each device, so U >= 1 - (pi of the used devices) / (pi of the
//   powered ones).
// kBoundMargin covers the rounding of the evaluator's sums (times summed in another order, the
// 1e-12 of a phase's work taken as done) and its transient's tolerance (0.02 K).
Objectives ObjectiveBounds::lower(const PlanningProblem& problem, const Placement& p,
                                  bool* late) const {
  constexpr double kBoundMargin = 1e-3;
  const energy::SocSpec& soc = model_->soc();
  std::array<double, kMaxDevices> deviceFreeS{};
  std::array<double, kMaxWorkloads> workloadEndS{};
  uint32_t used = 0;
  double dynamicJ = 0.0;
  double dramBytesS = 0.0;  // beta_eff integrated over time: the sum over phases
  for (int i = 0; i < static_cast<int>(problem.phases.size()); ++i) {
    const PhasePlacement& at = p[i];
    const PhaseOn& on = phaseOn_[i][at.device];
    const energy::DeviceSpec& dev = soc.devices[at.device];
    const energy::Opp& opp = dev.opps[at.opp];
    const double pi = (at.cores == 0 ? dev.cores : at.cores) * on.perCycle * opp.freqHz;
    const double t = on.workS / std::min(pi, on.rooflineFlops);
    const int w = problem.phases[i].workload;
    const double end = std::max(deviceFreeS[at.device], workloadEndS[w]) + t;
    deviceFreeS[at.device] = workloadEndS[w] = end;
    dynamicJ += on.dynamicJPerV2 * opp.voltV * opp.voltV;
    dramBytesS += on.dramBytesS;
    used |= 1u << at.device;
  }
  Objectives o;
  double makespanS = soc.dramBandwidthBps > 0.0 ? dramBytesS / soc.dramBandwidthBps : 0.0;
  double weighted = 0.0;
  double weights = 0.0;
  *late = false;
  for (size_t w = 0; w < problem.workloads.size(); ++w) {
    const WorkloadSpec& spec = problem.workloads[w];
    makespanS = std::max(makespanS, workloadEndS[w]);
    weighted += spec.priority * workloadEndS[w];
    weights += spec.priority;
    *late = *late || workloadEndS[w] * (1.0 - kBoundMargin) > spec.sloS;
  }
  o.latencyS = weights > 0.0 ? weighted / weights * (1.0 - kBoundMargin) : 0.0;
  double staticW = soc.baseW;
  double usedFlops = 0.0;
  double poweredFlops = 0.0;
  for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d) {
    const bool isUsed = (used & (1u << d)) != 0;
    if (!isUsed && gated_[d]) continue;
    staticW += soc.devices[d].idleW + leakFloorW_[d];
    poweredFlops += topPeakFlops_[d];
    usedFlops += isUsed ? topPeakFlops_[d] : 0.0;
  }
  const double horizonS = std::max(problem.horizonS, makespanS);
  o.energyJ = (dynamicJ + dramJ_ + staticW * horizonS) * (1.0 - kBoundMargin);
  o.underUtilisation = poweredFlops > 0.0 ? 1.0 - usedFlops / poweredFlops - kBoundMargin : 0.0;
  o.underUtilisation = std::max(0.0, o.underUtilisation);
  return o;
}

}  // namespace qeil::scheduler
