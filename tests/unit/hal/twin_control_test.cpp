// Board twin: what the agent writes through the real backends is obeyed, as a kernel would:
// frequency limits and governors (after the DVFS latency) and cgroup cpusets.
#include <gtest/gtest.h>

#include <memory>

#include "hal/linux/cgroup.h"
#include "hal/linux/cpufreq.h"
#include "hal/linux/devfreq.h"
#include "hal/linux/sysfs_file.h"
#include "tests/unit/hal/twin_rig.h"

namespace qeil {
namespace {

using test::TwinRig;

TwinOptions performance(CgroupVersion version = CgroupVersion::V2) {
  TwinOptions o;
  o.cpuGovernor = "performance";
  o.cgroupVersion = version;
  return o;
}

// Mean power the INA226 driver sees over `seconds` (sampled every conversion period).
double meanInaPowerW(TwinRig& rig, PowerMonitor& ina, double seconds) {
  const int64_t periodNs = 16 * 2 * 1100 * kNsPerUs;
  rig.twin->stepNs(periodNs);
  ina.sample();  // integration since the last sample would span the time before the window
  double e0 = ina.energyJ(0);
  int64_t t0 = rig.clock.nowNs();
  while (rig.clock.nowNs() - t0 < static_cast<int64_t>(seconds * 1e9)) {
    rig.twin->stepNs(periodNs);
    ina.sample();
  }
  return (ina.energyJ(0) - e0) / (static_cast<double>(rig.clock.nowNs() - t0) * 1e-9);
}

TEST(TwinControl, ScalingMaxFreqLowersTheFrequencyAfterTheLatencyAndThePower) {
  TwinRig rig(test::rk3588TwinSpec(), performance());
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto ina = rig.monitor("VIN_5V");
  ASSERT_TRUE(ina && ina->init().ok());
  auto policy = CpufreqPolicy::find(rig.root(), "policy4", rig.journal, rig.clock);
  ASSERT_TRUE(policy.ok()) << policy.error().message();
  LlmWorkloadSpec w = test::tinyLlama(2, CpuSet::range(4, 5));
  w.repeat = true;
  ASSERT_TRUE(rig.twin->addWorkload(w).ok());
  rig.twin->step(1.0);
  int a76 = rig.twin->deviceIndex("a76_0");
  double before = rig.twin->devicePowerW(a76);
  double inaBefore = meanInaPowerW(rig, *ina, 1.0);
  ASSERT_DOUBLE_EQ(policy.value()->readCurHz().value, 2.4e9);

  ASSERT_TRUE(policy.value()->setMaxLimitHz(1416000000).ok());
  rig.twin->step(300e-6);  // the A76 OPP change takes 500 us
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 2.4e9);
  EXPECT_EQ(rig.twin->curFreqHz(a76), 2400000000u);
  rig.twin->step(700e-6);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 1.416e9);
  EXPECT_EQ(rig.twin->curFreqHz(a76), 1416000000u);
  EXPECT_EQ(rig.twin->curFreqHz(rig.twin->deviceIndex("a76_1")), 2400000000u);  // its own policy

  rig.twin->step(1.0);
  double after = rig.twin->devicePowerW(a76);
  double inaAfter = meanInaPowerW(rig, *ina, 1.0);
  // C f V^2: 1416 MHz at 725 mV is 31 % of 2400 MHz at 1 V per busy core.
  EXPECT_LT(after, 0.6 * before);
  EXPECT_LT(inaAfter, inaBefore - 0.5);
}

TEST(TwinControl, GovernorAndMinimumAreObeyed) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto policy = CpufreqPolicy::find(rig.root(), "policy6", rig.journal, rig.clock);
  ASSERT_TRUE(policy.ok());
  ASSERT_TRUE(rig.twin->addWorkload(test::tinyLlama(2, CpuSet::range(6, 7))).ok());
  rig.twin->step(0.5);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 2.4e9);  // schedutil on a busy pair
  ASSERT_TRUE(policy.value()->setGovernor("powersave").ok());
  rig.twin->step(0.01);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 1.2e9);
  ASSERT_TRUE(policy.value()->setMinLimitHz(2016000000).ok());
  rig.twin->step(0.01);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 2.016e9);
  // The journal puts everything back on exit, and the twin follows.
  ASSERT_TRUE(rig.journal.restoreAll().ok());
  rig.twin->step(0.01);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 2.4e9);
}

