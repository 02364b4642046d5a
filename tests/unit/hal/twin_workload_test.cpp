// Board twin: simulated LLM workloads progress by the twin's physics (compute and bandwidth
// per thread, the slowest-thread barrier, DRAM contention), and stepping never allocates.
#include <gtest/gtest.h>

#include <cstdio>

#include "tests/support/alloc_counter.h"
#include "tests/unit/hal/twin_rig.h"

namespace qeil {
namespace {

using test::TwinRig;

TwinOptions performance() {
  TwinOptions o;
  o.cpuGovernor = "performance";
  return o;
}

// Decode rate of one run of `spec` alone on a fresh twin.
double decodeRate(const LlmWorkloadSpec& spec, const TwinOptions& options = performance()) {
  TwinRig rig(test::rk3588TwinSpec(), options);
  EXPECT_TRUE(rig.ok()) << rig.error.message();
  if (!rig.ok()) return 0.0;
  auto id = rig.twin->addWorkload(spec);
  EXPECT_TRUE(id.ok()) << id.error().message();
  if (!id.ok()) return 0.0;
  for (int i = 0; i < 600 && rig.twin->workload(id.value()).state == WorkloadState::Running; ++i)
    rig.twin->step(0.1);
  WorkloadStatus s = rig.twin->workload(id.value());
  EXPECT_EQ(s.state, WorkloadState::Done);
  EXPECT_EQ(s.tokensGenerated, spec.outputTokens);
  return s.tokensPerS;
}

// The known RK3588 effect: llama.cpp on all eight cores is slower than on the four A76s. Not a
// special case: each thread takes 1/8 of every layer, the A55 threads get a quarter of their
// cluster's 6 GB/s each while an A76 thread gets half its pair's 12 GB/s, and every layer
// waits for the slowest thread.
TEST(TwinWorkload, EightThreadsSlowerThanFourBigCores) {
  double big4 = decodeRate(test::tinyLlama(4, CpuSet::range(4, 7)));
  double all8 = decodeRate(test::tinyLlama(8, CpuSet::range(0, 7)));
  double little4 = decodeRate(test::tinyLlama(4, CpuSet::range(0, 3)));
  printf("tokens/s: 4 x A76 %.2f, 8 threads %.2f, 4 x A55 %.2f\n", big4, all8, little4);
  EXPECT_GT(big4, 1.2 * all8);
  // The eight-thread run is held to the A55s' pace: faster than the A55s alone (each A55
  // thread streams half as much), slower than the A76s.
  EXPECT_GT(all8, little4);
}

// Decode streams the weights (memory-bound); prefill multiplies them by the whole prompt
// (compute-bound). Halving the A76 clock halves the prompt rate and barely moves decode.
TEST(TwinWorkload, DecodeIsMemoryBoundPrefillComputeBound) {
  LlmWorkloadSpec w = test::tinyLlama(4, CpuSet::range(4, 7));
  w.promptTokens = 256;
  TwinOptions slow = performance();
  slow.cpuGovernor = "powersave";  // 1.2 GHz on the A76s, 1.008 GHz on the A55s
  TwinRig fastRig(test::rk3588TwinSpec(), performance());
  TwinRig slowRig(test::rk3588TwinSpec(), slow);
  ASSERT_TRUE(fastRig.ok() && slowRig.ok());
  ASSERT_TRUE(fastRig.twin->addWorkload(w).ok());
  ASSERT_TRUE(slowRig.twin->addWorkload(w).ok());
  for (int i = 0; i < 100; ++i) {
    fastRig.twin->step(0.1);
    slowRig.twin->step(0.1);
  }
  WorkloadStatus fast = fastRig.twin->workload(0);
  WorkloadStatus lazy = slowRig.twin->workload(0);
  ASSERT_EQ(fast.state, WorkloadState::Done);
  ASSERT_EQ(lazy.state, WorkloadState::Done);
  EXPECT_NEAR(lazy.promptTokensPerS / fast.promptTokensPerS, 0.5, 0.05);
  EXPECT_GT(lazy.tokensPerS / fast.tokensPerS, 0.9);
}

// An accelerator workload runs on the device at its current frequency.
TEST(TwinWorkload, AcceleratorRunsAtItsFrequency) {
  LlmWorkloadSpec w = test::tinyLlama(1, CpuSet(), "npu-llm");
  w.device = "npu";
  w.promptTokens = 512;
  w.outputTokens = 4;
  double rates[2] = {};
  for (int run = 0; run < 2; ++run) {
    TwinOptions o = performance();
    o.devfreqGovernor = run == 0 ? "performance" : "powersave";
    TwinRig rig(test::rk3588TwinSpec(), o);
    ASSERT_TRUE(rig.ok());
    ASSERT_TRUE(rig.twin->addWorkload(w).ok());
    for (int i = 0; i < 100 && rig.twin->workload(0).state == WorkloadState::Running; ++i)
      rig.twin->step(0.1);
    ASSERT_EQ(rig.twin->workload(0).state, WorkloadState::Done);
    rates[run] = rig.twin->workload(0).promptTokensPerS;
  }
  EXPECT_NEAR(rates[1] / rates[0], 300.0 / 1000.0, 0.02);  // NPU OPPs 1 GHz and 300 MHz
  EXPECT_GT(rates[0], 5.0 * decodeRate(test::tinyLlama(4, CpuSet::range(4, 7))));
}

// Two memory-bound runs on different devices share the DRAM: together each is slower.
TEST(TwinWorkload, DramContentionSlowsBothDevices) {
  LlmWorkloadSpec cpu = test::tinyLlama(4, CpuSet::range(4, 7));
  LlmWorkloadSpec gpu = test::tinyLlama(1, CpuSet(), "gpu-llm");
  gpu.device = "gpu";
  TwinOptions o = performance();
  o.devfreqGovernor = "performance";
  double cpuAlone = decodeRate(cpu, o);
  double gpuAlone = decodeRate(gpu, o);
  TwinRig rig(test::rk3588TwinSpec(), o);
  ASSERT_TRUE(rig.ok());
  cpu.repeat = true;
  gpu.repeat = true;
  ASSERT_TRUE(rig.twin->addWorkload(cpu).ok());
  ASSERT_TRUE(rig.twin->addWorkload(gpu).ok());
  rig.twin->step(5.0);
  EXPECT_LT(rig.twin->dramFactor(), 0.9);
  EXPECT_LT(rig.twin->workload(0).tokensPerS, 0.9 * cpuAlone);
  EXPECT_LT(rig.twin->workload(1).tokensPerS, 0.9 * gpuAlone);
}

TEST(TwinWorkload, ZeroAllocationsPerStep) {
  TwinRig rig(test::rk3588TwinSpec(), performance());
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  LlmWorkloadSpec cpu = test::tinyLlama(4, CpuSet::range(4, 7));
  cpu.repeat = true;
  LlmWorkloadSpec gpu = test::tinyLlama(1, CpuSet(), "gpu-llm");
  gpu.device = "gpu";
  gpu.repeat = true;
  ASSERT_TRUE(rig.twin->addWorkload(cpu).ok());
  ASSERT_TRUE(rig.twin->addWorkload(gpu).ok());
  rig.twin->step(1.0);  // warm-up: sensor ticks, frequency changes, a token or two
  test::AllocationScope scope;
  for (int i = 0; i < 200; ++i)
    rig.twin->step(0.01);
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_GT(rig.twin->workload(0).totalTokens, 0u);
}

}  // namespace
}  // namespace qeil
