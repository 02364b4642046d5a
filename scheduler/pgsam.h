#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

#include "hal/clock.h"
#include "scheduler/problem.h"

namespace qeil::scheduler {

struct PgsamConfig {
  Policy policy = Policy::EnergyFirst;
  uint64_t seed = 1;
  int maxIterations = 2000;             // §8.5 hard bound
  int64_t timeBudgetNs = 5 * kNsPerMs;  // §8.5 time budget for all of solve(), on its Clock
  int archiveCapacity = 32;             // §8.4
  // Objectives of placements already evaluated in this solve (a power of two). Annealing
  // proposes the same neighbours again and again; each costs one full evaluation only once.
  // Small instances hold fewer distinct placements than this; on large ones repeats are rare
  // (about 1 % of the evaluations for 8 workloads on rk3588), so more entries buy little for
  // their memory (about 120 bytes each).
  int cacheCapacity = 1024;
  double momentum = 0.8;           // §8.3 mu
  double softmaxTau = 0.5;         // §8.3 tau, on improvements clipped to [-1, 1]
  double startTemperature = 0.05;  // accepts a 3.5 % worse step with probability 1/2
  double endTemperature = 2e-4;    // geometric cooling reaches it at maxIterations
  // Iterations without an archive change before the one reheat (§8.5).
  int stagnationWindow = 250;
  int rotationPeriod = 16;  // iterations per weight direction (§8.4)
  // The share of the iteration bound kept for a first-improvement descent from the policy's
  // pick once the annealing ends.
  double polishShare = 0.25;
};

// The balanced policy's knee point (§8.6) of `n` >= 1 feasible objective vectors: the one
// nearest the ideal point (lowest energy, lowest latency) in relative terms, so that a 1 %
// energy and a 1 % latency difference weigh the same. Normalising by the front's range instead
// would make a front whose latencies differ by 0.1 % trade real energy for them.
// `of(i)` gives the i-th member's objectives.
template <typename ObjectivesOf>
int kneePoint(int n, ObjectivesOf of) {
  double loE = of(0).energyJ;
  double loL = of(0).latencyS;
  for (int i = 1; i < n; ++i) {
    loE = std::min(loE, of(i).energyJ);
    loL = std::min(loL, of(i).latencyS);
  }
  int best = 0;
  double bestD = std::numeric_limits<double>::infinity();
  for (int i = 0; i < n; ++i) {
    const double e = loE > 0.0 ? of(i).energyJ / loE - 1.0 : 0.0;
    const double l = loL > 0.0 ? of(i).latencyS / loL - 1.0 : 0.0;
    const double d = e * e + l * l;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  }
  return best;
}

// MODEL.md §8 PGSAM: Pareto-Guided Simulated Annealing with Momentum. Fixed memory: everything
// solve() needs (the archive, the evaluation cache, the states) is sized at create(); solve()
// does not allocate. Same seed, same inputs, same plan, as long as the iteration bound (not the
// time budget) ends the search.
class Pgsam final : public Planner {
 public:
  static Result<std::unique_ptr<Pgsam>> create(const energy::EnergyModel& model, const Clock& clock,
                                               const PgsamConfig& config);

  const char* name() const override { return "pgsam"; }
  Status solve(const PlanningProblem& problem, Plan* plan) override;

  const PgsamConfig& config() const { return config_; }
  void setPolicy(Policy policy) { config_.policy = policy; }
  void setSeed(uint64_t seed) { config_.seed = seed; }
  // The next solve() starts without the last plan's archive (§8.1).
  void forgetArchive() { lastArchiveSize_ = 0; }

  // Move types and directions (§8.2), each with its momentum score (§8.3). Beyond §8.2's four,
  // two compound moves reach what single moves reach only through worse or infeasible states:
  // kExchange, two workloads trade their placements whole; kRelease, every phase on a power-gated
  // device moves to another device, so that device can stay off (§6).
  enum Arm {
    kMoveDevice,
    kOppUp,
    kOppDown,
    kSwap,
    kCoresUp,
    kCoresDown,
    kExchange,
    kRelease,
    kArms
  };
  using Weights = std::array<double, 3>;  // over (E, L, U)

