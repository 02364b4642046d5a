#pragma once

#include <array>
#include <cstdint>
#include <limits>

#include "energy/evaluator.h"
#include "hal/fixed_vector.h"
#include "hal/result.h"

namespace qeil::scheduler {

// MODEL.md §8: the planning problem every planner solves, and the plan it returns.

using energy::kMaxDevices;
using energy::kMaxPhases;
using energy::kMaxWorkloads;

constexpr double kNoSlo = std::numeric_limits<double>::infinity();

struct WorkloadSpec {
  double sloS = kNoSlo;  // latency SLO: the workload's last phase must end by then
  int priority = 1;      // >= 1: its weight in the latency objective
};

// Offline: unavailable for now (hot-unplugged, a power mode without it); Lost: failed. Neither
// may run anything.
enum class DeviceHealth { Ok, Offline, Lost };

struct DeviceState {
  DeviceHealth health = DeviceHealth::Ok;
  int maxOpp = -1;  // the highest OPP index allowed (a thermal or power cap); -1: every OPP
};

// What to place. phases follow energy::PhaseList's order (per workload its prefill, then its
// decode; workloads in arrival order); workloads[w] describes Phase::workload == w. `current`
// is the placement running now (empty: none); it need not be valid any more (a device lost).
struct PlanningProblem {
  energy::PhaseList phases;
  FixedVector<WorkloadSpec, kMaxWorkloads> workloads;
  std::array<DeviceState, kMaxDevices> devices{};
  energy::Placement current;
  double horizonS = 60.0;
};

// Which constraint made a placement or a whole instance infeasible.
enum class Constraint {
  None,
  Memory,          // rho >= rho_max (§4): the workloads do not fit, wherever they run
  NoDevice,        // a phase has no usable device (health, data type, OPP cap)
  LatencySlo,      // a workload cannot meet its SLO
  ThermalMargin,   // peak above the passive trip minus the margin (§5)
  ThermalRunaway,  // no stable fixed point below the critical trip (§5)
  Size,            // the oracle's size bound
};
const char* constraintName(Constraint c);

// Which plan to pick from the Pareto set (§8.6), always subject to the SLOs.
enum class Policy { EnergyFirst, LatencyFirst, Balanced };
const char* policyName(Policy p);

// The objectives of §8, all minimised: energy E(x), latency L (the priority-weighted mean of the
// workloads' latencies) and under-utilisation U(x); plus what the constraints say of x.
struct Objectives {
  double energyJ = 0.0;
  double latencyS = 0.0;
  double underUtilisation = 0.0;
  bool feasible = false;
  Constraint violated = Constraint::None;  // the first violated constraint
  // How far from feasible (0 when feasible): relative SLO excess, thermal excess in K / 10,
  // runaway and bad placements counted large. Guides a search that starts infeasible.
  double violation = 0.0;
};

struct PlanStats {
  int iterations = 0;
  int evaluations = 0;  // full EnergyModel::evaluate calls
  int cacheHits = 0;
  int screened = 0;  // candidates rejected unevaluated: certainly past an SLO
  int bounded = 0;   // candidates rejected unevaluated: lower bounds of their objectives show
                     // they would be rejected
  int archiveSize = 0;
  bool reheated = false;
  bool timedOut = false;
};

struct Plan {
  energy::Placement placement;
  Objectives objectives;
  energy::Evaluation evaluation;             // the full model on `placement`
  Constraint infeasible = Constraint::None;  // when solve() fails: the constraint that did it
  PlanStats stats;
};

// Every planner (PGSAM, the baselines, the oracle) behind one interface. solve() fills `plan`
// and returns an Error naming the constraint (also in plan->infeasible) when it finds no
// feasible placement.
class Planner {
 public:
  virtual ~Planner() = default;
  virtual const char* name() const = 0;
  virtual Status solve(const PlanningProblem& problem, Plan* plan) = 0;
};

// What every planner shares: the usable (device, OPP, cores) choices of each phase, the
// objectives of a placement, and the instance-level infeasibility proofs.
class PlanningContext {
 public:
  explicit PlanningContext(const energy::EnergyModel& model) : model_(model) {}

