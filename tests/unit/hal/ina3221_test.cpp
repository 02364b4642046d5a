// INA3221 driver against its register model: three rails computed in software, disabled
// channels, conversion timing across channels, per-channel critical alerts.
#include "hal/linux/ina3221.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "tests/unit/hal/ina_rig.h"

namespace qeil {
namespace {

using test::contains;
using test::InaRig;

// A Jetson-like board: three rails with different shunts.
InaConfig board() {
  InaConfig c;
  c.channels[0] = {0.1, 1.0, true};
  c.channels[1] = {0.01, 10.0, true};
  c.channels[2] = {0.05, 2.0, true};
  return c;
}

TEST(Ina3221, ThreeRailsComputedFromShuntAndBusVoltage) {
  InaRig rig(InaChip::Ina3221, board());
  rig.chip->setInput(0, 5.0, 0.5);
  rig.chip->setInput(1, 12.0, 3.3);
  rig.chip->setInput(2, 3.3, -0.2);  // current flowing back
  ASSERT_TRUE(rig.start()) << rig.monitor->lastError().message();
  ASSERT_EQ(rig.monitor->channelCount(), 3);
  // Channel 1: 50 mV / 40 uV = 1250 -> 0.5 A; 5 V / 8 mV = 625; 2.5 W.
  const PowerSample& a = rig.monitor->last(0);
  EXPECT_DOUBLE_EQ(a.shuntV, 1250 * 40e-6);
  EXPECT_DOUBLE_EQ(a.currentA, 1250 * 40e-6 / 0.1);
  EXPECT_DOUBLE_EQ(a.powerW, 5.0 * 1250 * 40e-6 / 0.1);
  // Channel 2: 33 mV -> 825 LSB -> 3.3 A; 12 V -> 1500 LSB; 39.6 W.
  const PowerSample& b = rig.monitor->last(1);
  EXPECT_DOUBLE_EQ(b.currentA, 825 * 40e-6 / 0.01);
  EXPECT_DOUBLE_EQ(b.busV, 1500 * 8e-3);
  // Channel 3: -10 mV -> -250 LSB -> -0.2 A; 3.3 V / 8 mV = 412.5 -> 412 = 3.296 V.
  const PowerSample& c = rig.monitor->last(2);
  EXPECT_DOUBLE_EQ(c.currentA, -250 * 40e-6 / 0.05);
  EXPECT_DOUBLE_EQ(c.busV, 412 * 8e-3);
  EXPECT_DOUBLE_EQ(c.powerW, 412 * 8e-3 * (-250 * 40e-6 / 0.05));
}

TEST(Ina3221, DisabledChannelIsNeitherConvertedNorRead) {
  InaConfig cfg = board();
  cfg.channels[1].enabled = false;
  InaRig rig(InaChip::Ina3221, cfg);
  for (int ch = 0; ch < 3; ++ch)
    rig.chip->setInput(ch, 5.0, 0.1);
  ASSERT_TRUE(rig.start());
  EXPECT_EQ(rig.chip->peek(0x00) & 0x7000, 0x5000);  // CH1 and CH3 enabled
  EXPECT_EQ(rig.monitor->conversionPeriodNs(), int64_t{2} * 2200 * kNsPerUs);
  EXPECT_TRUE(rig.monitor->last(0).valid);
  EXPECT_FALSE(rig.monitor->last(1).valid);
  EXPECT_TRUE(rig.monitor->last(2).valid);
  EXPECT_EQ(rig.chip->peek(0x03), 0);  // never converted

  uint64_t before = rig.bus.transfers(InaRig::kAddr);
  rig.stepAndSample(rig.monitor->conversionPeriodNs());
  EXPECT_EQ(rig.bus.transfers(InaRig::kAddr) - before, 2u + 2 * 2);  // config, mask, 2 x 2
  EXPECT_EQ(rig.monitor->setAlert(1, AlertKind::OverCurrent, 1).error().errnum(), EINVAL);
  EXPECT_EQ(rig.monitor->takeAlert(1).error().errnum(), EINVAL);
}

TEST(Ina3221, ConversionCycleCoversEveryEnabledChannel) {
  InaConfig cfg = board();
  cfg.averages = 4;  // 4 x (1.1 + 1.1 ms) x 3 channels = 26.4 ms
  InaRig rig(InaChip::Ina3221, cfg);
  rig.chip->setInput(0, 5.0, 0.2);
  ASSERT_TRUE(rig.monitor->init().ok());
  EXPECT_EQ(rig.monitor->conversionPeriodNs(), 26400 * kNsPerUs);
  rig.clock.advanceNs(13200 * kNsPerUs);
  rig.chip->setInput(0, 5.0, 0.6);
  rig.stepAndSample(13199 * kNsPerUs);
  EXPECT_EQ(rig.monitor->lastError().errnum(), EAGAIN);
  rig.stepAndSample(1 * kNsPerUs);
  ASSERT_TRUE(rig.monitor->last(0).valid);
  EXPECT_NEAR(rig.monitor->last(0).currentA, 0.4, 1e-3);  // the mean over the whole cycle
}

TEST(Ina3221, CriticalAlertsArePerChannelAndSurviveSamplePasses) {
  InaRig rig(InaChip::Ina3221, board());
  for (int ch = 0; ch < 3; ++ch)
    rig.chip->setInput(ch, 5.0, 0.1);
  ASSERT_TRUE(rig.start());
  ASSERT_TRUE(rig.monitor->setAlert(0, AlertKind::OverCurrent, 0.8).ok());
  ASSERT_TRUE(rig.monitor->setAlert(1, AlertKind::OverCurrent, 5.0).ok());
  EXPECT_EQ(rig.chip->peek(0x07), 2000 << 3);        // 0.8 A x 0.1 Ohm / 40 uV
  EXPECT_EQ(rig.chip->peek(0x09), 1250 << 3);        // 5 A x 10 mOhm / 40 uV
  EXPECT_EQ(rig.chip->peek(0x0B), 0x7FF8);           // channel 3 untouched
  EXPECT_EQ(rig.chip->peek(0x0F) & 0x0400, 0x0400);  // CEN: latched

  // A 0.2 ms spike on channels 1 and 2: the mean stays below the limits, single conversions
  // do not.
  rig.chip->setInput(0, 5.0, 1.0);
  rig.chip->setInput(1, 5.0, 6.0);
  rig.clock.advanceNs(200 * kNsPerUs);
  rig.chip->setInput(0, 5.0, 0.1);
  rig.chip->setInput(1, 5.0, 0.1);
  rig.stepAndSample(rig.monitor->conversionPeriodNs());
  EXPECT_TRUE(rig.monitor->last(0).valid);
  EXPECT_LT(rig.monitor->last(0).currentA, 0.8);
  EXPECT_FALSE(rig.chip->alertAsserted());  // the pass read (and so cleared) the flags

  EXPECT_TRUE(rig.monitor->takeAlert(0).value());
  EXPECT_FALSE(rig.monitor->takeAlert(2).value());
  EXPECT_TRUE(rig.monitor->takeAlert(1).value());  // kept while channel 1 was taken
  EXPECT_FALSE(rig.monitor->takeAlert(1).value());
}

TEST(Ina3221, OnlyOverCurrentAlerts) {
  InaRig rig(InaChip::Ina3221, board());
  ASSERT_TRUE(rig.start());
  for (AlertKind k :
       {AlertKind::OverPower, AlertKind::BusOverVoltage, AlertKind::BusUnderVoltage}) {
    Status st = rig.monitor->setAlert(0, k, 1.0);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().errnum(), ENOTSUP);
  }
  EXPECT_EQ(rig.monitor->setAlert(0, AlertKind::OverCurrent, 2.0).error().errnum(), ERANGE);
  EXPECT_EQ(rig.monitor->setAlert(3, AlertKind::OverCurrent, 0.1).error().errnum(), EINVAL);
}

TEST(Ina3221, ConfigurationChecks) {
  SimClock clock;
  SimI2cBus bus("/dev/i2c-1");
  InaConfig c = board();
  for (InaChannelConfig& ch : c.channels)
    ch.enabled = false;
  auto r = Ina3221::create(bus, clock, c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(), "every channel is disabled"));

  c = board();
  c.channels[2].maxCurrentA = 4.0;  // 200 mV over 50 mOhm
  r = Ina3221::create(bus, clock, c);
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(contains(r.error().message(), "channel 3: maxCurrentA 4 A x shuntOhm 0.05"))
      << r.error().message();
  EXPECT_TRUE(contains(r.error().message(), "163.80 mV")) << r.error().message();

  c = board();
  c.channels[2] = {0.0, 0.0, false};  // a disabled channel needs no shunt
  EXPECT_TRUE(Ina3221::create(bus, clock, c).ok());
}

}  // namespace
}  // namespace qeil
