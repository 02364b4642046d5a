#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "energy/evaluator.h"
#include "scheduler/problem.h"

namespace qeil::test {

// Seeded planning instances for the scheduler's tests and bench/planner: a SoC, the zones'
// temperatures at the start, and the problem. Random ones draw every device, zone and workload
// from the seed; the others put random workloads on a given SoC (one from a board file).
struct PlannerInstance {
  energy::SocSpec soc;
  std::array<double, energy::kMaxZones> zoneStartC{};
  scheduler::PlanningProblem problem;
};

struct InstanceShape {
  int workloads = 2;
  int devices = 3;
  int maxOpps = 12;       // each device gets 2..maxOpps OPPs
  int maxCpuCores = 4;    // CPU clusters get 1..maxCpuCores cores
  double sloShare = 0.7;  // the share of workloads with a latency SLO
  uint64_t seed = 1;
};

PlannerInstance randomInstance(const InstanceShape& shape);
// Random workloads (and SLOs, start temperatures) on `soc`, its memory pool sized so that they
// fit; the SoC's OPP tables cut to at most maxOpps (evenly, keeping the lowest and the top).
PlannerInstance instanceOn(const energy::SocSpec& soc, const InstanceShape& shape);
// At most maxOpps OPPs per device, evenly spaced, the lowest and the top kept.
void trimOpps(energy::SocSpec* soc, int maxOpps);

// The energy model of an instance, its zones at their start temperatures.
std::unique_ptr<energy::EnergyModel> modelOf(const PlannerInstance& instance);

}  // namespace qeil::test
