// Power monitors owned by the kernel, read through hwmon: the Orin Nano's INA3221 and an INA226.
#include "hal/linux/hwmon_power.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <string>
#include <vector>

#include "hal/linux/journal.h"
#include "hal/sim/fake_sysfs.h"
#include "hal/sim/sim_clock.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/deny_access.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/hal/fake_board.h"

namespace qeil {
namespace {

using test::contains;

// The Orin Nano preset puts the fan at hwmon0 and the INA3221 at hwmon1.
constexpr int kIna = 1;
const char* const kInaDir = "/sys/class/hwmon/hwmon1";

class JetsonIna3221 : public test::JetsonOrinNanoTree {
 protected:
  std::unique_ptr<HwmonPowerMonitor> monitor(HwmonPowerConfig config) {
    auto m = HwmonPowerMonitor::create(fs_->sysRoot(), std::move(config), clock_, journal_);
    EXPECT_TRUE(m.ok()) << m.error().message();
    return m.ok() ? std::move(m.value()) : nullptr;
  }
  std::unique_ptr<HwmonPowerMonitor> rails() {
    return monitor({"ina3221", "1-0040", {"VDD_IN", "VDD_CPU_GPU_CV", "VDD_SOC"}});
  }
  std::string inaFile(const std::string& name) const {
    return fs_->path(std::string(kInaDir) + "/" + name);
  }

  SettingsJournal journal_;
  SimClock clock_{kNsPerS};
};

TEST_F(JetsonIna3221, RailsByLabelGiveVoltageCurrentAndPower) {
  ASSERT_TRUE(fs_->setRail("VDD_IN", 5.08, 1.234).ok());
  ASSERT_TRUE(fs_->setRail("VDD_CPU_GPU_CV", 5.0, 0.8).ok());
  ASSERT_TRUE(fs_->setRail("VDD_SOC", 4.96, 0.402).ok());
  auto m = rails();
  ASSERT_NE(m, nullptr);
  EXPECT_EQ(m->channelCount(), 3);
  ASSERT_TRUE(m->init().ok()) << m->lastError().message();
  EXPECT_STREQ(m->name(), "hwmon ina3221 1-0040");
  EXPECT_EQ(m->hwmonDir(), fs_->path(kInaDir));
  EXPECT_EQ(m->updateIntervalMs(), 6);
  m->sample();
  struct Expected {
    const char* label;
    double busV;
    double currentA;
  };
  const Expected expected[] = {
      {"VDD_IN", 5.08, 1.234}, {"VDD_CPU_GPU_CV", 5.0, 0.8}, {"VDD_SOC", 4.96, 0.402}};
  for (const Expected& e : expected) {
    int ch = m->findChannel(e.label);
    ASSERT_GE(ch, 0) << e.label;
    EXPECT_STREQ(m->channelLabel(ch), e.label);
    EXPECT_DOUBLE_EQ(m->shuntOhm(ch), 0.005);  // 5 mOhm shunts (board-data.json)
    const PowerSample& s = m->last(ch);
    ASSERT_TRUE(s.valid) << e.label << ": " << m->lastError().message();
    EXPECT_NEAR(s.busV, e.busV, 1e-9);
    EXPECT_NEAR(s.currentA, e.currentA, 1e-9);
    EXPECT_NEAR(s.shuntV, e.currentA * 0.005, 1e-6);   // uV resolution
    EXPECT_NEAR(s.powerW, e.busV * e.currentA, 1e-9);  // no power file: V * I
    EXPECT_EQ(s.timestampNs, kNsPerS);
  }
  EXPECT_EQ(m->health().state, SensorState::Ok);
  EXPECT_EQ(m->findChannel("VDD_GPU"), -1);
}

TEST_F(JetsonIna3221, LabelsPickChannelsInTheConfiguredOrder) {
  ASSERT_TRUE(fs_->setRail("VDD_IN", 5.0, 2.0).ok());
  ASSERT_TRUE(fs_->setRail("VDD_SOC", 5.0, 0.5).ok());
  auto m = monitor({"ina3221", "", {"VDD_SOC", "VDD_IN"}});
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->init().ok()) << m->lastError().message();
  EXPECT_EQ(m->channelCount(), 2);
  m->sample();
  EXPECT_NEAR(m->last(0).currentA, 0.5, 1e-9);
  EXPECT_NEAR(m->last(1).currentA, 2.0, 1e-9);
}

TEST_F(JetsonIna3221, WithoutLabelsAllThreeChannelsAreReadAndNamedByTheChip) {
  auto m = monitor({"ina3221", "1-0040", {}});
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->init().ok()) << m->lastError().message();
  ASSERT_EQ(m->channelCount(), 3);
  EXPECT_STREQ(m->channelLabel(0), "VDD_IN");
  EXPECT_STREQ(m->channelLabel(1), "VDD_CPU_GPU_CV");
  EXPECT_STREQ(m->channelLabel(2), "VDD_SOC");
}

