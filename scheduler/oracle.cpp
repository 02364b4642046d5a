#include "scheduler/oracle.h"

#include <algorithm>
#include <cerrno>
#include <limits>

#include "energy/power.h"
#include "energy/roofline.h"

namespace qeil::scheduler {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

}  // namespace

double Oracle::placements(const PlanningProblem& problem) const {
  const energy::SocSpec& soc = context_.model().soc();
  double total = 1.0;
  for (int i = 0; i < static_cast<int>(problem.phases.size()); ++i) {
    double n = 0.0;
    for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d) {
      if (!context_.usable(problem, i, d)) continue;
      const int cores = context_.allCores(d);
      n += (context_.topOpp(problem, d) + 1.0) * (cores > 0 ? cores : 1);
    }
    total *= n;
  }
  return total;
}

// MODEL.md §6: base power and every powered device's idle power run for at least the horizon;
// leakage is never negative when no device's reference leakage is. -infinity when some
// coefficient is negative (no floor then).
double Oracle::staticFloorJ() const {
  const energy::SocSpec& soc = context_.model().soc();
  double floorW = soc.baseW;
  for (const energy::DeviceSpec& dev : soc.devices) {
    if (dev.idleW < 0.0 || dev.leakage.refW < 0.0) return -kInf;
    if (dev.alwaysPowered) floorW += dev.idleW;
  }
  return floorW * problem_->horizonS;
}

Status Oracle::solve(const PlanningProblem& problem, Plan* plan) {
  plan->stats = PlanStats{};
  plan->infeasible = Constraint::None;
  Status st = context_.checkInstance(problem, &plan->infeasible);
  if (!st.ok()) return st.error().prefix("oracle");
  const double count = placements(problem);
  const energy::SocSpec& soc = context_.model().soc();
  const int n = static_cast<int>(problem.phases.size());
  if (count > config_.maxPlacements) {
    plan->infeasible = Constraint::Size;
    return Error::make(E2BIG,
                       "oracle: %.3g placements (%d phases, %zu devices), above its bound of "
                       "%.3g; it solves small instances only",
                       count, n, soc.devices.size(), config_.maxPlacements);
  }
  problem_ = &problem;
  const bool energyObjective = config_.policy != Policy::LatencyFirst;
  double priorities = 0.0;
  for (const WorkloadSpec& w : problem.workloads)
    priorities += w.priority;
  const double slowdown = context_.cpqSlowdown(problem);

  choices_.assign(n, {});
  for (int i = 0; i < n; ++i) {
    const energy::Phase& ph = problem.phases[i];
    for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d) {
      if (!context_.usable(problem, i, d)) continue;
      const energy::DeviceSpec& dev = soc.devices[d];
      const int all = context_.allCores(d);
      for (int k = 0; k <= context_.topOpp(problem, d); ++k) {
        for (int c = all > 0 ? 1 : 0; c <= all; ++c) {
          Choice ch;
          ch.at = {d, k, c};
          ch.aloneS = context_.aloneTimeS(problem, i, d, k, c);
          // §3, §5: dynamic energy = P_dyn(DASI 1) * F / rate(DASI 1), whatever the share.
          const int cores = c == 0 ? dev.cores : c;
          const double rate = context_.model().eta(d, ph.workload) *
                              energy::peakFlops(dev, dev.opps[k], cores, ph.dtype) / slowdown;
          const double dynJ =
              energy::dynamicPowerW(dev.dynCoeff, dev.opps[k], cores, 1.0) * ph.flops / rate;
          ch.costJ = energyObjective
                         ? dynJ + ph.bytes * soc.dramJPerByte
                         : problem.workloads[ph.workload].priority * ch.aloneS / priorities;
          choices_[i].push_back(ch);
        }
      }
    }
    std::stable_sort(choices_[i].begin(), choices_[i].end(),
                     [](const Choice& a, const Choice& b) { return a.costJ < b.costJ; });
  }
  restFloor_.assign(n + 1, 0.0);
  restAloneS_.assign(n + 1, 0.0);
  for (int i = n - 1; i >= 0; --i) {
    double minAlone = kInf;
    for (const Choice& ch : choices_[i])
      minAlone = std::min(minAlone, ch.aloneS);
    restFloor_[i] = restFloor_[i + 1] + choices_[i].front().costJ;
    const bool sameNext = i + 1 < n && problem.phases[i + 1].workload == problem.phases[i].workload;
    restAloneS_[i] = minAlone + (sameNext ? restAloneS_[i + 1] : 0.0);
  }
  gatedUses_.assign(soc.devices.size(), 0);
  chainS_.fill(0.0);
  partial_.resize(n);
  found_ = false;
  bestValue_ = kInf;
  closest_ = Objectives{};
  closest_.violation = kInf;
  evaluations_ = 0;
  search(0, energyObjective ? staticFloorJ() : 0.0);
  plan->stats.evaluations = evaluations_;
  if (!found_) {
    plan->placement = partial_;
    return PlanningContext::searchFailed("oracle", closest_, plan);
  }
  plan->placement = best_;
  plan->objectives = context_.assess(problem, best_, &plan->evaluation);
  return {};
}

// Depth-first over phase `phase`'s choices, cheapest first; `cost` bounds the objective of the
// phases placed so far from below.
void Oracle::search(int phase, double cost) {
  const PlanningProblem& problem = *problem_;
  const int n = static_cast<int>(problem.phases.size());
  if (phase == n) {
    const Objectives o = context_.assess(problem, partial_, &scratch_);
    ++evaluations_;
    if (!o.feasible) {
      if (!found_ && o.violation < closest_.violation) closest_ = o;
      return;
    }
    const double value = config_.policy != Policy::LatencyFirst ? o.energyJ : o.latencyS;
    if (value < bestValue_) {
      bestValue_ = value;
      best_ = partial_;
      found_ = true;
    }
    return;
  }
  const energy::SocSpec& soc = context_.model().soc();
  const bool energyObjective = config_.policy != Policy::LatencyFirst;
  const energy::Phase& ph = problem.phases[phase];
  const double sloS = problem.workloads[ph.workload].sloS;
  const bool lastOfWorkload = phase + 1 == n || problem.phases[phase + 1].workload != ph.workload;
  for (const Choice& ch : choices_[phase]) {
    const int d = ch.at.device;
    // A power-gated device is powered for the whole horizon once anything runs on it (§6).
    const bool wakes = !soc.devices[d].alwaysPowered && gatedUses_[d] == 0;
    const double wakeJ = energyObjective && wakes ? soc.devices[d].idleW * problem.horizonS : 0.0;
    const double bound = cost + ch.costJ + restFloor_[phase + 1];
    if (bound >= bestValue_) break;  // cheapest first: every later choice costs more
    if (bound + wakeJ >= bestValue_) continue;
    const double chainS = chainS_[ph.workload] + ch.aloneS;
    const double restS = lastOfWorkload ? 0.0 : restAloneS_[phase + 1];
    if (chainS + restS > sloS) continue;
    partial_[phase] = ch.at;
    const double savedChainS = chainS_[ph.workload];
    chainS_[ph.workload] = chainS;
    ++gatedUses_[d];
    search(phase + 1, cost + ch.costJ + wakeJ);
    --gatedUses_[d];
    chainS_[ph.workload] = savedChainS;
  }
}

}  // namespace qeil::scheduler
