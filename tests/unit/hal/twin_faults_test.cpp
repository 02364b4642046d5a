// Board twin: every injected fault shows up through the real backends the way it does on
// hardware: an I2C NACK is ENXIO from the bus, an offline CPU reads online = 0, a stuck sensor
// stops changing, a lost accelerator's devfreq node is gone, a crashed workload leaves its
// cgroup.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "hal/linux/cpu_online.h"
#include "hal/linux/devfreq.h"
#include "hal/linux/sysfs_file.h"
#include "hal/linux/thermal.h"
#include "tests/unit/hal/twin_rig.h"

namespace qeil {
namespace {

using test::TwinRig;

TEST(TwinFaults, I2cNackIsEnxioFromTheBus) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto ina = rig.monitor("VIN_5V");
  ASSERT_TRUE(ina && ina->init().ok());
  rig.twin->step(0.1);
  ina->sample();
  ASSERT_TRUE(ina->last(0).valid);
  ASSERT_TRUE(rig.twin->setRailNack("VIN_5V", true).ok());
  rig.twin->step(0.1);
  ina->sample();
  EXPECT_FALSE(ina->last(0).valid);
  EXPECT_EQ(ina->lastError().errnum(), ENXIO) << ina->lastError().message();
  EXPECT_NE(strstr(ina->lastError().message(), "NACK"), nullptr) << ina->lastError().message();
  // The chip answers again: the driver's re-probe brings the rail back.
  ASSERT_TRUE(rig.twin->setRailNack("VIN_5V", false).ok());
  bool back = false;
  for (int i = 0; i < 100 && !back; ++i) {
    rig.twin->step(0.1);
    ina->sample();
    back = ina->last(0).valid;
  }
  EXPECT_TRUE(back) << ina->lastError().message();
  EXPECT_FALSE(rig.twin->setRailNack("NO_SUCH_RAIL", true).ok());
}

TEST(TwinFaults, OfflineCpuReadsZeroAndItsThreadsMigrate) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto cpus = CpuOnline::create(rig.root());
  ASSERT_TRUE(cpus.ok());
  LlmWorkloadSpec w = test::tinyLlama(4, CpuSet::range(4, 7));
  w.repeat = true;
  auto id = rig.twin->addWorkload(w);
  ASSERT_TRUE(id.ok());
  rig.twin->step(1.0);
  int a76 = rig.twin->deviceIndex("a76_0");
  double before = rig.twin->devicePowerW(a76);
  ASSERT_TRUE(cpus.value()->isOnline(5).valueOr(false));

  ASSERT_TRUE(rig.twin->setCpuOnline(5, false).ok());
  EXPECT_FALSE(cpus.value()->isOnline(5).valueOr(true));
  CpuSet expected = CpuSet::range(0, 7);
  expected.remove(5);
  EXPECT_EQ(cpus.value()->readOnline().valueOr(CpuSet()), expected);
  rig.twin->step(1.0);
  CpuSet running = CpuSet::range(4, 7);
  running.remove(5);
  EXPECT_EQ(rig.twin->workload(id.value()).cpus, running);
  EXPECT_LT(rig.twin->devicePowerW(a76), 0.7 * before);  // one core gone, leakage with it

  ASSERT_TRUE(rig.twin->setCpuOnline(5, true).ok());
  rig.twin->step(0.1);
  EXPECT_TRUE(cpus.value()->isOnline(5).valueOr(false));
  EXPECT_EQ(rig.twin->workload(id.value()).cpus, CpuSet::range(4, 7));
  EXPECT_FALSE(rig.twin->setCpuOnline(0, false).ok());  // cpu0 has no online file
}