TEST_F(JetsonIna3221, AChipThatIsNotThereSaysWhatWasLookedFor) {
  auto wrongAddress = monitor({"ina3221", "1-0041", {}});
  ASSERT_NE(wrongAddress, nullptr);
  Status st = wrongAddress->init();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODEV);
  EXPECT_TRUE(contains(st.error(), "no 'ina3221' at 1-0041 among 2 hwmon devices"))
      << st.error().message();
  EXPECT_EQ(wrongAddress->health().state, SensorState::Probing);
  wrongAddress->sample();
  EXPECT_FALSE(wrongAddress->last(0).valid);

  auto wrongRail = monitor({"ina3221", "", {"VDD_IN", "VDD_GPU"}});
  st = wrongRail->init();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "with rails VDD_IN,VDD_GPU")) << st.error().message();
}

TEST_F(JetsonIna3221, EnergyIntegratesOverASteppedClock) {
  auto m = rails();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->init().ok());
  ASSERT_TRUE(fs_->setRail("VDD_IN", 5.0, 2.0).ok());  // 10 W
  for (int i = 0; i <= 100; ++i) {                     // 0..10 s every 100 ms
    m->sample();
    clock_.advanceNs(100 * kNsPerMs);
  }
  EXPECT_NEAR(m->energyJ(0), 100.0, 1e-6);
  ASSERT_TRUE(fs_->setRail("VDD_IN", 5.0, 4.0).ok());  // 20 W from the next sample on
  for (int i = 0; i < 50; ++i) {                       // 10.1..15 s
    m->sample();
    clock_.advanceNs(100 * kNsPerMs);
  }
  // 100 J, then the 10 -> 20 W step over 100 ms (1.5 J), then 20 W for 4.9 s (98 J).
  EXPECT_NEAR(m->energyJ(0), 199.5, 1e-6);
  EXPECT_DOUBLE_EQ(m->energyJ(1), 0.0);
  EXPECT_DOUBLE_EQ(m->energyJ(7), 0.0);  // no such channel
  EXPECT_EQ(m->health().reads, 151u);
}

TEST_F(JetsonIna3221, SamplingDoesNotAllocate) {
  auto m = rails();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->init().ok());
  m->sample();
  uint64_t allocations = 0;
  {
    test::AllocationScope scope;
    for (int i = 0; i < 100; ++i) {
      clock_.advanceNs(10 * kNsPerMs);
      m->sample();
    }
    allocations = scope.count();
  }
  EXPECT_EQ(allocations, 0u);
  EXPECT_TRUE(m->last(2).valid);
  // Failed reads do not allocate either (until a re-probe is due).
  ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/curr2_input", "x").ok());
  {
    test::AllocationScope scope;
    m->sample();
    m->sample();
    allocations = scope.count();
  }
  EXPECT_EQ(allocations, 0u);
  EXPECT_FALSE(m->last(1).valid);
}

TEST_F(JetsonIna3221, MalformedReadingsInvalidateTheRailAndNameTheFile) {
  ASSERT_TRUE(fs_->setRail("VDD_IN", 5.0, 1.0).ok());
  auto m = rails();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->init().ok());
  struct Case {
    const char* file;
    std::string content;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"in2_input", "", "empty"},
      {"in2_input", "five\n", "not a number: 'five'"},
      {"in2_input", "50000\n", "50000 mV is outside 0..40000 mV"},
      {"in2_input", "-1\n", "-1 mV is outside"},
      {"in5_input", "500000\n", "500000 uV is outside -400000..400000 uV"},
      {"curr2_input", "2000000\n", "2000000 mA is outside -1000000..1000000 mA"},
      {"curr2_input", "99999999999999999999999", "out of range"},
      {"curr2_input", std::string(5000, '7'), "longer than"},
  };
  for (const Case& c : cases) {
    std::string original = test::readFile(inaFile(c.file));
    ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/" + c.file, c.content).ok());
    m->sample();
    EXPECT_TRUE(m->last(0).valid);  // other rails keep going
    EXPECT_FALSE(m->last(1).valid) << c.file;
    EXPECT_TRUE(contains(m->lastError(), c.words)) << m->lastError().message();
    EXPECT_TRUE(contains(m->lastError(), inaFile(c.file))) << m->lastError().message();
    EXPECT_EQ(m->health().state, SensorState::Failing);
    ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/" + c.file, original).ok());
    m->sample();
    EXPECT_TRUE(m->last(1).valid);
    EXPECT_EQ(m->health().state, SensorState::Ok);
  }
}

