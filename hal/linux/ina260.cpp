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
// Mask/Enable (06h) and Alert Limit (07h): InaSingleAlertMonitor.
// Manufacturer ID (FEh) and Die ID (FFh): InaMonitor::expectTiDie.

constexpr uint16_t kConfigFixed = 0x6000;  // bits 14:12 read 110
constexpr uint16_t kModeContinuous = 0x7;
constexpr uint16_t kDieIdValue = 0x2270;

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
    : InaSingleAlertMonitor("ina260", bus, clock, config, periodNs,
                            // OCL compares the current register.
                            {kCurrentLsbA, kPowerLsbW, kBusLsbV}),
      configReg_(configReg) {}

Status Ina260::probe() {
  return expectTiDie(kDieIdValue, "INA260");
}

Status Ina260::configure() {
  Status st = writeVerified(kConfig, configReg_, "configuration");
  if (!st.ok()) return st;
  return writeAlert();
}

Status Ina260::readPass(Pass& pass) {
  uint16_t configValue = 0, mask = 0;
  Status st =
      readRegs({{kConfig, "configuration", &configValue}, {kMaskReg, "mask/enable", &mask}});
  if (!st.ok()) return st;
  expectProgrammed(pass, kConfig, configValue, configReg_, "configuration");
  takeMask(pass, mask);
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

}  // namespace qeil
