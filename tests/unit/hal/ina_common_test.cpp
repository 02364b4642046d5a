// What every INA driver shares, run on each chip against its model: probe, the first
// conversion, every injected bus fault, back-off and recovery, a stuck chip, a chip reset
// behind the driver's back, software energy, and no allocation in sample().
#include "hal/linux/ina_common.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "tests/support/alloc_counter.h"
#include "tests/unit/hal/ina_rig.h"

namespace qeil {
namespace {

using test::contains;
using test::InaRig;

constexpr uint8_t kAddr = InaRig::kAddr;

class InaEveryChip : public ::testing::TestWithParam<InaChip> {
 protected:
  void SetUp() override {
    ASSERT_NE(rig_.monitor, nullptr) << rig_.createError.message();
    for (int ch = 0; ch < rig_.chip->channelCount(); ++ch)
      rig_.chip->setInput(ch, 5.0, 0.5);
  }
  PowerMonitor& monitor() { return *rig_.monitor; }
  int64_t period() const { return rig_.monitor->conversionPeriodNs(); }
  // Bus transfers one healthy sample() costs.
  uint64_t transfersPerPass() {
    uint64_t before = rig_.bus.transfers(kAddr);
    rig_.stepAndSample(period());
    EXPECT_TRUE(monitor().last(0).valid) << monitor().lastError().message();
    return rig_.bus.transfers(kAddr) - before;
  }
  // Repeated bus failures until the sensor goes back to probing (policy: 3 in a row).
  void failUntilProbing() {
    rig_.bus.failNext(kAddr, SimI2cBus::kForever);
    for (int i = 0; i < 3; ++i)
      rig_.stepAndSample(10 * kNsPerMs);
    ASSERT_EQ(monitor().health().state, SensorState::Probing);
  }
  uint8_t idRegister() const { return GetParam() == InaChip::Ina219 ? 0x00 : 0xFE; }