// A stuck sensor freezes the zone's temp file; the kernel's governor reads the same sensor and
// no longer sees the heat, so a hot board runs past its passive trip unthrottled.
TEST(TwinFaults, StuckSensorFreezesTheZone) {
  BoardSpec spec = test::rk3588TwinSpec();
  spec.ambientC = 45.0;
  TwinOptions o;
  o.cpuGovernor = "performance";
  o.stepUs = 5000;
  TwinRig rig(spec, o);
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto zone = SysfsThermalZone::find(rig.root(), "bigcore0-thermal", rig.clock);
  ASSERT_TRUE(zone.ok());
  LlmWorkloadSpec w = test::tinyLlama(4, CpuSet::range(4, 7));
  w.repeat = true;
  ASSERT_TRUE(rig.twin->addWorkload(w).ok());
  rig.twin->step(2.0);
  ASSERT_TRUE(rig.twin->setSensorStuck("bigcore0-thermal", true).ok());
  rig.twin->step(0.2);
  Reading frozen = zone.value()->readTempC();
  ASSERT_TRUE(frozen.valid);
  int z = rig.twin->zoneIndex("bigcore0-thermal");
  for (int i = 0; i < 240; ++i) {
    rig.twin->step(0.5);
    Reading r = zone.value()->readTempC();
    ASSERT_TRUE(r.valid);
    ASSERT_EQ(r.value, frozen.value) << "at " << i;
  }
  EXPECT_GT(rig.twin->dieTempC(z), 88.0);
  EXPECT_EQ(rig.twin->throttleEvents(z), 0u);
  // The other pair's sensor works, and its governor throttles.
  EXPECT_GT(rig.twin->throttleEvents(rig.twin->zoneIndex("bigcore2-thermal")), 0u);
  ASSERT_TRUE(rig.twin->setSensorStuck("bigcore0-thermal", false).ok());
  rig.twin->step(0.2);
  EXPECT_GT(zone.value()->readTempC().value, 85.0);
}

TEST(TwinFaults, LostAcceleratorLosesItsDevfreqNodeAndItsWorkloads) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto npu = DevfreqDevice::find(rig.root(), "fdab0000.npu", rig.journal, rig.clock);
  ASSERT_TRUE(npu.ok());
  LlmWorkloadSpec w = test::tinyLlama(1, CpuSet(), "npu-llm");
  w.device = "npu";
  w.repeat = true;
  auto id = rig.twin->addWorkload(w);
  ASSERT_TRUE(id.ok()) << id.error().message();
  rig.twin->step(0.5);
  int d = rig.twin->deviceIndex("npu");
  EXPECT_GT(rig.twin->devicePowerW(d), 0.1);
  EXPECT_TRUE(npu.value()->readCurHz().valid);

  ASSERT_TRUE(rig.twin->loseAccelerator("npu").ok());
  rig.twin->step(0.5);
  EXPECT_EQ(rig.twin->workload(id.value()).state, WorkloadState::Crashed);
  EXPECT_EQ(rig.twin->devicePowerW(d), 0.0);
  EXPECT_FALSE(npu.value()->readCurHz().valid);  // the open attribute reads nothing
  auto again = DevfreqDevice::find(rig.root(), "fdab0000.npu", rig.journal, rig.clock);
  EXPECT_FALSE(again.ok());
  auto names = DevfreqDevice::list(rig.root());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), std::vector<std::string>{"fb000000.gpu"});
  auto retry = rig.twin->addWorkload(w);
  ASSERT_FALSE(retry.ok());
  EXPECT_EQ(retry.error().errnum(), ENODEV);
}

// A crashed workload's process leaves its cgroup and /proc, and its power goes away.
TEST(TwinFaults, CrashedWorkloadLeavesItsCgroup) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  LlmWorkloadSpec w = test::tinyLlama(4, CpuSet::range(4, 7), "qeil/llm");
  w.repeat = true;
  auto id = rig.twin->addWorkload(w);
  ASSERT_TRUE(id.ok());
  std::string procs = rig.root().path("/sys/fs/cgroup/qeil/llm/cgroup.procs");
  std::string pid = std::to_string(rig.twin->workloadPid(id.value()));
  char text[256];
  ASSERT_TRUE(readTextFile(procs, text, sizeof text).ok());
  EXPECT_EQ(std::string(text), pid);
  EXPECT_TRUE(pathExists(rig.root().path("/proc/" + pid + "/cgroup")));
  rig.twin->step(1.0);
  double busy = rig.twin->railPowerW(0);

  ASSERT_TRUE(rig.twin->crashWorkload(id.value()).ok());
  rig.twin->step(1.0);
  EXPECT_EQ(rig.twin->workload(id.value()).state, WorkloadState::Crashed);
  ASSERT_TRUE(readTextFile(procs, text, sizeof text).ok());
  EXPECT_STREQ(text, "");
  EXPECT_FALSE(pathExists(rig.root().path("/proc/" + pid + "/cgroup")));
  EXPECT_LT(rig.twin->railPowerW(0), busy - 1.0);
  uint64_t tokens = rig.twin->workload(id.value()).totalTokens;
  rig.twin->step(1.0);
  EXPECT_EQ(rig.twin->workload(id.value()).totalTokens, tokens);
}

}  // namespace
}  // namespace qeil