 private:
  struct State {
    energy::Placement placement;
    Objectives objectives;
  };
  struct CacheEntry {
    uint64_t hash = 0;
    uint32_t generation = 0;
    std::array<uint16_t, kMaxPhases> key{};
    Objectives objectives;
  };
  Pgsam(const energy::EnergyModel& model, const Clock& clock, const PgsamConfig& config);

  Objectives lookup(const PlanningProblem& problem, const energy::Placement& p, PlanStats* stats);
  void seed(const PlanningProblem& problem, PlanStats* stats);
  void consider(const PlanningProblem& problem, const energy::Placement& p, PlanStats* stats);
  bool outOfTime(int64_t startNs, const PlanStats& stats) const;
  int polish(const PlanningProblem& problem, int it, int64_t startNs, PlanStats* stats);
  // Whether candidate objectives bounded below by `lower` can be dropped unevaluated: an archive
  // member dominates them and `lower` is already worse than `current` by at least `thresholdD`
  // in the weighted difference, so the full evaluation could change nothing.
  bool boundedOut(const Objectives& lower, const Objectives& current, const Weights& w,
                  double thresholdD) const;
  bool applyMove(int arm, energy::Placement* p);
  bool movePhase(energy::Placement* p);
  bool stepOpp(int dir, energy::Placement* p);
  bool swapPhases(energy::Placement* p);
  bool stepCores(int dir, energy::Placement* p);
  bool exchangeWorkloads(energy::Placement* p);
  bool displace(const PlanningProblem& problem, int first, int end,
                const energy::PhasePlacement& moved);
  void distinctPair(int n, int* i, int* j);  // two different indices in [0, n), n >= 2
  bool releaseDevice(energy::Placement* p);
  // Workload w's placement given workload v's, phase by phase; false when some phase may not
  // run where v's does, or the two have different phase counts.
  bool takePlacement(int w, int v, const energy::Placement& from, energy::Placement* to) const;
  bool usableOn(int phase, int device) const;
  // `at` moved to device d: the same relative place in d's OPP table, all of d's cores.
  energy::PhasePlacement movedTo(const energy::PhasePlacement& at, int d) const;
  int drawArm();
  void reward(int arm, double improvement);
  // The Pareto archive (§8.4).
  bool dominated(const Objectives& o) const;
  bool archive(const energy::Placement& p, const Objectives& o);
  void evictCrowded();
  int pick(Policy policy) const;
  double delta(const Objectives& a, const Objectives& b, const Weights& w) const;

  PlanningContext context_;
  const Clock& clock_;
  PgsamConfig config_;
  Rng rng_{1};
  double coolingAlpha_ = 1.0;

  std::vector<CacheEntry> cache_;
  uint32_t generation_ = 0;
  std::vector<State> archive_;
  int archiveSize_ = 0;
  std::vector<State> lastArchive_;  // the last plan's archive, a seed of the next solve
  int lastArchiveSize_ = 0;

  int phases_ = 0;
  // Per phase: the devices it may use (health, data type, OPP cap).
  std::array<FixedVector<int, kMaxDevices>, kMaxPhases> usable_{};
  std::array<int, kMaxDevices> topOpp_{};
  std::array<int, kMaxDevices> cpuCores_{};  // cores of a CPU cluster, 0 for other devices
  int cpuPhases_ = 0;                        // phases that can run on some CPU cluster
  int workloads_ = 0;
  std::array<int, kMaxWorkloads + 1> workloadFirst_{};  // workload w: phases [first[w], first[w+1])
  std::array<bool, kMaxDevices> gated_{};               // power-gated when unused (§6)
  ObjectiveBounds bounds_;                              // prepared per solve
  bool anySlo_ = false;

  State current_;
  State best_;  // the least violating state seen, when none is feasible yet
  State candidate_;
  energy::Evaluation scratch_;
  Weights scale_{1.0, 1.0, 1.0};

  std::array<double, kArms> score_{};
  std::array<double, kArms> odds_{};  // exp(score / tau), refreshed when a score changes
  double oddsSum_ = 0.0;
};

}  // namespace qeil::scheduler
