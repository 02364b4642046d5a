// INA260 driver against its register model: fixed LSBs of the integrated shunt, ID check,
// alerts on the current register, saturation, configuration checks.
#include "hal/linux/ina260.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "tests/unit/hal/ina_rig.h"

namespace qeil {
namespace {

using test::contains;
using test::InaRig;

InaConfig defaults() {
  return test::defaultInaConfig(InaChip::Ina260);
}

TEST(Ina260, WorkedExampleWithTheFixedLsbs) {
  InaRig rig(InaChip::Ina260, defaults());
  rig.chip->setInput(0, 12.0, 1.234);
  ASSERT_TRUE(rig.start()) << rig.monitor->lastError().message();
  // Current 1.234 A x 2 mOhm / 2.5 uV = 987.2 -> 987 x 1.25 mA = 1.23375 A; bus 9600 x 1.25 mV;
  // power 987 x 9600 / 6400 = 1480.5 -> 1480 x 10 mW = 14.80 W.
  const PowerSample& s = rig.monitor->last(0);
  EXPECT_DOUBLE_EQ(s.currentA, 987 * 1.25e-3);
  EXPECT_DOUBLE_EQ(s.busV, 12.0);
  EXPECT_DOUBLE_EQ(s.powerW, 1480 * 10e-3);
  EXPECT_DOUBLE_EQ(s.shuntV, 987 * 1.25e-3 * 0.002);
  EXPECT_EQ(rig.chip->peek(0x00), 0x6127);  // the defaults are the reset configuration
}

TEST(Ina260, OverCurrentAlertComparesTheCurrentRegister) {
  InaRig rig(InaChip::Ina260, defaults());
  rig.chip->setInput(0, 12.0, 1.0);
  ASSERT_TRUE(rig.start());
  ASSERT_TRUE(rig.monitor->setAlert(0, AlertKind::OverCurrent, 2.0).ok());
  EXPECT_EQ(rig.chip->peek(0x07), 1600);    // 2 A / 1.25 mA
  EXPECT_EQ(rig.chip->peek(0x06), 0x8001);  // OCL, latched
  int64_t period = rig.monitor->conversionPeriodNs();
  rig.chip->setInput(0, 12.0, 3.0);
  rig.stepAndSample(period);  // this pass reads the flag
  EXPECT_FALSE(rig.chip->alertAsserted());
  rig.chip->setInput(0, 12.0, 1.0);
  rig.stepAndSample(period);
  EXPECT_TRUE(rig.monitor->takeAlert(0).value());
  EXPECT_FALSE(rig.monitor->takeAlert(0).value());

  ASSERT_TRUE(rig.monitor->setAlert(0, AlertKind::OverPower, 30.0).ok());
  EXPECT_EQ(rig.chip->peek(0x07), 3000);  // 30 W / 10 mW
  rig.chip->setInput(0, 12.0, 3.0);       // 36 W
  rig.stepAndSample(period);
  EXPECT_TRUE(rig.monitor->takeAlert(0).value());
}

TEST(Ina260, CurrentBeyondTheRegisterIsSaturated) {
  InaRig rig(InaChip::Ina260, defaults());
  rig.chip->setInput(0, 5.0, 1.0);
  ASSERT_TRUE(rig.start());
  rig.chip->setInput(0, 5.0, 45.0);  // a short: beyond 40.96 A
  rig.stepAndSample(rig.monitor->conversionPeriodNs());
  EXPECT_FALSE(rig.monitor->last(0).valid);
  EXPECT_EQ(rig.monitor->lastError().errnum(), ERANGE);
  EXPECT_TRUE(contains(rig.monitor->lastError().message(), "current (40.96 A) at full scale"));
}

TEST(Ina260, AnInaTwoTwoSixIsRefusedByItsDieId) {
  SimClock clock;
  SimI2cBus bus("/dev/i2c-1");
  auto other = InaChipModel::create(InaChip::Ina226, clock);
  bus.attach(0x40, *other);
  auto m = Ina260::create(bus, clock, defaults());
  ASSERT_TRUE(m.ok());
  Status st = m.value()->init();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODEV);
  EXPECT_TRUE(contains(st.error().message(), "die ID 0x2260, expected 0x2270 (INA260)"))
      << st.error().message();
}

TEST(Ina260, ShuntIsInternalAndCurrentLimitedToFifteenAmps) {
  SimClock clock;
  SimI2cBus bus("/dev/i2c-1");
  InaConfig c = defaults();
  c.channels[0].shuntOhm = 0.01;
  auto r = Ina260::create(bus, clock, c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(), "2 mOhm shunt is internal")) << r.error().message();
  c.channels[0].shuntOhm = 0.002;  // stating the internal value is fine
  EXPECT_TRUE(Ina260::create(bus, clock, c).ok());
  c.channels[0].maxCurrentA = 20.0;
  EXPECT_EQ(Ina260::create(bus, clock, c).error().errnum(), EINVAL);
  c = defaults();
  c.busConvUs = 150;
  EXPECT_TRUE(contains(Ina260::create(bus, clock, c).error().message(), "busConvUs 150"));
}

}  // namespace
}  // namespace qeil
