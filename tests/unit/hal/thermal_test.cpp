// Thermal zones and cooling devices on fake RK3588 and Jetson Orin Nano trees.
#include "hal/linux/thermal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
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

class Rk3588Thermal : public test::Rk3588Tree {
 protected:
  std::unique_ptr<SysfsThermalZone> zone(const char* type) {
    auto z = SysfsThermalZone::find(fs_->sysRoot(), type, clock_);
    EXPECT_TRUE(z.ok()) << z.error().message();
    return z.ok() ? std::move(z.value()) : nullptr;
  }
  std::string zoneFile(const char* type, const char* file) {
    return fs_->zoneDir(type).value() + "/" + file;
  }

  SimClock clock_{5 * kNsPerS};
};

TEST_F(Rk3588Thermal, SevenZonesAreFoundByTypeWithTheirTrips) {
  // board-data.json, boards.rk3588.thermal.zones: passive 85 °C (hyst 2) on the cooled zones,
  // critical 115 °C on all.
  struct Expected {
    const char* type;
    bool passive;
  };
  const Expected zones[] = {{"package-thermal", false}, {"bigcore0-thermal", true},
                            {"bigcore2-thermal", true}, {"littlecore-thermal", true},
                            {"center-thermal", false},  {"gpu-thermal", true},
                            {"npu-thermal", false}};
  auto types = SysfsThermalZone::listTypes(fs_->sysRoot());
  ASSERT_TRUE(types.ok());
  ASSERT_EQ(types.value().size(), 7u);
  for (size_t i = 0; i < 7; ++i) {
    EXPECT_EQ(types.value()[i], zones[i].type);
    auto z = zone(zones[i].type);
    ASSERT_NE(z, nullptr);
    EXPECT_STREQ(z->type(), zones[i].type);
    const TripTable& trips = z->trips();
    ASSERT_EQ(trips.size(), zones[i].passive ? 2u : 1u) << zones[i].type;
    if (zones[i].passive) {
      EXPECT_EQ(trips[0].type, TripType::Passive);
      EXPECT_DOUBLE_EQ(trips[0].tempC, 85.0);
      EXPECT_DOUBLE_EQ(trips[0].hystC, 2.0);
    }
    EXPECT_EQ(trips.back().type, TripType::Critical);
    EXPECT_DOUBLE_EQ(trips.back().tempC, 115.0);
    EXPECT_DOUBLE_EQ(trips.back().hystC, 0.0);
  }
}

TEST_F(Rk3588Thermal, ReadsTemperatureInPlaceWithTheClocksTimestamp) {
  auto z = zone("bigcore2-thermal");
  ASSERT_NE(z, nullptr);
  ASSERT_TRUE(fs_->setTempC("bigcore2-thermal", 67.5).ok());
  clock_.advanceNs(250 * kNsPerMs);
  Reading r = z->readTempC();
  ASSERT_TRUE(r.valid) << z->lastError().message();
  EXPECT_DOUBLE_EQ(r.value, 67.5);
  EXPECT_EQ(r.timestampNs, 5 * kNsPerS + 250 * kNsPerMs);
  ASSERT_TRUE(fs_->setTempC("bigcore2-thermal", -12.25).ok());
  EXPECT_DOUBLE_EQ(z->readTempC().value, -12.25);
  // Other zones are other files.
  auto little = zone("littlecore-thermal");
  EXPECT_DOUBLE_EQ(little->readTempC().value, 42.0);
}

TEST_F(Rk3588Thermal, UnknownTypeSaysWhatWasSearched) {
  auto z = SysfsThermalZone::find(fs_->sysRoot(), "soc-thermal", clock_);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().errnum(), ENODEV);
  EXPECT_TRUE(contains(z.error(), "'soc-thermal'")) << z.error().message();
  EXPECT_TRUE(contains(z.error(), "among 7")) << z.error().message();
}