TEST(TwinControl, DevfreqLimitsAreObeyed) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto gpu = DevfreqDevice::find(rig.root(), "fb000000.gpu", rig.journal, rig.clock);
  ASSERT_TRUE(gpu.ok()) << gpu.error().message();
  ASSERT_TRUE(gpu.value()->setGovernor("performance").ok());
  LlmWorkloadSpec w = test::tinyLlama(1, CpuSet(), "gpu-llm");
  w.device = "gpu";
  w.repeat = true;
  ASSERT_TRUE(rig.twin->addWorkload(w).ok());
  rig.twin->step(0.5);
  EXPECT_DOUBLE_EQ(gpu.value()->readCurHz().value, 1e9);
  double fast = rig.twin->devicePowerW(rig.twin->deviceIndex("gpu"));
  ASSERT_TRUE(gpu.value()->setMaxLimitHz(500000000).ok());
  rig.twin->step(0.5);
  EXPECT_DOUBLE_EQ(gpu.value()->readCurHz().value, 5e8);
  EXPECT_LT(rig.twin->devicePowerW(rig.twin->deviceIndex("gpu")), 0.6 * fast);
  TimeInState tis;
  ASSERT_TRUE(gpu.value()->timeInState(&tis).ok());
  EXPECT_GT(tis.timeMs[7], 300u);  // trans_stat's time column, in ms
  EXPECT_GT(tis.timeMs[2], 300u);
}

// The agent confines a workload with its cgroup's cpuset: the threads move, the power moves
// from one cluster to the other, and restoring the journal moves them back.
void cpusetMovesThreads(CgroupVersion version) {
  TwinRig rig(test::rk3588TwinSpec(), performance(version));
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  LlmWorkloadSpec w = test::tinyLlama(4, CpuSet(), "qeil/llm");
  w.repeat = true;
  auto id = rig.twin->addWorkload(w);
  ASSERT_TRUE(id.ok()) << id.error().message();
  auto placement = createCpuPlacement(rig.root(), rig.journal, "qeil");
  ASSERT_TRUE(placement.ok()) << placement.error().message();
  ASSERT_TRUE(placement.value()->createGroup("llm").ok());
  rig.twin->step(0.5);
  EXPECT_EQ(rig.twin->workload(id.value()).cpus, CpuSet::range(0, 3));  // first four allowed
  int a55 = rig.twin->deviceIndex("a55");
  int a76 = rig.twin->deviceIndex("a76_1");
  double littleBefore = rig.twin->devicePowerW(a55);
  double bigBefore = rig.twin->devicePowerW(a76);

  ASSERT_TRUE(placement.value()->setCpus("llm", CpuSet::range(4, 7)).ok());
  rig.twin->step(0.5);
  EXPECT_EQ(rig.twin->workload(id.value()).cpus, CpuSet::range(4, 7));
  EXPECT_LT(rig.twin->devicePowerW(a55), 0.5 * littleBefore);
  EXPECT_GT(rig.twin->devicePowerW(a76), bigBefore + 0.5);

  // Two CPUs for four threads: they time-share and the run slows.
  double fourCores = rig.twin->workload(id.value()).tokensPerS;
  ASSERT_TRUE(placement.value()->setCpus("llm", CpuSet::range(6, 7)).ok());
  for (int i = 0; i < 40; ++i)
    rig.twin->step(0.25);
  EXPECT_EQ(rig.twin->workload(id.value()).cpus, CpuSet::range(6, 7));
  EXPECT_LT(rig.twin->workload(id.value()).tokensPerS, 0.8 * fourCores);

  ASSERT_TRUE(rig.journal.restoreAll().ok());
  rig.twin->step(0.1);
  EXPECT_EQ(rig.twin->workload(id.value()).cpus, CpuSet::range(0, 3));
}

// Two workloads time-share one CPU in proportion to their groups' CPU weights, written through
// the real backend (cgroup v2 cpu.weight, v1 cpu.shares); restoring the journal evens them out.
void cpuWeightSharesACpu(CgroupVersion version) {
  TwinRig rig(test::rk3588TwinSpec(), performance(version));
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  int ids[2];
  for (int i = 0; i < 2; ++i) {
    LlmWorkloadSpec w = test::tinyLlama(1, CpuSet::range(4, 4), i == 0 ? "qeil/hi" : "qeil/lo");
    w.repeat = true;
    auto id = rig.twin->addWorkload(w);
    ASSERT_TRUE(id.ok()) << id.error().message();
    ids[i] = id.value();
  }
  auto placement = createCpuPlacement(rig.root(), rig.journal, "qeil");
  ASSERT_TRUE(placement.ok()) << placement.error().message();
  auto ratio = [&] {
    const uint64_t hi0 = rig.twin->workload(ids[0]).totalTokens;
    const uint64_t lo0 = rig.twin->workload(ids[1]).totalTokens;
    for (int i = 0; i < 120; ++i)
      rig.twin->step(0.25);
    return static_cast<double>(rig.twin->workload(ids[0]).totalTokens - hi0) /
           static_cast<double>(rig.twin->workload(ids[1]).totalTokens - lo0);
  };
  EXPECT_NEAR(ratio(), 1.0, 0.1);  // equal weights: an even share
  ASSERT_TRUE(placement.value()->setCpuWeight("hi", 300).ok());
  EXPECT_NEAR(ratio(), 3.0, 0.3);
  ASSERT_TRUE(rig.journal.restoreAll().ok());
  EXPECT_NEAR(ratio(), 1.0, 0.1);
}

TEST(TwinControl, CpuWeightThroughTheCgroup2BackendSharesACpu) {
  cpuWeightSharesACpu(CgroupVersion::V2);
}

