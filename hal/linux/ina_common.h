#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "hal/clock.h"
#include "hal/i2c_bus.h"
#include "hal/power_monitor.h"
#include "hal/result.h"
#include "hal/sensor_health.h"

namespace qeil {

// One rail on an INA chip, as the board wires it.
struct InaChannelConfig {
  double shuntOhm = 0.0;     // the board's shunt; 0 on the INA260 (its shunt is internal)
  double maxCurrentA = 0.0;  // largest expected current: sets the current LSB (and INA219 PGA)
  bool enabled = true;       // INA3221 only: a disabled channel is not converted
};

// How to run one INA chip. Conversion times of 0 keep the chip's default (INA219: 532 us, the
// 12-bit conversion; INA226/260/3221: 1100 us).
struct InaConfig {
  static constexpr int kMaxChannels = 3;

  uint8_t addr = 0x40;  // 7-bit
  std::array<InaChannelConfig, kMaxChannels> channels{};
  int averages = 1;
  int busConvUs = 0;
  int shuntConvUs = 0;
  HealthTracker::Policy health{};
  // No new conversion for this many conversion periods means the chip is stuck.
  int stuckPeriods = 4;
};

// The Configuration Register's AVG and VBUSCT/VSHCT codes 0..7, the same on the INA226, INA260
// and INA3221 (their datasheets' Configuration Register field descriptions).
constexpr int kInaAverages[8] = {1, 4, 16, 64, 128, 256, 512, 1024};
constexpr int kInaConvUs[8] = {140, 204, 332, 588, 1100, 2116, 4156, 8244};

// What every INA driver shares: register access in the chip's byte order with one immediate
// retry, health tracking with re-probe and back-off, detection of a chip that reset or stopped
// converting, software energy integration, PowerMonitor bookkeeping. Each chip provides probe,
// configure and one pass over its registers.
class InaMonitor : public PowerMonitor {
 public:
  const char* name() const override { return name_; }
  int channelCount() const override { return channelCount_; }
  Status init() override;
  void sample() override;
  const PowerSample& last(int channel) const override;
  double energyJ(int channel) const override;
  const SensorHealthStats& health() const override { return health_.stats(); }
  const Error& lastError() const override { return lastError_; }

  // One conversion cycle as programmed (every enabled channel, averaging included).
  int64_t conversionPeriodNs() const { return conversionPeriodNs_; }
  // Times a register was found changed behind our back and the chip reprogrammed.
  uint32_t reprograms() const { return reprograms_; }

 protected:
  // What one pass over the chip's registers found. Filled by readPass(), judged here.
  struct Pass {
    bool ready = false;     // the conversion-ready flag was set
    bool overflow = false;  // the chip's math overflow flag
    // The first register found not holding what we programmed.
    bool lost = false;
    uint8_t lostReg = 0;
    uint16_t lostValue = 0;
    uint16_t expected = 0;
    const char* lostWhat = "";
    std::array<PowerSample, InaConfig::kMaxChannels> values{};     // busV..powerW only
    std::array<bool, InaConfig::kMaxChannels> measured{};          // false: channel disabled
    std::array<const char*, InaConfig::kMaxChannels> saturated{};  // what is at full scale
  };

  InaMonitor(const char* chip, I2cBus& bus, const Clock& clock, const InaConfig& config,
             int channels, int64_t conversionPeriodNs);

  // Checks that the chip at the address is the expected one.
  virtual Status probe() = 0;
  // Programs configuration, calibration and alert registers from our settings.
  virtual Status configure() = 0;
  // Reads what one sample needs; fails only when a transfer fails.
  virtual Status readPass(Pass& pass) = 0;

  // Register access in INA byte order (MSB first), one immediate retry on failure; errors name
  // the chip and the register.
  Result<uint16_t> readReg(uint8_t reg, const char* what);
  Status writeReg(uint8_t reg, uint16_t value, const char* what);
  struct RegRead {
    uint8_t reg;
    const char* what;
    uint16_t* out;
  };
  // Reads the registers in order; stops at the first failure.
  Status readRegs(std::initializer_list<RegRead> regs);
  // Writes a register and reads it back: EIO when it does not hold `value`.
  Status writeVerified(uint8_t reg, uint16_t value, const char* what);
  // Compares the ID bits selected by `mask` ("manufacturer ID 0x1234, expected 0x5449 (TI)").
  Status expectId(uint8_t reg, uint16_t expected, uint16_t mask, const char* what,
                  const char* whose);
  // The INA226/INA260/INA3221 probe: TI's manufacturer ID (FEh), then the die ID (FFh) without
  // its revision bits 3:0.
  Status expectTiDie(uint16_t dieId, const char* chip);
  static void expectProgrammed(Pass& pass, uint8_t reg, uint16_t value, uint16_t expected,
                               const char* what);
  // A read of the chip's flags outside a pass (takeAlert) consumed the conversion-ready flag:
  // the next pass counts it.
  void keepReady() { readyPending_ = true; }
  bool probing() const { return health_.stats().state == SensorState::Probing; }
  // An error whose message starts with the monitor's name.
  Error error(int errnum, const char* fmt, ...) const __attribute__((format(printf, 3, 4)));

