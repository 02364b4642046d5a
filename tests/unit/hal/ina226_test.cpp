// INA226 driver against its register model: calibration and LSB arithmetic, averaging timing,
// saturation and overflow, the ALERT functions, configuration checks.
#include "hal/linux/ina226.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "tests/unit/hal/ina_rig.h"

namespace qeil {
namespace {

using test::contains;
using test::InaRig;

// 5 mOhm shunt, up to 10 A: a typical board rail.
InaConfig rail5mOhm(double maxCurrentA = 10.0) {
  InaConfig c;
  c.channels[0].shuntOhm = 0.005;
  c.channels[0].maxCurrentA = maxCurrentA;
  return c;
}

Ina226& ina(InaRig& rig) {
  return static_cast<Ina226&>(*rig.monitor);
}

TEST(Ina226, CalibrationWorkedExample) {
  InaRig rig(InaChip::Ina226, rail5mOhm());
  rig.chip->setInput(0, 12.0, 1.234);
  ASSERT_TRUE(rig.start()) << rig.monitor->lastError().message();
  // Current_LSB wanted = 10 A / 32767 = 305.19 uA; CAL = trunc(0.00512 / (305.19 uA x 5 mOhm))
  // = trunc(3355.34) = 3355, which really gives Current_LSB = 0.00512 / (3355 x 5 mOhm)
  // = 305.216 uA and Power_LSB = 25 x that = 7.630 mW.
  EXPECT_EQ(ina(rig).calibration(), 3355);
  EXPECT_EQ(rig.chip->peek(0x05), 3355);
  const double lsbA = 0.00512 / (3355 * 0.005);
  EXPECT_DOUBLE_EQ(ina(rig).currentLsbA(), lsbA);
  EXPECT_DOUBLE_EQ(ina(rig).powerLsbW(), 25 * lsbA);
  // The chip: shunt 6.17 mV / 2.5 uV = 2468; current 2468 x 3355 / 2048 = 4043.04 -> 4043;
  // bus 12 V / 1.25 mV = 9600; power 4043 x 9600 / 20000 = 1940.64 -> 1940.
  const PowerSample& s = rig.monitor->last(0);
  EXPECT_DOUBLE_EQ(s.shuntV, 2468 * 2.5e-6);
  EXPECT_DOUBLE_EQ(s.busV, 12.0);
  EXPECT_DOUBLE_EQ(s.currentA, 4043 * lsbA);     // 1.23399 A for 1.234 A
  EXPECT_DOUBLE_EQ(s.powerW, 1940 * 25 * lsbA);  // 14.803 W for 14.808 W
}

TEST(Ina226, ShuntValueOffOnTheBoardShowsAsCalibrationError) {
  InaRig rig(InaChip::Ina226, rail5mOhm());
  rig.chip->setShuntOhm(0, 0.0055);  // the board carries 5.5 mOhm, the config says 5
  rig.chip->setInput(0, 12.0, 2.0);
  ASSERT_TRUE(rig.start());
  EXPECT_NEAR(rig.monitor->last(0).currentA, 2.2, 0.002);  // 10 % high, as the shunt is
}

TEST(Ina226, TinyShuntVoltageCapsTheCalibrationWithoutLosingResolution) {
  InaConfig c;
  c.channels[0] = {0.001, 5.0, true};  // 5 mV full scale: CAL would be 33553
  InaRig rig(InaChip::Ina226, c);
  rig.chip->setInput(0, 5.0, 4.0);
  ASSERT_TRUE(rig.start()) << rig.monitor->lastError().message();
  EXPECT_EQ(ina(rig).calibration(), 0x7FFF);
  // Current LSB 0.00512 / (32767 x 1 mOhm) = 156.255 uA, 16x finer than 2.5 uV / 1 mOhm.
  EXPECT_DOUBLE_EQ(ina(rig).currentLsbA(), 0.00512 / (32767 * 0.001));
  EXPECT_NEAR(rig.monitor->last(0).currentA, 4.0, 2.5e-3);
}

TEST(Ina226, ProgramsAveragingAndConversionTimes) {
  InaConfig c = rail5mOhm();
  c.averages = 16;       // AVG code 2
  c.busConvUs = 588;     // code 3
  c.shuntConvUs = 8244;  // code 7
  InaRig rig(InaChip::Ina226, c);
  ASSERT_TRUE(rig.monitor->init().ok());
  EXPECT_EQ(rig.chip->peek(0x00), 0x4000 | 2 << 9 | 3 << 6 | 7 << 3 | 7);
  EXPECT_EQ(rig.monitor->conversionPeriodNs(), int64_t{16} * (588 + 8244) * kNsPerUs);
}

TEST(Ina226, ResultIsTheMeanOverTheAveragingCycleAndNothingNewBeforeItEnds) {
  InaConfig c = rail5mOhm();
  c.averages = 4;  // 4 x (1.1 + 1.1 ms) = 8.8 ms
  InaRig rig(InaChip::Ina226, c);
  rig.chip->setInput(0, 12.0, 1.0);
  ASSERT_TRUE(rig.monitor->init().ok());
  rig.clock.advanceNs(2200 * kNsPerUs);
  rig.chip->setInput(0, 12.0, 3.0);  // for the remaining 6.6 ms
  rig.stepAndSample(6599 * kNsPerUs);
  EXPECT_FALSE(rig.monitor->last(0).valid);
  EXPECT_EQ(rig.monitor->lastError().errnum(), EAGAIN);
  rig.stepAndSample(1 * kNsPerUs);
  ASSERT_TRUE(rig.monitor->last(0).valid);
  EXPECT_NEAR(rig.monitor->last(0).currentA, 2.5, 0.001);  // (1 x 2.2 + 3 x 6.6) / 8.8

  rig.chip->setInput(0, 12.0, 0.5);
  rig.stepAndSample(8 * kNsPerMs);  // mid-cycle: the last result stands
  EXPECT_TRUE(rig.monitor->last(0).valid);
  EXPECT_NEAR(rig.monitor->last(0).currentA, 2.5, 0.001);
  rig.stepAndSample(800 * kNsPerUs);
  EXPECT_NEAR(rig.monitor->last(0).currentA, 0.5, 0.001);
}

TEST(Ina226, SaturatedShuntIsInvalidNotAValue) {
  InaRig rig(InaChip::Ina226, rail5mOhm(16.0));  // 80 mV expected
  rig.chip->setInput(0, 12.0, 1.0);
  ASSERT_TRUE(rig.start());
  rig.chip->setInput(0, 12.0, 20.0);  // 100 mV: beyond 81.92 mV
  rig.stepAndSample(rig.monitor->conversionPeriodNs());
  EXPECT_FALSE(rig.monitor->last(0).valid);
  EXPECT_EQ(rig.monitor->lastError().errnum(), ERANGE);
  EXPECT_TRUE(contains(rig.monitor->lastError().message(), "shunt voltage (81.92 mV) at full"))
      << rig.monitor->lastError().message();
  EXPECT_EQ(rig.monitor->health().state, SensorState::Ok);  // the chip itself is fine
}

TEST(Ina226, CurrentBeyondMaxCurrentIsAMathOverflow) {
  InaRig rig(InaChip::Ina226, rail5mOhm(2.0));
  rig.chip->setInput(0, 12.0, 5.0);  // 25 mV fits the ADC, 5 A does not fit the register
  ASSERT_TRUE(rig.monitor->init().ok());
  rig.stepAndSample(rig.monitor->conversionPeriodNs());
  EXPECT_FALSE(rig.monitor->last(0).valid);
  EXPECT_EQ(rig.monitor->lastError().errnum(), EOVERFLOW);
  EXPECT_TRUE(contains(rig.monitor->lastError().message(), "maxCurrentA"));
}

TEST(Ina226, OverCurrentAlertReachesTakeAlertThoughASampleReadTheFlag) {
  InaRig rig(InaChip::Ina226, rail5mOhm());
  rig.chip->setInput(0, 12.0, 1.0);
  ASSERT_TRUE(rig.start());
  ASSERT_TRUE(rig.monitor->setAlert(0, AlertKind::OverCurrent, 5.0).ok());
  EXPECT_EQ(rig.chip->peek(0x07), 10000);   // 5 A x 5 mOhm / 2.5 uV
  EXPECT_EQ(rig.chip->peek(0x06), 0x8001);  // SOL, latched
  int64_t period = rig.monitor->conversionPeriodNs();

  rig.chip->setInput(0, 12.0, 6.0);
  rig.clock.advanceNs(period);
  EXPECT_TRUE(rig.chip->alertAsserted());
  rig.chip->setInput(0, 12.0, 1.0);
  rig.monitor->sample();  // this pass reads Mask/Enable, which clears AFF on the chip
  EXPECT_FALSE(rig.chip->alertAsserted());
  rig.stepAndSample(period);
  EXPECT_TRUE(rig.monitor->last(0).valid);
  Result<bool> fired = rig.monitor->takeAlert(0);
  ASSERT_TRUE(fired.ok()) << fired.error().message();
  EXPECT_TRUE(fired.value());
  EXPECT_FALSE(rig.monitor->takeAlert(0).value());  // taken
}

TEST(Ina226, PowerAndBusVoltageAlerts) {
  InaRig rig(InaChip::Ina226, rail5mOhm());
  rig.chip->setInput(0, 12.0, 1.0);
  ASSERT_TRUE(rig.start());
  int64_t period = rig.monitor->conversionPeriodNs();

  ASSERT_TRUE(rig.monitor->setAlert(0, AlertKind::OverPower, 20.0).ok());
  EXPECT_EQ(rig.chip->peek(0x07), 2621);  // 20 W / 7.630 mW
  EXPECT_EQ(rig.chip->peek(0x06), 0x0801);
  rig.stepAndSample(period);
  EXPECT_FALSE(rig.monitor->takeAlert(0).value());  // 12 W
  rig.chip->setInput(0, 12.0, 2.0);
  rig.stepAndSample(period);
  EXPECT_TRUE(rig.monitor->takeAlert(0).value());  // 24 W

  ASSERT_TRUE(rig.monitor->setAlert(0, AlertKind::BusUnderVoltage, 11.0).ok());
  EXPECT_EQ(rig.chip->peek(0x07), 8800);  // 11 V / 1.25 mV
  EXPECT_EQ(rig.chip->peek(0x06), 0x1001);
  rig.stepAndSample(period);
  EXPECT_FALSE(rig.monitor->takeAlert(0).value());
  rig.chip->setInput(0, 10.0, 1.0);
  rig.stepAndSample(period);
  EXPECT_TRUE(rig.monitor->takeAlert(0).value());

  ASSERT_TRUE(rig.monitor->setAlert(0, AlertKind::BusOverVoltage, 13.0).ok());
  EXPECT_EQ(rig.chip->peek(0x06), 0x2001);
  rig.chip->setInput(0, 14.0, 1.0);
  rig.stepAndSample(period);
  EXPECT_TRUE(rig.monitor->takeAlert(0).value());
  EXPECT_EQ(rig.monitor->reprograms(), 0u);  // our own Mask/Enable changes are no "reset"
}

TEST(Ina226, AlertLimitsOutsideTheRegisterAreRejected) {
  InaRig rig(InaChip::Ina226, rail5mOhm());
  ASSERT_TRUE(rig.start());
  Status st = rig.monitor->setAlert(0, AlertKind::OverCurrent, 20.0);  // 100 mV
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ERANGE);
  EXPECT_TRUE(contains(st.error().message(), "over-current limit 20 A")) << st.error().message();
  EXPECT_EQ(rig.monitor->setAlert(0, AlertKind::BusOverVoltage, -1).error().errnum(), EINVAL);
  EXPECT_EQ(rig.monitor->setAlert(1, AlertKind::OverPower, 1).error().errnum(), EINVAL);
}

TEST(Ina226, TakeAlertDoesNotSwallowTheConversionReadyFlag) {
  InaRig rig(InaChip::Ina226, rail5mOhm());
  rig.chip->setInput(0, 12.0, 1.0);
  ASSERT_TRUE(rig.monitor->init().ok());
  rig.clock.advanceNs(rig.monitor->conversionPeriodNs());
  ASSERT_TRUE(rig.monitor->takeAlert(0).ok());  // reads (and clears) CVRF
  rig.monitor->sample();
  EXPECT_TRUE(rig.monitor->last(0).valid) << rig.monitor->lastError().message();
}

TEST(Ina226, AlertSetBeforeTheChipIsFoundIsProgrammedWithIt) {
  InaRig rig(InaChip::Ina226, rail5mOhm());
  ASSERT_TRUE(rig.monitor->setAlert(0, AlertKind::OverCurrent, 5.0).ok());
  ASSERT_TRUE(rig.monitor->init().ok());
  EXPECT_EQ(rig.chip->peek(0x07), 10000);
  rig.chip->powerOnReset();  // and again after a reset behind our back
  rig.stepAndSample(rig.monitor->conversionPeriodNs());
  EXPECT_EQ(rig.monitor->reprograms(), 1u);
  EXPECT_EQ(rig.chip->peek(0x07), 10000);
  EXPECT_EQ(rig.chip->peek(0x06), 0x8001);
}

TEST(Ina226, AnotherChipAtTheAddressIsRefusedByItsDieId) {
  SimClock clock;
  SimI2cBus bus("/dev/i2c-1");
  auto chip = InaChipModel::create(InaChip::Ina260, clock);
  bus.attach(0x40, *chip);
  auto m = Ina226::create(bus, clock, rail5mOhm());
  ASSERT_TRUE(m.ok());
  Status st = m.value()->init();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODEV);
  EXPECT_TRUE(contains(st.error().message(),
                       "ina226 /dev/i2c-1 0x40: die ID 0x2270, expected 0x2260 (INA226)"))
      << st.error().message();
}

