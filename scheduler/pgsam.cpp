#include "scheduler/pgsam.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <limits>

namespace qeil::scheduler {
namespace {

using energy::PhasePlacement;
using energy::Placement;

// A relative objective change of this much counts as a full unit of improvement for the
// momentum scores (§8.3): they average improvements clipped to [-1, 1].
constexpr double kUnitImprovement = 0.01;
// Attempts at drawing a move of the chosen type that changes something before the iteration
// is spent without one.
constexpr int kMoveAttempts = 4;
// How often solve() reads its clock, in iterations.
constexpr int kClockEvery = 8;

// A phase's placement in 16 bits: device + 1 (4 bits), OPP (5 bits), cores (7 bits).
static_assert(energy::kMaxDevices < 16 && energy::kMaxOpps <= 32, "placement codes are 16 bits");
uint16_t code(const PhasePlacement& at) {
  return static_cast<uint16_t>((at.device + 1) | (at.opp << 4) | ((at.cores & 0x7f) << 9));
}

bool same(const Placement& a, const Placement& b) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (code(a[i]) != code(b[i])) return false;
  }
  return true;
}

// §8.4 weight directions over (E, L, U): the policy's own, visited every other period, and the
// others in turn, so the archive grows along the whole front.
Pgsam::Weights primaryWeights(Policy policy) {
  switch (policy) {
    case Policy::EnergyFirst:
      return {0.9, 0.05, 0.05};
    case Policy::LatencyFirst:
      return {0.05, 0.9, 0.05};
    case Policy::Balanced:
      break;
  }
  return {0.45, 0.45, 0.1};
}

}  // namespace

Result<std::unique_ptr<Pgsam>> Pgsam::create(const energy::EnergyModel& model, const Clock& clock,
                                             const PgsamConfig& config) {
  const int cache = config.cacheCapacity;
  if (config.maxIterations < 1 || config.archiveCapacity < 1 || cache < 16 ||
      (cache & (cache - 1)) != 0) {
    return Error::make(EINVAL,
                       "pgsam: max iterations %d and archive capacity %d must be at least 1, "
                       "cache capacity %d a power of two of at least 16",
                       config.maxIterations, config.archiveCapacity, cache);
  }
  if (!(config.momentum >= 0.0 && config.momentum < 1.0) || !(config.softmaxTau > 0.0) ||
      !(config.startTemperature > 0.0) || !(config.endTemperature > 0.0) ||
      config.endTemperature > config.startTemperature || config.stagnationWindow < 1 ||
      !(config.polishShare >= 0.0 && config.polishShare <= 1.0) || config.rotationPeriod < 1 ||
      config.timeBudgetNs <= 0) {
    return Error::make(EINVAL,
                       "pgsam: momentum and the polish share must be in [0, 1), tau, the time "
                       "budget, the windows and "
                       "the temperatures positive, the end temperature at most the start");
  }
  return std::unique_ptr<Pgsam>(new Pgsam(model, clock, config));
}

Pgsam::Pgsam(const energy::EnergyModel& model, const Clock& clock, const PgsamConfig& config)
    : context_(model),
      clock_(clock),
      config_(config),
      cache_(static_cast<size_t>(config.cacheCapacity)),
      archive_(static_cast<size_t>(config.archiveCapacity)),
      lastArchive_(static_cast<size_t>(config.archiveCapacity)) {
  // §8.5 geometric cooling: T reaches endTemperature at the iteration bound.
  coolingAlpha_ = std::pow(config.endTemperature / config.startTemperature,
                           1.0 / static_cast<double>(config.maxIterations));
}

