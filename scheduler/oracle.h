#pragma once

#include <vector>

#include "scheduler/problem.h"

namespace qeil::scheduler {

struct OracleConfig {
  Policy policy = Policy::EnergyFirst;  // energy-first and balanced minimise E, latency-first L
  // Placements (the product of every phase's (device, OPP, cores) choices) above which the
  // oracle refuses an instance.
  double maxPlacements = 4e6;
};

// MODEL.md §8 `oracle`: exhaustive search over every phase's usable (device, OPP, cores),
// feasible under the full model and the SLOs, to measure PGSAM's optimality gap on small
// instances. Branch and bound with exact bounds keeps it exhaustive in effect: a partial
// placement is dropped only when no completion can beat the best feasible one found (each
// phase's dynamic and DRAM energy do not depend on contention, §3, §6; base and idle power run
// at least for the horizon) or meet an SLO (a phase is never faster than alone, §3). Ties go to
// the first placement in enumeration order, so the result is deterministic.
class Oracle final : public Planner {
 public:
  Oracle(const energy::EnergyModel& model, const OracleConfig& config)
      : context_(model), config_(config) {}
  const char* name() const override { return "oracle"; }
  Status solve(const PlanningProblem& problem, Plan* plan) override;

  // The number of placements the exhaustive search spans.
  double placements(const PlanningProblem& problem) const;
  const OracleConfig& config() const { return config_; }

 private:
  struct Choice {
    energy::PhasePlacement at;
    double costJ;   // energy: its dynamic and DRAM energy; latency: its time alone (weighted)
    double aloneS;  // its time alone
  };
  void search(int phase, double cost);
  double staticFloorJ() const;

  PlanningContext context_;
  OracleConfig config_;
  const PlanningProblem* problem_ = nullptr;
  std::vector<std::vector<Choice>> choices_;
  std::vector<double> restFloor_;   // per phase: the least cost of the phases from it on
  std::vector<double> restAloneS_;  // per phase: the least time alone of the workload's rest
  std::vector<int> gatedUses_;      // per device: phases placed on it (power-gated devices)
  std::array<double, kMaxWorkloads> chainS_{};
  energy::Placement partial_;
  energy::Placement best_;
  double bestValue_ = 0.0;
  bool found_ = false;
  Objectives closest_;  // the least violating leaf, when none is feasible
  energy::Evaluation scratch_;
  int evaluations_ = 0;
};

}  // namespace qeil::scheduler