TEST_F(JetsonIna3221, ARenumberedHwmonIsFoundAgainAfterARunOfFailures) {
  ASSERT_TRUE(fs_->setRail("VDD_SOC", 5.0, 0.6).ok());
  auto m = rails();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->init().ok());
  m->sample();
  ASSERT_TRUE(m->last(2).valid);
  ASSERT_TRUE(fs_->rebindHwmon(kIna, 4).ok());  // the driver rebinds: hwmon1 -> hwmon4
  for (int i = 0; i < 3; ++i) {                 // three failed reads: back to probing
    clock_.advanceNs(100 * kNsPerMs);
    m->sample();
    EXPECT_FALSE(m->last(2).valid) << i;
  }
  EXPECT_EQ(m->health().state, SensorState::Probing);
  EXPECT_TRUE(contains(m->lastError(), "empty")) << m->lastError().message();
  ASSERT_TRUE(fs_->setRail("VDD_SOC", 5.0, 0.7).ok());
  clock_.advanceNs(100 * kNsPerMs);
  m->sample();  // the re-probe is due at once: found again, and read
  ASSERT_TRUE(m->last(2).valid) << m->lastError().message();
  EXPECT_NEAR(m->last(2).currentA, 0.7, 1e-9);
  EXPECT_EQ(m->hwmonDir(), fs_->path("/sys/class/hwmon/hwmon4"));
  EXPECT_EQ(m->health().state, SensorState::Ok);
  EXPECT_EQ(m->health().probes, 2u);
}

TEST_F(JetsonIna3221, AMissingChipIsProbedWithBackOff) {
  auto m = rails();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->init().ok());
  ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/name", "gone\n").ok());
  ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/in1_input", "").ok());
  for (int i = 0; i < 3; ++i)
    m->sample();
  ASSERT_EQ(m->health().state, SensorState::Probing);
  m->sample();  // immediate re-probe fails: next one in 1 s
  EXPECT_EQ(m->health().probes, 2u);
  EXPECT_TRUE(contains(m->lastError(), "no 'ina3221' at 1-0040")) << m->lastError().message();
  clock_.advanceNs(900 * kNsPerMs);
  m->sample();
  EXPECT_EQ(m->health().probes, 2u);  // not due yet: no filesystem scan
  clock_.advanceNs(100 * kNsPerMs);
  m->sample();
  EXPECT_EQ(m->health().probes, 3u);
  ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/name", "ina3221\n").ok());
  ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/in1_input", "5000\n").ok());
  clock_.advanceNs(2 * kNsPerS);  // the back-off doubled to 2 s
  m->sample();
  EXPECT_EQ(m->health().probes, 4u);
  EXPECT_TRUE(m->last(0).valid) << m->lastError().message();
  EXPECT_EQ(m->health().state, SensorState::Ok);
}

TEST_F(JetsonIna3221, OverCurrentAlertIsJournaledAndItsAlarmRead) {
  auto m = monitor({"ina3221", "1-0040", {"VDD_SOC", "VDD_IN"}});
  ASSERT_NE(m, nullptr);
  Status notYet = m->setAlert(0, AlertKind::OverCurrent, 2.0);
  ASSERT_FALSE(notYet.ok());
  EXPECT_EQ(notYet.error().errnum(), ENODEV);
  EXPECT_EQ(m->takeAlert(0).error().errnum(), ENODEV);
  ASSERT_TRUE(m->init().ok());
  std::string original = test::readFile(inaFile("curr3_crit"));
  EXPECT_EQ(original, "32760\n");  // 163.8 mV full scale over 5 mOhm
  ASSERT_TRUE(m->setAlert(0, AlertKind::OverCurrent, 2.5).ok()) << m->lastError().message();
  EXPECT_EQ(test::readFile(inaFile("curr3_crit")), "2500");  // VDD_SOC is channel 3
  EXPECT_EQ(m->takeAlert(0).value(), false);
  ASSERT_TRUE(fs_->setCritAlarm(kIna, 2, true).ok());
  EXPECT_EQ(m->takeAlert(0).value(), true);
  EXPECT_EQ(m->takeAlert(1).value(), false);  // VDD_IN's own flag
  ASSERT_TRUE(journal_.restoreAll().ok());
  EXPECT_EQ(test::readFile(inaFile("curr3_crit")), "32760");
}