Objectives Pgsam::lookup(const PlanningProblem& problem, const Placement& p, PlanStats* stats) {
  std::array<uint16_t, kMaxPhases> key{};
  uint64_t hash = 0xcbf29ce484222325ull;  // FNV-1a over the codes
  for (int i = 0; i < phases_; ++i) {
    key[i] = code(p[i]);
    hash = (hash ^ key[i]) * 0x100000001b3ull;
  }
  const size_t mask = cache_.size() - 1;
  size_t slot = static_cast<size_t>(hash ^ (hash >> 29)) & mask;
  for (size_t probes = 0; probes < cache_.size(); ++probes, slot = (slot + 1) & mask) {
    CacheEntry& e = cache_[slot];
    if (e.generation != generation_) break;
    if (e.hash == hash && std::memcmp(e.key.data(), key.data(), sizeof(uint16_t) * phases_) == 0) {
      ++stats->cacheHits;
      return e.objectives;
    }
  }
  ++stats->evaluations;
  const Objectives o = context_.assess(problem, p, &scratch_);
  // Keep the table at most three quarters full, so probes stay short; past that, evaluate.
  if (cache_[slot].generation != generation_ &&
      stats->evaluations <= static_cast<int>(cache_.size() / 4 * 3)) {
    cache_[slot] = {hash, generation_, key, o};
  }
  return o;
}

// §8.1: candidates for the start. Feasible ones go to the archive; the least violating one is
// kept in case none is.
void Pgsam::consider(const PlanningProblem& problem, const Placement& p, PlanStats* stats) {
  const Objectives o = lookup(problem, p, stats);
  if (o.feasible) {
    archive(p, o);
  } else if (!best_.objectives.feasible && o.violation < best_.objectives.violation) {
    best_ = {p, o};
  }
}

void Pgsam::seed(const PlanningProblem& problem, PlanStats* stats) {
  const energy::SocSpec& soc = context_.model().soc();
  best_.objectives = Objectives{};
  best_.objectives.violation = std::numeric_limits<double>::infinity();
  Placement p;
  // The current placement, with what is no longer usable moved.
  if (!problem.current.empty()) {
    p = problem.current;
    context_.repair(problem, &p);
    consider(problem, p, stats);
  }
  // Greedy: every phase on its fastest device at its top OPP.
  p.clear();
  for (int i = 0; i < phases_; ++i) {
    const int d = context_.fastestDevice(problem, i);
    p.push_back({d, topOpp_[d], cpuCores_[d]});
  }
  consider(problem, p, stats);
  // Greedy: every phase where its dynamic energy plus its devices' static power over its time
  // alone is least (§5, §6), at any OPP.
  for (int i = 0; i < phases_; ++i) {
    const energy::Phase& ph = problem.phases[i];
    double bestJ = std::numeric_limits<double>::infinity();
    for (int d : usable_[i]) {
      const energy::DeviceSpec& dev = soc.devices[d];
      const double perFlop =
          dev.dynCoeff * 1e-12 /
          (context_.model().eta(d, ph.workload) * dev.flopsPerCycle[static_cast<size_t>(ph.dtype)]);
      for (int k = 0; k <= topOpp_[d]; ++k) {
        const double v = dev.opps[k].voltV;
        const double tS = context_.aloneTimeS(problem, i, d, k, cpuCores_[d]);
        const double staticW = dev.idleW + dev.leakage.refW * v / dev.leakage.refVoltV +
                               soc.baseW / std::max(1, phases_);
        const double j = ph.flops * perFlop * v * v + tS * staticW;
        if (j < bestJ) {
          bestJ = j;
          p[i] = {d, k, cpuCores_[d]};
        }
      }
    }
  }
  consider(problem, p, stats);
  // Consolidated: everything a device can run on it (the rest on its fastest device), at its
  // top and lowest OPP: power-gated devices left idle cost nothing (§6).
  for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d) {
    for (int k : {topOpp_[d], 0}) {
      bool any = false;
      for (int i = 0; i < phases_; ++i) {
        const bool here = std::find(usable_[i].begin(), usable_[i].end(), d) != usable_[i].end();
        any = any || here;
        const int to = here ? d : context_.fastestDevice(problem, i);
        p[i] = {to, here ? k : topOpp_[to], cpuCores_[to]};
      }
      if (any) consider(problem, p, stats);
      if (topOpp_[d] <= 0) break;
    }
  }
  // The last plan's archive.
  for (int a = 0; a < lastArchiveSize_; ++a) {
    p = lastArchive_[a].placement;
    if (static_cast<int>(p.size()) != phases_) continue;
    context_.repair(problem, &p);
    consider(problem, p, stats);
  }
}

