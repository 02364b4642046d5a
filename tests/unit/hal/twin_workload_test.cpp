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
