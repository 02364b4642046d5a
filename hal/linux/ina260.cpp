#include "hal/linux/ina260.h"

#include <cerrno>
#include <cmath>

namespace qeil {
namespace {

// Registers: INA260 datasheet (SBOS656), "Register Maps".
constexpr uint8_t kConfig = 0x00;
constexpr uint8_t kCurrent = 0x01;
constexpr uint8_t kBus = 0x02;
constexpr uint8_t kPower = 0x03;
constexpr uint8_t kMask = 0x06;
constexpr uint8_t kLimit = 0x07;
constexpr uint8_t kManufacturerId = 0xFE;
constexpr uint8_t kDieId = 0xFF;

constexpr uint16_t kConfigFixed = 0x6000;  // bits 14:12 read 110
constexpr uint16_t kModeContinuous = 0x7;
constexpr uint16_t kDieIdValue = 0x2270;
// Mask/Enable Register (06h): OCL 15, UCL 14, BOL 13, BUL 12, POL 11, CNVR 10, AFF 4, CVRF 3, OVF
// 2, APOL 1, LEN 0.
constexpr uint16_t kOcl = 1 << 15;
constexpr uint16_t kBol = 1 << 13;
constexpr uint16_t kBul = 1 << 12;
constexpr uint16_t kPol = 1 << 11;
constexpr uint16_t kAff = 1 << 4;
constexpr uint16_t kCvrf = 1 << 3;
constexpr uint16_t kOvf = 1 << 2;
constexpr uint16_t kLen = 1 << 0;
constexpr uint16_t kMaskProgrammed = 0xFC03;

constexpr double kCurrentLsbA = 1.25e-3;  // Current Register (01h)
constexpr double kBusLsbV = 1.25e-3;      // Bus Voltage Register (02h)
constexpr double kPowerLsbW = 10e-3;      // Power Register (03h)
constexpr double kMaxCurrentA = 15.0;     // "Recommended Operating Conditions"

Status checkChannel(const char* name, const InaChannelConfig& ch) {
  if (ch.shuntOhm != 0.0 && std::fabs(ch.shuntOhm - Ina260::kShuntOhm) > 1e-9) {
    return Error::make(EINVAL,
                       "%s: shuntOhm %g: the INA260's 2 mOhm shunt is internal, leave it at 0",
                       name, ch.shuntOhm);
  }
  if (!(ch.maxCurrentA >= 0.0) || ch.maxCurrentA > kMaxCurrentA) {
    return Error::make(EINVAL, "%s: maxCurrentA %g outside the INA260's 0..15 A", name,
                       ch.maxCurrentA);
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<Ina260>> Ina260::create(I2cBus& bus, const Clock& clock,
                                               const InaConfig& config) {
  char name[64];
  ina::formatName(name, sizeof name, "ina260", bus, config.addr);
  Status st = ina::checkAddress(name, config.addr);
  if (st.ok()) st = checkChannel(name, config.channels[0]);
  if (!st.ok()) return st.error();
  Result<ina::AdcSetup> adc = ina::adcSetup(name, config);
  if (!adc.ok()) return adc.error();
  uint16_t configReg = kConfigFixed | adc.value().bits | kModeContinuous;
  int64_t periodNs = adc.value().pairNs * adc.value().averages;
  return std::unique_ptr<Ina260>(new Ina260(bus, clock, config, configReg, periodNs));
}

Ina260::Ina260(I2cBus& bus, const Clock& clock, const InaConfig& config, uint16_t configReg,
               int64_t periodNs)
    : InaMonitor("ina260", bus, clock, config, 1, periodNs),
      configReg_(configReg),
      alertMask_(kLen) {}

Status Ina260::probe() {
  Status st = expectId(kManufacturerId, kTiManufacturerId, 0xFFFF, "manufacturer ID", "TI");
  if (st.ok()) st = expectId(kDieId, kDieIdValue, 0xFFF0, "die ID", "INA260");
  return st;
}

Status Ina260::configure() {
  Status st = writeReg(kConfig, configReg_, "configuration");
  if (!st.ok()) return st;
  Result<uint16_t> back = readReg(kConfig, "configuration");
  if (!back.ok()) return back.error();
  if (back.value() != configReg_) {
    return error(EIO, "configuration reads back 0x%04x after writing 0x%04x", back.value(),
                 configReg_);
  }
  st = writeReg(kLimit, alertLimit_, "alert limit");
  if (st.ok()) st = writeReg(kMask, alertMask_, "mask/enable");
  return st;
}

Status Ina260::readPass(Pass& pass) {
  uint16_t configValue = 0, mask = 0;
  Status st = readRegs({{kConfig, "configuration", &configValue}, {kMask, "mask/enable", &mask}});
  if (!st.ok()) return st;
  pass.ready = mask & kCvrf;
  pass.overflow = mask & kOvf;
  if (mask & kAff) alertLatched_ = true;
  expectProgrammed(pass, kConfig, configValue, configReg_, "configuration");
  // LEN is always programmed, so a reset shows here even when the configuration is the default.
  expectProgrammed(pass, kMask, mask & kMaskProgrammed, alertMask_, "mask/enable");
  if (pass.lost) return {};

  uint16_t bus = 0, current = 0, power = 0;
  st = readRegs(
      {{kBus, "bus voltage", &bus}, {kCurrent, "current", &current}, {kPower, "power", &power}});
  if (!st.ok()) return st;
  PowerSample& v = pass.values[0];
  v.busV = bus * kBusLsbV;
  v.currentA = static_cast<int16_t>(current) * kCurrentLsbA;
  v.shuntV = v.currentA * kShuntOhm;  // no shunt register: what the internal shunt drops
  v.powerW = power * kPowerLsbW;
  pass.measured[0] = true;
  if (current == 0x7FFF || current == 0x8000) pass.saturated[0] = "current (40.96 A)";
  if (bus == 0x7FFF) pass.saturated[0] = "bus voltage (40.96 V)";
  return {};
}

Status Ina260::setAlert(int channel, AlertKind kind, double limit) {
  if (channel != 0) return error(EINVAL, "no channel %d (one channel)", channel + 1);
  Result<uint16_t> code = Error();
  uint16_t function = 0;
  switch (kind) {
    case AlertKind::OverCurrent:  // OCL: the current register
      code = ina::limitCode(name(), "over-current", limit, kCurrentLsbA, 0x7FFF, "A");
      function = kOcl;
      break;
    case AlertKind::OverPower:
      code = ina::limitCode(name(), "over-power", limit, kPowerLsbW, 0xFFFF, "W");
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
  alertMask_ = function | kLen;
  alertLatched_ = false;
  if (probing()) return {};
  Status st = writeReg(kLimit, alertLimit_, "alert limit");
  if (st.ok()) st = writeReg(kMask, alertMask_, "mask/enable");
  return st;
}

Result<bool> Ina260::takeAlert(int channel) {
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
