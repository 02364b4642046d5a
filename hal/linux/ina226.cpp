#include "hal/linux/ina226.h"

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace qeil {
namespace {

// Registers: INA226 datasheet (SBOS547), "Register Maps".
constexpr uint8_t kConfig = 0x00;
constexpr uint8_t kShunt = 0x01;
constexpr uint8_t kBus = 0x02;
constexpr uint8_t kPower = 0x03;
constexpr uint8_t kCurrent = 0x04;
constexpr uint8_t kCal = 0x05;
// Mask/Enable (06h) and Alert Limit (07h): InaSingleAlertMonitor.
// Manufacturer ID (FEh) and Die ID (FFh): InaMonitor::expectTiDie.

constexpr uint16_t kConfigFixed = 0x4000;  // bits 14:12 read 100
constexpr uint16_t kModeContinuous = 0x7;  // shunt and bus, continuous
constexpr uint16_t kDieIdValue = 0x2260;   // DID 0x226 in bits 15:4, revision in 3:0

constexpr double kShuntLsbV = 2.5e-6;  // Shunt Voltage Register (01h)
constexpr double kBusLsbV = 1.25e-3;   // Bus Voltage Register (02h)
constexpr double kShuntFullScaleV = 32767 * kShuntLsbV;
// "Programming the Calibration Register": CAL = 0.00512 / (Current_LSB x R).
constexpr double kCalScale = 0.00512;
constexpr uint16_t kCalMax = 0x7FFF;  // 15 bits, bit 15 reserved

}  // namespace

Result<Ina226::Settings> Ina226::settingsFor(const char* name, const InaConfig& config) {
  Status addr = ina::checkAddress(name, config.addr);
  if (!addr.ok()) return addr.error();
  const InaChannelConfig& ch = config.channels[0];
  Status range = ina::checkChannel(name, 0, ch, kShuntFullScaleV);
  if (!range.ok()) return range.error();
  Result<ina::AdcSetup> adc = ina::adcSetup(name, config);
  if (!adc.ok()) return adc.error();
  Settings s;
  s.config = kConfigFixed | adc.value().bits | kModeContinuous;
  s.periodNs = adc.value().pairNs * adc.value().averages;  // CVRF after all averages
  // Same section: Current_LSB = max current / 2^15 (32767 keeps the maximum itself in range).
  // When that needs a CAL above 15 bits (a tiny shunt voltage), use the largest CAL: the current
  // LSB is then still 16 times finer than the shunt ADC's step, so nothing is lost.
  double wantedLsbA = ch.maxCurrentA / 32767.0;
  double cal = std::floor(kCalScale / (wantedLsbA * ch.shuntOhm));
  s.cal = static_cast<uint16_t>(std::clamp(cal, 1.0, static_cast<double>(kCalMax)));
  s.currentLsbA = kCalScale / (s.cal * ch.shuntOhm);  // what the truncated CAL gives
  s.powerLsbW = 25.0 * s.currentLsbA;                 // Power_LSB = 25 x Current_LSB
  return s;
}

Result<std::unique_ptr<Ina226>> Ina226::create(I2cBus& bus, const Clock& clock,
                                               const InaConfig& config) {
  char name[64];
  ina::formatName(name, sizeof name, "ina226", bus, config.addr);
  Result<Settings> s = settingsFor(name, config);
  if (!s.ok()) return s.error();
  return std::unique_ptr<Ina226>(new Ina226(bus, clock, config, s.value()));
}

Ina226::Ina226(I2cBus& bus, const Clock& clock, const InaConfig& config, const Settings& settings)
    : InaSingleAlertMonitor(
          "ina226", bus, clock, config, settings.periodNs,
          // SOL compares the shunt voltage register against I x R.
          {kShuntLsbV / config.channels[0].shuntOhm, settings.powerLsbW, kBusLsbV}),
      settings_(settings) {}

Status Ina226::probe() {
  return expectTiDie(kDieIdValue, "INA226");
}

Status Ina226::configure() {
  Status st = writeVerified(kConfig, settings_.config, "configuration");
  if (!st.ok()) return st;
  st = writeReg(kCal, settings_.cal, "calibration");
  if (st.ok()) st = writeAlert();
  return st;
}

Status Ina226::readPass(Pass& pass) {
  uint16_t configValue = 0, cal = 0, mask = 0;
  Status st = readRegs({{kConfig, "configuration", &configValue},
                        {kCal, "calibration", &cal},
                        {kMaskReg, "mask/enable", &mask}});
  if (!st.ok()) return st;
  expectProgrammed(pass, kConfig, configValue, settings_.config, "configuration");
  expectProgrammed(pass, kCal, cal, settings_.cal, "calibration");
  takeMask(pass, mask);
  if (pass.lost) return {};

  uint16_t bus = 0, shunt = 0, current = 0, power = 0;
  st = readRegs({{kBus, "bus voltage", &bus},
                 {kShunt, "shunt voltage", &shunt},
                 {kCurrent, "current", &current},
                 {kPower, "power", &power}});
  if (!st.ok()) return st;
  PowerSample& v = pass.values[0];
  v.busV = bus * kBusLsbV;
  v.shuntV = static_cast<int16_t>(shunt) * kShuntLsbV;
  v.currentA = static_cast<int16_t>(current) * settings_.currentLsbA;
  v.powerW = power * settings_.powerLsbW;
  pass.measured[0] = true;
  if (shunt == 0x7FFF || shunt == 0x8000) pass.saturated[0] = "shunt voltage (81.92 mV)";
  if (bus == 0x7FFF) pass.saturated[0] = "bus voltage (40.96 V)";
  return {};
}

}  // namespace qeil
