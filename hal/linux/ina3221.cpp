#include "hal/linux/ina3221.h"

#include <cerrno>

namespace qeil {
namespace {

// Registers: INA3221 datasheet (SBOS576), "Register Maps". Channel n (0-based) uses shunt 0x01 +
// 2n, bus 0x02 + 2n, critical limit 0x07 + 2n.
constexpr uint8_t kConfig = 0x00;
constexpr uint8_t kMask = 0x0F;
// Manufacturer ID (FEh) and Die ID (FFh): InaMonitor::expectTiDie.
constexpr uint8_t shuntReg(int ch) {
  return static_cast<uint8_t>(0x01 + 2 * ch);
}
constexpr uint8_t busReg(int ch) {
  return static_cast<uint8_t>(0x02 + 2 * ch);
}
constexpr uint8_t criticalReg(int ch) {
  return static_cast<uint8_t>(0x07 + 2 * ch);
}

constexpr uint16_t kDieIdValue = 0x3220;
constexpr uint16_t kModeContinuous = 0x7;
constexpr uint16_t channelEnable(int ch) {
  return static_cast<uint16_t>(1 << (14 - ch));
}
// Mask/Enable Register (0Fh): SCC1-3 14:12, WEN 11, CEN 10, CF1-3 9:7, SF 6, WF1-3 5:3, PVF 2,
// TCF 1, CVRF 0. Reading it clears CVRF and, with CEN, the critical flags.
constexpr uint16_t kCen = 1 << 10;
constexpr uint16_t kCvrf = 1 << 0;
constexpr uint16_t kCfAll = 0x0380;
constexpr uint16_t kMaskProgrammed = 0x7C00;
constexpr uint16_t criticalFlag(int ch) {
  return static_cast<uint16_t>(1 << (9 - ch));
}

constexpr double kShuntLsbV = 40e-6;  // Channel-n Shunt-Voltage Registers, bits 15:3
constexpr double kBusLsbV = 8e-3;     // Channel-n Bus-Voltage Registers, bits 15:3
constexpr int kCodeMax = 4095;
constexpr uint16_t kLimitReset = 0x7FF8;  // critical limits at full scale: never fire

}  // namespace

Result<std::unique_ptr<Ina3221>> Ina3221::create(I2cBus& bus, const Clock& clock,
                                                 const InaConfig& config) {
  char name[64];
  ina::formatName(name, sizeof name, "ina3221", bus, config.addr);
  Status addr = ina::checkAddress(name, config.addr);
  if (!addr.ok()) return addr.error();
  uint16_t enables = 0;
  int enabledCount = 0;
  for (int ch = 0; ch < 3; ++ch) {
    const InaChannelConfig& c = config.channels[ch];
    if (!c.enabled) continue;
    Status st = ina::checkChannel(name, ch, c, kCodeMax * kShuntLsbV);
    if (!st.ok()) return st.error();
    enables |= channelEnable(ch);
    ++enabledCount;
  }
  if (enabledCount == 0) return Error::make(EINVAL, "%s: every channel is disabled", name);
  Result<ina::AdcSetup> adc = ina::adcSetup(name, config);
  if (!adc.ok()) return adc.error();
  uint16_t configReg = enables | adc.value().bits | kModeContinuous;
  // "Basic ADC Functions": the chip converts shunt and bus of each enabled channel in turn, AVG
  // times.
  int64_t periodNs = adc.value().pairNs * adc.value().averages * enabledCount;
  return std::unique_ptr<Ina3221>(new Ina3221(bus, clock, config, configReg, periodNs));
}

Ina3221::Ina3221(I2cBus& bus, const Clock& clock, const InaConfig& config, uint16_t configReg,
                 int64_t periodNs)
    : InaMonitor("ina3221", bus, clock, config, 3, periodNs), configReg_(configReg) {
  criticalLimit_.fill(kLimitReset);
}

Status Ina3221::probe() {
  return expectTiDie(kDieIdValue, "INA3221");
}

Status Ina3221::configure() {
  Status st = writeVerified(kConfig, configReg_, "configuration");
  if (!st.ok()) return st;
  for (int ch = 0; ch < 3 && st.ok(); ++ch)
    st = writeReg(criticalReg(ch), criticalLimit_[ch], "critical limit");
  // Latched critical flags, so an excursion between two ticks is not missed.
  if (st.ok()) st = writeReg(kMask, kCen, "mask/enable");
  return st;
}

Status Ina3221::readPass(Pass& pass) {
  uint16_t configValue = 0, mask = 0;
  Status st = readRegs({{kConfig, "configuration", &configValue}, {kMask, "mask/enable", &mask}});
  if (!st.ok()) return st;
  pass.ready = mask & kCvrf;
  criticalFlags_ |= mask & kCfAll;
  expectProgrammed(pass, kConfig, configValue, configReg_, "configuration");
  expectProgrammed(pass, kMask, mask & kMaskProgrammed, kCen, "mask/enable");
  if (pass.lost) return {};

  for (int ch = 0; ch < 3; ++ch) {
    if (!enabled(ch)) continue;
    uint16_t shunt = 0, bus = 0;
    st = readRegs({{shuntReg(ch), "shunt voltage", &shunt}, {busReg(ch), "bus voltage", &bus}});
    if (!st.ok()) return st;
    int shuntCode = static_cast<int16_t>(shunt) / 8;  // bits 15:3, two's complement
    int busCode = static_cast<int16_t>(bus) / 8;
    PowerSample& v = pass.values[ch];
    v.shuntV = shuntCode * kShuntLsbV;
    v.busV = busCode * kBusLsbV;
    v.currentA = v.shuntV / config().channels[ch].shuntOhm;
    v.powerW = v.busV * v.currentA;
    pass.measured[ch] = true;
    if (shuntCode >= kCodeMax || shuntCode <= -kCodeMax - 1) {
      pass.saturated[ch] = "shunt voltage (163.8 mV)";
    }
    if (busCode >= kCodeMax) pass.saturated[ch] = "bus voltage (32.76 V)";
  }
  return {};
}

Status Ina3221::setAlert(int channel, AlertKind kind, double limit) {
  if (channel < 0 || channel >= 3) return error(EINVAL, "no channel %d (1..3)", channel + 1);
  if (!enabled(channel)) return error(EINVAL, "channel %d is disabled", channel + 1);
  if (kind != AlertKind::OverCurrent) {
    return error(ENOTSUP,
                 "only over-current alerts (the per-channel critical limit); the chip "
                 "computes no power and its bus limits are shared");
  }
  double shuntOhm = config().channels[channel].shuntOhm;
  Result<uint16_t> code =
      ina::limitCode(name(), "over-current", limit, kShuntLsbV / shuntOhm, kCodeMax, "A");
  if (!code.ok()) return code.error();
  criticalLimit_[channel] = static_cast<uint16_t>(code.value() << 3);
  criticalFlags_ &= ~criticalFlag(channel);
  if (probing()) return {};  // programmed when the chip is found
  return writeReg(criticalReg(channel), criticalLimit_[channel], "critical limit");
}

Result<bool> Ina3221::takeAlert(int channel) {
  if (channel < 0 || channel >= 3) return error(EINVAL, "no channel %d (1..3)", channel + 1);
  if (!enabled(channel)) return error(EINVAL, "channel %d is disabled", channel + 1);
  if (probing()) return error(EAGAIN, "chip not available (probing)");
  Result<uint16_t> mask = readReg(kMask, "mask/enable");
  if (!mask.ok()) return mask.error();
  if (mask.value() & kCvrf) keepReady();
  criticalFlags_ |= mask.value() & kCfAll;  // the read cleared every channel's flag
  bool fired = criticalFlags_ & criticalFlag(channel);
  criticalFlags_ &= ~criticalFlag(channel);
  return fired;
}

}  // namespace qeil
