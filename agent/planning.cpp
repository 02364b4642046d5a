#include "agent/planning.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "energy/board_soc.h"
#include "energy/workload.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule logPlan("plan");

energy::DataType dataTypeFor(double bitsPerWeight) {
  if (bitsPerWeight <= 4.0) return energy::DataType::Int4;
  if (bitsPerWeight <= 8.0) return energy::DataType::Int8;
  if (bitsPerWeight <= 16.0) return energy::DataType::Fp16;
  return energy::DataType::Fp32;
}

energy::TransformerDesc describe(const LlmWorkloadSpec& m) {
  energy::TransformerDesc d;
  d.params = m.params;
  d.bitsPerWeight = m.bitsPerWeight;
  d.layers = m.layers;
  d.kvWidth = m.kvWidth;
  d.contextTokens = m.contextTokens;
  d.promptTokens = m.promptTokens;
  d.outputTokens = m.outputTokens;
  d.kvBytesPerElem = m.kvBytesPerElem;
  d.scratchBytes = twin::footprintBytes(m) - energy::footprintBytes(d);
  if (d.scratchBytes < 0.0) d.scratchBytes = 0.0;
  d.dtype = dataTypeFor(m.bitsPerWeight);
  return d;
}

}  // namespace

bool parsePolicy(const char* name, scheduler::Policy* out) {
  static const scheduler::Policy kAll[] = {
      scheduler::Policy::EnergyFirst, scheduler::Policy::LatencyFirst, scheduler::Policy::Balanced};
  for (scheduler::Policy p : kAll) {
    if (strcmp(name, scheduler::policyName(p)) == 0) {
      *out = p;
      return true;
    }
  }
  return false;
}

Result<std::unique_ptr<PlanManager>> PlanManager::create(const BoardSpec& board,
                                                         const Clock& clock) {
  Result<energy::SocSpec> soc = energy::socFromBoard(board);
  if (!soc.ok()) return soc.error();
  std::unique_ptr<PlanManager> m(new PlanManager(board));
  m->soc_ = soc.value();
  m->model_ = std::make_unique<energy::EnergyModel>(m->soc_);
  scheduler::PgsamConfig config;
  config.policy = m->policy_.policy;
  auto pgsam = scheduler::Pgsam::create(*m->model_, clock, config);
  if (!pgsam.ok()) return pgsam.error();
  m->pgsam_ = std::move(pgsam.value());
  m->context_ = std::make_unique<scheduler::PlanningContext>(*m->model_);
  m->health_.fill(scheduler::DeviceHealth::Ok);
  m->thermalCap_.fill(-1);
  return m;
}

void PlanManager::setPlanner(PlannerKind kind) {
  switch (kind) {
    case PlannerKind::Pgsam:
      baseline_.reset();
      break;
    case PlannerKind::Stock:
      baseline_ = std::make_unique<scheduler::StockPlanner>(*model_);
      break;
    case PlannerKind::GreedyV1:
      baseline_ = std::make_unique<scheduler::GreedyV1Planner>(*model_);
      break;
    case PlannerKind::EasLike:
      baseline_ = std::make_unique<scheduler::EasLikePlanner>(*model_);
      break;
  }
}

int PlanManager::buildProblem(const WorkloadTable& table) {
  scheduler::PlanningProblem p;
  int n = 0;
  for (const WorkloadEntry& e : table.entries()) {
    if (!e.used || e.state != WorkloadState::Running || e.origin != WorkloadOrigin::Run ||
        e.stopping)
      continue;
    if (static_cast<size_t>(n) >= energy::kMaxWorkloads) break;
    const energy::TransformerDesc d = describe(e.model);
    p.phases.push_back(energy::prefillPhase(d, n));
    p.phases.push_back(energy::decodePhase(d, n));
    p.workloads.push_back(scheduler::WorkloadSpec());
    p.workloads.back().priority = e.priority;
    ids_[static_cast<size_t>(n)] = e.id;
    ++n;
  }
  for (size_t d = 0; d < soc_.devices.size(); ++d) {
    p.devices[d].health = health_[d];
    p.devices[d].maxOpp = thermalCap_[d];
  }
  // Start from the last plan where the workloads are the same ones.
  bool same = solved_ && n == planned_ && plan_.placement.size() == p.phases.size();
  for (int w = 0; same && w < n; ++w)
    same = ids_[static_cast<size_t>(w)] == lastIds_[static_cast<size_t>(w)];
  if (same) p.current = plan_.placement;
  lastIds_ = ids_;
  problem_ = p;
  return n;
}