  const InaConfig& config() const { return config_; }

 private:
  Status bringUp(int64_t nowNs);
  void judge(const Pass& pass, int64_t nowNs);
  // Follows the conversion-ready flag: false (and the sample failed) when the chip is stuck or
  // has converted nothing since it was configured.
  bool converting(const Pass& pass, int64_t nowNs);
  void store(const Pass& pass, int channel, int64_t nowNs);
  void reprogram(const Pass& pass, int64_t nowNs);
  void fail(const Error& error, int64_t nowNs);
  void invalidateAll(int64_t nowNs);

  I2cBus& bus_;
  const Clock& clock_;
  InaConfig config_;
  int channelCount_;
  int64_t conversionPeriodNs_;
  char name_[64] = {};
  HealthTracker health_;
  std::array<EnergyIntegrator, InaConfig::kMaxChannels> energy_;
  std::array<PowerSample, InaConfig::kMaxChannels> samples_{};
  Error lastError_;
  int64_t lastReadyNs_ = 0;      // when a conversion was last seen complete (or configured)
  bool seenConversion_ = false;  // since the last configuration
  bool readyPending_ = false;
  uint32_t reprograms_ = 0;
};

// The ALERT machinery the INA226 and INA260 share: one function at a time, chosen in the
// Mask/Enable Register (06h) and compared against the Alert Limit Register (07h), both laid out
// the same on the two chips. What a limit code is worth differs per chip: given as data.
class InaSingleAlertMonitor : public InaMonitor {
 public:
  // The ALERT pin serves one function: a new setAlert replaces the previous one.
  Status setAlert(int channel, AlertKind kind, double limit) override;
  Result<bool> takeAlert(int channel) override;

 protected:
  // One LSB of the Alert Limit Register, per alert function.
  struct AlertLsbs {
    double overCurrentA = 0.0;  // INA226: SOL on the shunt voltage (its LSB / R); INA260: OCL
    double powerW = 0.0;        // POL on the power register
    double busV = 0.0;          // BOL and BUL on the bus voltage register
  };
  static constexpr uint8_t kMaskReg = 0x06;  // Mask/Enable Register

  InaSingleAlertMonitor(const char* chip, I2cBus& bus, const Clock& clock, const InaConfig& config,
                        int64_t conversionPeriodNs, const AlertLsbs& lsbs);

  // Writes the alert limit, then the function and LEN (before any setAlert: limit 0, no
  // function).
  Status writeAlert();
  // Takes a pass's Mask/Enable read: CVRF, OVF and AFF (the read cleared them on the chip), and
  // checks the function bits and LEN as programmed. Call it after the checks of the registers
  // read before the mask, so a pass names the first register found lost.
  void takeMask(Pass& pass, uint16_t mask);

 private:
  AlertLsbs lsbs_;
  uint16_t alertMask_;  // function bits and LEN as programmed
  uint16_t alertLimit_ = 0;
  bool alertLatched_ = false;  // AFF seen by a pass and not yet taken
};

// Config validation shared by the chips. `name` prefixes the messages.
namespace ina {

// "ina226 /dev/i2c-1 0x40"
void formatName(char* out, size_t cap, const char* chip, const I2cBus& bus, uint8_t addr7);
Status checkAddress(const char* name, uint8_t addr7);
// The index of `value` in `table`, or an error naming the supported set.
Result<int> codeOf(const char* name, const char* what, int value, const int* table, int n,
                   const char* unit);
// shuntOhm and maxCurrentA positive and finite, and maxCurrentA x shuntOhm within the shunt
// ADC's full scale.
Status checkChannel(const char* name, int channel, const InaChannelConfig& ch, double fullScaleV);
// AVG, VBUSCT and VSHCT (ISHCT) of the INA226/INA260/INA3221 configuration register.
struct AdcSetup {
  uint16_t bits = 0;   // bits 11:3
  int64_t pairNs = 0;  // one bus and one shunt conversion
  int averages = 1;
};
Result<AdcSetup> adcSetup(const char* name, const InaConfig& config);
// A limit in register units: finite, not negative, not above `maxCode` LSBs.
Result<uint16_t> limitCode(const char* name, const char* what, double value, double lsb,
                           int32_t maxCode, const char* unit);

}  // namespace ina

}  // namespace qeil
