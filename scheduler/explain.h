#pragma once

#include <string>

#include "scheduler/problem.h"

namespace qeil::scheduler {

// The constraint that holds a phase where it is: the one with the least slack, when that slack
// is under kBindingSlack; None when nothing is close (the plan is where energy, or the policy,
// put it).
enum class Binding { None, LatencySlo, ThermalMargin, Memory };
const char* bindingName(Binding b);
constexpr double kBindingSlack = 0.05;

struct PhaseExplanation {
  int phase = 0;
  int workload = 0;
  energy::PhaseKind kind = energy::PhaseKind::Prefill;
  int device = -1;
  int opp = 0;
  double freqHz = 0.0;
  int cores = 0;  // cores used (all of them for a device that is not a CPU cluster)
  double startS = 0.0;
  double timeS = 0.0;          // predicted run time (contention and CPQ included)
  double energyJ = 0.0;        // its device's dynamic energy while it ran, plus its DRAM energy
  double zonePeakTempC = 0.0;  // its device's thermal zone, peak over the horizon
  Binding binding = Binding::None;
  // Relative slack of the tightest constraint (SLO: (slo - latency) / slo; thermal: (limit -
  // peak) / (limit - ambient); memory: (rho_max - rho) / rho_max); +infinity when none applies.
  double slack = 0.0;
};

struct Explanation {
  FixedVector<PhaseExplanation, kMaxPhases> phases;
  double energyJ = 0.0;
  double latencyS = 0.0;
  double underUtilisation = 0.0;
  double rho = 0.0;
  bool feasible = false;
};

// Used by `qeilctl plan explain`: for each phase of a plan (as solve() filled it), where and how
// it runs, what it costs, and which constraint is binding.
Explanation explainPlan(const energy::EnergyModel& model, const PlanningProblem& problem,
                        const Plan& plan);
// One line per phase, for people.
std::string formatExplanation(const energy::EnergyModel& model, const Explanation& e);

}  // namespace qeil::scheduler
