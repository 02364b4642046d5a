#include "tests/support/planner_instances.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "energy/workload.h"

namespace qeil::test {
namespace {

using energy::DataType;
using energy::DeviceKind;
using energy::DeviceSpec;
using scheduler::Rng;

double between(Rng& rng, double lo, double hi) {
  return lo + (hi - lo) * rng.uniform();
}

size_t dt(DataType t) {
  return static_cast<size_t>(t);
}

// Device d of a random SoC: the first is a CPU cluster the OS runs on (every data type but
// int4), the others CPU clusters, GPUs or NPUs, power-gated when idle unless CPUs.
DeviceSpec randomDevice(Rng& rng, int d, const InstanceShape& shape) {
  DeviceSpec dev;
  const int kindDraw = d == 0 ? 0 : rng.below(3);
  dev.kind = kindDraw == 0   ? DeviceKind::CpuCluster
             : kindDraw == 1 ? DeviceKind::Gpu
                             : DeviceKind::Npu;
  snprintf(dev.name, sizeof dev.name, "%s%d",
           dev.kind == DeviceKind::CpuCluster ? "cpu"
           : dev.kind == DeviceKind::Gpu      ? "gpu"
                                              : "npu",
           d);
  double fMinHz = 0.0;
  double fMaxHz = 0.0;
  double peakW = 0.0;  // all cores, top OPP, full activity
  switch (dev.kind) {
    case DeviceKind::CpuCluster:
      dev.cores = 1 + rng.below(shape.maxCpuCores);
      dev.flopsPerCycle[dt(DataType::Fp32)] = between(rng, 4, 16);
      dev.flopsPerCycle[dt(DataType::Fp16)] = 2 * dev.flopsPerCycle[dt(DataType::Fp32)];
      dev.flopsPerCycle[dt(DataType::Int8)] = 4 * dev.flopsPerCycle[dt(DataType::Fp32)];
      fMinHz = between(rng, 0.6e9, 1.2e9);
      fMaxHz = between(rng, 1.6e9, 2.4e9);
      peakW = between(rng, 0.3, 1.2) * dev.cores;
      dev.maxBandwidthBps = between(rng, 6e9, 12e9);
      dev.defaultEta = between(rng, 0.4, 0.7);
      dev.alwaysPowered = true;
      break;
    case DeviceKind::Gpu:
      dev.cores = 1;
      dev.flopsPerCycle[dt(DataType::Fp32)] = between(rng, 128, 512);
      dev.flopsPerCycle[dt(DataType::Fp16)] = 2 * dev.flopsPerCycle[dt(DataType::Fp32)];
      if (rng.uniform() < 0.5) dev.flopsPerCycle[dt(DataType::Int8)] = 2 * dev.flopsPerCycle[1];
      fMinHz = between(rng, 0.2e9, 0.4e9);
      fMaxHz = between(rng, 0.8e9, 1.3e9);
      peakW = between(rng, 2.0, 6.0);
      dev.maxBandwidthBps = between(rng, 15e9, 30e9);
      dev.defaultEta = between(rng, 0.3, 0.6);
      dev.alwaysPowered = false;
      break;
    case DeviceKind::Npu:
      dev.cores = 1 + rng.below(2);
      dev.flopsPerCycle[dt(DataType::Int8)] = between(rng, 1000, 2000);
      dev.flopsPerCycle[dt(DataType::Fp16)] = dev.flopsPerCycle[dt(DataType::Int8)] / 4;
      fMinHz = between(rng, 0.2e9, 0.4e9);
      fMaxHz = between(rng, 0.8e9, 1.0e9);
      peakW = between(rng, 0.8, 2.5) * dev.cores;
      dev.maxBandwidthBps = between(rng, 8e9, 16e9);
      dev.defaultEta = between(rng, 0.1, 0.3);
      dev.alwaysPowered = false;
      break;
  }
  const int opps = 2 + rng.below(std::max(1, shape.maxOpps - 1));
  const double vMin = between(rng, 0.6, 0.7);
  const double vMax = between(rng, 0.85, 1.05);
  for (int k = 0; k < opps; ++k) {
    const double x = opps > 1 ? static_cast<double>(k) / (opps - 1) : 1.0;
    dev.opps.push_back({fMinHz + x * (fMaxHz - fMinHz), vMin + x * x * (vMax - vMin)});
  }
  // P_dyn = C V^2 f[MHz] cores (uW): C from the power at the top OPP.
  dev.dynCoeff = peakW * 1e6 / (vMax * vMax * fMaxHz * 1e-6 * dev.cores);
  dev.leakage = {between(rng, 0.03, 0.1) * peakW, vMax, between(rng, 0.02, 0.04), 25.0};
  dev.idleW = between(rng, 0.02, 0.08) * peakW;
  return dev;
}

energy::TransformerDesc randomModel(Rng& rng, bool int8) {
  energy::TransformerDesc w;
  w.params = between(rng, 0.3e9, 3.5e9);
  w.bitsPerWeight = int8 ? 8 : (rng.uniform() < 0.5 ? 4 : 16);
  w.layers = 16 + rng.below(17);
  w.kvWidth = 128 * (1 + rng.below(8));
  w.contextTokens = 512 * (1 + rng.below(4));
  w.promptTokens = 64 * (1 + rng.below(4));
  w.outputTokens = 32 * (1 + rng.below(4));
  w.scratchBytes = 1e8;
  w.dtype = int8 ? DataType::Int8 : DataType::Fp16;
  return w;
}

// Workloads, their SLOs (a multiple of the time their phases take alone on their fastest
// devices, larger when there are more workloads than devices), the memory pool and the zones'
// start temperatures.
void addWorkloads(PlannerInstance* inst, const InstanceShape& shape, Rng& rng) {
  energy::SocSpec& soc = inst->soc;
  scheduler::PlanningProblem& prob = inst->problem;
  double footprints = 0.0;
  for (int w = 0; w < shape.workloads; ++w) {
    const energy::TransformerDesc desc = randomModel(rng, rng.uniform() < 0.5);
    prob.phases.push_back(energy::prefillPhase(desc, w));
    prob.phases.push_back(energy::decodePhase(desc, w));
    footprints += energy::footprintBytes(desc);
    scheduler::WorkloadSpec spec;
    spec.priority = 1 + rng.below(3);
    prob.workloads.push_back(spec);
  }
  soc.memReservedBytes = 1.5e9;
  soc.memCapacityBytes = (footprints + soc.memReservedBytes) / between(rng, 0.4, 0.8);
  for (size_t z = 0; z < soc.zones.size(); ++z)
    inst->zoneStartC[z] = between(rng, soc.ambientC, soc.ambientC + 25.0);
  prob.horizonS = 60.0;
  const std::unique_ptr<energy::EnergyModel> model = modelOf(*inst);
  const scheduler::PlanningContext context(*model);
  std::array<double, energy::kMaxWorkloads> aloneS{};
  for (int i = 0; i < static_cast<int>(prob.phases.size()); ++i) {
    const int d = context.fastestDevice(prob, i);
    if (d < 0) continue;
    aloneS[prob.phases[i].workload] +=
        context.aloneTimeS(prob, i, d, context.topOpp(prob, d), context.allCores(d));
  }
  const double crowding = std::max(1.0, 1.5 * shape.workloads / static_cast<double>(shape.devices));
  for (int w = 0; w < shape.workloads; ++w) {
    if (rng.uniform() < shape.sloShare) {
      prob.workloads[w].sloS = aloneS[w] * between(rng, 2.0, 5.0) * crowding;
    }
  }
}

}  // namespace

void trimOpps(energy::SocSpec* soc, int maxOpps) {
  for (DeviceSpec& dev : soc->devices) {
    const int n = static_cast<int>(dev.opps.size());
    if (n <= maxOpps) continue;
    energy::OppTable kept;
    for (int k = 0; k < maxOpps; ++k) {
      const int from =
          maxOpps > 1
              ? static_cast<int>(std::lround(static_cast<double>(k) * (n - 1) / (maxOpps - 1)))
              : n - 1;
      kept.push_back(dev.opps[from]);
    }
    dev.opps = kept;
  }
}

PlannerInstance randomInstance(const InstanceShape& shape) {
  Rng rng(shape.seed * 0x9e3779b97f4a7c15ull + 17);
  PlannerInstance inst;
  energy::SocSpec& soc = inst.soc;
  soc.ambientC = between(rng, 20.0, 35.0);
  soc.dramBandwidthBps = between(rng, 20e9, 40e9);
  soc.baseW = between(rng, 1.0, 2.5);
  const int zones = std::min<int>(shape.devices, energy::kMaxZones);
  for (int z = 0; z < zones; ++z) {
    energy::ZoneSpec zone;
    snprintf(zone.name, sizeof zone.name, "zone%d", z);
    zone.rThKPerW = between(rng, 6.0, 14.0);
    zone.cThJPerK = between(rng, 3.0, 8.0);
    zone.passiveTripC = 85.0;
    zone.criticalTripC = 115.0;
    soc.zones.push_back(zone);
  }
  for (int d = 0; d < shape.devices; ++d) {
    DeviceSpec dev = randomDevice(rng, d, shape);
    dev.zone = d % zones;
    soc.devices.push_back(dev);
  }
  addWorkloads(&inst, shape, rng);
  return inst;
}

PlannerInstance instanceOn(const energy::SocSpec& soc, const InstanceShape& shape) {
  Rng rng(shape.seed * 0x9e3779b97f4a7c15ull + 29);
  PlannerInstance inst;
  inst.soc = soc;
  trimOpps(&inst.soc, shape.maxOpps);
  addWorkloads(&inst, shape, rng);
  return inst;
}

std::unique_ptr<energy::EnergyModel> modelOf(const PlannerInstance& instance) {
  auto model = std::make_unique<energy::EnergyModel>(instance.soc);
  for (size_t z = 0; z < instance.soc.zones.size(); ++z)
    model->setZoneTempC(static_cast<int>(z), instance.zoneStartC[z]);
  return model;
}

}  // namespace qeil::test
