// INA219 driver against its register model: probe by reset value, PGA choice, calibration and
// LSB arithmetic, ADC settings, OVF and saturation, no ALERT pin.
#include "hal/linux/ina219.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "tests/unit/hal/ina_rig.h"

namespace qeil {
namespace {

using test::contains;
using test::InaRig;

InaConfig rail(double shuntOhm, double maxCurrentA) {
  InaConfig c;
  c.channels[0].shuntOhm = shuntOhm;
  c.channels[0].maxCurrentA = maxCurrentA;
  return c;
}

Ina219& ina(InaRig& rig) {
  return static_cast<Ina219&>(*rig.monitor);
}

TEST(Ina219, CalibrationWorkedExample) {
  InaRig rig(InaChip::Ina219, rail(0.1, 1.2));  // 120 mV at most: PGA /4 (160 mV)
  rig.chip->setInput(0, 5.0, 0.8);
  ASSERT_TRUE(rig.start()) << rig.monitor->lastError().message();
  // BRNG 32 V, PG /4, 12-bit bus and shunt, continuous: 0x2000 | 2 << 11 | 3 << 7 | 3 << 3 | 7.
  EXPECT_EQ(rig.chip->peek(0x00), 0x319F);
  EXPECT_DOUBLE_EQ(ina(rig).shuntRangeV(), 0.16);
  // Current_LSB wanted 1.2 A / 32767 = 36.62 uA; Cal = trunc(0.04096 / (36.62 uA x 0.1 Ohm))
  // = trunc(11184.47) = 11184 (even, so bit 0 loses nothing).
  EXPECT_EQ(ina(rig).calibration(), 11184);
  EXPECT_EQ(rig.chip->peek(0x05), 11184);
  const double lsbA = 0.04096 / (11184 * 0.1);
  EXPECT_DOUBLE_EQ(ina(rig).powerLsbW(), 20 * lsbA);
  // Shunt 80 mV / 10 uV = 8000; current 8000 x 11184 / 4096 = 21843.75 -> 21843; bus 5 V / 4 mV
  // = 1250; power 21843 x 1250 / 5000 = 5460.75 -> 5460.
  const PowerSample& s = rig.monitor->last(0);
  EXPECT_DOUBLE_EQ(s.shuntV, 8000 * 10e-6);
  EXPECT_DOUBLE_EQ(s.busV, 5.0);
  EXPECT_DOUBLE_EQ(s.currentA, 21843 * lsbA);    // 0.79997 A
  EXPECT_DOUBLE_EQ(s.powerW, 5460 * 20 * lsbA);  // 3.9993 W
}

TEST(Ina219, PgaIsTheSmallestRangeHoldingTheExpectedShuntVoltage) {
  struct Case {
    double maxCurrentA;
    int pga;
  } cases[] = {{0.3, 0}, {0.39, 0}, {0.4, 1}, {0.7, 1}, {1.5, 2}, {3.0, 3}, {3.19, 3}};
  // 40 mV exactly would read at full scale, which counts as saturated: the next range.
  for (const Case& c : cases) {
    InaRig rig(InaChip::Ina219, rail(0.1, c.maxCurrentA));
    ASSERT_NE(rig.monitor, nullptr) << rig.createError.message();
    ASSERT_TRUE(rig.monitor->init().ok());
    EXPECT_EQ((rig.chip->peek(0x00) >> 11) & 3, c.pga) << c.maxCurrentA;
  }
  SimClock clock;
  SimI2cBus bus("/dev/i2c-1");
  auto r = Ina219::create(bus, clock, rail(0.1, 3.3));  // 330 mV
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errnum(), ERANGE);
  EXPECT_TRUE(contains(r.error().message(), "330.00 mV exceeds the 320.00 mV shunt range"))
      << r.error().message();
}

TEST(Ina219, AdcSettingsFromResolutionAndAveraging) {
  InaConfig c = rail(0.1, 1.0);
  c.busConvUs = 84;     // 9 bit, code 0
  c.shuntConvUs = 276;  // 11 bit, code 2
  InaRig nine(InaChip::Ina219, c);
  ASSERT_TRUE(nine.monitor->init().ok());
  EXPECT_EQ((nine.chip->peek(0x00) >> 7) & 0xF, 0);
  EXPECT_EQ((nine.chip->peek(0x00) >> 3) & 0xF, 2);
  EXPECT_EQ(nine.monitor->conversionPeriodNs(), (84 + 276) * kNsPerUs);

  c = rail(0.1, 1.0);
  c.averages = 8;  // code 1011 for both, 4.26 ms each
  InaRig eight(InaChip::Ina219, c);
  ASSERT_TRUE(eight.monitor->init().ok());
  EXPECT_EQ((eight.chip->peek(0x00) >> 7) & 0xF, 0xB);
  EXPECT_EQ((eight.chip->peek(0x00) >> 3) & 0xF, 0xB);
  EXPECT_EQ(eight.monitor->conversionPeriodNs(), int64_t{2} * 4260 * kNsPerUs);
}

TEST(Ina219, AveragedResultIsTheMeanOverTheCycle) {
  InaConfig c = rail(0.1, 1.0);
  c.averages = 8;  // 8.52 ms cycle
  InaRig rig(InaChip::Ina219, c);
  rig.chip->setInput(0, 5.0, 0.2);
  ASSERT_TRUE(rig.monitor->init().ok());
  rig.clock.advanceNs(4260 * kNsPerUs);
  rig.chip->setInput(0, 5.0, 0.6);  // second half of the cycle
  rig.stepAndSample(4259 * kNsPerUs);
  EXPECT_EQ(rig.monitor->lastError().errnum(), EAGAIN);
  rig.stepAndSample(1 * kNsPerUs);
  ASSERT_TRUE(rig.monitor->last(0).valid);
  EXPECT_NEAR(rig.monitor->last(0).currentA, 0.4, 1e-4);
}

TEST(Ina219, MathOverflowIsAnInvalidSampleNamingTheCause) {
  InaRig rig(InaChip::Ina219, rail(0.1, 0.3));  // PGA /1: 40 mV
  rig.chip->setInput(0, 5.0, 0.35);  // 35 mV fits the PGA, 0.35 A overflows the current register
  ASSERT_TRUE(rig.monitor->init().ok());
  rig.stepAndSample(rig.monitor->conversionPeriodNs());
  EXPECT_FALSE(rig.monitor->last(0).valid);
  EXPECT_EQ(rig.monitor->lastError().errnum(), EOVERFLOW);
  EXPECT_TRUE(contains(rig.monitor->lastError().message(), "math overflow"));
}

TEST(Ina219, ShuntBeyondThePgaRangeIsSaturated) {
  InaRig rig(InaChip::Ina219, rail(0.1, 0.3));
  rig.chip->setInput(0, 5.0, -0.5);  // -50 mV: beyond -40 mV
  ASSERT_TRUE(rig.monitor->init().ok());
  rig.stepAndSample(rig.monitor->conversionPeriodNs());
  EXPECT_FALSE(rig.monitor->last(0).valid);
  EXPECT_EQ(rig.monitor->lastError().errnum(), ERANGE);
  EXPECT_TRUE(contains(rig.monitor->lastError().message(), "shunt voltage (40 mV) at full scale"))
      << rig.monitor->lastError().message();
}

TEST(Ina219, ProbeResetsTheChipAndRefusesAnotherResetValue) {
  InaRig rig(InaChip::Ina219, rail(0.1, 1.0));
  rig.chip->writeRegister(0x00, 0x0000);  // left powered down by someone
  ASSERT_TRUE(rig.monitor->init().ok());
  EXPECT_EQ(rig.chip->peek(0x00) & 7, 7);  // running again

  SimClock clock;
  SimI2cBus bus("/dev/i2c-1");
  auto other = InaChipModel::create(InaChip::Ina226, clock);  // resets to 0x4127
  bus.attach(0x40, *other);
  auto m = Ina219::create(bus, clock, rail(0.1, 1.0));
  ASSERT_TRUE(m.ok());
  Status st = m.value()->init();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODEV);
  EXPECT_TRUE(
      contains(st.error().message(), "0x4127 after a reset, expected 0x399f: not an INA219"))
      << st.error().message();
}