Status Pgsam::solve(const PlanningProblem& problem, Plan* plan) {
  const int64_t startNs = clock_.nowNs();
  plan->stats = PlanStats{};
  plan->infeasible = Constraint::None;
  PlanStats& stats = plan->stats;
  Status st = context_.checkInstance(problem, &plan->infeasible);
  if (!st.ok()) return st.error().prefix("pgsam");

  const energy::SocSpec& soc = context_.model().soc();
  phases_ = static_cast<int>(problem.phases.size());
  cpuPhases_ = 0;
  for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d) {
    topOpp_[d] = context_.topOpp(problem, d);
    cpuCores_[d] = context_.allCores(d);
  }
  bounds_.prepare(context_, problem);
  anySlo_ = false;
  for (const WorkloadSpec& w : problem.workloads)
    anySlo_ = anySlo_ || w.sloS < kNoSlo;
  workloads_ = 0;
  for (int i = 0; i < phases_; ++i) {
    if (i == 0 || problem.phases[i].workload != problem.phases[i - 1].workload) {
      workloadFirst_[workloads_++] = i;
    }
  }
  workloadFirst_[workloads_] = phases_;
  bool anyGated = false;
  for (int i = 0; i < phases_; ++i) {
    usable_[i].clear();
    bool cpu = false;
    for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d) {
      if (!context_.usable(problem, i, d)) continue;
      usable_[i].push_back(d);
      cpu = cpu || cpuCores_[d] > 1;
      anyGated = anyGated || !soc.devices[d].alwaysPowered;
    }
    cpuPhases_ += cpu ? 1 : 0;
  }
  if (++generation_ == 0) {  // wrapped: every entry would look current
    for (CacheEntry& e : cache_)
      e.generation = 0;
    generation_ = 1;
  }
  rng_ = Rng(config_.seed);
  score_.fill(0.0);
  for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d)
    gated_[d] = !soc.devices[d].alwaysPowered;
  for (int a = 0; a < kArms; ++a)
    odds_[a] = 1.0;
  // Move types that can never apply here are never drawn.
  if (cpuPhases_ == 0) odds_[kCoresUp] = odds_[kCoresDown] = 0.0;
  if (workloads_ < 2) odds_[kExchange] = 0.0;
  if (!anyGated) odds_[kRelease] = 0.0;
  oddsSum_ = 0.0;
  for (double o : odds_)
    oddsSum_ += o;
  archiveSize_ = 0;

  seed(problem, &stats);
  current_ = archiveSize_ > 0 ? archive_[pick(config_.policy)] : best_;
  scale_ = {current_.objectives.energyJ > 0.0 ? current_.objectives.energyJ : 1.0,
            current_.objectives.latencyS > 0.0 ? current_.objectives.latencyS : 1.0, 1.0};
  if (!std::isfinite(scale_[0]) || !std::isfinite(scale_[1])) scale_ = {1.0, 1.0, 1.0};

  const Weights primary = primaryWeights(config_.policy);
  const Weights directions[] = {primary, {0.34, 0.33, 0.33}, primary, {0.8, 0.15, 0.05},
                                primary, {0.15, 0.8, 0.05}};
  constexpr int kDirections = sizeof directions / sizeof directions[0];
  double temperature = config_.startTemperature;
  int lastChange = 0;
  int it = 0;
  // The last polishShare of the iteration bound goes to a descent from the policy's best.
  const int annealIterations =
      config_.maxIterations - static_cast<int>(config_.polishShare * config_.maxIterations);
  for (; it < annealIterations; ++it) {
    if (it % kClockEvery == 0 && outOfTime(startNs, stats)) {
      stats.timedOut = true;
      break;
    }
    if (it - lastChange > config_.stagnationWindow && archiveSize_ > 0 && !stats.reheated) {
      stats.reheated = true;  // §8.5: once, from the policy's best so far
      temperature = config_.startTemperature * 0.5;
      current_ = archive_[pick(config_.policy)];
      lastChange = it;
    }
    const Weights& w = directions[(it / config_.rotationPeriod) % kDirections];
    const int arm = drawArm();
    candidate_.placement = current_.placement;
    temperature *= coolingAlpha_;
    if (!applyMove(arm, &candidate_.placement)) continue;
    const Objectives& cur = current_.objectives;
    // Once a feasible state is at hand (while none is, a candidate's violation is needed), a
    // candidate is rejected unevaluated when it certainly misses an SLO, or when the lower
    // bounds of its objectives show it would be rejected: dominated, and worse than the
    // acceptance draw allows. The draw comes first, so the search is the same either way.
    double thresholdD = std::numeric_limits<double>::infinity();
    if (cur.feasible) {
      bool late = false;
      const Objectives lower = bounds_.lower(problem, candidate_.placement, &late);
      if (late) {
        ++stats.screened;
        continue;
      }
      // A dominated candidate worse by d > 0 is accepted with probability exp(-d / T): when
      // d < -T ln(u).
      thresholdD = -temperature * std::log(rng_.uniform());
      if (boundedOut(lower, cur, w, thresholdD)) {
        ++stats.bounded;
        continue;
      }
    }
    const Objectives o = lookup(problem, candidate_.placement, &stats);
    bool accept = false;
    double improvement = 0.0;
    if (!cur.feasible) {
      // No feasible state yet: descend the violation, annealed the same way.
      const double dv = o.violation - cur.violation;
      accept = o.feasible || dv <= 0.0 || rng_.uniform() < std::exp(-dv / temperature);
      improvement = o.feasible ? 1.0 : -dv;
      if (o.feasible) {
        archive(candidate_.placement, o);
        lastChange = it;
      } else if (o.violation < best_.objectives.violation) {
        best_ = {candidate_.placement, o};
        lastChange = it;
      }
    } else if (o.feasible) {
      const double d = delta(o, cur, w);
      improvement = -d;
      if (!dominated(o)) {
        accept = true;
        if (archive(candidate_.placement, o)) lastChange = it;
      } else {
        accept = d <= 0.0 || d < thresholdD;
      }
    }
    if (!accept) continue;
    current_ = {candidate_.placement, o};
    reward(arm, improvement);
  }
  if (!stats.timedOut && archiveSize_ > 0) it = polish(problem, it, startNs, &stats);
  stats.iterations = it;
  stats.archiveSize = archiveSize_;

  // Keep this archive for the next solve (§8.1).
  lastArchiveSize_ = archiveSize_;
  for (int a = 0; a < archiveSize_; ++a)
    lastArchive_[a] = archive_[a];

  if (archiveSize_ == 0) {
    plan->placement = best_.placement;
    plan->objectives = context_.assess(problem, best_.placement, &plan->evaluation);
    return PlanningContext::searchFailed("pgsam", best_.objectives, plan);
  }
  plan->placement = archive_[pick(config_.policy)].placement;
  plan->objectives = context_.assess(problem, plan->placement, &plan->evaluation);
  ++stats.evaluations;
  return {};
}