TEST(TwinControl, CpuWeightThroughTheCgroup1BackendSharesACpu) {
  cpuWeightSharesACpu(CgroupVersion::V1);
}

// A CPU taken offline by writing its online file (as an admin would) is followed like the
// kernel follows it: the online list drops it and threads leave it.
TEST(TwinControl, OnlineFileWritesAreFollowed) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto id = rig.twin->addWorkload(test::tinyLlama(4, CpuSet::range(4, 7)));
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(writeTextFile(rig.root().path("/sys/devices/system/cpu/cpu6/online"), "0").ok());
  rig.twin->step(0.01);
  CpuSet online = CpuSet::range(0, 7);
  online.remove(6);
  EXPECT_EQ(rig.twin->onlineCpus(), online);
  char text[64];
  ASSERT_TRUE(
      readTextFile(rig.root().path("/sys/devices/system/cpu/online"), text, sizeof text).ok());
  EXPECT_STREQ(text, "0-5,7");
  CpuSet running = CpuSet::range(4, 7);
  running.remove(6);
  EXPECT_EQ(rig.twin->workload(id.value()).cpus, running);
}

// A vendor power mode (nvpmodel) caps frequencies and takes cores offline from the start.
TEST(TwinControl, PowerModeCapsAndOfflinesCores) {
  BoardSpec spec = test::rk3588TwinSpec();
  PowerMode low;
  low.name = "LOW";
  low.caps = {{"a76_0", 1800000000, -1}, {"a55", 0, 2}};
  spec.powerModes = {low};
  spec.powerMode = "LOW";
  TwinRig rig(spec, performance());
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto policy = CpufreqPolicy::find(rig.root(), "policy4", rig.journal, rig.clock);
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy.value()->maxLimitHz().valueOr(0), 1800000000u);
  rig.twin->step(0.01);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 1.8e9);
  EXPECT_EQ(rig.twin->curFreqHz(rig.twin->deviceIndex("a76_1")), 2400000000u);
  CpuSet online = CpuSet::range(0, 7);
  online.remove(2);
  online.remove(3);
  EXPECT_EQ(rig.twin->onlineCpus(), online);
  // The cap holds even when the agent asks for more.
  ASSERT_TRUE(policy.value()->setMaxLimitHz(2400000000).ok());
  rig.twin->step(0.01);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 1.8e9);
}

// online_cores = 0 takes a whole cluster offline (nvpmodel's 7 W mode on the Orin Nano).
TEST(TwinControl, PowerModeTakesAWholeClusterOffline) {
  BoardSpec spec = test::rk3588TwinSpec();
  PowerMode low;
  low.name = "LOW";
  low.caps = {{"a76_1", 0, 0}};
  spec.powerModes = {low};
  spec.powerMode = "LOW";
  TwinRig rig(spec, performance());
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  rig.twin->step(0.01);
  EXPECT_EQ(rig.twin->onlineCpus(), CpuSet::range(0, 5));
}

// A mode that gates GPU cores (nvpmodel's TPC_PG_MASK): half the cores give half the prompt rate
// (prefill is compute-bound) and draw about half the power.
TEST(TwinControl, PowerModeGatesAcceleratorCores) {
  auto run = [](int onlineCores, double* promptTokensPerS, double* powerW) {
    BoardSpec spec = test::rk3588TwinSpec();
    PowerMode mode;
    mode.name = "M";
    mode.caps = {{"gpu", 0, onlineCores}};
    spec.powerModes = {mode};
    spec.powerMode = "M";
    TwinRig rig(spec, performance());
    ASSERT_TRUE(rig.ok()) << rig.error.message();
    LlmWorkloadSpec w = test::tinyLlama(1, CpuSet(), "gpu-llm");
    w.device = "gpu";
    w.promptTokens = 512;
    ASSERT_TRUE(rig.twin->addWorkload(w).ok());
    rig.twin->step(0.05);
    *powerW = rig.twin->devicePowerW(rig.twin->deviceIndex("gpu"));
    rig.twin->step(5.0);
    ASSERT_TRUE(rig.twin->workload(0).prefillDone);
    *promptTokensPerS = rig.twin->workload(0).promptTokensPerS;
  };
  double fullRate = 0, fullW = 0, halfRate = 0, halfW = 0;
  run(4, &fullRate, &fullW);  // the Mali-G610 MP4 of the test spec
  run(2, &halfRate, &halfW);
  EXPECT_NEAR(halfRate / fullRate, 0.5, 0.05);
  EXPECT_LT(halfW, 0.6 * fullW);
  EXPECT_GT(halfW, 0.4 * fullW);
}

TEST(TwinControl, CpusetThroughTheCgroup2BackendMovesThreads) {
  cpusetMovesThreads(CgroupVersion::V2);
}

TEST(TwinControl, CpusetThroughTheCgroup1BackendMovesThreads) {
  cpusetMovesThreads(CgroupVersion::V1);
}

}  // namespace
}  // namespace qeil