  const energy::EnergyModel& model() const { return model_; }

  // Whether phase i may run on device d (health, data type, an OPP allowed).
  bool usable(const PlanningProblem& problem, int phase, int device) const;
  // The highest OPP index device d may run at.
  int topOpp(const PlanningProblem& problem, int device) const;
  // All cores for a CPU cluster (explicit count), 0 (all) for the others.
  int allCores(int device) const;

  // The full model on `placement` (into *eval), then the SLOs and device health.
  Objectives assess(const PlanningProblem& problem, const energy::Placement& placement,
                    energy::Evaluation* eval) const;

  // Proves an instance infeasible without searching: memory, a phase without a usable device,
  // or a workload whose SLO no device can meet even alone at its top OPP. `which` receives the
  // constraint (None when no proof).
  Status checkInstance(const PlanningProblem& problem, Constraint* which) const;

  // The placement `p` with every phase that is not usable any more moved to its fastest usable
  // device at its top allowed OPP (phases with no usable device are left as they are).
  void repair(const PlanningProblem& problem, energy::Placement* p) const;
  // The usable device that runs phase i fastest alone at its top allowed OPP; -1: none.
  int fastestDevice(const PlanningProblem& problem, int phase) const;
  // Phase i alone on device d at OPP k with `cores`: its time with its device's full bandwidth
  // (no contention) and the CPQ slowdown of the instance; a lower bound on its time in any
  // placement.
  double aloneTimeS(const PlanningProblem& problem, int phase, int device, int opp,
                    int cores) const;

  // The error for a failed search: the constraint the least-violating placement broke.
  static Status searchFailed(const char* planner, const Objectives& best, Plan* plan);

  // 1 + CPQ (§4) for the instance's footprints: the same wherever its phases run.
  double cpqSlowdown(const PlanningProblem& problem) const;

 private:
  const energy::EnergyModel& model_;
};

// Lower bounds of the objectives of any placement of one problem, and whether it certainly
// misses an SLO, at a fraction of a full evaluation's cost: a search drops a candidate
// unevaluated when even its bounds would be rejected. prepare() works out what depends on the
// problem only; lower() needs no allocation. The reasoning is in problem.cpp.
class ObjectiveBounds {
 public:
  void prepare(const PlanningContext& context, const PlanningProblem& problem);
  // energyJ, latencyS and underUtilisation bound the full model's from below (`feasible` and
  // `violation` are left unset); *late: some workload ends past its SLO in every case.
  Objectives lower(const PlanningProblem& problem, const energy::Placement& p, bool* late) const;

 private:
  const energy::EnergyModel* model_ = nullptr;
  double slowdown_ = 1.0;                           // 1 + CPQ (§4)
  double dramJ_ = 0.0;                              // what every placement spends on DRAM traffic
  std::array<double, kMaxDevices> bandwidthBps_{};  // min(beta_d, beta_soc)
  std::array<bool, kMaxDevices> gated_{};           // power-gated when unused
  std::array<double, kMaxDevices> topPeakFlops_{};  // pi_d, U's weight (§6)
  std::array<double, kMaxDevices> leakFloorW_{};    // the least it leaks when powered
  // Phase i on device d, what does not depend on the OPP or the cores: its time alone is
  // workS / min(pi, rooflineFlops), its dynamic energy dynamicJPerV2 * V^2 (§3, §5).
  struct PhaseOn {
    double perCycle;       // w_d for its data type
    double workS;          // F (1 + CPQ) / eta
    double rooflineFlops;  // I * min(beta_d, beta_soc); infinite without bytes
    double dynamicJPerV2;  // C F (1 + CPQ) / (eta w_d)
    double dramBytesS;     // B (1 + CPQ) / eta: share-seconds of DRAM bandwidth
  };
  std::array<std::array<PhaseOn, kMaxDevices>, kMaxPhases> phaseOn_{};
};

// A deterministic generator (splitmix64): the same sequence on every platform and library,
// which std:: distributions do not promise.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // In [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // In [0, n).
  int below(int n) { return static_cast<int>(uniform() * n); }

 private:
  uint64_t state_;
};

}  // namespace qeil::scheduler