// The budget covers the whole of solve(): the search stops while there is still time for the
// iterations until the next clock reading and the plan's final evaluation, each priced at the
// mean cost of an evaluation so far (seeding included).
bool Pgsam::outOfTime(int64_t startNs, const PlanStats& stats) const {
  const int64_t spentNs = clock_.nowNs() - startNs;
  const int64_t perEvaluationNs = spentNs / std::max(1, stats.evaluations);
  return spentNs + perEvaluationNs * (kClockEvery + 1) > config_.timeBudgetNs;
}

// After the annealing: first-improvement descent from the policy's pick over every workload
// moved whole to one (device, OPP, all cores), alone or trading devices with the phases there;
// every pair of workloads trading placements; every power-gated device emptied onto each other
// device; and every single phase's (device, OPP, cores); until a sweep improves nothing or the
// iteration bound or the time budget is reached. Every neighbour is one iteration; improvements
// go to the archive, from which the plan is picked. Returns the iteration count.
int Pgsam::polish(const PlanningProblem& problem, int it, int64_t startNs, PlanStats* stats) {
  current_ = archive_[pick(config_.policy)];
  const Weights w = primaryWeights(config_.policy);
  bool improved = true;
  const auto tryCandidate = [&]() {
    ++it;
    bool late = false;
    const Objectives lower = bounds_.lower(problem, candidate_.placement, &late);
    if (late) {
      ++stats->screened;
      return;
    }
    if (!(delta(lower, current_.objectives, w) < 0.0)) {  // it could not improve
      ++stats->bounded;
      return;
    }
    const Objectives o = lookup(problem, candidate_.placement, stats);
    if (!o.feasible || !(delta(o, current_.objectives, w) < 0.0)) return;
    archive(candidate_.placement, o);
    current_ = {candidate_.placement, o};
    improved = true;
  };
  const auto outOfBudget = [&]() {
    if (it >= config_.maxIterations) return true;
    if (it % kClockEvery != 0 || !outOfTime(startNs, *stats)) return false;
    stats->timedOut = true;
    return true;
  };
  while (improved) {
    improved = false;
    // A whole workload to one device and OPP (it may leave a device idle, §6).
    for (int first = 0; first < phases_;) {
      int end = first;
      while (end < phases_ && problem.phases[end].workload == problem.phases[first].workload) {
        ++end;
      }
      for (int d : usable_[first]) {
        bool all = end - first >= 2;
        for (int i = first + 1; i < end; ++i)
          all = all && usableOn(i, d);
        for (int k = 0; all && k <= topOpp_[d]; ++k) {
          if (outOfBudget()) return it;
          candidate_.placement = current_.placement;
          for (int i = first; i < end; ++i)
            candidate_.placement[i] = {d, k, cpuCores_[d]};
          tryCandidate();
          // The same, the phases already on d trading devices with it: they go to where its
          // phase of their kind was.
          if (!displace(problem, first, end, {d, k, cpuCores_[d]}) || outOfBudget()) continue;
          tryCandidate();
        }
      }
      first = end;
    }
    // Two workloads trading their placements whole.
    for (int w = 0; w < workloads_; ++w) {
      for (int v = w + 1; v < workloads_; ++v) {
        if (outOfBudget()) return it;
        candidate_.placement = current_.placement;
        if (!takePlacement(w, v, current_.placement, &candidate_.placement) ||
            !takePlacement(v, w, current_.placement, &candidate_.placement) ||
            same(candidate_.placement, current_.placement)) {
          continue;
        }
        tryCandidate();
      }
    }
    // A power-gated device in use emptied onto one other device, each phase at the same relative
    // place in the OPP table.
    const int devices = static_cast<int>(context_.model().soc().devices.size());
    for (int g = 0; g < devices; ++g) {
      if (!gated_[g]) continue;
      for (int t = 0; t < devices; ++t) {
        if (t == g) continue;
        bool any = false;
        bool all = true;
        for (int i = 0; i < phases_; ++i) {
          if (current_.placement[i].device != g) continue;
          any = true;
          all = all && usableOn(i, t);
        }
        if (!any) break;
        if (!all) continue;
        if (outOfBudget()) return it;
        candidate_.placement = current_.placement;
        for (int i = 0; i < phases_; ++i) {
          PhasePlacement& at = candidate_.placement[i];
          if (at.device != g) continue;
          at = movedTo(at, t);
        }
        tryCandidate();
      }
    }
    for (int i = 0; i < phases_; ++i) {
      for (int d : usable_[i]) {
        for (int k = 0; k <= topOpp_[d]; ++k) {
          // A CPU cluster with each core count, all of them first.
          for (int c = cpuCores_[d]; c == cpuCores_[d] || c >= 1; --c) {
            if (outOfBudget()) return it;
            const PhasePlacement at{d, k, c};
            const PhasePlacement& now = current_.placement[i];
            if (at.device == now.device && at.opp == now.opp && at.cores == now.cores) continue;
            candidate_.placement = current_.placement;
            candidate_.placement[i] = at;
            tryCandidate();
          }
        }
      }
    }
  }
  return it;
}