TEST_F(Rk3588Thermal, MalformedTemperatureGivesAnInvalidReadingAndAClearError) {
  auto z = zone("gpu-thermal");
  ASSERT_NE(z, nullptr);
  ASSERT_TRUE(fs_->setTempC("gpu-thermal", 50.0).ok());
  ASSERT_TRUE(z->readTempC().valid);
  const std::string path = fs_->path(zoneFile("gpu-thermal", "temp"));
  struct Case {
    std::string content;
    int errnum;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"", ENODATA, "empty"},
      {"abc\n", EINVAL, "not a number: 'abc'"},
      {"250000\n", ERANGE, "250000 m°C is outside -60..200 °C"},
      {"-61000\n", ERANGE, "outside -60..200"},
      {"99999999999999999999999\n", ERANGE, "out of range"},
      {std::string(100000, '4'), EFBIG, "longer than"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(fs_->writeRaw(zoneFile("gpu-thermal", "temp"), c.content).ok());
    Reading r = z->readTempC();
    EXPECT_FALSE(r.valid) << c.content.substr(0, 30);
    EXPECT_DOUBLE_EQ(r.value, 50.0);  // the last good value, flagged invalid
    EXPECT_EQ(z->lastError().errnum(), c.errnum) << z->lastError().message();
    EXPECT_TRUE(contains(z->lastError(), c.words)) << z->lastError().message();
    EXPECT_TRUE(contains(z->lastError(), path)) << z->lastError().message();
  }
  ASSERT_TRUE(fs_->setTempC("gpu-thermal", 51.0).ok());
  EXPECT_TRUE(z->readTempC().valid);  // recovers once the file is sane again
}

TEST_F(Rk3588Thermal, ReadsDoNotAllocateEvenWhenTheyFail) {
  auto z = zone("npu-thermal");
  ASSERT_NE(z, nullptr);
  z->readTempC();  // warm up
  uint64_t good = 0;
  {
    test::AllocationScope scope;
    for (int i = 0; i < 100; ++i)
      z->readTempC();
    good = scope.count();
  }
  ASSERT_TRUE(fs_->writeRaw(zoneFile("npu-thermal", "temp"), "garbage").ok());
  uint64_t bad = 0;
  {
    test::AllocationScope scope;
    for (int i = 0; i < 100; ++i)
      z->readTempC();
    bad = scope.count();
  }
  EXPECT_EQ(good, 0u);
  EXPECT_EQ(bad, 0u);
  EXPECT_FALSE(z->readTempC().valid);
}

TEST_F(Rk3588Thermal, PlausibilityRangeIsConfigurable) {
  auto z = SysfsThermalZone::find(fs_->sysRoot(), "center-thermal", clock_, TempRangeC{0, 100});
  ASSERT_TRUE(z.ok()) << z.error().message();
  ASSERT_TRUE(fs_->setTempC("center-thermal", 101.0).ok());
  EXPECT_FALSE(z.value()->readTempC().valid);
  EXPECT_TRUE(contains(z.value()->lastError(), "outside 0..100"));
  // Trips are checked against the default range: the 115 °C critical trip is still fine.
  EXPECT_DOUBLE_EQ(z.value()->trips().back().tempC, 115.0);
}

TEST_F(Rk3588Thermal, MissingTemperatureFileFailsFindNamingIt) {
  std::string temp = fs_->path(zoneFile("center-thermal", "temp"));
  ASSERT_EQ(::unlink(temp.c_str()), 0);
  auto z = SysfsThermalZone::find(fs_->sysRoot(), "center-thermal", clock_);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().errnum(), ENOENT);
  EXPECT_TRUE(contains(z.error(), temp)) << z.error().message();
}

TEST_F(Rk3588Thermal, PermissionDeniedIsReportedNotCrashed) {
  std::string temp = fs_->path(zoneFile("bigcore0-thermal", "temp"));
  test::DenyAccess deny(temp);
  if (!deny.active()) GTEST_SKIP() << "cannot make a file unreadable here";
  auto z = SysfsThermalZone::find(fs_->sysRoot(), "bigcore0-thermal", clock_);
  ASSERT_FALSE(z.ok());
  EXPECT_EQ(z.error().errnum(), EACCES);
  EXPECT_TRUE(contains(z.error(), temp)) << z.error().message();
}