TEST_F(JetsonIna3221, UnsupportedOrBadAlertsAreRefusedBeforeAnyWrite) {
  auto m = rails();
  ASSERT_NE(m, nullptr);
  ASSERT_TRUE(m->init().ok());
  struct Case {
    int channel;
    AlertKind kind;
    double limit;
    int errnum;
    const char* words;
  };
  const Case cases[] = {
      {0, AlertKind::OverPower, 10.0, ENOTSUP, "only the over-current alert"},
      {0, AlertKind::BusUnderVoltage, 4.5, ENOTSUP, "only the over-current alert"},
      {3, AlertKind::OverCurrent, 1.0, EINVAL, "no channel 3"},
      {-1, AlertKind::OverCurrent, 1.0, EINVAL, "no channel -1"},
      {0, AlertKind::OverCurrent, 0.0, EINVAL, "not a positive number"},
      {0, AlertKind::OverCurrent, -2.0, EINVAL, "not a positive number"},
      {0, AlertKind::OverCurrent, NAN, EINVAL, "not a positive number"},
      {0, AlertKind::OverCurrent, 1e300, ERANGE, "too large"},
  };
  for (const Case& c : cases) {
    Status st = m->setAlert(c.channel, c.kind, c.limit);
    ASSERT_FALSE(st.ok()) << c.words;
    EXPECT_EQ(st.error().errnum(), c.errnum) << st.error().message();
    EXPECT_TRUE(contains(st.error(), c.words)) << st.error().message();
  }
  EXPECT_EQ(journal_.size(), 0u);
  EXPECT_FALSE(m->takeAlert(5).ok());
  ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/curr1_crit_alarm", "7\n").ok());
  Result<bool> bad = m->takeAlert(0);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error(), "curr1_crit_alarm: 7 is outside 0..1"))
      << bad.error().message();
}

TEST_F(JetsonIna3221, BrokenChipFilesFailInit) {
  struct Case {
    const char* file;
    std::string content;  // nullptr-like: "<unlink>" removes the file
    std::string words;
  };
  const std::vector<Case> cases = {
      {"in2_input", "<unlink>", "in2_input: open: No such file"},
      {"curr3_input", "<unlink>", "curr3_input: open: No such file"},
      {"shunt1_resistor", "0\n", "0 uOhm is outside 1..100000000 uOhm"},
      {"shunt1_resistor", "ohm\n", "not a number"},
      {"update_interval", "-5\n", "-5 ms is outside"},
      {"in1_enable", "maybe\n", "not a number"},
  };
  for (const Case& c : cases) {
    std::string path = inaFile(c.file);
    std::string original = test::readFile(path);
    if (c.content == "<unlink>") {
      ASSERT_EQ(::unlink(path.c_str()), 0);
    } else {
      ASSERT_TRUE(fs_->writeRaw(std::string(kInaDir) + "/" + c.file, c.content).ok());
    }
    auto m = rails();
    ASSERT_NE(m, nullptr);
    Status st = m->init();
    ASSERT_FALSE(st.ok()) << c.file;
    EXPECT_TRUE(contains(st.error(), c.words)) << st.error().message();
    EXPECT_TRUE(contains(m->lastError(), c.words));
    EXPECT_EQ(m->health().state, SensorState::Probing);
    test::writeFile(path, original);
    ASSERT_TRUE(rails()->init().ok());
  }
}

TEST_F(JetsonIna3221, PermissionDeniedFailsInitNamingTheFile) {
  std::string curr = inaFile("curr2_input");
  test::DenyAccess deny(curr);
  if (!deny.active()) GTEST_SKIP() << "cannot make a file unreadable here";
  auto m = rails();
  ASSERT_NE(m, nullptr);
  Status st = m->init();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EACCES);
  EXPECT_TRUE(contains(st.error(), curr)) << st.error().message();
}