bool Pgsam::boundedOut(const Objectives& lower, const Objectives& current, const Weights& w,
                       double thresholdD) const {
  const double d = delta(lower, current, w);
  return d > 0.0 && d >= thresholdD && dominated(lower);
}

bool Pgsam::applyMove(int arm, Placement* p) {
  for (int attempt = 0; attempt < kMoveAttempts; ++attempt) {
    bool moved = false;
    switch (arm) {
      case kMoveDevice:
        moved = movePhase(p);
        break;
      case kOppUp:
        moved = stepOpp(+1, p);
        break;
      case kOppDown:
        moved = stepOpp(-1, p);
        break;
      case kSwap:
        moved = swapPhases(p);
        break;
      case kCoresUp:
        moved = stepCores(+1, p);
        break;
      case kCoresDown:
        moved = stepCores(-1, p);
        break;
      case kExchange:
        moved = exchangeWorkloads(p);
        break;
      default:
        moved = releaseDevice(p);
        break;
    }
    if (moved) return true;
  }
  return false;
}

// Another usable device, at the same relative place in its OPP table, with all its cores.
bool Pgsam::movePhase(Placement* p) {
  const int i = rng_.below(phases_);
  const FixedVector<int, kMaxDevices>& devices = usable_[i];
  if (devices.size() < 2) return false;
  PhasePlacement& at = (*p)[i];
  int d = devices[rng_.below(static_cast<int>(devices.size()) - 1)];
  if (d == at.device) d = devices.back();
  at = movedTo(at, d);
  return true;
}