  InaRig rig_{GetParam()};
};

TEST_P(InaEveryChip, ProbesConfiguresAndReadsAfterTheFirstConversion) {
  ASSERT_TRUE(monitor().init().ok()) << monitor().lastError().message();
  EXPECT_EQ(monitor().health().state, SensorState::Ok);
  EXPECT_EQ(std::string(monitor().name()),
            std::string(inaChipName(GetParam())) + " /dev/i2c-1 0x40");
  monitor().sample();  // the chip has converted nothing since it was configured
  EXPECT_FALSE(monitor().last(0).valid);
  EXPECT_EQ(monitor().lastError().errnum(), EAGAIN);

  rig_.stepAndSample(period());
  for (int ch = 0; ch < monitor().channelCount(); ++ch) {
    const PowerSample& s = monitor().last(ch);
    ASSERT_TRUE(s.valid) << ch << ": " << monitor().lastError().message();
    EXPECT_NEAR(s.busV, 5.0, 1e-9);  // a whole number of LSBs on every chip
    EXPECT_NEAR(s.currentA, 0.5, 0.005);
    EXPECT_NEAR(s.powerW, 2.5, 0.025);
    EXPECT_EQ(s.timestampNs, rig_.clock.nowNs());
  }
}

TEST_P(InaEveryChip, WrongIdentityFailsInitAndLeavesTheSensorProbing) {
  rig_.bus.overrideRead(kAddr, idRegister(), 0x1234);
  Status st = monitor().init();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODEV);
  EXPECT_TRUE(contains(st.error().message(), monitor().name())) << st.error().message();
  const char* expected = GetParam() == InaChip::Ina219
                             ? "configuration 0x1234 after a reset, expected 0x399f"
                             : "manufacturer ID 0x1234, expected 0x5449 (TI)";
  EXPECT_TRUE(contains(st.error().message(), expected)) << st.error().message();
  EXPECT_EQ(monitor().health().state, SensorState::Probing);
}

TEST_P(InaEveryChip, NackGivesAnInvalidSampleWithTheBusErrno) {
  ASSERT_TRUE(rig_.start());
  rig_.bus.setNack(kAddr, true);
  rig_.stepAndSample(period());
  EXPECT_FALSE(monitor().last(0).valid);
  EXPECT_EQ(monitor().lastError().errnum(), ENXIO);
  EXPECT_TRUE(contains(monitor().lastError().message(), monitor().name()));
  EXPECT_TRUE(contains(monitor().lastError().message(), "NACK"));
  EXPECT_EQ(monitor().health().state, SensorState::Failing);
  EXPECT_EQ(monitor().health().consecutiveFailures, 1u);
}

TEST_P(InaEveryChip, TransientEioIsRecoveredByTheImmediateRetry) {
  ASSERT_TRUE(rig_.start());
  uint64_t perPass = transfersPerPass();
  uint64_t before = rig_.bus.transfers(kAddr);
  rig_.bus.failNext(kAddr, 1);
  rig_.stepAndSample(period());
  EXPECT_TRUE(monitor().last(0).valid) << monitor().lastError().message();
  EXPECT_EQ(rig_.bus.transfers(kAddr) - before, perPass + 1);  // one retried transfer
  EXPECT_EQ(monitor().health().failures, 0u);
}

TEST_P(InaEveryChip, PersistentEioBacksOffThenRecoversWhenTheFaultClears) {
  ASSERT_TRUE(rig_.start());
  failUntilProbing();
  EXPECT_EQ(monitor().lastError().errnum(), EIO);
  rig_.stepAndSample(10 * kNsPerMs);  // immediate re-probe: fails, next in 1 s
  EXPECT_EQ(monitor().health().probes, 2u);
  uint64_t quiet = rig_.bus.transfers(kAddr);
  rig_.stepAndSample(999 * kNsPerMs);
  EXPECT_EQ(rig_.bus.transfers(kAddr), quiet);  // backing off: not a single transfer
  EXPECT_FALSE(monitor().last(0).valid);
  rig_.stepAndSample(1 * kNsPerMs);  // 1 s: second re-probe fails, next in 2 s
  EXPECT_EQ(monitor().health().probes, 3u);

  rig_.bus.clearFaults(kAddr);
  rig_.stepAndSample(1999 * kNsPerMs);
  EXPECT_EQ(monitor().health().probes, 3u);
  rig_.stepAndSample(1 * kNsPerMs);
  EXPECT_EQ(monitor().health().probes, 4u);
  EXPECT_EQ(monitor().health().state, SensorState::Ok);
  EXPECT_FALSE(monitor().last(0).valid);  // configured, nothing converted yet
  rig_.stepAndSample(period());
  EXPECT_TRUE(monitor().last(0).valid) << monitor().lastError().message();
  EXPECT_NEAR(monitor().last(0).currentA, 0.5, 0.005);
}

TEST_P(InaEveryChip, WrongIdentityAfterAReprobeIsReported) {
  ASSERT_TRUE(rig_.start());
  failUntilProbing();
  rig_.bus.clearFaults(kAddr);
  rig_.bus.overrideRead(kAddr, idRegister(), 0x1234);
  rig_.stepAndSample(10 * kNsPerMs);
  EXPECT_EQ(monitor().lastError().errnum(), ENODEV);
  EXPECT_TRUE(contains(monitor().lastError().message(), "0x1234"))
      << monitor().lastError().message();
  EXPECT_EQ(monitor().health().state, SensorState::Probing);
  EXPECT_FALSE(monitor().last(0).valid);
}

TEST_P(InaEveryChip, StuckChipIsDetectedAfterSeveralConversionPeriods) {
  ASSERT_TRUE(rig_.start());
  rig_.bus.setStuck(kAddr, true);
  rig_.stepAndSample(2 * period());  // a slow tick is no proof yet: the last result stands
  EXPECT_TRUE(monitor().last(0).valid);
  rig_.stepAndSample(3 * period());  // 5 periods without a conversion
  EXPECT_FALSE(monitor().last(0).valid);
  EXPECT_EQ(monitor().lastError().errnum(), ETIME);
  EXPECT_TRUE(contains(monitor().lastError().message(), "stuck"))
      << monitor().lastError().message();
  EXPECT_EQ(monitor().health().failures, 1u);

  rig_.bus.clearFaults(kAddr);
  rig_.stepAndSample(period());
  EXPECT_TRUE(monitor().last(0).valid) << monitor().lastError().message();
}

TEST_P(InaEveryChip, ChipResetBehindOurBackIsReprogrammed) {
  ASSERT_TRUE(rig_.start());
  uint16_t programmed = rig_.chip->peek(0x00);
  rig_.chip->powerOnReset();
  rig_.stepAndSample(period());
  EXPECT_FALSE(monitor().last(0).valid);
  EXPECT_EQ(monitor().lastError().errnum(), EIO);
  EXPECT_TRUE(contains(monitor().lastError().message(), "reset behind our back"))
      << monitor().lastError().message();
  EXPECT_TRUE(contains(monitor().lastError().message(), "reads 0x"))
      << monitor().lastError().message();
  EXPECT_EQ(rig_.monitor->reprograms(), 1u);
  EXPECT_EQ(rig_.chip->peek(0x00), programmed);
  rig_.stepAndSample(period());
  EXPECT_TRUE(monitor().last(0).valid) << monitor().lastError().message();
  EXPECT_NEAR(monitor().last(0).currentA, 0.5, 0.005);
}

TEST_P(InaEveryChip, EnergyOverASteppedClockIsPowerTimesTime) {
  ASSERT_TRUE(rig_.start());
  double powerW = monitor().last(0).powerW;
  double startJ = monitor().energyJ(0);
  for (int i = 0; i < 1000; ++i) {
    rig_.stepAndSample(10 * kNsPerMs);
    ASSERT_TRUE(monitor().last(0).valid);
  }
  EXPECT_NEAR(monitor().energyJ(0) - startJ, powerW * 10.0, 1e-9);  // P x 10 s
  EXPECT_NEAR(monitor().energyJ(0) - startJ, 25.0, 0.25);           // 5 V x 0.5 A x 10 s
}

TEST_P(InaEveryChip, SampleNeverAllocatesOnAnyPath) {
  ASSERT_TRUE(rig_.start());
  test::AllocationScope scope;
  for (int i = 0; i < 100; ++i)
    rig_.stepAndSample(period());
  rig_.bus.setNack(kAddr, true);  // failures, probing, back-off
  for (int i = 0; i < 10; ++i)
    rig_.stepAndSample(300 * kNsPerMs);
  rig_.bus.clearFaults(kAddr);
  rig_.stepAndSample(5 * kNsPerS);  // re-probe
  rig_.bus.setStuck(kAddr, true);
  rig_.stepAndSample(10 * period());
  rig_.bus.clearFaults(kAddr);
  rig_.chip->powerOnReset();
  rig_.stepAndSample(period());
  for (int i = 0; i < 10; ++i)
    rig_.stepAndSample(period());
  (void)monitor().last(0);
  (void)monitor().energyJ(0);
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_TRUE(monitor().last(0).valid) << monitor().lastError().message();
}

INSTANTIATE_TEST_SUITE_P(Chips, InaEveryChip,
                         ::testing::Values(InaChip::Ina219, InaChip::Ina226, InaChip::Ina260,
                                           InaChip::Ina3221),
                         [](const ::testing::TestParamInfo<InaChip>& info) {
                           return std::string(inaChipName(info.param));
                         });

}  // namespace
}  // namespace qeil