Status PlanManager::solveWithinCap() {
  pgsam_->setPolicy(policy_.policy);
  for (int step = 0; step <= kCapSteps; ++step) {
    Status s = baseline_ ? baseline_->solve(problem_, &plan_) : pgsam_->solve(problem_, &plan_);
    if (!s.ok()) return s;
    const energy::Evaluation& ev = plan_.evaluation;
    const double meanW = ev.horizonS > 0.0 ? ev.energyJ / ev.horizonS : 0.0;
    if (policy_.powerCapW <= 0.0 || meanW <= policy_.powerCapW) return Status();
    bool lowered = false;
    for (size_t d = 0; d < soc_.devices.size(); ++d) {
      int& top = problem_.devices[d].maxOpp;
      if (top < 0) top = static_cast<int>(soc_.devices[d].opps.size()) - 1;
      if (top > 0) {
        --top;
        lowered = true;
      }
    }
    if (!lowered) break;
  }
  const double meanW = plan_.evaluation.energyJ / plan_.evaluation.horizonS;
  return Error::make(ERANGE, "power cap %.2f W: the lowest OPPs still draw %.2f W on average",
                     policy_.powerCapW, meanW);
}

void PlanManager::plannedActivity(std::array<double, energy::kMaxDevices>* activeCores) const {
  activeCores->fill(0.0);
  if (!hasPlan()) return;
  for (int w = 0; w < planned_; ++w) {
    const size_t i = static_cast<size_t>(2 * w + 1);
    const energy::PhasePlacement& pp = plan_.placement[i];
    if (pp.device < 0) continue;
    const size_t d = static_cast<size_t>(pp.device);
    const int cores = pp.cores > 0 ? pp.cores : soc_.devices[d].cores;
    (*activeCores)[d] += cores * plan_.evaluation.phases[i].dasi;
  }
  for (size_t d = 0; d < soc_.devices.size(); ++d)
    (*activeCores)[d] = std::min((*activeCores)[d], static_cast<double>(soc_.devices[d].cores));
}

double PlanManager::plannedDramW() const {
  if (!hasPlan()) return 0.0;
  double bps = 0.0;
  for (int w = 0; w < planned_; ++w) {
    const size_t i = static_cast<size_t>(2 * w + 1);
    if (plan_.placement[i].device >= 0) bps += plan_.evaluation.phases[i].bandwidthBps;
  }
  return bps * soc_.dramJPerByte;
}

void PlanManager::plannedTopOpp(std::array<int, energy::kMaxDevices>* opp) const {
  opp->fill(-1);
  if (!hasPlan()) return;
  for (const energy::PhasePlacement& pp : plan_.placement) {
    if (pp.device >= 0) (*opp)[pp.device] = std::max((*opp)[pp.device], pp.opp);
  }
}

// Whether a workload's decode moving from device `from` to `device` restarts it (CPU clusters
// are one "cpu" to the launcher: a change of cluster is a cpuset write).
bool PlanManager::restartNeeded(int device, int from) const {
  if (device == from || device < 0 || from < 0) return false;
  const bool cpuTo = soc_.devices[device].kind == energy::DeviceKind::CpuCluster;
  const bool cpuFrom = soc_.devices[from].kind == energy::DeviceKind::CpuCluster;
  return !(cpuTo && cpuFrom);
}

// The move hysteresis (planning.h, kMoveHysteresis): the alternative to the new plan is the
// same plan with every workload the last plan placed (arrivals included) left where it runs.
// Allocation-free.
bool PlanManager::keepRunningPlacement() {
  running_ = plan_.placement;
  double costJ = 0.0;
  double costS = 0.0;
  bool moves = false;
  for (int w = 0; w < planned_; ++w) {
    const Placed* was = nullptr;
    for (const Placed& p : placed_) {
      if (p.id == ids_[static_cast<size_t>(w)] && p.id != 0) was = &p;
    }
    if (!was) continue;
    const size_t decode = static_cast<size_t>(2 * w + 1);
    if (!restartNeeded(plan_.placement[decode].device, was->decode.device)) continue;
    moves = true;
    running_[decode - 1] = was->prefill;
    running_[decode] = was->decode;
    const energy::PhaseResult& prefill = plan_.evaluation.phases[decode - 1];
    costJ += prefill.energyJ;
    costS += prefill.endS - prefill.startS;
  }
  if (!moves) return false;
  for (size_t i = 0; i < running_.size(); ++i) {
    const int d = running_[i].device;
    if (d < 0 || !context_->usable(problem_, static_cast<int>(i), d) ||
        running_[i].opp > context_->topOpp(problem_, d))
      return false;
  }
  const scheduler::Objectives now = context_->assess(problem_, running_, &currentEval_);
  if (!now.feasible) return false;
  const scheduler::Objectives& next = plan_.objectives;
  const double gainJ = now.energyJ - next.energyJ;
  const double gainS = now.latencyS - next.latencyS;
  bool move = false;
  switch (policy_.policy) {
    case scheduler::Policy::EnergyFirst:
      move = gainJ > costJ + kMoveHysteresis * now.energyJ;
      break;
    case scheduler::Policy::LatencyFirst:
      move = gainS > costS + kMoveHysteresis * now.latencyS;
      break;
    case scheduler::Policy::Balanced: {
      const double e = now.energyJ > 0.0 ? now.energyJ : 1.0;
      const double l = now.latencyS > 0.0 ? now.latencyS : 1.0;
      move = gainJ / e + gainS / l > costJ / e + costS / l + kMoveHysteresis;
      break;
    }
  }
  if (move) return false;
  plan_.placement = running_;
  plan_.objectives = now;
  plan_.evaluation = currentEval_;
  ++movesKept_;
  return true;
}