bool Pgsam::stepOpp(int dir, Placement* p) {
  PhasePlacement& at = (*p)[rng_.below(phases_)];
  const int opp = at.opp + dir;
  if (opp < 0 || opp > topOpp_[at.device]) return false;
  at.opp = opp;
  return true;
}

void Pgsam::distinctPair(int n, int* i, int* j) {
  *i = rng_.below(n);
  *j = rng_.below(n - 1);
  if (*j >= *i) ++*j;
}

// Two phases on different devices trade places (device, OPP and cores), when each may run on
// the other's device.
bool Pgsam::swapPhases(Placement* p) {
  if (phases_ < 2) return false;
  int i;
  int j;
  distinctPair(phases_, &i, &j);
  PhasePlacement& a = (*p)[i];
  PhasePlacement& b = (*p)[j];
  if (a.device == b.device) return false;
  if (!usableOn(i, b.device) || !usableOn(j, a.device)) return false;
  std::swap(a, b);
  return true;
}

bool Pgsam::stepCores(int dir, Placement* p) {
  PhasePlacement& at = (*p)[rng_.below(phases_)];
  const int n = cpuCores_[at.device];
  const int cores = at.cores + dir;
  if (n < 2 || cores < 1 || cores > n) return false;
  at.cores = cores;
  return true;
}

// Into candidate_: the current placement with phases [first, end) (one workload) all at `moved`
// and the other phases on its device moved to the device its phase of their kind was on. False
// when no phase was displaced (the plain whole move covers that).
bool Pgsam::displace(const PlanningProblem& problem, int first, int end,
                     const PhasePlacement& moved) {
  const int d = moved.device;
  const Placement& now = current_.placement;
  candidate_.placement = now;
  bool displaced = false;
  for (int i = 0; i < phases_; ++i) {
    if (i >= first && i < end) {
      candidate_.placement[i] = moved;
      continue;
    }
    if (now[i].device != d) continue;
    int from = first;
    for (int j = first; j < end; ++j) {
      if (problem.phases[j].kind == problem.phases[i].kind) from = j;
    }
    const int to = now[from].device;
    if (to == d || !usableOn(i, to)) continue;
    candidate_.placement[i] = movedTo(now[i], to);
    displaced = true;
  }
  return displaced;
}

PhasePlacement Pgsam::movedTo(const PhasePlacement& at, int d) const {
  const double place =
      topOpp_[at.device] > 0 ? static_cast<double>(at.opp) / topOpp_[at.device] : 1.0;
  return {d, static_cast<int>(std::lround(place * topOpp_[d])), cpuCores_[d]};
}

bool Pgsam::usableOn(int phase, int device) const {
  const FixedVector<int, kMaxDevices>& v = usable_[phase];
  return std::find(v.begin(), v.end(), device) != v.end();
}

