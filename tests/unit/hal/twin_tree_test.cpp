// Board twin: the tree it writes for a BoardSpec is a board to the real Linux backends, and it
// publishes what its physics does (frequencies, statistics, temperatures, hwmon rails).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "hal/linux/cgroup.h"
#include "hal/linux/cpu_online.h"
#include "hal/linux/cpufreq.h"
#include "hal/linux/devfreq.h"
#include "hal/linux/hwmon_power.h"
#include "hal/linux/psi.h"
#include "hal/linux/thermal.h"
#include "tests/unit/hal/twin_rig.h"

namespace qeil {
namespace {

using test::TwinRig;

std::vector<uint64_t> oppHz(const BoardDevice& d) {
  std::vector<uint64_t> hz;
  for (const OppSpec& o : d.opps)
    hz.push_back(o.freqHz);
  return hz;
}

TEST(TwinTree, CpufreqPoliciesComeFromTheCpuDevices) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto names = CpufreqPolicy::list(rig.root());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), (std::vector<std::string>{"policy0", "policy4", "policy6"}));
  for (const BoardDevice& d : rig.twin->spec().devices) {
    if (d.kind != HwDeviceKind::Cpu) continue;
    auto p = CpufreqPolicy::find(rig.root(), d.cpufreqPolicy.c_str(), rig.journal, rig.clock);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_EQ(p.value()->cpus(), d.cpus) << d.name;
    const FreqTable& table = p.value()->availableHz();
    EXPECT_EQ(std::vector<uint64_t>(table.begin(), table.end()), oppHz(d)) << d.name;
    TimeInState tis;
    EXPECT_TRUE(p.value()->timeInState(&tis).ok());
    char governor[32];
    ASSERT_TRUE(p.value()->governor(governor, sizeof governor).ok());
    EXPECT_STREQ(governor, "schedutil");
  }
}

TEST(TwinTree, DevfreqThermalCoolingAndCpusAreThere) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  for (const char* name : {"fb000000.gpu", "fdab0000.npu"}) {
    auto d = DevfreqDevice::find(rig.root(), name, rig.journal, rig.clock);
    ASSERT_TRUE(d.ok()) << d.error().message();
    EXPECT_TRUE(d.value()->readCurHz().valid);
  }
  auto types = SysfsThermalZone::listTypes(rig.root());
  ASSERT_TRUE(types.ok());
  std::vector<std::string> expected;
  for (const BoardZone& z : rig.twin->spec().zones)
    expected.push_back(z.name);
  EXPECT_EQ(types.value(), expected);
  auto zone = SysfsThermalZone::find(rig.root(), "bigcore0-thermal", rig.clock);
  ASSERT_TRUE(zone.ok());
  ASSERT_EQ(zone.value()->trips().size(), 2u);
  EXPECT_EQ(zone.value()->trips()[0].type, TripType::Passive);
  EXPECT_DOUBLE_EQ(zone.value()->trips()[0].tempC, 85.0);
  EXPECT_DOUBLE_EQ(zone.value()->trips()[0].hystC, 2.0);
  EXPECT_EQ(zone.value()->trips()[1].type, TripType::Critical);
  Reading t = zone.value()->readTempC();
  ASSERT_TRUE(t.valid);
  EXPECT_DOUBLE_EQ(t.value, 25.0);  // ambient before the first step
  // One cooling state per OPP step: 7 A76 OPPs, 8 Mali OPPs.
  auto a76 = SysfsCoolingDevice::find(rig.root(), "cpufreq-cpu4", rig.journal);
  ASSERT_TRUE(a76.ok());
  EXPECT_EQ(a76.value()->maxState().valueOr(-1), 6);
  auto mali = SysfsCoolingDevice::find(rig.root(), "devfreq-fb000000.gpu", rig.journal);
  ASSERT_TRUE(mali.ok());
  EXPECT_EQ(mali.value()->maxState().valueOr(-1), 7);
  auto cpus = CpuOnline::create(rig.root());
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(cpus.value()->possible(), CpuSet::range(0, 7));
  EXPECT_EQ(cpus.value()->readOnline().valueOr(CpuSet()), CpuSet::range(0, 7));
  for (PsiResource r : {PsiResource::Cpu, PsiResource::Memory, PsiResource::Io})
    EXPECT_TRUE(PsiReader::create(rig.root(), r).ok());
}

// Frequencies and their statistics follow the twin: an idle schedutil board sits at the
// lowest OPP, a busy performance one at the highest, and time accumulates where it runs.
TEST(TwinTree, CurrentFrequencyAndTimeInStateFollowTheSimulation) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto policy = CpufreqPolicy::find(rig.root(), "policy4", rig.journal, rig.clock);
  ASSERT_TRUE(policy.ok());
  rig.twin->step(1.0);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 1.2e9);  // idle: lowest OPP
  ASSERT_TRUE(rig.twin->addWorkload(test::tinyLlama(2, CpuSet::range(4, 5))).ok());
  rig.twin->step(1.0);
  EXPECT_DOUBLE_EQ(policy.value()->readCurHz().value, 2.4e9);  // busy: schedutil climbs
  TimeInState tis;
  ASSERT_TRUE(policy.value()->timeInState(&tis).ok());
  ASSERT_EQ(tis.timeMs.size(), 7u);
  uint64_t total = 0;
  for (uint64_t ms : tis.timeMs)
    total += ms;
  EXPECT_NEAR(static_cast<double>(total), 2000.0, 20.0);  // 10 ms units, published per period
  EXPECT_GT(tis.timeMs[0], 900u);
  EXPECT_GT(tis.timeMs[6], 800u);
}

// Rails the kernel owns: the real hwmon backend reads the twin's INA3221 and INA226.
TEST(TwinTree, HwmonRailsReadByTheHwmonBackend) {
  BoardSpec spec = test::rk3588TwinSpec();
  test::addHwmonRails(spec);
  TwinRig rig(spec);
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto big = rig.monitor("VDD_CPU_BIG");
  ASSERT_TRUE(big) << rig.error.message();
  ASSERT_TRUE(big->init().ok()) << big->lastError().message();
  EXPECT_EQ(big->channelCount(), 2);  // VDD_GPU and VDD_CPU_BIG share the INA3221
  auto npu = rig.monitor("VDD_NPU");
  ASSERT_TRUE(npu) << rig.error.message();
  ASSERT_TRUE(npu->init().ok()) << npu->lastError().message();
  ASSERT_TRUE(rig.twin->addWorkload(test::tinyLlama(4, CpuSet::range(4, 7))).ok());
  rig.twin->step(1.0);
  big->sample();
  const PowerSample& s = big->last(1);
  ASSERT_TRUE(s.valid) << big->lastError().message();
  double truth = rig.twin->railPowerW(rig.twin->railIndex("VDD_CPU_BIG"));
  EXPECT_GT(truth, 1.0);
  // 40 uV shunt LSB over 10 mOhm: 4 mA, 20 mW at 5 V; 8 mV bus LSB.
  EXPECT_NEAR(s.powerW, truth, 0.05 + 0.01 * truth);
  EXPECT_NEAR(s.busV, 5.0, 0.01);
  npu->sample();
  ASSERT_TRUE(npu->last(0).valid) << npu->lastError().message();
  EXPECT_NEAR(npu->last(0).powerW, 0.0, 0.01);  // gated: nothing runs on it
}

}  // namespace
}  // namespace qeil