TEST(Ina226, ConfigurationErrorsNameTheSupportedValues) {
  SimClock clock;
  SimI2cBus bus("/dev/i2c-1");
  InaConfig c = rail5mOhm();
  c.averages = 3;
  auto r = Ina226::create(bus, clock, c);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errnum(), EINVAL);
  EXPECT_TRUE(contains(r.error().message(),
                       "ina226 /dev/i2c-1 0x40: averages 3 not supported (1, 4, 16, 64, 128, "
                       "256, 512, 1024)"))
      << r.error().message();

  c = rail5mOhm();
  c.shuntConvUs = 1000;
  r = Ina226::create(bus, clock, c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(),
                       "shuntConvUs 1000 not supported (140, 204, 332, 588, 1100, 2116, 4156, "
                       "8244 us)"))
      << r.error().message();

  r = Ina226::create(bus, clock, rail5mOhm(20.0));  // 100 mV at 20 A
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errnum(), ERANGE);
  EXPECT_TRUE(contains(r.error().message(), "exceeds the 81.92 mV shunt range"))
      << r.error().message();

  c = rail5mOhm();
  c.channels[0].shuntOhm = 0.0;
  EXPECT_EQ(Ina226::create(bus, clock, c).error().errnum(), EINVAL);
  c = rail5mOhm();
  c.addr = 0x80;
  EXPECT_EQ(Ina226::create(bus, clock, c).error().errnum(), EINVAL);
}

}  // namespace
}  // namespace qeil
