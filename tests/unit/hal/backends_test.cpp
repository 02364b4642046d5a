// The backend table: every power monitor backend is reachable by its board-file name.
#include "hal/backends.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "hal/sim/fake_sysfs.h"
#include "hal/sim/ina_chip_model.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/sim_i2c_bus.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

// Bus 1 is a simulated adapter; any other number does not exist.
class OneSimBus final : public I2cBusProvider {
 public:
  Result<I2cBus*> bus(int number) override {
    if (number != 1) return Error::make(ENOENT, "no bus %d", number);
    return static_cast<I2cBus*>(&bus_);
  }
  SimI2cBus bus_{"sim-i2c-1"};
};

class BackendsTest : public ::testing::Test {
 protected:
  SimClock clock_;
  SettingsJournal journal_;
  OneSimBus i2c_;
  test::TempDir dir_;
  HalContext hal_{SysRoot(dir_.path()), clock_, journal_, i2c_};
};

PowerMonitorSpec i2cSpec(const char* backend, uint8_t addr) {
  PowerMonitorSpec spec;
  spec.backend = backend;
  spec.i2cBus = 1;
  spec.ina.addr = addr;
  for (InaChannelConfig& ch : spec.ina.channels) {
    ch.shuntOhm = std::string(backend) == "ina260" ? 0.0 : 0.01;
    ch.maxCurrentA = 4.0;
  }
  return spec;
}

TEST_F(BackendsTest, EveryI2cBackendDrivesItsChip) {
  struct Case {
    const char* backend;
    InaChip chip;
    uint8_t addr;
    int channels;
  };
  const Case cases[] = {{"ina219", InaChip::Ina219, 0x40, 1},
                        {"ina226", InaChip::Ina226, 0x41, 1},
                        {"ina260", InaChip::Ina260, 0x44, 1},
                        {"ina3221", InaChip::Ina3221, 0x42, 3}};
  std::vector<std::unique_ptr<InaChipModel>> models;  // attached to the bus: outlive the loop
  for (const Case& c : cases) {
    SCOPED_TRACE(c.backend);
    models.push_back(InaChipModel::create(c.chip, clock_));
    InaChipModel* model = models.back().get();
    for (int ch = 0; ch < c.channels; ++ch) {
      if (c.chip != InaChip::Ina260) model->setShuntOhm(ch, 0.01);
      model->setInput(ch, 5.0, 2.0);
    }
    ASSERT_TRUE(i2c_.bus_.attach(c.addr, *model));
    auto monitor = createPowerMonitor(i2cSpec(c.backend, c.addr), hal_);
    ASSERT_TRUE(monitor.ok()) << monitor.error().message();
    EXPECT_EQ(monitor.value()->channelCount(), c.channels);
    ASSERT_TRUE(monitor.value()->init().ok()) << monitor.value()->lastError().message();
    clock_.advanceNs(100 * kNsPerMs);
    monitor.value()->sample();
    ASSERT_TRUE(monitor.value()->last(0).valid) << monitor.value()->lastError().message();
    EXPECT_NEAR(monitor.value()->last(0).powerW, 10.0, 0.1);
  }
}

TEST_F(BackendsTest, HwmonBackendReadsAKernelOwnedChip) {
  auto fs = FakeSysfs::jetsonOrinNano(dir_.path());
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  ASSERT_TRUE(fs.value()->setRail("VDD_IN", 5.0, 1.2).ok());
  PowerMonitorSpec spec;
  spec.backend = "hwmon";
  spec.hwmon.chip = "ina3221";
  spec.hwmon.labels = {"VDD_IN"};
  auto monitor = createPowerMonitor(spec, hal_);
  ASSERT_TRUE(monitor.ok()) << monitor.error().message();
  ASSERT_TRUE(monitor.value()->init().ok());
  monitor.value()->sample();
  ASSERT_TRUE(monitor.value()->last(0).valid);
  EXPECT_NEAR(monitor.value()->last(0).powerW, 6.0, 0.01);
}

TEST_F(BackendsTest, UnknownBackendListsTheKnownOnes) {
  PowerMonitorSpec spec;
  spec.backend = "ina999";
  auto monitor = createPowerMonitor(spec, hal_);
  ASSERT_FALSE(monitor.ok());
  std::string msg = monitor.error().message();
  EXPECT_NE(msg.find("'ina999'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ina219, ina226, ina260, ina3221, hwmon"), std::string::npos) << msg;
  EXPECT_TRUE(isPowerMonitorBackend("ina3221"));
  EXPECT_FALSE(isPowerMonitorBackend("INA3221"));
}

TEST_F(BackendsTest, AMissingBusIsReportedByTheBackend) {
  PowerMonitorSpec spec = i2cSpec("ina226", 0x40);
  spec.i2cBus = 7;
  auto monitor = createPowerMonitor(spec, hal_);
  ASSERT_FALSE(monitor.ok());
  EXPECT_EQ(monitor.error().errnum(), ENOENT);
}

TEST(I2cDevBusPool, NamesTheMissingAdapterNode) {
  test::TempDir dir;
  I2cDevBusPool pool{SysRoot(dir.path())};
  Result<I2cBus*> bus = pool.bus(3);
  ASSERT_FALSE(bus.ok());
  EXPECT_NE(std::string(bus.error().message()).find("dev/i2c-3"), std::string::npos)
      << bus.error().message();
}

}  // namespace
}  // namespace qeil