TEST_F(Rk3588Thermal, UnreadableTypeFileIsSkippedAndNamedWhenNothingMatches) {
  std::string type = fs_->path(zoneFile("package-thermal", "type"));
  test::DenyAccess deny(type);
  if (!deny.active()) GTEST_SKIP() << "cannot make a file unreadable here";
  EXPECT_TRUE(SysfsThermalZone::find(fs_->sysRoot(), "npu-thermal", clock_).ok());
  auto z = SysfsThermalZone::find(fs_->sysRoot(), "package-thermal", clock_);
  ASSERT_FALSE(z.ok());
  EXPECT_TRUE(contains(z.error(), "among 6 readable")) << z.error().message();
  EXPECT_TRUE(contains(z.error(), type)) << z.error().message();
}

TEST_F(Rk3588Thermal, MalformedTripsFailFindNamingTheFile) {
  struct Case {
    const char* file;
    std::string content;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"trip_point_0_type", "warm\n", "unknown trip type 'warm'"},
      {"trip_point_0_type", "", "unknown trip type ''"},
      {"trip_point_0_temp", "hot\n", "not a number"},
      {"trip_point_0_temp", "", "empty"},
      {"trip_point_0_temp", "250000\n", "250000 m°C is outside -60..200 °C"},
      {"trip_point_0_temp", std::string(5000, '1'), "longer than"},
      {"trip_point_0_hyst", "-1\n", "outside 0..100000 m°C"},
  };
  for (const Case& c : cases) {
    std::string file = zoneFile("gpu-thermal", c.file);
    std::string original = test::readFile(fs_->path(file));
    ASSERT_TRUE(fs_->writeRaw(file, c.content).ok());
    auto z = SysfsThermalZone::find(fs_->sysRoot(), "gpu-thermal", clock_);
    ASSERT_FALSE(z.ok()) << c.file << " " << c.content.substr(0, 20);
    EXPECT_TRUE(contains(z.error(), c.words)) << z.error().message();
    EXPECT_TRUE(contains(z.error(), c.file)) << z.error().message();
    ASSERT_TRUE(fs_->writeRaw(file, original).ok());
    ASSERT_TRUE(SysfsThermalZone::find(fs_->sysRoot(), "gpu-thermal", clock_).ok());
  }
}

TEST_F(Rk3588Thermal, RefreshTripsSeesChangedTrips) {
  auto z = zone("littlecore-thermal");
  ASSERT_NE(z, nullptr);
  ASSERT_TRUE(fs_->writeRaw(zoneFile("littlecore-thermal", "trip_point_0_temp"), "80000\n").ok());
  EXPECT_DOUBLE_EQ(z->trips()[0].tempC, 85.0);  // cached until refreshed
  ASSERT_TRUE(z->refreshTrips().ok());
  EXPECT_DOUBLE_EQ(z->trips()[0].tempC, 80.0);
  // A failed refresh keeps the previous table.
  ASSERT_TRUE(fs_->writeRaw(zoneFile("littlecore-thermal", "trip_point_1_type"), "x\n").ok());
  EXPECT_FALSE(z->refreshTrips().ok());
  EXPECT_EQ(z->trips().size(), 2u);
}

TEST(FakeThermal, MissingHystAndUnusedTripsAreHandled) {
  test::TempDir dir;
  FakeSysfs fs(dir.path());
  FakeZone z{"soc-thermal", 30000, {}};
  z.trips.push_back({TripType::Hot, 90000, 0, false});      // no hyst file
  z.trips.push_back({TripType::Active, -274000, 0, true});  // THERMAL_TEMP_INVALID: unused
  z.trips.push_back({TripType::Critical, 105000, 500, true});
  ASSERT_TRUE(fs.addThermalZone(z).ok());
  SimClock clock;
  auto zone = SysfsThermalZone::find(fs.sysRoot(), "soc-thermal", clock);
  ASSERT_TRUE(zone.ok()) << zone.error().message();
  const TripTable& trips = zone.value()->trips();
  ASSERT_EQ(trips.size(), 2u);
  EXPECT_EQ(trips[0].type, TripType::Hot);
  EXPECT_DOUBLE_EQ(trips[0].hystC, 0.0);
  EXPECT_EQ(trips[1].type, TripType::Critical);
  EXPECT_DOUBLE_EQ(trips[1].hystC, 0.5);
}

