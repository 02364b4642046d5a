// bench/energy_eval: EnergyModel::evaluate() (MODEL.md §3-6) on an RK3588-like SoC of 6 devices
// in 5 thermal zones, with 8 transformer workloads (16 phases) placed at random: each
// iteration takes the next placement from a pool drawn beforehand from a fixed seed and kept
// only if feasible, so drawing is not timed.
// Targets: at most 2 us per evaluation on this machine, zero heap allocations per evaluation.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <random>
#include <vector>

#include "bench/support/bench_report.h"
#include "bench/support/capturing_reporter.h"
#include "energy/evaluator.h"
#include "energy/workload.h"
#include "tests/support/alloc_counter.h"

namespace qeil::energy {
namespace {

constexpr size_t kFp32 = static_cast<size_t>(DataType::Fp32);
constexpr size_t kFp16 = static_cast<size_t>(DataType::Fp16);
constexpr size_t kInt8 = static_cast<size_t>(DataType::Int8);

enum Zone { kLittle, kBig0, kBig2, kGpu, kNpu, kZones };

void addOpps(DeviceSpec* d, std::initializer_list<Opp> opps) {
  for (const Opp& o : opps)
    d->opps.push_back(o);
}

DeviceSpec device(const char* name, DeviceKind kind, int cores, int zone) {
  DeviceSpec d;
  snprintf(d.name, sizeof d.name, "%s", name);
  d.kind = kind;
  d.cores = cores;
  d.zone = zone;
  return d;
}

// Typed in from ../shared/data/boards/board-data.json ("rk3588"): OPP tables (rk3588-opp.dtsi),
// dynamic-power coefficients, the Mali clpeak rates and bandwidth, the NPU's 6 TOPS, the zones'
// trips. What the file lacks (leakage, idle power, thermal R and C, NPU OPPs and coefficient,
// per-device bandwidth caps other than measured ones, eta) is assumed and says so.
DeviceSpec a55() {
  DeviceSpec d = device("a55", DeviceKind::CpuCluster, 4, kLittle);
  d.flopsPerCycle[kFp32] = 8;   // board file: assumed 8 FP32 FLOP/cycle
  d.flopsPerCycle[kFp16] = 16;  // assumed: twice FP32
  d.flopsPerCycle[kInt8] = 32;  // assumed: half the A76's SDOT rate
  addOpps(&d,
          {{1008e6, 0.675}, {1200e6, 0.7125}, {1416e6, 0.7625}, {1608e6, 0.85}, {1800e6, 0.95}});
  d.dynCoeff = 228;
  d.leakage = {0.08, 0.95, 0.03, 25.0};  // assumed
  d.idleW = 0.05;                        // assumed
  d.maxBandwidthBps = 6e9;               // assumed
  d.defaultEta = 0.5;                    // assumed
  return d;
}

DeviceSpec a76(const char* name, int zone) {
  DeviceSpec d = device(name, DeviceKind::CpuCluster, 2, zone);
  d.flopsPerCycle[kFp32] = 16;  // board file: 16 FP32 FLOP/cycle
  d.flopsPerCycle[kFp16] = 32;  // assumed: twice FP32
  d.flopsPerCycle[kInt8] = 64;  // board file: 64 int8 ops/cycle (SDOT)
  addOpps(&d, {{1200e6, 0.675},
               {1416e6, 0.725},
               {1608e6, 0.7625},
               {1800e6, 0.85},
               {2016e6, 0.925},
               {2208e6, 0.9875},
               {2400e6, 1.0}});
  d.dynCoeff = 416;
  d.leakage = {0.15, 1.0, 0.03, 25.0};  // assumed
  d.idleW = 0.08;                       // assumed
  d.maxBandwidthBps = 10.14e9;          // board file: memcpy, one thread (Orange Pi 5)
  d.defaultEta = 0.5;                   // assumed
  return d;
}

DeviceSpec mali() {
  // One "core": the devfreq Energy Model coefficient is for the whole GPU.
  DeviceSpec d = device("mali-g610", DeviceKind::Gpu, 1, kGpu);
  d.flopsPerCycle[kFp32] = 470;  // board file: clpeak 470 GFLOP/s FP32 at 1000 MHz
  d.flopsPerCycle[kFp16] = 910;  // 910 GFLOP/s FP16; no INT8 rate published
  addOpps(&d, {{300e6, 0.675},
               {400e6, 0.675},
               {500e6, 0.675},
               {600e6, 0.675},
               {700e6, 0.7},
               {800e6, 0.75},
               {900e6, 0.8},
               {1000e6, 0.85}});
  d.dynCoeff = 2982;
  d.leakage = {0.2, 0.85, 0.035, 25.0};  // assumed
  d.idleW = 0.1;                         // assumed
  d.maxBandwidthBps = 27.2e9;            // board file: clpeak global memory bandwidth
  d.defaultEta = 0.35;                   // assumed
  d.alwaysPowered = false;
  return d;
}

// The RKNPU's 3 cores as two schedulable groups (an RKNN core mask): cores 0-1 and core 2.
DeviceSpec npu(const char* name, int cores, double maxBandwidthBps) {
  DeviceSpec d = device(name, DeviceKind::Npu, cores, kNpu);
  d.flopsPerCycle[kInt8] = 2000;  // board file: 6 TOPS INT8 over 3 cores, at 1 GHz (assumed)
  d.flopsPerCycle[kFp16] = 500;   // assumed: a quarter of INT8
  // No NPU OPPs or coefficient in mainline (board file): assumed BSP-like table.
  addOpps(&d, {{300e6, 0.7}, {600e6, 0.75}, {800e6, 0.8}, {1000e6, 0.85}});
  d.dynCoeff = 1100;                             // assumed: about 0.8 W per core at the top
  d.leakage = {0.08 * cores, 0.85, 0.03, 25.0};  // assumed
  d.idleW = 0.05 * cores;                        // assumed
  d.maxBandwidthBps = maxBandwidthBps;           // assumed
  // From Qwen2 0.5B w8a8 prefill, 877 token/s (board file, RKLLM): 877 * 2 * 0.494e9 / 6e12.
  d.defaultEta = 0.15;
  d.alwaysPowered = false;
  return d;
}

ZoneSpec zone(const char* name) {
  ZoneSpec z;
  snprintf(z.name, sizeof z.name, "%s", name);
  z.rThKPerW = 12;      // assumed: a small passive heatsink
  z.cThJPerK = 4;       // assumed
  z.passiveTripC = 85;  // board file (npu-thermal has only the critical trip; assumed alike)
  z.criticalTripC = 115;
  return z;
}

SocSpec rk3588() {
  SocSpec s;
  s.devices.push_back(a55());
  s.devices.push_back(a76("a76-0", kBig0));
  s.devices.push_back(a76("a76-1", kBig2));
  s.devices.push_back(mali());
  s.devices.push_back(npu("npu-01", 2, 16e9));
  s.devices.push_back(npu("npu-2", 1, 8e9));
  for (const char* name : {"littlecore", "bigcore0", "bigcore2", "gpu", "npu"})
    s.zones.push_back(zone(name));
  s.dramBandwidthBps = 27.2e9;  // board file: the highest measured (Mali clpeak)
  s.memCapacityBytes = 16e9;    // a 16 GB board (Orange Pi 5 Plus, ROCK 5B)
  s.memReservedBytes = 1.5e9;   // assumed: the OS and the rest
  s.baseW = 1.5;                // assumed: the rest of the board
  return s;
}

// Approximate public configurations; 128 prompt tokens and 64 output tokens, as in the
// rknn-llm benchmark the board file quotes, decoding at a 1024-token context.
TransformerDesc model(double params, double bits, int layers, int kvWidth, DataType dtype) {
  TransformerDesc w;
  w.params = params;
  w.bitsPerWeight = bits;
  w.layers = layers;
  w.kvWidth = kvWidth;
  w.contextTokens = 1024;
  w.promptTokens = 128;
  w.outputTokens = 64;
  w.scratchBytes = 1e8;
  w.dtype = dtype;
  return w;
}

PhaseList workloads() {
  const TransformerDesc descs[] = {
      model(0.494e9, 8, 24, 128, DataType::Int8),  // Qwen2 0.5B w8a8
      model(0.6e9, 8, 28, 1024, DataType::Int8),   // Qwen3 0.6B w8a8
      model(1.1e9, 8, 22, 256, DataType::Int8),    // TinyLlama 1.1B w8a8
      model(1.54e9, 4, 28, 256, DataType::Fp16),   // Qwen2.5 1.5B w4a16
      model(1.89e9, 8, 24, 1024, DataType::Int8),  // InternLM2 1.8B w8a8
      model(2.5e9, 4, 18, 256, DataType::Fp16),    // Gemma 2B w4a16
      model(3.2e9, 4, 28, 1024, DataType::Fp16),   // Llama 3.2 3B w4a16
      model(3.8e9, 4, 32, 3072, DataType::Int8),   // Phi-3 mini w4a8
  };
  PhaseList phases;
  for (int w = 0; w < 8; ++w) {
    phases.push_back(prefillPhase(descs[w], w));
    phases.push_back(decodePhase(descs[w], w));
  }
  return phases;
}

// Every phase on a random device that runs its data type, at a random OPP and core count.
Placement randomPlacement(const SocSpec& soc, const PhaseList& phases, std::mt19937& rng) {
  Placement placement;
  for (const Phase& p : phases) {
    int candidates[kMaxDevices];
    int n = 0;
    for (size_t d = 0; d < soc.devices.size(); ++d) {
      if (soc.devices[d].flopsPerCycle[static_cast<size_t>(p.dtype)] > 0) {
        candidates[n++] = static_cast<int>(d);
      }
    }
    const int d = candidates[std::uniform_int_distribution<int>(0, n - 1)(rng)];
    const DeviceSpec& dev = soc.devices[d];
    PhasePlacement at;
    at.device = d;
    at.opp = std::uniform_int_distribution<int>(0, static_cast<int>(dev.opps.size()) - 1)(rng);
    at.cores = dev.kind == DeviceKind::CpuCluster
                   ? std::uniform_int_distribution<int>(1, dev.cores)(rng)
                   : 0;
    placement.push_back(at);
  }
  return placement;
}

struct Pool {
  std::vector<Placement> placements;
  int drawn = 0;
  double meanSegments = 0.0;
  double meanMakespanS = 0.0;
};

constexpr double kHorizonS = 60.0;

Pool drawPool(const EnergyModel& model, const PhaseList& phases, size_t size) {
  Pool pool;
  std::mt19937 rng(20260211);
  Evaluation e;
  while (pool.placements.size() < size && pool.drawn < 100000) {
    ++pool.drawn;
    Placement placement = randomPlacement(model.soc(), phases, rng);
    model.evaluate(phases, placement, kHorizonS, &e);
    if (!e.feasible) continue;
    pool.placements.push_back(placement);
    pool.meanSegments += e.segments;
    pool.meanMakespanS += e.makespanS;
  }
  pool.meanSegments /= static_cast<double>(pool.placements.size());
  pool.meanMakespanS /= static_cast<double>(pool.placements.size());
  return pool;
}

}  // namespace
}  // namespace qeil::energy

