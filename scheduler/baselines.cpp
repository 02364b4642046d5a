#include "scheduler/baselines.h"

#include <cerrno>
#include <limits>

#include "energy/roofline.h"

namespace qeil::scheduler {
namespace {

using energy::Placement;

// Fills the plan with `placement` under the full model; an Error when it is infeasible.
Status finish(const PlanningContext& context, const char* planner, const PlanningProblem& problem,
              const Placement& placement, Plan* plan) {
  plan->placement = placement;
  plan->objectives = context.assess(problem, placement, &plan->evaluation);
  plan->stats.evaluations = 1;
  if (plan->objectives.feasible) return {};
  plan->infeasible = plan->objectives.violated;
  return Error::make(ERANGE, "%s: its placement violates %s", planner,
                     constraintName(plan->infeasible));
}

// The instance proofs first (memory, no usable device, an SLO no device can meet).
bool provenInfeasible(const PlanningContext& context, const char* planner,
                      const PlanningProblem& problem, Plan* plan, Status* st) {
  plan->stats = PlanStats{};
  plan->infeasible = Constraint::None;
  *st = context.checkInstance(problem, &plan->infeasible);
  if (st->ok()) return false;
  st->error().prefix("%s", planner);
  return true;
}

}  // namespace

Status StockPlanner::solve(const PlanningProblem& problem, Plan* plan) {
  Status st;
  if (provenInfeasible(context_, name(), problem, plan, &st)) return st;
  Placement p;
  for (int i = 0; i < static_cast<int>(problem.phases.size()); ++i) {
    const int d = context_.fastestDevice(problem, i);
    p.push_back({d, context_.topOpp(problem, d), context_.allCores(d)});
  }
  return finish(context_, name(), problem, p, plan);
}

Status GreedyV1Planner::solve(const PlanningProblem& problem, Plan* plan) {
  Status st;
  if (provenInfeasible(context_, name(), problem, plan, &st)) return st;
  const energy::SocSpec& soc = context_.model().soc();
  Placement p;
  for (int i = 0; i < static_cast<int>(problem.phases.size()); ++i) {
    const energy::Phase& ph = problem.phases[i];
    const bool prefill = ph.kind == energy::PhaseKind::Prefill;
    int best = -1;
    double bestScore = -1.0;
    for (int d = 0; d < static_cast<int>(soc.devices.size()); ++d) {
      if (!context_.usable(problem, i, d)) continue;
      const energy::DeviceSpec& dev = soc.devices[d];
      const double score =
          prefill ? dev.defaultEta * energy::peakFlops(dev, dev.opps[context_.topOpp(problem, d)],
                                                       dev.cores, ph.dtype)
                  : dev.maxBandwidthBps;
      if (score > bestScore) {
        bestScore = score;
        best = d;
      }
    }
    p.push_back({best, context_.topOpp(problem, best), context_.allCores(best)});
  }
  return finish(context_, name(), problem, p, plan);
}

Status EasLikePlanner::solve(const PlanningProblem& problem, Plan* plan) {
  Status st;
  if (provenInfeasible(context_, name(), problem, plan, &st)) return st;
  const int devices = static_cast<int>(context_.model().soc().devices.size());
  prefix_ = problem;
  prefix_.phases.clear();
  prefix_.current.clear();
  Placement placed;
  int evaluations = 0;
  const int n = static_cast<int>(problem.phases.size());
  for (int first = 0; first < n;) {
    const int w = problem.phases[first].workload;
    int end = first;
    while (end < n && problem.phases[end].workload == w) {
      prefix_.phases.push_back(problem.phases[end]);
      ++end;
    }
    Placement best;
    Objectives bestO;
    bestO.feasible = false;
    bestO.violation = std::numeric_limits<double>::infinity();
    bestO.energyJ = std::numeric_limits<double>::infinity();
    for (int d = 0; d < devices; ++d) {
      bool all = true;
      for (int i = first; i < end; ++i)
        all = all && context_.usable(problem, i, d);
      if (!all) continue;
      for (int k = 0; k <= context_.topOpp(problem, d); ++k) {
        Placement trial = placed;
        for (int i = first; i < end; ++i)
          trial.push_back({d, k, context_.allCores(d)});
        const Objectives o = context_.assess(prefix_, trial, &scratch_);
        ++evaluations;
        const bool better = o.feasible ? (!bestO.feasible || o.energyJ < bestO.energyJ)
                                       : (!bestO.feasible && o.violation < bestO.violation);
        if (better) {
          best = trial;
          bestO = o;
        }
      }
    }
    if (best.size() != static_cast<size_t>(end)) {
      // No single device runs every phase of this workload: each phase on its fastest one.
      best = placed;
      for (int i = first; i < end; ++i) {
        const int d = context_.fastestDevice(problem, i);
        best.push_back({d, context_.topOpp(problem, d), context_.allCores(d)});
      }
    }
    placed = best;
    first = end;
  }
  const Status done = finish(context_, name(), problem, placed, plan);
  plan->stats.evaluations += evaluations;
  return done;
}

}  // namespace qeil::scheduler