TEST(FakeThermal, NoThermalClassAtAllIsAClearMiss) {
  test::TempDir dir;
  SimClock clock;
  auto z = SysfsThermalZone::find(SysRoot(dir.path()), "cpu-thermal", clock);
  ASSERT_FALSE(z.ok());
  EXPECT_TRUE(contains(z.error(), "among 0")) << z.error().message();
}

TEST(JetsonThermal, CpuThermalHasItsSixTrips) {
  test::TempDir dir;
  auto fs = FakeSysfs::jetsonOrinNano(dir.path());
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  SimClock clock;
  auto z = SysfsThermalZone::find(fs.value()->sysRoot(), "cpu-thermal", clock);
  ASSERT_TRUE(z.ok()) << z.error().message();
  // board-data.json, boards.tegra234_orin_nano.thermal.zones[0].trips
  struct Trip {
    TripType type;
    double tempC;
    double hystC;
  };
  const Trip expected[] = {{TripType::Critical, 104.5, 0.0}, {TripType::Hot, 99.0, 1.0},
                           {TripType::Passive, 95.0, 2.0},   {TripType::Active, 80.0, 4.0},
                           {TripType::Active, 65.0, 4.0},    {TripType::Active, 50.0, 4.0}};
  const TripTable& trips = z.value()->trips();
  ASSERT_EQ(trips.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(trips[i].type, expected[i].type) << i;
    EXPECT_DOUBLE_EQ(trips[i].tempC, expected[i].tempC) << i;
    EXPECT_DOUBLE_EQ(trips[i].hystC, expected[i].hystC) << i;
  }
  EXPECT_DOUBLE_EQ(z.value()->readTempC().value, 45.0);
}

// ---- cooling devices ----

class Rk3588Cooling : public Rk3588Thermal {};

TEST_F(Rk3588Cooling, FindsByTypeAndReadsStates) {
  auto types = SysfsCoolingDevice::listTypes(fs_->sysRoot());
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(types.value(), (std::vector<std::string>{"cpufreq-cpu0", "cpufreq-cpu4", "cpufreq-cpu6",
                                                     "devfreq-fb000000.gpu"}));
  SettingsJournal journal;
  auto dev = SysfsCoolingDevice::find(fs_->sysRoot(), "cpufreq-cpu4", journal);
  ASSERT_TRUE(dev.ok()) << dev.error().message();
  EXPECT_STREQ(dev.value()->type(), "cpufreq-cpu4");
  EXPECT_EQ(dev.value()->maxState().value(), 6);  // 7 A76 OPPs
  EXPECT_EQ(dev.value()->curState().value(), 0);
  ASSERT_TRUE(fs_->setCoolingState("cpufreq-cpu4", 2).ok());  // the kernel throttles
  EXPECT_EQ(dev.value()->curState().value(), 2);
  auto gpu = SysfsCoolingDevice::find(fs_->sysRoot(), "devfreq-fb000000.gpu", journal);
  ASSERT_TRUE(gpu.ok());
  EXPECT_EQ(gpu.value()->maxState().value(), 7);
}

TEST_F(Rk3588Cooling, SetCurStateIsJournaledAndRestored) {
  SettingsJournal journal;
  auto dev = SysfsCoolingDevice::find(fs_->sysRoot(), "cpufreq-cpu0", journal);
  ASSERT_TRUE(dev.ok());
  std::string cur = dev.value()->dir() + "/cur_state";
  ASSERT_TRUE(dev.value()->setCurState(3).ok());
  EXPECT_EQ(test::readFile(cur), "3");
  EXPECT_EQ(dev.value()->curState().value(), 3);
  ASSERT_TRUE(dev.value()->setCurState(4).ok());
  EXPECT_EQ(journal.size(), 1u);
  ASSERT_TRUE(journal.restoreAll().ok());
  EXPECT_EQ(dev.value()->curState().value(), 0);
}