void PlanManager::rememberPlacement() {
  placed_.fill(Placed());
  for (int w = 0; w < planned_; ++w) {
    Placed& p = placed_[static_cast<size_t>(w)];
    p.id = ids_[static_cast<size_t>(w)];
    p.prefill = plan_.placement[static_cast<size_t>(2 * w)];
    p.decode = plan_.placement[static_cast<size_t>(2 * w + 1)];
  }
}

bool PlanManager::cpusetEnforced(int id, int device) const {
  for (const Enforced& e : cpusets_) {
    if (e.id == id) return e.device == device;
  }
  return false;
}

// Writes only what changed since the last enforcement: a re-plan that keeps the plan writes
// nothing and does not allocate.
Status PlanManager::enforce(WorkloadTable& table, BoardHal& hal) {
  std::array<int, energy::kMaxDevices> deviceOpp;
  deviceOpp.fill(-1);
  std::array<Enforced, energy::kMaxWorkloads> cpusets;
  Status result;
  for (int w = 0; w < planned_; ++w) {
    const energy::PhasePlacement& pp = plan_.placement[static_cast<size_t>(2 * w + 1)];
    const WorkloadEntry* e = table.find(ids_[static_cast<size_t>(w)]);
    if (!e || pp.device < 0) continue;
    const size_t d = static_cast<size_t>(pp.device);
    const BoardDevice& dev = board_.devices[d];
    table.setPlannedDevice(e->id, dev.name);
    Status s = table.moveTo(e->id, dev.kind == HwDeviceKind::Cpu ? "cpu" : dev.name);
    if (!s.ok() && result.ok()) result = s;
    deviceOpp[d] = std::max(deviceOpp[d], pp.opp);
    if (dev.kind != HwDeviceKind::Cpu) continue;
    cpusets[static_cast<size_t>(w)] = Enforced{e->id, pp.device};
    if (cpusetEnforced(e->id, pp.device)) continue;
    s = hal.placement->setCpus(e->group.c_str(), dev.cpus);
    if (!s.ok() && result.ok()) result = s;
  }
  cpusets_ = cpusets;
  // cpufreq (CPU clusters) and devfreq (accelerators) max limits at the chosen OPP.
  for (size_t d = 0; d < soc_.devices.size(); ++d) {
    if (deviceOpp[d] < 0 || !hal.domains[d]) continue;
    const uint64_t hz = static_cast<uint64_t>(
        std::llround(soc_.devices[d].opps[static_cast<size_t>(deviceOpp[d])].freqHz));
    if (limitHz_[d] == hz) continue;
    Status s = hal.domains[d]->setMaxLimitHz(hz);
    if (s.ok()) limitHz_[d] = hz;
    if (!s.ok() && result.ok()) result = s;
  }
  return result;
}

Status PlanManager::replan(WorkloadTable& table, BoardHal& hal) {
  ++replans_;
  planned_ = buildProblem(table);
  solved_ = false;
  if (planned_ == 0) {
    lastError_.clear();
    return Status();
  }
  Status s = solveWithinCap();
  // Over the cap even at the lowest OPPs, or every placement tried peaks inside the thermal
  // margin: the closest placement found is still the best there is, and enforcing it (its
  // lower OPPs) beats leaving the devices at their top. A baseline's plan is enforced as its
  // rule made it (the anchors do not heed the model's constraints).
  const bool closest = !s.ok() && (s.error().errnum() == ERANGE ||
                                   plan_.infeasible == scheduler::Constraint::ThermalMargin);
  if (s.ok() || closest || baseline_) {
    solved_ = true;
    if (s.ok() && !baseline_ && keepRunningPlacement())
      QEIL_LOG(logPlan, Info, "re-plan: keeping the running placement (a move would not pay)");
    rememberPlacement();
    Status e = enforce(table, hal);
    if (s.ok()) s = e;
  }
  lastError_ = s.ok() ? std::string() : std::string(s.error().message());
  if (!s.ok()) QEIL_LOG(logPlan, Warn, "re-plan: %s", s.error().message());
  return s;
}

}  // namespace qeil