TEST(Ina3221Channels, ADisabledChannelIsSkippedOrRefusedWhenAskedFor) {
  test::TempDir dir;
  FakeSysfs fs(dir.path());
  FakeHwmon chip{"ina3221",
                 "/sys/devices/platform/i2c-2/2-0042",
                 {{"VDD_A", 10000, true}, {"", 10000, false}, {"VDD_C", 10000, true}},
                 2};
  ASSERT_TRUE(fs.addHwmon(chip).ok());
  ASSERT_TRUE(fs.setRail(0, 2, 12.0, 0.25).ok());
  SettingsJournal journal;
  SimClock clock;
  auto all = HwmonPowerMonitor::create(fs.sysRoot(), {"ina3221", "", {}}, clock, journal);
  ASSERT_TRUE(all.ok());
  ASSERT_TRUE(all.value()->init().ok()) << all.value()->lastError().message();
  EXPECT_STREQ(all.value()->channelLabel(1), "in2");  // no label file
  all.value()->sample();
  EXPECT_FALSE(all.value()->last(1).valid);
  EXPECT_TRUE(all.value()->last(2).valid);
  EXPECT_NEAR(all.value()->last(2).powerW, 3.0, 1e-9);
  EXPECT_EQ(all.value()->health().state, SensorState::Ok);  // disabled is not failing

  FakeHwmon other{"ina3221", "/sys/devices/platform/i2c-2/2-0043", {{"VDD_X", 10000, false}}, 2};
  ASSERT_TRUE(fs.addHwmon(other).ok());
  auto asked =
      HwmonPowerMonitor::create(fs.sysRoot(), {"ina3221", "2-0043", {"VDD_X"}}, clock, journal);
  ASSERT_TRUE(asked.ok());
  Status st = asked.value()->init();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODEV);
  EXPECT_TRUE(contains(st.error(), "in1_enable: rail VDD_X is disabled")) << st.error().message();
}

// ---- the ina2xx family ----

class HwmonIna226 : public ::testing::Test {
 protected:
  void SetUp() override {
    // Two INA226 on one bus: only the I2C address tells them apart.
    for (const char* addr : {"7-0040", "7-0041"}) {
      FakeHwmon chip{"ina226",
                     std::string("/sys/devices/platform/feb40000.i2c/i2c-7/") + addr,
                     {{"", 2000}},
                     2};
      Result<int> n = fs_.addHwmon(chip);
      ASSERT_TRUE(n.ok()) << n.error().message();
    }
    auto m = HwmonPowerMonitor::create(fs_.sysRoot(), {"ina226", "7-0041", {"VDD_NPU"}}, clock_,
                                       journal_);
    ASSERT_TRUE(m.ok()) << m.error().message();
    m_ = std::move(m.value());
  }
  test::TempDir dir_;
  FakeSysfs fs_{dir_.path()};
  SettingsJournal journal_;
  SimClock clock_;
  std::unique_ptr<HwmonPowerMonitor> m_;
};

TEST_F(HwmonIna226, FoundByI2cAddressAndReadWithItsPowerFile) {
  ASSERT_TRUE(fs_.setRail(0, 0, 5.0, 3.0).ok());
  ASSERT_TRUE(fs_.setRail(1, 0, 12.0, 1.5).ok());
  ASSERT_TRUE(m_->init().ok()) << m_->lastError().message();
  EXPECT_STREQ(m_->name(), "hwmon ina226 7-0041");
  EXPECT_EQ(m_->channelCount(), 1);
  EXPECT_STREQ(m_->channelLabel(0), "VDD_NPU");
  EXPECT_DOUBLE_EQ(m_->shuntOhm(0), 0.002);
  EXPECT_EQ(m_->updateIntervalMs(), 2);
  m_->sample();
  const PowerSample& s = m_->last(0);
  ASSERT_TRUE(s.valid) << m_->lastError().message();
  EXPECT_NEAR(s.busV, 12.0, 1e-9);
  EXPECT_NEAR(s.currentA, 1.5, 1e-9);
  EXPECT_NEAR(s.shuntV, 0.003, 1e-9);  // 1.5 A over 2 mOhm
  EXPECT_NEAR(s.powerW, 18.0, 1e-9);   // from power1_input
  // The power file wins over V * I: the driver computes it from its own registers.
  ASSERT_TRUE(fs_.writeRaw("/sys/class/hwmon/hwmon1/power1_input", "17990000\n").ok());
  m_->sample();
  EXPECT_NEAR(m_->last(0).powerW, 17.99, 1e-9);
  ASSERT_TRUE(fs_.writeRaw("/sys/class/hwmon/hwmon1/power1_input", "-5\n").ok());
  m_->sample();
  EXPECT_FALSE(m_->last(0).valid);
  EXPECT_TRUE(contains(m_->lastError(), "-5 uW is outside")) << m_->lastError().message();
}