TEST_F(Rk3588Cooling, StatesOutsideTheRangeAreRefusedBeforeAnyWrite) {
  SettingsJournal journal;
  auto dev = SysfsCoolingDevice::find(fs_->sysRoot(), "cpufreq-cpu0", journal);
  ASSERT_TRUE(dev.ok());
  for (int bad : {5, -1, 1000}) {
    Status st = dev.value()->setCurState(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().errnum(), EINVAL);
    EXPECT_TRUE(contains(st.error(), "outside 0..4")) << st.error().message();
  }
  EXPECT_EQ(journal.size(), 0u);
  EXPECT_EQ(dev.value()->curState().value(), 0);
}

TEST_F(Rk3588Cooling, MalformedStateFilesAreClearErrors) {
  SettingsJournal journal;
  std::string dir = "/sys/class/thermal/cooling_device1";
  ASSERT_TRUE(fs_->writeRaw(dir + "/max_state", "lots\n").ok());
  auto dev = SysfsCoolingDevice::find(fs_->sysRoot(), "cpufreq-cpu4", journal);
  ASSERT_FALSE(dev.ok());
  EXPECT_TRUE(contains(dev.error(), "max_state: not a number: 'lots'")) << dev.error().message();

  auto other = SysfsCoolingDevice::find(fs_->sysRoot(), "cpufreq-cpu6", journal);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(fs_->writeRaw("/sys/class/thermal/cooling_device2/cur_state", "-3\n").ok());
  Result<int> cur = other.value()->curState();
  ASSERT_FALSE(cur.ok());
  EXPECT_TRUE(contains(cur.error(), "cur_state: -3 is outside 0..")) << cur.error().message();
  ASSERT_TRUE(fs_->writeRaw("/sys/class/thermal/cooling_device2/max_state", "").ok());
  Status st = other.value()->setCurState(1);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "max_state: empty")) << st.error().message();
  ASSERT_TRUE(
      fs_->writeRaw("/sys/class/thermal/cooling_device2/max_state", std::string(500, '6')).ok());
  st = other.value()->setCurState(1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EFBIG);
  EXPECT_EQ(journal.size(), 0u);

  ASSERT_EQ(::unlink(fs_->path("/sys/class/thermal/cooling_device3/cur_state").c_str()), 0);
  auto gone = SysfsCoolingDevice::find(fs_->sysRoot(), "devfreq-fb000000.gpu", journal);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().errnum(), ENOENT);
  EXPECT_TRUE(contains(gone.error(), "cooling_device3/cur_state: open")) << gone.error().message();
}

TEST_F(Rk3588Cooling, UnwritableStateFailsWithTheJournalError) {
  SettingsJournal journal;
  auto dev = SysfsCoolingDevice::find(fs_->sysRoot(), "cpufreq-cpu6", journal);
  ASSERT_TRUE(dev.ok());
  std::string cur = dev.value()->dir() + "/cur_state";
  test::DenyAccess deny(cur);
  if (!deny.active()) GTEST_SKIP() << "cannot make a file unreadable here";
  Status st = dev.value()->setCurState(1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EACCES);
  EXPECT_TRUE(contains(st.error(), cur)) << st.error().message();
}

TEST(JetsonCooling, FanHasFourStates) {
  test::TempDir dir;
  auto fs = FakeSysfs::jetsonOrinNano(dir.path());
  ASSERT_TRUE(fs.ok());
  SettingsJournal journal;
  auto fan = SysfsCoolingDevice::find(fs.value()->sysRoot(), "pwm-fan", journal);
  ASSERT_TRUE(fan.ok()) << fan.error().message();
  EXPECT_EQ(fan.value()->maxState().value(), 3);
  ASSERT_TRUE(fan.value()->setCurState(3).ok());
  EXPECT_FALSE(fan.value()->setCurState(4).ok());
  ASSERT_TRUE(journal.restoreAll().ok());
  EXPECT_EQ(fan.value()->curState().value(), 0);
}

}  // namespace
}  // namespace qeil
