// bench/calibration_fit: MODEL.md §7's rail fit on synthetic data with known coefficients
// (tests/support/synthetic_rail.h: a Jetson-like rail feeding a CPU cluster and a GPU, the board
// file 20-60 % off, readings quantised and noisy like an INA226). Over several seeds it prints
//   - the worst relative error of every fitted coefficient from sample 1000 to 3000 (target: 2 %),
//   - after a step change at sample 2000 (CPU dynamic coefficient +30 %, GPU leakage -30 %, rail
//     constant +0.2 W), how many samples the raw fit needs to be back within 2 % to stay.
#include <algorithm>
#include <cstdio>

#include "bench/support/bench_report.h"
#include "energy/calibration.h"
#include "tests/support/synthetic_rail.h"

namespace qeil::energy {
namespace {

using synthetic::Ina226;
using synthetic::JetsonRail;
using synthetic::RailErrors;
using synthetic::Workload;

constexpr int kSettleSamples = 1000;
constexpr int kRunSamples = 3000;
constexpr int kStepAtSample = 2000;
constexpr int kAfterStepSamples = 2000;
constexpr double kTolerance = 0.02;

struct Rig {
  JetsonRail rail;
  RailFit fit;
  Ina226 ina;
  Workload load;
  explicit Rig(uint64_t seed) : ina(seed * 7 + 1), load(seed) {
    const int devices[2] = {0, 1};
    if (!fit.init(rail.board, devices, 2, RailFitConfig{}).ok()) {
      std::fprintf(stderr, "calibration_fit: RailFit::init failed\n");
    }
  }
  bool step() {
    const auto s = load.next(rail.board);
    return fit.update(ina.powerW(rail.powerW(s)), s.data(), 2).ok();
  }
};

// Worst error per coefficient over samples kSettleSamples..kRunSamples; false if the fit
// rejected an update.
bool steadyErrors(uint64_t seed, RailErrors* errors) {
  Rig rig(seed);
  for (int k = 0; k < kRunSamples; ++k) {
    if (!rig.step()) return false;
    if (k >= kSettleSamples) errors->take(rig.fit, rig.rail);
  }
  return true;
}

// Samples after the step until every raw coefficient is within tolerance for good; -1: never.
int samplesToRecover(uint64_t seed) {
  Rig rig(seed);
  for (int k = 0; k < kStepAtSample; ++k) {
    if (!rig.step()) return -1;
  }
  rig.rail.truth.devices[0].dynCoeff *= 1.3;
  rig.rail.truth.devices[1].leakage.refW *= 0.7;
  rig.rail.idleW += 0.2;
  int back = -1;
  for (int k = 0; k < kAfterStepSamples; ++k) {
    if (!rig.step()) return -1;
    RailErrors e;
    e.take(rig.fit, rig.rail);
    if (e.max() >= kTolerance) {
      back = -1;
    } else if (back < 0) {
      back = k;
    }
  }
  return back;
}

int run(const bench::BenchArgs& args) {
  const int seeds = args.shortMode ? 2 : 10;
  RailErrors worst;
  int worstRecovery = 0;
  bool allRecovered = true;
  std::printf(
      "seed  cpu dyn  cpu leak  gpu dyn  gpu leak  constant   step: samples back within 2 %%\n");
  for (int seed = 1; seed <= seeds; ++seed) {
    RailErrors e;
    if (!steadyErrors(seed, &e)) {
      std::fprintf(stderr, "calibration_fit: an update was rejected (seed %d)\n", seed);
      return 1;
    }
    const int back = samplesToRecover(seed);
    std::printf("%4d  %6.2f%%  %7.2f%%  %6.2f%%  %7.2f%%  %7.2f%%   %d\n", seed, e.cpuDyn * 100,
                e.cpuLeak * 100, e.gpuDyn * 100, e.gpuLeak * 100, e.idle * 100, back);
    worst.cpuDyn = std::max(worst.cpuDyn, e.cpuDyn);
    worst.cpuLeak = std::max(worst.cpuLeak, e.cpuLeak);
    worst.gpuDyn = std::max(worst.gpuDyn, e.gpuDyn);
    worst.gpuLeak = std::max(worst.gpuLeak, e.gpuLeak);
    worst.idle = std::max(worst.idle, e.idle);
    allRecovered = allRecovered && back >= 0;
    worstRecovery = std::max(worstRecovery, back);
  }
  bench::Report report("calibration_fit");
  report.info("seeds", seeds, "count");
  const char* target = "<= 2 %";
  report.target("worst error, CPU dynamic coefficient", worst.cpuDyn * 100, "%", target,
                worst.cpuDyn <= kTolerance);
  report.target("worst error, CPU leakage", worst.cpuLeak * 100, "%", target,
                worst.cpuLeak <= kTolerance);
  report.target("worst error, GPU dynamic coefficient", worst.gpuDyn * 100, "%", target,
                worst.gpuDyn <= kTolerance);
  report.target("worst error, GPU leakage", worst.gpuLeak * 100, "%", target,
                worst.gpuLeak <= kTolerance);
  report.target("worst error, rail constant", worst.idle * 100, "%", target,
                worst.idle <= kTolerance);
  report.target("step change tracked within 2 %", allRecovered ? 1 : 0, "bool", "1", allRecovered);
  report.info("worst samples to track the step", worstRecovery, "samples");
  report.print();
  if (!args.resultsDir.empty() && !report.writeJson(args.resultsDir)) return 1;
  return 0;
}

}  // namespace
}  // namespace qeil::energy

int main(int argc, char** argv) {
  const qeil::bench::BenchArgs args = qeil::bench::parseBenchArgs(&argc, argv);
  return qeil::energy::run(args);
}
