// The register-level INA models and the simulated bus, checked against the datasheets on their
// own, so the driver tests stand on a model that is right.
#include "hal/sim/ina_chip_model.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cmath>
#include <vector>

#include "hal/sim/sim_clock.h"
#include "hal/sim/sim_i2c_bus.h"

namespace qeil {
namespace {

constexpr uint8_t kAddr = 0x40;

class ModelTest : public ::testing::Test {
 protected:
  void use(InaChip type) {
    chip_ = InaChipModel::create(type, clock_);
    ASSERT_TRUE(bus_.attach(kAddr, *chip_));
  }
  uint16_t read(uint8_t reg) {
    auto r = bus_.readWordData(kAddr, reg);
    EXPECT_TRUE(r.ok()) << r.error().message();
    return swapBytes(r.valueOr(0));
  }
  void write(uint8_t reg, uint16_t value) {
    ASSERT_TRUE(bus_.writeWordData(kAddr, reg, swapBytes(value)).ok());
  }

  SimClock clock_{0};
  SimI2cBus bus_{"/dev/i2c-1"};
  std::unique_ptr<InaChipModel> chip_;
};

TEST_F(ModelTest, BusDeliversWordsInSmbusOrder) {
  use(InaChip::Ina226);
  // The chip sends 0x54 then 0x49 ("TI"); SMBus makes the first byte the low one.
  auto raw = bus_.readWordData(kAddr, 0xFE);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw.value(), 0x4954);
  // A write travels the same way: SMBus word 0x0D1B reaches the chip as 0x1B0D.
  ASSERT_TRUE(bus_.writeWordData(kAddr, 0x05, 0x0D1B).ok());
  EXPECT_EQ(chip_->peek(0x05), 0x1B0D & 0x7FFF);
}

TEST_F(ModelTest, ResetValuesAndTheResetBit) {
  use(InaChip::Ina226);
  EXPECT_EQ(read(0x00), 0x4127);
  EXPECT_EQ(read(0xFF), 0x2260);
  write(0x00, 0x0527);  // bits 14:12 are fixed at 100
  EXPECT_EQ(read(0x00), 0x4527);
  write(0x05, 0xFFFF);  // CAL bit 15 is reserved
  EXPECT_EQ(read(0x05), 0x7FFF);
  write(0x00, 0x8000);
  EXPECT_EQ(read(0x00), 0x4127);
  EXPECT_EQ(read(0x05), 0);
}

TEST_F(ModelTest, ResetValuesOfEveryChip) {
  SimClock clock;
  EXPECT_EQ(InaChipModel::create(InaChip::Ina219, clock)->peek(0x00), 0x399F);
  auto ina260 = InaChipModel::create(InaChip::Ina260, clock);
  EXPECT_EQ(ina260->peek(0x00), 0x6127);
  EXPECT_EQ(ina260->peek(0xFF), 0x2270);
  auto ina3221 = InaChipModel::create(InaChip::Ina3221, clock);
  EXPECT_EQ(ina3221->peek(0x00), 0x7127);
  EXPECT_EQ(ina3221->peek(0x07), 0x7FF8);
  EXPECT_EQ(ina3221->peek(0x0F), 0x0002);
  EXPECT_EQ(ina3221->peek(0xFF), 0x3220);
}

TEST_F(ModelTest, Ina226CalibrationArithmeticTruncates) {
  use(InaChip::Ina226);
  chip_->setShuntOhm(0, 0.005);
  write(0x05, 3355);
  chip_->setInput(0, 12.0, 1.234);
  clock_.advanceNs(2200 * kNsPerUs);  // reset config: 1 x (1.1 ms + 1.1 ms)
  // 6.17 mV / 2.5 uV = 2468; 2468 x 3355 / 2048 = 4043.04 -> 4043; 12 V / 1.25 mV = 9600;
  // 4043 x 9600 / 20000 = 1940.64 -> 1940.
  EXPECT_EQ(read(0x01), 2468);
  EXPECT_EQ(read(0x04), 4043);
  EXPECT_EQ(read(0x02), 9600);
  EXPECT_EQ(read(0x03), 1940);
}

TEST_F(ModelTest, Ina219OverflowFlagAndCnvrClearedByPowerRead) {
  use(InaChip::Ina219);
  write(0x05, 44736);
  chip_->setInput(0, 5.0, 0.35);  // 35 mV: 3500 x 44736 / 4096 = 38226 > 32767
  clock_.advanceNs(1064 * kNsPerUs);
  uint16_t bus = read(0x02);
  EXPECT_EQ(bus >> 3, 1250);
  EXPECT_TRUE(bus & 0x2);  // CNVR
  EXPECT_TRUE(bus & 0x1);  // OVF
  EXPECT_EQ(read(0x04), 32767);
  EXPECT_TRUE(read(0x02) & 0x2);  // reading the bus register keeps CNVR
  read(0x03);
  EXPECT_FALSE(read(0x02) & 0x2);  // reading Power clears it
}

TEST_F(ModelTest, Ina219ShuntSaturatesAtThePgaRange) {
  use(InaChip::Ina219);
  write(0x00, 0x219F);            // PGA /1: 40 mV
  chip_->setInput(0, 5.0, -1.0);  // -100 mV through 0.1 Ohm
  clock_.advanceNs(1064 * kNsPerUs);
  EXPECT_EQ(static_cast<int16_t>(read(0x01)), -4000);
}

TEST_F(ModelTest, ResultsLatchOnlyAtTheEndOfAnAveragingCycleAsTheMeanInput) {
  use(InaChip::Ina226);
  write(0x05, 2048);              // current register = shunt register
  write(0x00, 0x4327);            // AVG 4 (code 1), 1.1 ms + 1.1 ms: cycle 8.8 ms
  chip_->setInput(0, 12.0, 0.1);  // 10 mV = 4000 LSB
  clock_.advanceNs(2200 * kNsPerUs);
  chip_->setInput(0, 12.0, 0.3);  // 30 mV for the last 3/4 of the cycle
  clock_.advanceNs(6599 * kNsPerUs);
  EXPECT_EQ(read(0x01), 0);        // nothing latched yet
  EXPECT_FALSE(read(0x06) & 0x8);  // CVRF
  clock_.advanceNs(1 * kNsPerUs);
  EXPECT_EQ(read(0x01), 10000);  // (4000 + 3 x 12000) / 4
  EXPECT_EQ(chip_->conversions(), 1u);
  EXPECT_TRUE(read(0x06) & 0x8);
  EXPECT_FALSE(read(0x06) & 0x8);  // reading Mask/Enable cleared it
}

TEST_F(ModelTest, LongStepsSkipAheadWithoutLosingCycles) {
  use(InaChip::Ina226);  // 2.2 ms cycles
  chip_->setInput(0, 5.0, 0.2);
  clock_.advanceNs(3600 * kNsPerS);
  EXPECT_EQ(chip_->conversions(), static_cast<uint64_t>(3600 * kNsPerS / (2200 * kNsPerUs)));
  EXPECT_EQ(read(0x01), 8000);  // 20 mV
}

TEST_F(ModelTest, TriggeredModeConvertsOnce) {
  use(InaChip::Ina226);
  write(0x00, 0x4123);  // shunt and bus, triggered
  clock_.advanceNs(10 * kNsPerMs);
  EXPECT_EQ(chip_->conversions(), 1u);
}

TEST_F(ModelTest, FrozenChipStopsConvertingUntilReleased) {
  use(InaChip::Ina226);
  chip_->setInput(0, 5.0, 0.2);
  clock_.advanceNs(2200 * kNsPerUs);
  EXPECT_EQ(read(0x01), 8000);
  EXPECT_TRUE(read(0x06) & 0x8);  // clears CVRF
  bus_.setStuck(kAddr, true);
  chip_->setInput(0, 5.0, 0.4);
  clock_.advanceNs(100 * kNsPerMs);
  EXPECT_EQ(read(0x01), 8000);
  EXPECT_FALSE(read(0x06) & 0x8);
  bus_.clearFaults(kAddr);
  clock_.advanceNs(2200 * kNsPerUs);
  EXPECT_EQ(read(0x01), 16000);
}

TEST_F(ModelTest, Ina226AlertLatchedUntilMaskEnableIsRead) {
  use(InaChip::Ina226);
  write(0x07, 4000);             // SOL at 10 mV
  write(0x06, 0x8001);           // SOL, latched
  chip_->setInput(0, 5.0, 0.2);  // 20 mV
  clock_.advanceNs(2200 * kNsPerUs);
  EXPECT_TRUE(chip_->alertAsserted());
  chip_->setInput(0, 5.0, 0.0);
  clock_.advanceNs(2200 * kNsPerUs);
  EXPECT_TRUE(chip_->alertAsserted());  // latched through a quiet conversion
  EXPECT_TRUE(read(0x06) & 0x10);       // AFF
  EXPECT_FALSE(chip_->alertAsserted());
}

TEST_F(ModelTest, Ina226TransparentAlertFollowsTheCondition) {
  use(InaChip::Ina226);
  write(0x07, 9600);    // BOL at 12 V
  write(0x06, 0x2000);  // BOL, transparent
  chip_->setInput(0, 13.0, 0.0);
  clock_.advanceNs(2200 * kNsPerUs);
  EXPECT_TRUE(chip_->alertAsserted());
  read(0x06);  // a read does not clear it in transparent mode
  EXPECT_TRUE(chip_->alertAsserted());
  chip_->setInput(0, 11.0, 0.0);
  clock_.advanceNs(2200 * kNsPerUs);
  EXPECT_FALSE(chip_->alertAsserted());
}

TEST_F(ModelTest, Ina3221CriticalSeesAPeakTheAverageHides) {
  use(InaChip::Ina3221);
  write(0x00, 0x4127);           // channel 1 only: 2.2 ms cycle
  write(0x07, 2000 << 3);        // 80 mV
  write(0x0F, 0x0400);           // CEN
  chip_->setInput(0, 5.0, 0.5);  // 50 mV
  clock_.advanceNs(100 * kNsPerUs);
  chip_->setInput(0, 5.0, 1.0);  // 100 mV for 0.1 ms
  clock_.advanceNs(100 * kNsPerUs);
  chip_->setInput(0, 5.0, 0.5);
  clock_.advanceNs(2000 * kNsPerUs);
  // Mean: (50 x 2.1 + 100 x 0.1) / 2.2 = 52.27 mV -> 1307 LSB of 40 uV.
  EXPECT_EQ(static_cast<int16_t>(read(0x01)) / 8, 1307);
  EXPECT_TRUE(chip_->alertAsserted());
  uint16_t mask = read(0x0F);
  EXPECT_TRUE(mask & 0x0200);   // CF1
  EXPECT_FALSE(mask & 0x0180);  // CF2, CF3
  EXPECT_FALSE(chip_->alertAsserted());
}

TEST_F(ModelTest, Ina3221DisabledChannelsKeepTheirRegistersAndShortenTheCycle) {
  use(InaChip::Ina3221);
  write(0x00, 0x5127);  // channels 1 and 3: 2 x 2.2 ms
  chip_->setInput(0, 5.0, 0.1);
  chip_->setInput(1, 5.0, 0.1);
  chip_->setInput(2, 5.0, 0.1);
  clock_.advanceNs(4400 * kNsPerUs);
  EXPECT_EQ(chip_->conversions(), 1u);
  EXPECT_EQ(static_cast<int16_t>(read(0x01)) / 8, 250);  // 10 mV
  EXPECT_EQ(read(0x03), 0);
  EXPECT_EQ(static_cast<int16_t>(read(0x05)) / 8, 250);
}

TEST_F(ModelTest, NoiseIsSeededAndShrinksWithAveraging) {
  auto spread = [&](uint16_t config, uint64_t seed, std::vector<int>* codes) {
    SimClock clock;
    auto chip = InaChipModel::create(InaChip::Ina226, clock);
    chip->writeRegister(0x00, config);
    chip->setInput(0, 5.0, 0.1);  // 10 mV
    chip->setNoise(20e-6, 0.0, seed);
    double sum = 0, sum2 = 0;
    const int n = 600;
    uint64_t seen = chip->conversions();
    for (int i = 0; i < n; ++i) {
      while (chip->conversions() == seen)
        clock.advanceNs(100 * kNsPerUs);
      seen = chip->conversions();
      int code = static_cast<int16_t>(chip->peek(0x01));
      if (codes) codes->push_back(code);
      sum += code;
      sum2 += double{1} * code * code;
    }
    double mean = sum / n;
    return std::sqrt(sum2 / n - mean * mean);
  };
  std::vector<int> a, b, c;
  // 20 uV per conversion = 8 LSB; 16 averages give 2 LSB.
  EXPECT_NEAR(spread(0x4127, 7, &a), 8.0, 1.2);
  EXPECT_NEAR(spread(0x4527, 7, nullptr), 2.0, 0.3);
  spread(0x4127, 7, &b);
  spread(0x4127, 8, &c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST_F(ModelTest, InjectedFaultsPerAddress) {
  use(InaChip::Ina226);
  bus_.setNack(kAddr, true);
  auto r = bus_.readWordData(kAddr, 0xFE);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errnum(), ENXIO);
  bus_.setNack(kAddr, false);

  bus_.failNext(kAddr, 2);
  EXPECT_EQ(bus_.readWordData(kAddr, 0xFE).error().errnum(), EIO);
  EXPECT_EQ(bus_.writeWordData(kAddr, 0x00, 0).error().errnum(), EIO);
  EXPECT_TRUE(bus_.readWordData(kAddr, 0xFE).ok());

  bus_.overrideRead(kAddr, 0xFE, 0x1234);
  EXPECT_EQ(read(0xFE), 0x1234);
  EXPECT_EQ(read(0xFF), 0x2260);
  bus_.clearFaults(kAddr);
  EXPECT_EQ(read(0xFE), 0x5449);

  EXPECT_EQ(bus_.readWordData(0x41, 0x00).error().errnum(), ENXIO);  // nobody there
  EXPECT_FALSE(bus_.attach(kAddr, *chip_));                          // taken
  EXPECT_FALSE(bus_.attach(0x80, *chip_));                           // not 7-bit
  EXPECT_EQ(bus_.transfers(kAddr), 7u);  // failed ones count, the stray one does not
}

}  // namespace
}  // namespace qeil
