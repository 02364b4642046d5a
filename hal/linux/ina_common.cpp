#include "hal/linux/ina_common.h"

#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>

namespace qeil {
namespace {

// The ID registers of the INA226, INA260 and INA3221.
constexpr uint8_t kManufacturerIdReg = 0xFE;
constexpr uint8_t kDieIdReg = 0xFF;
constexpr uint16_t kTiManufacturerId = 0x5449;  // "TI"

// SMBus moves the low byte first; INA registers are sent MSB first (e.g. INA226 datasheet, "Writing
// to and Reading From the INA226").
uint16_t swapBytes(uint16_t v) {
  return static_cast<uint16_t>((v >> 8) | (v << 8));
}

}  // namespace

InaMonitor::InaMonitor(const char* chip, I2cBus& bus, const Clock& clock, const InaConfig& config,
                       int channels, int64_t conversionPeriodNs)
    : bus_(bus),
      clock_(clock),
      config_(config),
      channelCount_(channels),
      conversionPeriodNs_(conversionPeriodNs),
      health_(config.health) {
  ina::formatName(name_, sizeof name_, chip, bus, config.addr);
}

Error InaMonitor::error(int errnum, const char* fmt, ...) const {
  char text[Error::kMessageBytes];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  return Error::make(errnum, "%s: %s", name_, text);
}

Result<uint16_t> InaMonitor::readReg(uint8_t reg, const char* what) {
  Result<uint16_t> r = bus_.readWordData(config_.addr, reg);
  if (!r.ok()) r = bus_.readWordData(config_.addr, reg);  // one immediate retry
  if (!r.ok()) {
    r.error().prefix("%s: %s (0x%02x)", name_, what, reg);
    return r;
  }
  return swapBytes(r.value());
}

Status InaMonitor::writeReg(uint8_t reg, uint16_t value, const char* what) {
  uint16_t word = swapBytes(value);
  Status st = bus_.writeWordData(config_.addr, reg, word);
  if (!st.ok()) st = bus_.writeWordData(config_.addr, reg, word);
  if (!st.ok()) st.error().prefix("%s: writing %s (0x%02x)", name_, what, reg);
  return st;
}

Status InaMonitor::readRegs(std::initializer_list<RegRead> regs) {
  for (const RegRead& r : regs) {
    Result<uint16_t> v = readReg(r.reg, r.what);
    if (!v.ok()) return v.error();
    *r.out = v.value();
  }
  return {};
}

Status InaMonitor::writeVerified(uint8_t reg, uint16_t value, const char* what) {
  Status st = writeReg(reg, value, what);
  if (!st.ok()) return st;
  Result<uint16_t> back = readReg(reg, what);
  if (!back.ok()) return back.error();
  if (back.value() != value) {
    return error(EIO, "%s reads back 0x%04x after writing 0x%04x", what, back.value(), value);
  }
  return {};
}

Status InaMonitor::expectId(uint8_t reg, uint16_t expected, uint16_t mask, const char* what,
                            const char* whose) {
  Result<uint16_t> id = readReg(reg, what);
  if (!id.ok()) return id.error();
  if ((id.value() & mask) != (expected & mask)) {
    return error(ENODEV, "%s 0x%04x, expected 0x%04x (%s): not the chip configured here", what,
                 id.value(), expected, whose);
  }
  return {};
}

Status InaMonitor::expectTiDie(uint16_t dieId, const char* chip) {
  Status st = expectId(kManufacturerIdReg, kTiManufacturerId, 0xFFFF, "manufacturer ID", "TI");
  if (st.ok()) st = expectId(kDieIdReg, dieId, 0xFFF0, "die ID", chip);
  return st;
}

void InaMonitor::expectProgrammed(Pass& pass, uint8_t reg, uint16_t value, uint16_t expected,
                                  const char* what) {
  if (value == expected || pass.lost) return;
  pass.lost = true;
  pass.lostReg = reg;
  pass.lostValue = value;
  pass.expected = expected;
  pass.lostWhat = what;
}

Status InaMonitor::bringUp(int64_t nowNs) {
  Status st = probe();
  if (st.ok()) st = configure();
  lastReadyNs_ = nowNs;
  seenConversion_ = false;
  readyPending_ = false;
  return st;
}

Status InaMonitor::init() {
  int64_t nowNs = clock_.nowNs();
  Status st = bringUp(nowNs);
  health_.onProbe(st.ok(), nowNs);
  if (!st.ok()) fail(st.error(), nowNs);
  return st;
}

void InaMonitor::sample() {
  int64_t nowNs = clock_.nowNs();
  if (probing()) {
    if (!health_.probeDue(nowNs)) return invalidateAll(nowNs);  // backing off
    Status up = bringUp(nowNs);
    health_.onProbe(up.ok(), nowNs);
    // Even when it worked, nothing is converted yet: the next pass reads.
    if (!up.ok()) return fail(up.error(), nowNs);
    return fail(error(EAGAIN, "found and configured; waiting for the first conversion"), nowNs);
  }
  Pass pass;
  Status st = readPass(pass);
  if (!st.ok()) {
    health_.onReadFailed(nowNs);
    return fail(st.error(), nowNs);
  }
  judge(pass, nowNs);
}

void InaMonitor::judge(const Pass& pass, int64_t nowNs) {
  if (pass.lost) return reprogram(pass, nowNs);
  if (!converting(pass, nowNs)) return;
  health_.onReadOk();
  // A saturated input names the cause better than the overflow it brings along.
  bool saturated = false;
  for (int ch = 0; ch < channelCount_; ++ch)
    saturated = saturated || pass.saturated[ch] != nullptr;
  if (pass.overflow && !saturated) {
    return fail(error(EOVERFLOW,
                      "math overflow flag: current or power beyond the calibrated "
                      "range (raise maxCurrentA?)"),
                nowNs);
  }
  for (int ch = 0; ch < channelCount_; ++ch)
    store(pass, ch, nowNs);
}

bool InaMonitor::converting(const Pass& pass, int64_t nowNs) {
  if (pass.ready || readyPending_) {
    lastReadyNs_ = nowNs;
    seenConversion_ = true;
    readyPending_ = false;
    return true;
  }
  // Sampling faster than the chip converts is fine: the last result stands for a while.
  int64_t stuckNs = conversionPeriodNs_ * config_.stuckPeriods;
  if (nowNs - lastReadyNs_ > stuckNs) {
    health_.onReadFailed(nowNs);
    fail(error(ETIME,
               "no new conversion for %.1f ms (%d conversion periods are %.1f ms): chip stuck",
               static_cast<double>(nowNs - lastReadyNs_) / kNsPerMs, config_.stuckPeriods,
               static_cast<double>(stuckNs) / kNsPerMs),
         nowNs);
    return false;
  }
  if (!seenConversion_) {
    health_.onReadOk();  // the chip answers; it has just not finished a cycle since set up
    fail(error(EAGAIN, "no conversion completed yet since configuration"), nowNs);
    return false;
  }
  return true;
}

void InaMonitor::store(const Pass& pass, int ch, int64_t nowNs) {
  PowerSample& s = samples_[ch];
  s.timestampNs = nowNs;
  if (!pass.measured[ch]) {
    s.valid = false;  // disabled channel
  } else if (pass.saturated[ch] != nullptr) {
    s.valid = false;
    lastError_ = error(ERANGE, "channel %d: %s at full scale: beyond the measurable range", ch + 1,
                       pass.saturated[ch]);
  } else {
    s = pass.values[ch];
    s.valid = true;
    s.timestampNs = nowNs;
    energy_[ch].add(s.powerW, nowNs);
  }
}

void InaMonitor::reprogram(const Pass& pass, int64_t nowNs) {
  ++reprograms_;
  Status st = configure();
  lastReadyNs_ = nowNs;
  seenConversion_ = false;
  readyPending_ = false;
  health_.onReadFailed(nowNs);
  if (!st.ok()) return fail(st.error(), nowNs);
  fail(error(EIO,
             "%s (0x%02x) reads 0x%04x, expected 0x%04x: the chip was reset behind our back; "
             "reprogrammed",
             pass.lostWhat, pass.lostReg, pass.lostValue, pass.expected),
       nowNs);
}

void InaMonitor::fail(const Error& error, int64_t nowNs) {
  lastError_ = error;
  invalidateAll(nowNs);
}

void InaMonitor::invalidateAll(int64_t nowNs) {
  for (int ch = 0; ch < channelCount_; ++ch) {
    samples_[ch].valid = false;  // the values stay: the last good ones
    samples_[ch].timestampNs = nowNs;
  }
}

const PowerSample& InaMonitor::last(int channel) const {
  assert(channel >= 0 && channel < channelCount_);
  return samples_[channel];
}

double InaMonitor::energyJ(int channel) const {
  assert(channel >= 0 && channel < channelCount_);
  return energy_[channel].energyJ();
}

namespace {

// Mask/Enable Register (06h) of the INA226 and INA260: SOL/OCL 15, SUL/UCL 14, BOL 13, BUL 12,
// POL 11, CNVR 10, AFF 4, CVRF 3, OVF 2, APOL 1, LEN 0. Reading it clears CVRF and, latched, AFF.
constexpr uint8_t kAlertLimitReg = 0x07;    // Alert Limit Register
constexpr uint16_t kOverCurrent = 1 << 15;  // SOL (INA226) / OCL (INA260)
constexpr uint16_t kBol = 1 << 13;
constexpr uint16_t kBul = 1 << 12;
constexpr uint16_t kPol = 1 << 11;
constexpr uint16_t kAff = 1 << 4;
constexpr uint16_t kCvrf = 1 << 3;
constexpr uint16_t kOvf = 1 << 2;
constexpr uint16_t kLen = 1 << 0;
constexpr uint16_t kMaskProgrammed = 0xFC03;

}  // namespace

InaSingleAlertMonitor::InaSingleAlertMonitor(const char* chip, I2cBus& bus, const Clock& clock,
                                             const InaConfig& config, int64_t conversionPeriodNs,
                                             const AlertLsbs& lsbs)
    : InaMonitor(chip, bus, clock, config, 1, conversionPeriodNs), lsbs_(lsbs), alertMask_(kLen) {}

Status InaSingleAlertMonitor::writeAlert() {
  // Limit first, so a new function never compares against the old limit.
  Status st = writeReg(kAlertLimitReg, alertLimit_, "alert limit");
  if (st.ok()) st = writeReg(kMaskReg, alertMask_, "mask/enable");
  return st;
}

void InaSingleAlertMonitor::takeMask(Pass& pass, uint16_t mask) {
  pass.ready = mask & kCvrf;
  pass.overflow = mask & kOvf;
  if (mask & kAff) alertLatched_ = true;  // this read cleared it on the chip
  // LEN is always programmed, so a reset shows here even when the configuration is the default.
  expectProgrammed(pass, kMaskReg, mask & kMaskProgrammed, alertMask_, "mask/enable");
}

Status InaSingleAlertMonitor::setAlert(int channel, AlertKind kind, double limit) {
  if (channel != 0) return error(EINVAL, "no channel %d (one channel)", channel + 1);
  Result<uint16_t> code = Error();
  uint16_t function = 0;
  switch (kind) {
    case AlertKind::OverCurrent:
      code = ina::limitCode(name(), "over-current", limit, lsbs_.overCurrentA, 0x7FFF, "A");
      function = kOverCurrent;
      break;
    case AlertKind::OverPower:
      code = ina::limitCode(name(), "over-power", limit, lsbs_.powerW, 0xFFFF, "W");
      function = kPol;
      break;
    case AlertKind::BusOverVoltage:
      code = ina::limitCode(name(), "bus over-voltage", limit, lsbs_.busV, 0x7FFF, "V");
      function = kBol;
      break;
    case AlertKind::BusUnderVoltage:
      code = ina::limitCode(name(), "bus under-voltage", limit, lsbs_.busV, 0x7FFF, "V");
      function = kBul;
      break;
  }
  if (!code.ok()) return code.error();
  alertLimit_ = code.value();
  alertMask_ = function | kLen;  // latched: a short excursion is not missed between ticks
  alertLatched_ = false;
  if (probing()) return {};  // programmed when the chip is found
  return writeAlert();
}

Result<bool> InaSingleAlertMonitor::takeAlert(int channel) {
  if (channel != 0) return error(EINVAL, "no channel %d (one channel)", channel + 1);
  if (probing()) return error(EAGAIN, "chip not available (probing)");
  Result<uint16_t> mask = readReg(kMaskReg, "mask/enable");
  if (!mask.ok()) return mask.error();
  if (mask.value() & kCvrf) keepReady();
  bool fired = alertLatched_ || (mask.value() & kAff);
  alertLatched_ = false;
  return fired;
}

namespace ina {

void formatName(char* out, size_t cap, const char* chip, const I2cBus& bus, uint8_t addr7) {
  snprintf(out, cap, "%s %s 0x%02x", chip, bus.name(), addr7);
}

Status checkAddress(const char* name, uint8_t addr7) {
  // INA chips strap to 0x40..0x4F (their "Serial Bus Address" tables); anything 7-bit is accepted,
  // 8-bit is not.
  if (addr7 > 0x7F) {
    return Error::make(EINVAL, "%s: address 0x%02x is not a 7-bit I2C address", name, addr7);
  }
  return {};
}

Result<int> codeOf(const char* name, const char* what, int value, const int* table, int n,
                   const char* unit) {
  for (int i = 0; i < n; ++i) {
    if (table[i] == value) return i;
  }
  char set[160] = {};
  size_t used = 0;
  for (int i = 0; i < n && used < sizeof set; ++i) {
    int w = snprintf(set + used, sizeof set - used, "%s%d", i ? ", " : "", table[i]);
    if (w < 0) break;
    used += static_cast<size_t>(w);
  }
  return Error::make(EINVAL, "%s: %s %d not supported (%s%s)", name, what, value, set, unit);
}

Status checkChannel(const char* name, int channel, const InaChannelConfig& ch, double fullScaleV) {
  if (!(ch.shuntOhm > 0.0) || !std::isfinite(ch.shuntOhm)) {
    return Error::make(EINVAL, "%s: channel %d: shuntOhm %g must be positive", name, channel + 1,
                       ch.shuntOhm);
  }
  if (!(ch.maxCurrentA > 0.0) || !std::isfinite(ch.maxCurrentA)) {
    return Error::make(EINVAL, "%s: channel %d: maxCurrentA %g must be positive", name, channel + 1,
                       ch.maxCurrentA);
  }
  double shuntV = ch.maxCurrentA * ch.shuntOhm;
  if (shuntV > fullScaleV) {
    return Error::make(ERANGE,
                       "%s: channel %d: maxCurrentA %g A x shuntOhm %g = %.2f mV exceeds the "
                       "%.2f mV shunt range: the current register would overflow",
                       name, channel + 1, ch.maxCurrentA, ch.shuntOhm, shuntV * 1e3,
                       fullScaleV * 1e3);
  }
  return {};
}

Result<AdcSetup> adcSetup(const char* name, const InaConfig& config) {
  constexpr int kDefaultConvUs = 1100;  // the reset value, code 4
  int busUs = config.busConvUs ? config.busConvUs : kDefaultConvUs;
  int shuntUs = config.shuntConvUs ? config.shuntConvUs : kDefaultConvUs;
  Result<int> avg = codeOf(name, "averages", config.averages, kInaAverages, 8, "");
  if (!avg.ok()) return avg.error();
  Result<int> bus = codeOf(name, "busConvUs", busUs, kInaConvUs, 8, " us");
  if (!bus.ok()) return bus.error();
  Result<int> shunt = codeOf(name, "shuntConvUs", shuntUs, kInaConvUs, 8, " us");
  if (!shunt.ok()) return shunt.error();
  AdcSetup s;
  s.bits = static_cast<uint16_t>(avg.value() << 9 | bus.value() << 6 | shunt.value() << 3);
  s.pairNs = static_cast<int64_t>(busUs + shuntUs) * kNsPerUs;
  s.averages = config.averages;
  return s;
}

Result<uint16_t> limitCode(const char* name, const char* what, double value, double lsb,
                           int32_t maxCode, const char* unit) {
  double code = std::nearbyint(value / lsb);
  if (!std::isfinite(value) || value < 0.0) {
    return Error::make(EINVAL, "%s: %s limit %g %s must be zero or positive", name, what, value,
                       unit);
  }
  if (code > maxCode) {
    return Error::make(ERANGE, "%s: %s limit %g %s above the register's %g %s", name, what, value,
                       unit, maxCode * lsb, unit);
  }
  return static_cast<uint16_t>(code);
}

}  // namespace ina

}  // namespace qeil
