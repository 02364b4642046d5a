#pragma once

#include "scheduler/problem.h"

namespace qeil::scheduler {

// MODEL.md §8 baselines, behind the planners' interface. Each builds one placement by its rule
// and returns it; when that placement breaks a constraint, solve() still fills the plan and
// returns an Error naming the constraint.

// `stock`: the performance governor: every phase on its fastest usable device, top OPP, all
// cores.
class StockPlanner final : public Planner {
 public:
  explicit StockPlanner(const energy::EnergyModel& model) : context_(model) {}
  const char* name() const override { return "stock"; }
  Status solve(const PlanningProblem& problem, Plan* plan) override;

 private:
  PlanningContext context_;
};

// `greedy-v1` (QEIL v1): static efficiency factors (the board file's eta, never the calibrated
// one); prefill to the device with the highest eta * peak compute, decode to the one with the
// highest bandwidth; top OPPs, all cores.
class GreedyV1Planner final : public Planner {
 public:
  explicit GreedyV1Planner(const energy::EnergyModel& model) : context_(model) {}
  const char* name() const override { return "greedy-v1"; }
  Status solve(const PlanningProblem& problem, Plan* plan) override;

 private:
  PlanningContext context_;
};

// `eas-like`: as the kernel's Energy Aware Scheduling would, each workload in arrival order goes
// whole to the device (and OPP) with the lowest energy estimate given the workloads already
// placed; the estimate is the model's energy of the placement so far, among the choices that
// keep it feasible (the least violating one when none does).
class EasLikePlanner final : public Planner {
 public:
  explicit EasLikePlanner(const energy::EnergyModel& model) : context_(model) {}
  const char* name() const override { return "eas-like"; }
  Status solve(const PlanningProblem& problem, Plan* plan) override;

 private:
  PlanningContext context_;
  PlanningProblem prefix_;
  energy::Evaluation scratch_;
};

}  // namespace qeil::scheduler