TEST(Ina219, HasNoAlertPin) {
  InaRig rig(InaChip::Ina219, rail(0.1, 1.0));
  ASSERT_TRUE(rig.start());
  Status st = rig.monitor->setAlert(0, AlertKind::OverCurrent, 0.5);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOTSUP);
  EXPECT_TRUE(contains(st.error().message(), "no ALERT pin"));
  EXPECT_EQ(rig.monitor->takeAlert(0).error().errnum(), ENOTSUP);
}

TEST(Ina219, ConfigurationErrorsNameTheSupportedValues) {
  SimClock clock;
  SimI2cBus bus("/dev/i2c-1");
  InaConfig c = rail(0.1, 1.0);
  c.averages = 3;
  auto r = Ina219::create(bus, clock, c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(
      contains(r.error().message(), "averages 3 not supported (1, 2, 4, 8, 16, 32, 64, 128)"))
      << r.error().message();
  c = rail(0.1, 1.0);
  c.busConvUs = 100;
  r = Ina219::create(bus, clock, c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(), "busConvUs 100 not supported (84, 148, 276, 532 us)"))
      << r.error().message();
  c.busConvUs = 276;
  c.averages = 4;
  r = Ina219::create(bus, clock, c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(), "busConvUs 276 not supported with averaging"))
      << r.error().message();
}

}  // namespace
}  // namespace qeil
