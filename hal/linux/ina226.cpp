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
constexpr uint8_t kMask = 0x06;
constexpr uint8_t kLimit = 0x07;
constexpr uint8_t kManufacturerId = 0xFE;
constexpr uint8_t kDieId = 0xFF;

constexpr uint16_t kConfigFixed = 0x4000;  // bits 14:12 read 100
constexpr uint16_t kModeContinuous = 0x7;  // shunt and bus, continuous
constexpr uint16_t kDieIdValue = 0x2260;   // DID 0x226 in bits 15:4, revision in 3:0
// Mask/Enable Register (06h): SOL 15, SUL 14, BOL 13, BUL 12, POL 11, CNVR 10, AFF 4, CVRF 3, OVF
// 2, APOL 1, LEN 0. Reading it clears CVRF and, latched, AFF.
constexpr uint16_t kSol = 1 << 15;
constexpr uint16_t kBol = 1 << 13;
constexpr uint16_t kBul = 1 << 12;
constexpr uint16_t kPol = 1 << 11;
constexpr uint16_t kAff = 1 << 4;
constexpr uint16_t kCvrf = 1 << 3;
constexpr uint16_t kOvf = 1 << 2;
constexpr uint16_t kLen = 1 << 0;
constexpr uint16_t kMaskProgrammed = 0xFC03;

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
    : InaMonitor("ina226", bus, clock, config, 1, settings.periodNs),
      settings_(settings),
      alertMask_(kLen) {}

Status Ina226::probe() {
  Status st = expectId(kManufacturerId, kTiManufacturerId, 0xFFFF, "manufacturer ID", "TI");
  if (st.ok()) st = expectId(kDieId, kDieIdValue, 0xFFF0, "die ID", "INA226");
  return st;
}

Status Ina226::configure() {
  Status st = writeReg(kConfig, settings_.config, "configuration");
  if (!st.ok()) return st;
  Result<uint16_t> back = readReg(kConfig, "configuration");
  if (!back.ok()) return back.error();
  if (back.value() != settings_.config) {
    return error(EIO, "configuration reads back 0x%04x after writing 0x%04x", back.value(),
                 settings_.config);
  }
  st = writeReg(kCal, settings_.cal, "calibration");
  if (st.ok()) st = writeReg(kLimit, alertLimit_, "alert limit");
  if (st.ok()) st = writeReg(kMask, alertMask_, "mask/enable");
  return st;
}

Status Ina226::readPass(Pass& pass) {
  uint16_t configValue = 0, cal = 0, mask = 0;
  Status st = readRegs({{kConfig, "configuration", &configValue},
                        {kCal, "calibration", &cal},
                        {kMask, "mask/enable", &mask}});
  if (!st.ok()) return st;
  pass.ready = mask & kCvrf;
  pass.overflow = mask & kOvf;
  if (mask & kAff) alertLatched_ = true;  // this read cleared it on the chip
  expectProgrammed(pass, kConfig, configValue, settings_.config, "configuration");
  expectProgrammed(pass, kCal, cal, settings_.cal, "calibration");
  expectProgrammed(pass, kMask, mask & kMaskProgrammed, alertMask_, "mask/enable");
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

Status Ina226::setAlert(int channel, AlertKind kind, double limit) {
  if (channel != 0) return error(EINVAL, "no channel %d (one channel)", channel + 1);
  double shuntOhm = config().channels[0].shuntOhm;
  Result<uint16_t> code = Error();
  uint16_t function = 0;
  switch (kind) {
    case AlertKind::OverCurrent:  // SOL: the shunt voltage register against I x R
      code = ina::limitCode(name(), "over-current", limit, kShuntLsbV / shuntOhm, 32767, "A");
      function = kSol;
      break;
    case AlertKind::OverPower:
      code = ina::limitCode(name(), "over-power", limit, settings_.powerLsbW, 0xFFFF, "W");
      function = kPol;
      break;
    case AlertKind::BusOverVoltage:
      code = ina::limitCode(name(), "bus over-voltage", limit, kBusLsbV, 0x7FFF, "V");
      function = kBol;
      break;
    case AlertKind::BusUnderVoltage:
      code = ina::limitCode(name(), "bus under-voltage", limit, kBusLsbV, 0x7FFF, "V");
      function = kBul;
      break;
  }
  if (!code.ok()) return code.error();
  alertLimit_ = code.value();
  alertMask_ = function | kLen;  // latched: a short excursion is not missed between ticks
  alertLatched_ = false;
  if (probing()) return {};  // programmed when the chip is found
  // Limit first, so the new function never compares against the old limit.
  Status st = writeReg(kLimit, alertLimit_, "alert limit");
  if (st.ok()) st = writeReg(kMask, alertMask_, "mask/enable");
  return st;
}

Result<bool> Ina226::takeAlert(int channel) {
  if (channel != 0) return error(EINVAL, "no channel %d (one channel)", channel + 1);
  if (probing()) return error(EAGAIN, "chip not available (probing)");
  Result<uint16_t> mask = readReg(kMask, "mask/enable");
  if (!mask.ok()) return mask.error();
  if (mask.value() & kCvrf) keepReady();
  bool fired = alertLatched_ || (mask.value() & kAff);
  alertLatched_ = false;
  return fired;
}

}  // namespace qeil