int main(int argc, char** argv) {
  using namespace qeil;
  using namespace qeil::energy;
  bench::BenchArgs args = bench::parseBenchArgs(&argc, argv);
  EnergyModel model(rk3588());
  for (int z = 0; z < kZones; ++z)
    model.setZoneTempC(z, 40.0);  // a board that has been working
  const PhaseList phases = workloads();
  const Pool pool = drawPool(model, phases, 256);
  if (pool.placements.empty()) {
    fprintf(stderr, "energy_eval: no feasible placement in %d draws\n", pool.drawn);
    return 1;
  }

  // Allocations per evaluation, outside the timed loop.
  Evaluation e;
  const int counted = args.shortMode ? 256 : 4096;
  test::AllocationScope allocs;
  for (int i = 0; i < counted; ++i) {
    model.evaluate(phases, pool.placements[i % pool.placements.size()], kHorizonS, &e);
  }
  const double allocsPerEval = static_cast<double>(allocs.count()) / counted;

  std::vector<char*> gbArgs(argv, argv + argc);
  char minTime[] = "--benchmark_min_time=0.01";
  if (args.shortMode) gbArgs.push_back(minTime);
  int gbArgc = static_cast<int>(gbArgs.size());
  benchmark::Initialize(&gbArgc, gbArgs.data());
  benchmark::RegisterBenchmark("EnergyEval/8workloads_16phases_6devices",
                               [&](benchmark::State& state) {
                                 size_t next = 0;
                                 for (auto _ : state) {
                                   model.evaluate(phases, pool.placements[next], kHorizonS, &e);
                                   benchmark::DoNotOptimize(e.energyJ);
                                   if (++next == pool.placements.size()) next = 0;
                                 }
                               })
      ->Unit(benchmark::kMicrosecond);
  bench::CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  bench::Report report("energy_eval");
  report.info("devices", static_cast<double>(model.soc().devices.size()), "count");
  report.info("phases", static_cast<double>(phases.size()), "count");
  report.info("feasible placements in pool", static_cast<double>(pool.placements.size()), "count");
  report.info("random draws for the pool", pool.drawn, "count");
  report.info("segments per evaluation (mean)", pool.meanSegments, "count");
  report.info("makespan (mean)", pool.meanMakespanS, "s");
  report.target("time per evaluation (mean)", reporter.meanNs / 1000.0, "us", "<= 2 us",
                reporter.meanNs <= 2000.0);
  report.target("heap allocations per evaluation", allocsPerEval, "count", "0",
                allocsPerEval == 0.0);
  report.print();
  if (!args.resultsDir.empty() && !report.writeJson(args.resultsDir)) return 1;
  return 0;
}
