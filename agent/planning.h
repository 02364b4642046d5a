#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <string>

#include "agent/board_hal.h"
#include "agent/workloads.h"
#include "energy/calibration.h"
#include "energy/evaluator.h"
#include "hal/board_spec.h"
#include "hal/clock.h"
#include "hal/result.h"
#include "scheduler/baselines.h"
#include "scheduler/explain.h"
#include "scheduler/pgsam.h"
#include "scheduler/problem.h"

namespace qeil {

// What the user asks of the planner (PUT /v1/policy).
struct PlanPolicy {
  scheduler::Policy policy = scheduler::Policy::Balanced;
  double powerCapW = 0.0;  // mean board power over the horizon; 0: no cap
};

// Which planner a PlanManager solves with: PGSAM (qeild's own), or one of MODEL.md §8's
// baselines (scheduler/baselines.h), for benches comparing qeild's enforcement under each.
enum class PlannerKind { Pgsam, Stock, GreedyV1, EasLike };

// Parses "energy-first", "latency-first", "balanced"; false for anything else.
bool parsePolicy(const char* name, scheduler::Policy* out);

// Plans the running workloads with PGSAM (MODEL.md §8) and enforces the plan:
//  - the problem: for every running workload started with a model (`run`), its prefill and
//    decode phases (energy/workload.h) from the LLM descriptor; attached processes have no
//    model and are not planned;
//  - the power cap: while the plan's mean power over the horizon exceeds it, every device's
//    highest allowed OPP steps down one and PGSAM solves again (at most kCapSteps times);
//  - enforcement, from each workload's decode phase (the long one): on a CPU cluster, its
//    cgroup's cpuset becomes the cluster's CPUs; every device in use gets its max limit
//    (cpufreq, devfreq) at the highest OPP any workload on it got (journaled, restored on
//    exit); only what changed is written; a workload it started
//    that the plan moves between the CPU and an accelerator, or between accelerators, is moved
//    there (WorkloadLauncher::move: restarted with that device's launch arguments).
class PlanManager {
 public:
  static constexpr int kCapSteps = 8;
  // `clock` bounds each solve (PGSAM's time budget).
  static Result<std::unique_ptr<PlanManager>> create(const BoardSpec& board, const Clock& clock);

  // Builds the problem from `table`, solves and enforces. With no workload to plan it clears
  // the plan and writes nothing.
  Status replan(WorkloadTable& table, BoardHal& hal);

  // What the agent's fault handling and thermal margin tell it (agent/faults.h): a device's
  // health (an offline CPU cluster, a lost accelerator), a thermal cap on its OPPs (-1: none),
  // a zone's sensed temperature (where the model's transient starts). Used by the next replan.
  void setDeviceHealth(size_t d, scheduler::DeviceHealth h) { health_[d] = h; }
  scheduler::DeviceHealth deviceHealth(size_t d) const { return health_[d]; }
  void setThermalCap(size_t d, int maxOpp) { thermalCap_[d] = maxOpp; }
  int thermalCap(size_t d) const { return thermalCap_[d]; }
  void setZoneTempC(size_t z, double tempC) { model_->setZoneTempC(static_cast<int>(z), tempC); }
  // The online calibration's values (MODEL.md §7) into the model the next solve uses.
  void applyCalibration(const energy::Calibration& c) { c.apply(*model_); }
  // Per device, cores x activity (DASI) of the decode phases the plan put there; 0 without a
  // plan. The model's view of how busy each device is (sensor estimates).
  void plannedActivity(std::array<double, energy::kMaxDevices>* activeCores) const;
  // The DRAM power of the planned decode phases (MODEL.md §6: beta_eff x J per byte): what a
  // rail carrying the DRAM traffic draws beyond its devices.
  double plannedDramW() const;
  // Per device, the highest OPP index the plan runs it at; -1: unused.
  void plannedTopOpp(std::array<int, energy::kMaxDevices>* opp) const;

  // Moving a running workload between the CPU and an accelerator (or between accelerators)
  // restarts it (its prompt is processed again). A re-plan only moves when its gain in the
  // policy's objective exceeds that cost (the moved workloads' prefill energy and time on the
  // new device, from the new plan's evaluation) plus kMoveHysteresis of the objective;
  // otherwise the running placement is kept (when it is still allowed and feasible). PGSAM
  // only: a baseline planner's plan is enforced as its rule made it.
  static constexpr double kMoveHysteresis = 0.05;
  uint64_t movesKept() const { return movesKept_; }

  void setPolicy(const PlanPolicy& p) { policy_ = p; }
  // Solves with `kind` from the next replan() on (PGSAM by default).
  void setPlanner(PlannerKind kind);
  // A baseline solves (the anchors' own rules: no thermal guard of ours on top).
  bool baselineSelected() const { return baseline_ != nullptr; }
  const PlanPolicy& policy() const { return policy_; }
  bool hasPlan() const { return planned_ > 0 && solved_; }
  const scheduler::Plan& plan() const { return plan_; }
  const scheduler::PlanningProblem& problem() const { return problem_; }
  const energy::EnergyModel& model() const { return *model_; }
  // The table's workload id of the problem's workload w.
  int workloadId(int w) const { return ids_[static_cast<size_t>(w)]; }
  int planned() const { return planned_; }
  const std::string& lastError() const { return lastError_; }
  uint64_t replans() const { return replans_; }

 private:
  PlanManager(const BoardSpec& board) : board_(board) {}
  int buildProblem(const WorkloadTable& table);
  Status solveWithinCap();
  Status enforce(WorkloadTable& table, BoardHal& hal);
  bool cpusetEnforced(int id, int device) const;
  bool restartNeeded(int device, int from) const;
  bool keepRunningPlacement();

  // What enforce() last wrote: a workload's cpuset (by id, the cluster's index), each device's
  // max limit (0: not written).
  struct Enforced {
    int id = 0;
    int device = -1;
  };

  const BoardSpec& board_;
  energy::SocSpec soc_;
  std::unique_ptr<energy::EnergyModel> model_;
  std::unique_ptr<scheduler::Pgsam> pgsam_;
  std::unique_ptr<scheduler::Planner> baseline_;  // set: solves instead of PGSAM
  PlanPolicy policy_;
  scheduler::PlanningProblem problem_;
  scheduler::Plan plan_;
  std::array<int, energy::kMaxWorkloads> ids_{};
  std::array<int, energy::kMaxWorkloads> lastIds_{};
  std::array<scheduler::DeviceHealth, energy::kMaxDevices> health_{};
  std::array<int, energy::kMaxDevices> thermalCap_{};
  std::unique_ptr<scheduler::PlanningContext> context_;
  energy::Evaluation currentEval_;
  energy::Placement running_;  // the new plan with every known workload where it runs now
  // Where the last plan put each workload (by id): its prefill and decode.
  struct Placed {
    int id = 0;
    energy::PhasePlacement prefill;
    energy::PhasePlacement decode;
  };
  std::array<Placed, energy::kMaxWorkloads> placed_{};
  void rememberPlacement();
  uint64_t movesKept_ = 0;
  int planned_ = 0;
  bool solved_ = false;
  std::string lastError_;
  uint64_t replans_ = 0;
  std::array<Enforced, energy::kMaxWorkloads> cpusets_{};
  std::array<uint64_t, energy::kMaxDevices> limitHz_{};
};

}  // namespace qeil