TEST_F(HwmonIna226, AllFourAlertsGoToTheirFilesThroughTheJournal) {
  ASSERT_TRUE(m_->init().ok());
  struct Case {
    AlertKind kind;
    double limit;
    const char* file;
    const char* text;
  };
  const Case cases[] = {{AlertKind::OverCurrent, 2.5, "curr1_crit", "2500"},
                        {AlertKind::OverPower, 20.0, "power1_crit", "20000000"},
                        {AlertKind::BusOverVoltage, 12.6, "in1_crit", "12600"},
                        {AlertKind::BusUnderVoltage, 11.0, "in1_lcrit", "11000"}};
  for (const Case& c : cases) {
    ASSERT_TRUE(m_->setAlert(0, c.kind, c.limit).ok()) << m_->lastError().message();
    EXPECT_EQ(test::readFile(fs_.path(std::string("/sys/class/hwmon/hwmon1/") + c.file)), c.text);
    // takeAlert reads the flag of the alert last set.
    std::string alarm = std::string("/sys/class/hwmon/hwmon1/") + c.file + "_alarm";
    EXPECT_FALSE(m_->takeAlert(0).value());
    ASSERT_TRUE(fs_.writeRaw(alarm, "1\n").ok());
    EXPECT_TRUE(m_->takeAlert(0).value()) << c.file;
    ASSERT_TRUE(fs_.writeRaw(alarm, "0\n").ok());
  }
  EXPECT_EQ(journal_.size(), 4u);
  ASSERT_TRUE(journal_.restoreAll().ok());
  EXPECT_EQ(test::readFile(fs_.path("/sys/class/hwmon/hwmon1/power1_crit")), "0");
  EXPECT_EQ(test::readFile(fs_.path("/sys/class/hwmon/hwmon0/curr1_crit")), "0\n");  // untouched
}

TEST_F(HwmonIna226, AnAlertTheDriverDoesNotOfferIsNotSupported) {
  ASSERT_TRUE(m_->init().ok());
  ASSERT_EQ(::unlink(fs_.path("/sys/class/hwmon/hwmon1/in1_lcrit").c_str()), 0);
  Status st = m_->setAlert(0, AlertKind::BusUnderVoltage, 4.5);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOTSUP);
  EXPECT_TRUE(contains(st.error(), "in1_lcrit: no such alert file")) << st.error().message();
  EXPECT_EQ(journal_.size(), 0u);
}

TEST(HwmonConfig, BadConfigsAreRefusedAtCreate) {
  test::TempDir dir;
  SettingsJournal journal;
  SimClock clock;
  SysRoot root(dir.path());
  struct Case {
    HwmonPowerConfig config;
    int errnum;
    const char* words;
  };
  const std::vector<Case> cases = {
      {{"ina999", "", {}}, ENOTSUP, "'ina999' is not supported"},
      {{"", "", {}}, ENOTSUP, "is not supported"},
      {{"ina226", "", {"A", "B"}}, EINVAL, "one rail, but 2 labels"},
      {{"ina3221", "", {"A", "B", "C", "D"}}, EINVAL, "4 rails asked for"},
      {{"ina3221", "", {"A", ""}}, EINVAL, "empty rail label"},
  };
  for (const Case& c : cases) {
    auto m = HwmonPowerMonitor::create(root, c.config, clock, journal);
    ASSERT_FALSE(m.ok()) << c.words;
    EXPECT_EQ(m.error().errnum(), c.errnum);
    EXPECT_TRUE(contains(m.error(), c.words)) << m.error().message();
  }
  // A board without hwmon at all: create works, init says nothing was found.
  auto m = HwmonPowerMonitor::create(root, {"ina219", "", {}}, clock, journal);
  ASSERT_TRUE(m.ok());
  Status st = m.value()->init();
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "among 0 hwmon devices")) << st.error().message();
}

}  // namespace
}  // namespace qeil