bool Pgsam::takePlacement(int w, int v, const Placement& from, Placement* to) const {
  const int first = workloadFirst_[w];
  const int n = workloadFirst_[w + 1] - first;
  const int vFirst = workloadFirst_[v];
  if (workloadFirst_[v + 1] - vFirst != n) return false;
  for (int k = 0; k < n; ++k) {
    if (!usableOn(first + k, from[vFirst + k].device)) return false;
  }
  for (int k = 0; k < n; ++k)
    (*to)[first + k] = from[vFirst + k];
  return true;
}

// Two workloads trade their placements whole, phase for phase (a workload's latency roughly
// goes with its placement, so SLOs that held tend to hold after the trade).
bool Pgsam::exchangeWorkloads(Placement* p) {
  if (workloads_ < 2) return false;
  int w;
  int v;
  distinctPair(workloads_, &w, &v);
  const Placement before = *p;
  bool changed = false;
  for (int k = workloadFirst_[w]; k < workloadFirst_[w + 1]; ++k) {
    const int j = workloadFirst_[v] + (k - workloadFirst_[w]);
    changed = changed || (j < workloadFirst_[v + 1] && code(before[k]) != code(before[j]));
  }
  if (!changed || !takePlacement(w, v, before, p)) return false;
  if (!takePlacement(v, w, before, p)) {
    *p = before;
    return false;
  }
  return true;
}

// A power-gated device in use is emptied: each of its phases goes to another usable device,
// one already powered when it has such (an always-powered one, or one in use), at the same
// relative place in its OPP table with all its cores. The device then draws nothing (§6).
bool Pgsam::releaseDevice(Placement* p) {
  const int devices = static_cast<int>(context_.model().soc().devices.size());
  uint32_t used = 0;
  for (int i = 0; i < phases_; ++i)
    used |= 1u << (*p)[i].device;
  std::array<int, kMaxDevices> candidates;
  int n = 0;
  for (int d = 0; d < devices; ++d) {
    if (gated_[d] && (used & (1u << d)) != 0) candidates[n++] = d;
  }
  if (n == 0) return false;
  const int g = candidates[rng_.below(n)];
  for (int i = 0; i < phases_; ++i) {
    if ((*p)[i].device == g && usable_[i].size() < 2) return false;
  }
  const uint32_t powered = used & ~(1u << g);
  for (int i = 0; i < phases_; ++i) {
    PhasePlacement& at = (*p)[i];
    if (at.device != g) continue;
    // Another device, a powered one when there is one.
    n = 0;
    for (int d : usable_[i]) {
      if (d != g && (!gated_[d] || (powered & (1u << d)) != 0)) candidates[n++] = d;
    }
    if (n == 0) {
      for (int d : usable_[i]) {
        if (d != g) candidates[n++] = d;
      }
    }
    const int d = candidates[rng_.below(n)];
    at = movedTo(at, d);
  }
  return true;
}

// §8.3: a move type with probability softmax(score / tau).
int Pgsam::drawArm() {
  double u = rng_.uniform() * oddsSum_;
  for (int a = 0; a < kArms; ++a) {
    u -= odds_[a];
    if (u < 0.0) return a;
  }
  return kMoveDevice;
}

void Pgsam::reward(int arm, double improvement) {
  const double clipped = std::clamp(improvement / kUnitImprovement, -1.0, 1.0);
  score_[arm] = config_.momentum * score_[arm] + (1.0 - config_.momentum) * clipped;
  oddsSum_ -= odds_[arm];
  odds_[arm] = std::exp(score_[arm] / config_.softmaxTau);
  oddsSum_ += odds_[arm];
}

namespace {

bool weaklyDominates(const Objectives& a, const Objectives& b) {
  return a.energyJ <= b.energyJ && a.latencyS <= b.latencyS &&
         a.underUtilisation <= b.underUtilisation;
}

bool dominates(const Objectives& a, const Objectives& b) {
  return weaklyDominates(a, b) && (a.energyJ < b.energyJ || a.latencyS < b.latencyS ||
                                   a.underUtilisation < b.underUtilisation);
}

// Within kNearly of dominating: E and L within a relative kNearly, U within kNearly.
constexpr double kNearly = 2e-3;
bool nearlyDominates(const Objectives& a, const Objectives& b) {
  return a.energyJ <= b.energyJ * (1 + kNearly) && a.latencyS <= b.latencyS * (1 + kNearly) &&
         a.underUtilisation <= b.underUtilisation + kNearly;
}

}  // namespace

