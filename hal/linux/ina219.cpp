#include "hal/linux/ina219.h"

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace qeil {
namespace {

// Registers: INA219 datasheet (SBOS448), "Register Maps".
constexpr uint8_t kConfig = 0x00;
constexpr uint8_t kShunt = 0x01;
constexpr uint8_t kBus = 0x02;
constexpr uint8_t kPower = 0x03;
constexpr uint8_t kCurrent = 0x04;
constexpr uint8_t kCal = 0x05;

constexpr uint16_t kReset = 0x8000;
constexpr uint16_t kConfigReset = 0x399F;  // Configuration Register (00h) reset
constexpr uint16_t kBrng32V = 1 << 13;
constexpr uint16_t kModeContinuous = 0x7;
constexpr uint16_t kCnvr = 1 << 1;  // Bus Voltage Register (02h)
constexpr uint16_t kOvf = 1 << 0;

constexpr double kShuntLsbV = 10e-6;   // Shunt Voltage Register (01h)
constexpr double kBusLsbV = 4e-3;      // Bus Voltage Register (02h)
constexpr int kBusFullScale = 8000;    // 32 V at 4 mV
constexpr int kShuntFullScale = 4000;  // counts at PGA /1 (40 mV), doubling per step
constexpr double kCalScale = 0.04096;  // "Programming the Calibration Register"
constexpr uint16_t kCalMax = 0xFFFE;   // bit 0 (FS0) is void
constexpr const char* kShuntRanges[] = {"shunt voltage (40 mV)", "shunt voltage (80 mV)",
                                        "shunt voltage (160 mV)", "shunt voltage (320 mV)"};

// Configuration Register, ADC settings (BADC/SADC): 9..12-bit single conversions, or 12-bit
// conversions averaged 2..128 times.
constexpr int kBitsUs[] = {84, 148, 276, 532};
constexpr int kAverages[] = {1, 2, 4, 8, 16, 32, 64, 128};
constexpr int kAveragedUs[] = {532, 1060, 2130, 4260, 8510, 17020, 34050, 68100};

struct Adc {
  uint16_t code;  // BADC / SADC
  int64_t timeUs;
};

Result<Adc> adcFor(const char* name, const char* what, int convUs, int avgCode) {
  if (avgCode == 0) {
    Result<int> bits = ina::codeOf(name, what, convUs, kBitsUs, 4, " us");
    if (!bits.ok()) return bits.error();
    return Adc{static_cast<uint16_t>(bits.value()), convUs};
  }
  if (convUs != 532) {
    return Error::make(EINVAL, "%s: %s %d not supported with averaging (12-bit: 532 us)", name,
                       what, convUs);
  }
  return Adc{static_cast<uint16_t>(0x8 | avgCode), kAveragedUs[avgCode]};
}

}  // namespace

Result<Ina219::Settings> Ina219::settingsFor(const char* name, const InaConfig& config) {
  Status addr = ina::checkAddress(name, config.addr);
  if (!addr.ok()) return addr.error();
  const InaChannelConfig& ch = config.channels[0];
  Status range = ina::checkChannel(name, 0, ch, 8 * kShuntFullScale * kShuntLsbV);
  if (!range.ok()) return range.error();
  Result<int> avg = ina::codeOf(name, "averages", config.averages, kAverages, 8, "");
  if (!avg.ok()) return avg.error();
  Result<Adc> bus =
      adcFor(name, "busConvUs", config.busConvUs ? config.busConvUs : 532, avg.value());
  if (!bus.ok()) return bus.error();
  Result<Adc> shunt =
      adcFor(name, "shuntConvUs", config.shuntConvUs ? config.shuntConvUs : 532, avg.value());
  if (!shunt.ok()) return shunt.error();

  Settings s;
  // The smallest PGA range (Configuration Register, PG bits) with the largest expected shunt
  // voltage strictly inside it: at full scale a reading counts as saturated.
  double maxShuntV = ch.maxCurrentA * ch.shuntOhm;
  while (s.pga < 3 && maxShuntV >= (kShuntFullScale << s.pga) * kShuntLsbV)
    ++s.pga;
  s.config = static_cast<uint16_t>(kBrng32V | s.pga << 11 | bus.value().code << 7 |
                                   shunt.value().code << 3 | kModeContinuous);
  // "Programming the Calibration Register": Current_LSB = max current / 2^15, Cal = trunc(0.04096 /
  // (Current_LSB x R)). CAL's bit 0 is void, so the chip uses an even value; a CAL beyond 16 bits
  // is capped (the current LSB stays finer than the 10 uV shunt step). The LSBs follow from the CAL
  // really used.
  double cal = std::floor(kCalScale / (ch.maxCurrentA / 32767.0 * ch.shuntOhm));
  s.cal = static_cast<uint16_t>(std::clamp(cal, 2.0, static_cast<double>(kCalMax))) & kCalMax;
  s.currentLsbA = kCalScale / (s.cal * ch.shuntOhm);
  s.powerLsbW = 20.0 * s.currentLsbA;  // same section: Power_LSB = 20 x Current_LSB
  // CNVR is set once both the shunt and the bus conversions (with averaging) are done.
  s.periodNs = (bus.value().timeUs + shunt.value().timeUs) * kNsPerUs;
  return s;
}

Result<std::unique_ptr<Ina219>> Ina219::create(I2cBus& bus, const Clock& clock,
                                               const InaConfig& config) {
  char name[64];
  ina::formatName(name, sizeof name, "ina219", bus, config.addr);
  Result<Settings> s = settingsFor(name, config);
  if (!s.ok()) return s.error();
  return std::unique_ptr<Ina219>(new Ina219(bus, clock, config, s.value()));
}

Ina219::Ina219(I2cBus& bus, const Clock& clock, const InaConfig& config, const Settings& settings)
    : InaMonitor("ina219", bus, clock, config, 1, settings.periodNs), settings_(settings) {}

double Ina219::shuntRangeV() const {
  return (kShuntFullScale << settings_.pga) * kShuntLsbV;
}

Status Ina219::probe() {
  // No ID registers: reset, and the configuration must come back at its reset value.
  Status st = writeReg(kConfig, kReset, "configuration (reset)");
  if (!st.ok()) return st;
  Result<uint16_t> config = readReg(kConfig, "configuration");
  if (!config.ok()) return config.error();
  if (config.value() != kConfigReset) {
    return error(ENODEV, "configuration 0x%04x after a reset, expected 0x%04x: not an INA219",
                 config.value(), kConfigReset);
  }
  return {};
}

Status Ina219::configure() {
  Status st = writeVerified(kConfig, settings_.config, "configuration");
  if (!st.ok()) return st;
  return writeReg(kCal, settings_.cal, "calibration");
}

Status Ina219::readPass(Pass& pass) {
  uint16_t configValue = 0, cal = 0;
  Status st = readRegs({{kConfig, "configuration", &configValue}, {kCal, "calibration", &cal}});
  if (!st.ok()) return st;
  expectProgrammed(pass, kConfig, configValue, settings_.config, "configuration");
  // A reset zeroes CAL even when our configuration equals the reset one.
  expectProgrammed(pass, kCal, cal, settings_.cal, "calibration");
  if (pass.lost) return {};

  // Bus first: reading Power clears CNVR.
  uint16_t bus = 0, shunt = 0, current = 0, power = 0;
  st = readRegs({{kBus, "bus voltage", &bus},
                 {kShunt, "shunt voltage", &shunt},
                 {kCurrent, "current", &current},
                 {kPower, "power", &power}});
  if (!st.ok()) return st;
  pass.ready = bus & kCnvr;
  pass.overflow = bus & kOvf;
  PowerSample& v = pass.values[0];
  int busCode = bus >> 3;
  int shuntCode = static_cast<int16_t>(shunt);  // sign-extended for every PGA
  v.busV = busCode * kBusLsbV;
  v.shuntV = shuntCode * kShuntLsbV;
  v.currentA = static_cast<int16_t>(current) * settings_.currentLsbA;
  v.powerW = power * settings_.powerLsbW;
  pass.measured[0] = true;
  if (std::abs(shuntCode) >= kShuntFullScale << settings_.pga) {
    pass.saturated[0] = kShuntRanges[settings_.pga];
  }
  if (busCode >= kBusFullScale) pass.saturated[0] = "bus voltage (32 V)";
  return {};
}

Status Ina219::setAlert(int, AlertKind, double) {
  return error(ENOTSUP, "the INA219 has no ALERT pin");
}

Result<bool> Ina219::takeAlert(int) {
  return error(ENOTSUP, "the INA219 has no ALERT pin");
}

}  // namespace qeil
