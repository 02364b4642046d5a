#include "scheduler/explain.h"

#include <cstdio>
#include <limits>

namespace qeil::scheduler {

const char* bindingName(Binding b) {
  static const char* const kNames[] = {"none", "latency-slo", "thermal-margin", "memory"};
  return kNames[static_cast<int>(b)];
}

Explanation explainPlan(const energy::EnergyModel& model, const PlanningProblem& problem,
                        const Plan& plan) {
  const energy::SocSpec& soc = model.soc();
  const energy::Evaluation& eval = plan.evaluation;
  Explanation e;
  e.energyJ = plan.objectives.energyJ;
  e.latencyS = plan.objectives.latencyS;
  e.underUtilisation = plan.objectives.underUtilisation;
  e.rho = eval.rho;
  e.feasible = plan.objectives.feasible;
  const double memorySlack = (soc.rhoMax - eval.rho) / soc.rhoMax;
  for (int i = 0; i < static_cast<int>(plan.placement.size()); ++i) {
    const energy::Phase& ph = problem.phases[i];
    const energy::PhasePlacement& at = plan.placement[i];
    PhaseExplanation x;
    x.phase = i;
    x.workload = ph.workload;
    x.kind = ph.kind;
    x.device = at.device;
    x.opp = at.opp;
    if (at.device >= 0 && at.device < static_cast<int>(soc.devices.size())) {
      const energy::DeviceSpec& dev = soc.devices[at.device];
      if (at.opp >= 0 && at.opp < static_cast<int>(dev.opps.size())) {
        x.freqHz = dev.opps[at.opp].freqHz;
      }
      x.cores = at.cores == 0 ? dev.cores : at.cores;
      const energy::ZoneSpec& zone = soc.zones[dev.zone];
      x.zonePeakTempC = eval.peakTempC[dev.zone];
      const double limitC = zone.passiveTripC - soc.thermalMarginK;
      x.slack = (limitC - x.zonePeakTempC) / (limitC - soc.ambientC);
      x.binding = Binding::ThermalMargin;
    } else {
      x.slack = std::numeric_limits<double>::infinity();
    }
    const energy::PhaseResult& r = eval.phases[i];
    x.startS = r.startS;
    x.timeS = r.endS - r.startS;
    x.energyJ = r.energyJ;
    const double sloS = problem.workloads[ph.workload].sloS;
    if (sloS < kNoSlo) {
      const double sloSlack = (sloS - eval.latencyS[ph.workload]) / sloS;
      if (sloSlack < x.slack) {
        x.slack = sloSlack;
        x.binding = Binding::LatencySlo;
      }
    }
    if (memorySlack < x.slack) {
      x.slack = memorySlack;
      x.binding = Binding::Memory;
    }
    if (!(x.slack <= kBindingSlack)) x.binding = Binding::None;
    e.phases.push_back(x);
  }
  return e;
}

std::string formatExplanation(const energy::EnergyModel& model, const Explanation& e) {
  const energy::SocSpec& soc = model.soc();
  std::string out;
  char line[256];
  snprintf(line, sizeof line, "plan: %s, E %.3f J, L %.3f s, U %.3f, rho %.3f\n",
           e.feasible ? "feasible" : "INFEASIBLE", e.energyJ, e.latencyS, e.underUtilisation,
           e.rho);
  out += line;
  for (const PhaseExplanation& x : e.phases) {
    const char* device = x.device >= 0 && x.device < static_cast<int>(soc.devices.size())
                             ? soc.devices[x.device].name
                             : "?";
    snprintf(line, sizeof line,
             "phase %2d  w%-2d %-7s  %-12s opp %2d (%4.0f MHz) x%-2d  %8.3f s  %9.3f J  "
             "zone peak %5.1f C  binding %s (slack %.1f %%)\n",
             x.phase, x.workload, x.kind == energy::PhaseKind::Prefill ? "prefill" : "decode",
             device, x.opp, x.freqHz / 1e6, x.cores, x.timeS, x.energyJ, x.zonePeakTempC,
             bindingName(x.binding), 100.0 * x.slack);
    out += line;
  }
  return out;
}

}  // namespace qeil::scheduler