bool Pgsam::dominated(const Objectives& o) const {
  for (int a = 0; a < archiveSize_; ++a) {
    if (dominates(archive_[a].objectives, o)) return true;
  }
  return false;
}

// Adds a feasible state no member weakly dominates, dropping the members it dominates; a full
// archive first loses its most crowded member. Returns whether the archive changed by more than
// kNearly (what the stagnation window watches, §8.5).
bool Pgsam::archive(const Placement& p, const Objectives& o) {
  bool significant = true;
  for (int a = 0; a < archiveSize_; ++a) {
    const Objectives& m = archive_[a].objectives;
    if (weaklyDominates(m, o)) return false;
    significant = significant && !nearlyDominates(m, o);
  }
  int kept = 0;
  for (int a = 0; a < archiveSize_; ++a) {
    if (dominates(o, archive_[a].objectives)) continue;
    if (kept != a) archive_[kept] = archive_[a];
    ++kept;
  }
  archiveSize_ = kept;
  if (archiveSize_ == static_cast<int>(archive_.size())) evictCrowded();
  archive_[archiveSize_++] = {p, o};
  return significant;
}

// Drops one of the two members closest to each other (objectives normalised by the archive's
// range), never the best member in any objective.
void Pgsam::evictCrowded() {
  std::array<double, 3> lo{};
  std::array<double, 3> hi{};
  std::array<int, 3> bestOf{};
  const auto value = [&](int a, int k) {
    const Objectives& o = archive_[a].objectives;
    return k == 0 ? o.energyJ : k == 1 ? o.latencyS : o.underUtilisation;
  };
  for (int k = 0; k < 3; ++k) {
    lo[k] = hi[k] = value(0, k);
    for (int a = 1; a < archiveSize_; ++a) {
      const double v = value(a, k);
      if (v < lo[k]) bestOf[k] = a;
      lo[k] = std::min(lo[k], v);
      hi[k] = std::max(hi[k], v);
    }
  }
  const auto extreme = [&](int a) { return a == bestOf[0] || a == bestOf[1] || a == bestOf[2]; };
  int victim = -1;
  double closest = std::numeric_limits<double>::infinity();
  for (int a = 0; a < archiveSize_; ++a) {
    for (int b = a + 1; b < archiveSize_; ++b) {
      double d2 = 0.0;
      for (int k = 0; k < 3; ++k) {
        const double range = hi[k] > lo[k] ? hi[k] - lo[k] : 1.0;
        const double d = (value(a, k) - value(b, k)) / range;
        d2 += d * d;
      }
      if (d2 >= closest || (extreme(a) && extreme(b))) continue;
      closest = d2;
      victim = extreme(b) ? a : b;
    }
  }
  if (victim < 0) victim = archiveSize_ - 1;
  archive_[victim] = archive_[archiveSize_ - 1];
  --archiveSize_;
}

// §8.6: the archive member the policy prefers (every member meets the SLOs).
int Pgsam::pick(Policy policy) const {
  if (policy == Policy::Balanced)
    return kneePoint(archiveSize_,
                     [this](int a) -> const Objectives& { return archive_[a].objectives; });
  const bool energy = policy == Policy::EnergyFirst;
  int best = 0;
  for (int a = 1; a < archiveSize_; ++a) {
    const Objectives& o = archive_[a].objectives;
    const Objectives& b = archive_[best].objectives;
    const double first = energy ? o.energyJ - b.energyJ : o.latencyS - b.latencyS;
    const double second = energy ? o.latencyS - b.latencyS : o.energyJ - b.energyJ;
    if (first < 0.0 || (first == 0.0 && second < 0.0)) best = a;
  }
  return best;
}

// §8.4: the weighted normalised objective difference a - b.
double Pgsam::delta(const Objectives& a, const Objectives& b, const Weights& w) const {
  return w[0] * (a.energyJ - b.energyJ) / scale_[0] + w[1] * (a.latencyS - b.latencyS) / scale_[1] +
         w[2] * (a.underUtilisation - b.underUtilisation) / scale_[2];
}

}  // namespace qeil::scheduler
