// MODEL.md §8 baselines (stock, greedy-v1, eas-like) and the exhaustive oracle, checked against
// their rules and a plain enumeration; the plan explanation against the full evaluation.
#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "energy/roofline.h"
#include "hal/sim/sim_clock.h"
#include "scheduler/baselines.h"
#include "scheduler/explain.h"
#include "scheduler/oracle.h"
#include "scheduler/pgsam.h"
#include "tests/support/planner_instances.h"

namespace qeil::scheduler {
namespace {

using test::PlannerInstance;

PlannerInstance instance(int workloads, int devices, uint64_t seed, int maxOpps = 12) {
  test::InstanceShape s;
  s.workloads = workloads;
  s.devices = devices;
  s.seed = seed;
  s.maxOpps = maxOpps;
  s.maxCpuCores = 2;
  return test::randomInstance(s);
}

TEST(Baselines, StockRunsEveryPhaseOnItsFastestDeviceAtItsTopOpp) {
  const PlannerInstance inst = instance(4, 5, 3);
  const auto model = test::modelOf(inst);
  const PlanningContext ctx(*model);
  StockPlanner stock(*model);
  Plan plan;
  (void)stock.solve(inst.problem, &plan);  // may break a constraint; the plan is filled anyway
  ASSERT_EQ(plan.placement.size(), inst.problem.phases.size());
  for (int i = 0; i < static_cast<int>(plan.placement.size()); ++i) {
    const energy::PhasePlacement& at = plan.placement[i];
    EXPECT_EQ(at.opp, ctx.topOpp(inst.problem, at.device));
    EXPECT_EQ(at.cores, ctx.allCores(at.device));
    const double t = ctx.aloneTimeS(inst.problem, i, at.device, at.opp, at.cores);
    for (int d = 0; d < static_cast<int>(inst.soc.devices.size()); ++d) {
      if (!ctx.usable(inst.problem, i, d)) continue;
      EXPECT_LE(t,
                ctx.aloneTimeS(inst.problem, i, d, ctx.topOpp(inst.problem, d), ctx.allCores(d)));
    }
  }
}

TEST(Baselines, GreedyV1SendsPrefillToComputeAndDecodeToBandwidth) {
  const PlannerInstance inst = instance(4, 5, 4);
  const auto model = test::modelOf(inst);
  const PlanningContext ctx(*model);
  GreedyV1Planner greedy(*model);
  Plan plan;
  (void)greedy.solve(inst.problem, &plan);
  for (int i = 0; i < static_cast<int>(plan.placement.size()); ++i) {
    const energy::Phase& ph = inst.problem.phases[i];
    const energy::DeviceSpec& chosen = inst.soc.devices[plan.placement[i].device];
    for (int d = 0; d < static_cast<int>(inst.soc.devices.size()); ++d) {
      if (!ctx.usable(inst.problem, i, d)) continue;
      const energy::DeviceSpec& other = inst.soc.devices[d];
      if (ph.kind == energy::PhaseKind::Decode) {
        EXPECT_GE(chosen.maxBandwidthBps, other.maxBandwidthBps);
      } else {
        EXPECT_GE(
            chosen.defaultEta *
                energy::peakFlops(chosen, chosen.opps.back(), chosen.cores, ph.dtype),
            other.defaultEta * energy::peakFlops(other, other.opps.back(), other.cores, ph.dtype));
      }
    }
  }
}

TEST(Baselines, EasLikePutsEachWorkloadWholeWhereItsEnergyIsLeast) {
  PlannerInstance inst = instance(3, 4, 5, 4);
  for (WorkloadSpec& w : inst.problem.workloads)
    w.sloS = kNoSlo;
  const auto model = test::modelOf(inst);
  const PlanningContext ctx(*model);
  EasLikePlanner eas(*model);
  Plan plan;
  ASSERT_TRUE(eas.solve(inst.problem, &plan).ok());
  for (int i = 1; i < static_cast<int>(plan.placement.size()); ++i) {
    if (inst.problem.phases[i].workload == inst.problem.phases[i - 1].workload) {
      EXPECT_EQ(plan.placement[i].device, plan.placement[i - 1].device);
      EXPECT_EQ(plan.placement[i].opp, plan.placement[i - 1].opp);
    }
  }
  // The first workload alone: no (device, OPP) for it costs less energy than its choice.
  PlanningProblem first = inst.problem;
  first.phases.resize(2);
  energy::Evaluation e;
  energy::Placement chosen;
  chosen.push_back(plan.placement[0]);
  chosen.push_back(plan.placement[1]);
  const double chosenJ = ctx.assess(first, chosen, &e).energyJ;
  for (int d = 0; d < static_cast<int>(inst.soc.devices.size()); ++d) {
    if (!ctx.usable(first, 0, d) || !ctx.usable(first, 1, d)) continue;
    for (int k = 0; k <= ctx.topOpp(first, d); ++k) {
      energy::Placement p;
      p.push_back({d, k, ctx.allCores(d)});
      p.push_back({d, k, ctx.allCores(d)});
      const Objectives o = ctx.assess(first, p, &e);
      if (o.feasible) {
        EXPECT_GE(o.energyJ, chosenJ) << "device " << d << " opp " << k;
      }
    }
  }
}

TEST(Baselines, ABaselinePlanThatBreaksAConstraintSaysWhich) {
  PlannerInstance inst = instance(2, 3, 6);
  inst.zoneStartC[0] = inst.soc.zones[0].passiveTripC;  // the OS's cluster starts too hot
  const auto model = test::modelOf(inst);
  StockPlanner stock(*model);
  Plan plan;
  const Status st = stock.solve(inst.problem, &plan);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(plan.infeasible, Constraint::ThermalMargin);
  EXPECT_NE(std::strstr(st.error().message(), "thermal-margin"), nullptr);
  EXPECT_EQ(plan.placement.size(), inst.problem.phases.size());
}

// Every placement, no pruning: what the oracle's bounds must not change.
double bruteForceBest(const PlanningContext& ctx, const PlanningProblem& problem, bool energy) {
  const int n = static_cast<int>(problem.phases.size());
  const int devices = static_cast<int>(ctx.model().soc().devices.size());
  double best = std::numeric_limits<double>::infinity();
  energy::Placement p;
  p.resize(n);
  energy::Evaluation e;
  const auto walk = [&](auto&& self, int i) -> void {
    if (i == n) {
      const Objectives o = ctx.assess(problem, p, &e);
      if (o.feasible) best = std::min(best, energy ? o.energyJ : o.latencyS);
      return;
    }
    for (int d = 0; d < devices; ++d) {
      if (!ctx.usable(problem, i, d)) continue;
      const int all = ctx.allCores(d);
      for (int k = 0; k <= ctx.topOpp(problem, d); ++k) {
        for (int c = all > 0 ? 1 : 0; c <= all; ++c) {
          p[i] = {d, k, c};
          self(self, i + 1);
        }
      }
    }
  };
  walk(walk, 0);
  return best;
}

TEST(Oracle, FindsWhatAPlainEnumerationFinds) {
  for (uint64_t seed = 1; seed <= 4; ++seed) {
    const PlannerInstance inst = instance(2, 2, seed, 3);
    const auto model = test::modelOf(inst);
    const PlanningContext ctx(*model);
    for (Policy policy : {Policy::EnergyFirst, Policy::LatencyFirst}) {
      OracleConfig config;
      config.policy = policy;
      Oracle oracle(*model, config);
      Plan plan;
      const Status st = oracle.solve(inst.problem, &plan);
      const double best = bruteForceBest(ctx, inst.problem, policy == Policy::EnergyFirst);
      if (!st.ok()) {
        EXPECT_EQ(best, std::numeric_limits<double>::infinity()) << st.error().message();
        continue;
      }
      const double found =
          policy == Policy::EnergyFirst ? plan.objectives.energyJ : plan.objectives.latencyS;
      EXPECT_DOUBLE_EQ(found, best) << "seed " << seed << " " << policyName(policy);
      EXPECT_TRUE(plan.objectives.feasible);
    }
  }
}

TEST(Oracle, RefusesInstancesAboveItsBound) {
  const PlannerInstance inst = instance(8, 6, 1);
  const auto model = test::modelOf(inst);
  Oracle oracle(*model, OracleConfig{});
  EXPECT_GT(oracle.placements(inst.problem), oracle.config().maxPlacements);
  Plan plan;
  const Status st = oracle.solve(inst.problem, &plan);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(plan.infeasible, Constraint::Size);
  EXPECT_NE(std::strstr(st.error().message(), "above its bound"), nullptr) << st.error().message();
}

TEST(Explain, EachPhaseHasItsDeviceTimeEnergyTemperatureAndBinding) {
  SimClock clock;
  PlannerInstance inst = instance(4, 4, 8);
  for (WorkloadSpec& w : inst.problem.workloads)
    w.sloS = kNoSlo;
  const auto model = test::modelOf(inst);
  auto planner = std::move(Pgsam::create(*model, clock, PgsamConfig{}).value());
  Plan plan;
  ASSERT_TRUE(planner->solve(inst.problem, &plan).ok());
  // Workload 2's SLO set just above its planned latency: the SLO binds its phases.
  const double latS = plan.evaluation.latencyS[2];
  inst.problem.workloads[2].sloS = latS * 1.01;
  const Explanation e = explainPlan(*model, inst.problem, plan);
  ASSERT_EQ(e.phases.size(), inst.problem.phases.size());
  for (const PhaseExplanation& x : e.phases) {
    const energy::PhaseResult& r = plan.evaluation.phases[x.phase];
    EXPECT_EQ(x.device, plan.placement[x.phase].device);
    EXPECT_DOUBLE_EQ(x.freqHz, inst.soc.devices[x.device].opps[x.opp].freqHz);
    EXPECT_DOUBLE_EQ(x.timeS, r.endS - r.startS);
    EXPECT_DOUBLE_EQ(x.energyJ, r.energyJ);
    EXPECT_DOUBLE_EQ(x.zonePeakTempC, plan.evaluation.peakTempC[inst.soc.devices[x.device].zone]);
    if (x.workload == 2) {
      EXPECT_EQ(x.binding, Binding::LatencySlo);
      EXPECT_NEAR(x.slack, 0.01 / 1.01, 1e-9);
    } else {
      EXPECT_NE(x.binding, Binding::LatencySlo);
    }
  }
  const std::string text = formatExplanation(*model, e);
  EXPECT_NE(text.find(inst.soc.devices[plan.placement[0].device].name), std::string::npos);
  EXPECT_NE(text.find("binding latency-slo"), std::string::npos) << text;
}

TEST(Explain, AZoneNearItsLimitIsTheBindingConstraint) {
  SimClock clock;
  PlannerInstance inst = instance(2, 3, 9);
  for (WorkloadSpec& w : inst.problem.workloads)
    w.sloS = kNoSlo;
  // Zone 0 starts 1 K under its limit: its devices' phases are held by the thermal margin.
  inst.zoneStartC[0] = inst.soc.zones[0].passiveTripC - inst.soc.thermalMarginK - 1.0;
  const auto model = test::modelOf(inst);
  auto planner = std::move(Pgsam::create(*model, clock, PgsamConfig{}).value());
  Plan plan;
  ASSERT_TRUE(planner->solve(inst.problem, &plan).ok());
  const Explanation e = explainPlan(*model, inst.problem, plan);
  for (const PhaseExplanation& x : e.phases) {
    if (inst.soc.devices[x.device].zone == 0) {
      EXPECT_EQ(x.binding, Binding::ThermalMargin);
    }
  }
}

}  // namespace
}  // namespace qeil::scheduler
