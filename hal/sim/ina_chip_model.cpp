#include "hal/sim/ina_chip_model.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>

namespace qeil {
namespace {

// Rounds to the nearest ADC code and clamps to the converter's full scale.
int32_t quantize(double value, double lsb, int32_t lo, int32_t hi) {
  double code = std::nearbyint(value / lsb);
  return static_cast<int32_t>(std::clamp(code, static_cast<double>(lo), static_cast<double>(hi)));
}

uint16_t u16(int32_t v) {
  return static_cast<uint16_t>(v & 0xFFFF);
}

int16_t s16(uint16_t v) {
  return static_cast<int16_t>(v);
}

// Clamps a computed register to its range; sets `overflow` when it did not fit.
int32_t fit(int64_t v, int32_t lo, int32_t hi, bool& overflow) {
  if (v < lo || v > hi) overflow = true;
  return static_cast<int32_t>(std::clamp<int64_t>(v, lo, hi));
}

int64_t usToNs(int64_t us) {
  return us * kNsPerUs;
}

// ---------------------------------------------------------------------------------------------
// INA219 (SBOS448): registers 0x00-0x05, no IDs, no alert pin.
class Ina219Model final : public InaChipModel {
 public:
  explicit Ina219Model(const Clock& clock) : InaChipModel(InaChip::Ina219, clock, 1) {
    resetRegisters();
  }

 private:
  static constexpr uint16_t kConfigReset = 0x399F;  // Configuration Register (00h)
  static constexpr uint16_t kCnvr = 1 << 1;         // Bus Voltage Register (02h)
  static constexpr uint16_t kOvf = 1 << 0;

  struct Adc {
    int64_t timeUs;
    int samples;
  };
  // Configuration Register ADC settings: 0X00..0X11 are 9..12 bit, 1000..1111 12 bit with 1..128
  // samples.
  static Adc adc(unsigned code) {
    static constexpr int64_t kBitsUs[] = {84, 148, 276, 532};
    static constexpr int64_t kAvgUs[] = {532, 1060, 2130, 4260, 8510, 17020, 34050, 68100};
    if ((code & 0x8) == 0) return {kBitsUs[code & 0x3], 1};
    return {kAvgUs[code & 0x7], 1 << (code & 0x7)};
  }
  unsigned badc() const { return (regs_[0] >> 7) & 0xF; }
  unsigned sadc() const { return (regs_[0] >> 3) & 0xF; }

  void resetRegisters() override {
    regs_.fill(0);
    regs_[0] = kConfigReset;
  }
  int64_t cycleNs() const override { return usToNs(adc(sadc()).timeUs + adc(badc()).timeUs); }
  int shuntAverages() const override { return adc(sadc()).samples; }
  int busAverages() const override { return adc(badc()).samples; }
  bool channelEnabled(int channel) const override { return channel == 0; }

  void latchResults(const double* shuntV, const double* busV, const double*) override {
    int pga = (regs_[0] >> 11) & 0x3;                    // /1../8: 40..320 mV
    int32_t shuntFs = 4000 << pga;                       // 10 uV LSB at every PGA gain
    int32_t busFs = regs_[0] & (1 << 13) ? 8000 : 4000;  // BRNG: 32 V or 16 V at 4 mV
    int32_t shunt = quantize(shuntV[0], 10e-6, -shuntFs, shuntFs);
    int32_t bus = quantize(busV[0], 4e-3, 0, busFs);
    bool ovf = false;
    // "Programming the Calibration Register": Current = Shunt x Cal / 4096, Power = Current x Bus /
    // 5000 (integer truncation).
    int32_t current = fit(int64_t{shunt} * regs_[5] / 4096, -32768, 32767, ovf);
    int32_t power = fit(int64_t{std::abs(current)} * bus / 5000, 0, 0xFFFF, ovf);
    regs_[1] = u16(shunt);
    regs_[2] = u16((bus << 3) | kCnvr | (ovf ? kOvf : 0));
    regs_[3] = u16(power);
    regs_[4] = u16(current);
  }

  uint16_t onRead(uint8_t reg) override {
    if (reg > 0x05) return 0;
    uint16_t v = regs_[reg];
    if (reg == 0x03) regs_[2] &= ~kCnvr;  // reading Power clears CNVR
    return v;
  }

  void onWrite(uint8_t reg, uint16_t value) override {
    if (reg == 0x00) {
      if (value & 0x8000) {
        resetRegisters();
      } else {
        regs_[0] = value & 0x3FFF;  // bit 15 self-clears, bit 14 unused
        regs_[2] &= ~kCnvr;         // a new mode clears CNVR
      }
      restartConversion();
    } else if (reg == 0x05) {
      regs_[5] = value & 0xFFFE;  // FS0 is void, reads 0
    }
  }
};

// ---------------------------------------------------------------------------------------------
// INA226 (SBOS547) and INA260 (SBOS656): same configuration layout, Mask/Enable 0x06 and Alert
// Limit 0x07. The INA226 has a shunt register and CAL; the INA260 its internal 2 mOhm shunt.
constexpr int64_t kConvUs[] = {140, 204, 332, 588, 1100, 2116, 4156, 8244};  // VBUSCT/VSHCT
constexpr int kAverages[] = {1, 4, 16, 64, 128, 256, 512, 1024};             // AVG

class Ina226Model final : public InaChipModel {
 public:
  Ina226Model(InaChip chip, const Clock& clock) : InaChipModel(chip, clock, 1) {
    if (is260()) shuntOhm_[0] = 0.002;
    resetRegisters();
  }

 private:
  static constexpr uint16_t kMaskRw = 0xFC03;  // function bits 15:10, APOL, LEN
  static constexpr uint16_t kAff = 1 << 4;
  static constexpr uint16_t kCvrf = 1 << 3;
  static constexpr uint16_t kOvf = 1 << 2;
  static constexpr uint16_t kCnvr = 1 << 10;
  static constexpr uint16_t kLen = 1 << 0;

  bool is260() const { return chip() == InaChip::Ina260; }
  uint16_t fixedConfigBits() const { return is260() ? 0x6000 : 0x4000; }  // bits 14:12
  int averages() const { return kAverages[(regs_[0] >> 9) & 0x7]; }

  void resetRegisters() override {
    regs_.fill(0);
    regs_[0] = is260() ? 0x6127 : 0x4127;
    regs_[0xFE] = 0x5449;  // "TI"
    regs_[0xFF] = is260() ? 0x2270 : 0x2260;
  }
  int64_t cycleNs() const override {
    int64_t pairUs = kConvUs[(regs_[0] >> 6) & 0x7] + kConvUs[(regs_[0] >> 3) & 0x7];
    return usToNs(pairUs * averages());
  }
  int shuntAverages() const override { return averages(); }
  int busAverages() const override { return averages(); }
  bool channelEnabled(int channel) const override { return channel == 0; }

  void latchResults(const double* shuntV, const double* busV, const double*) override {
    int32_t bus = quantize(busV[0], 1.25e-3, 0, 0x7FFF);
    bool ovf = false;
    int32_t current = 0;
    int32_t power = 0;
    if (is260()) {
      // 1.25 mA current LSB (2.5 uV over 2 mOhm); power LSB 10 mW = 1.25 mA x 1.25 mV x 6400.
      current = quantize(shuntV[0], 2.5e-6, -32768, 32767);
      power = fit(int64_t{std::abs(current)} * bus / 6400, 0, 0xFFFF, ovf);
      regs_[1] = u16(current);
    } else {
      // "Programming the Calibration Register": Current = Shunt x CAL / 2048, Power = Current x Bus
      // / 20000 (truncation).
      int32_t shunt = quantize(shuntV[0], 2.5e-6, -32768, 32767);
      current = fit(int64_t{shunt} * regs_[5] / 2048, -32768, 32767, ovf);
      power = fit(int64_t{std::abs(current)} * bus / 20000, 0, 0xFFFF, ovf);
      regs_[1] = u16(shunt);
      regs_[4] = u16(current);
    }
    regs_[2] = u16(bus);
    regs_[3] = u16(power);
    uint16_t mask = regs_[6] | kCvrf;
    mask = ovf ? (mask | kOvf) : (mask & ~kOvf);
    if (alertCondition()) {
      mask |= kAff;
    } else if (!(mask & kLen)) {
      mask &= ~kAff;  // transparent: clears after a conversion without the condition
    }
    regs_[6] = mask;
  }

  // The highest-priority function enabled (SOL/OCL first) against the Alert Limit register.
  bool alertCondition() const {
    uint16_t mask = regs_[6];
    uint16_t limit = regs_[7];
    if (mask & (1 << 15)) return s16(regs_[1]) > s16(limit);  // SOL / OCL
    if (mask & (1 << 14)) return s16(regs_[1]) < s16(limit);  // SUL / UCL
    if (mask & (1 << 13)) return regs_[2] > limit;            // BOL
    if (mask & (1 << 12)) return regs_[2] < limit;            // BUL
    if (mask & (1 << 11)) return regs_[3] > limit;            // POL
    return false;
  }

  uint16_t onRead(uint8_t reg) override {
    uint16_t v = regs_[reg];
    if (reg == 0x06) {
      regs_[6] &= ~kCvrf;               // reading Mask/Enable clears CVRF
      if (v & kLen) regs_[6] &= ~kAff;  // and, latched, the alert
    } else if (is260() && (reg == 0x04 || reg == 0x05)) {
      return 0;  // the INA260 has no shunt-current/calibration registers here
    }
    return v;
  }

  void onWrite(uint8_t reg, uint16_t value) override {
    switch (reg) {
      case 0x00:
        if (value & 0x8000) {
          resetRegisters();
        } else {
          regs_[0] = fixedConfigBits() | (value & 0x0FFF);
          regs_[6] &= ~kCvrf;  // writing the configuration clears CVRF
        }
        restartConversion();
        break;
      case 0x05:
        if (!is260()) regs_[5] = value & 0x7FFF;  // bit 15 reserved
        break;
      case 0x06:
        regs_[6] = (regs_[6] & ~kMaskRw) | (value & kMaskRw);
        break;
      case 0x07:
        regs_[7] = value;
        break;
      default:
        break;  // read-only
    }
  }

  bool alertPin() const override {
    uint16_t mask = regs_[6];
    bool function = (mask & 0xF800) && (mask & kAff);
    bool ready = (mask & kCnvr) && (mask & kCvrf);
    return function || ready;
  }
};

// ---------------------------------------------------------------------------------------------
// INA3221 (SBOS576): three channels of shunt and bus voltage, no current or power registers.
class Ina3221Model final : public InaChipModel {
 public:
  explicit Ina3221Model(const Clock& clock) : InaChipModel(InaChip::Ina3221, clock, 3) {
    resetRegisters();
  }

 private:
  static constexpr uint8_t kMask = 0x0F;
  static constexpr uint16_t kMaskRw = 0x7C00;  // SCC1-3, WEN, CEN
  static constexpr uint16_t kWen = 1 << 11;
  static constexpr uint16_t kCen = 1 << 10;
  static constexpr uint16_t kCvrf = 1 << 0;
  static uint16_t cf(int ch) { return static_cast<uint16_t>(1 << (9 - ch)); }
  static uint16_t wf(int ch) { return static_cast<uint16_t>(1 << (5 - ch)); }
  static constexpr uint16_t kCfAll = 0x0380;
  static constexpr uint16_t kWfAll = 0x0038;

  int averages() const { return kAverages[(regs_[0] >> 9) & 0x7]; }
  int enabledChannels() const {
    int n = 0;
    for (int ch = 0; ch < 3; ++ch)
      n += channelEnabled(ch) ? 1 : 0;
    return n;
  }

  void resetRegisters() override {
    regs_.fill(0);
    regs_[0] = 0x7127;
    for (uint8_t r = 0x07; r <= 0x0C; ++r)
      regs_[r] = 0x7FF8;  // alert limits at full scale
    regs_[0x0E] = 0x7FFE;
    regs_[kMask] = 0x0002;
    regs_[0x10] = 0x2710;  // power-valid upper, 10 V
    regs_[0x11] = 0x2328;  // power-valid lower, 9 V
    regs_[0xFE] = 0x5449;
    regs_[0xFF] = 0x3220;
  }
  int64_t cycleNs() const override {
    int64_t pairUs = kConvUs[(regs_[0] >> 6) & 0x7] + kConvUs[(regs_[0] >> 3) & 0x7];
    return usToNs(pairUs * averages() * enabledChannels());
  }
  int shuntAverages() const override { return averages(); }
  int busAverages() const override { return averages(); }
  bool channelEnabled(int channel) const override { return regs_[0] & (1 << (14 - channel)); }

  void latchResults(const double* shuntV, const double* busV, const double* peakShuntV) override {
    uint16_t mask = regs_[kMask] | kCvrf;
    for (int ch = 0; ch < 3; ++ch) {
      if (!channelEnabled(ch)) continue;
      // 40 uV shunt and 8 mV bus LSBs in bits 15:3, two's complement.
      int32_t shunt = quantize(shuntV[ch], 40e-6, -4096, 4095);
      int32_t bus = quantize(busV[ch], 8e-3, -4096, 4095);
      regs_[1 + 2 * ch] = u16(shunt * 8);
      regs_[2 + 2 * ch] = u16(bus * 8);
      int32_t peak = quantize(peakShuntV[ch], 40e-6, -4096, 4095);
      mask = flag(mask, cf(ch), peak > s16(regs_[7 + 2 * ch]) / 8, kCen);
      mask = flag(mask, wf(ch), shunt > s16(regs_[8 + 2 * ch]) / 8, kWen);
    }
    regs_[kMask] = mask;
  }

  // Sets a flag on its condition; without the latch bit a conversion without it clears it.
  static uint16_t flag(uint16_t mask, uint16_t bit, bool condition, uint16_t latchBit) {
    if (condition) return mask | bit;
    if (!(mask & latchBit)) return mask & ~bit;
    return mask;
  }

  uint16_t onRead(uint8_t reg) override {
    uint16_t v = regs_[reg];
    if (reg == kMask) {
      uint16_t clear = kCvrf;
      if (v & kCen) clear |= kCfAll;
      if (v & kWen) clear |= kWfAll;
      regs_[kMask] &= ~clear;
    }
    return v;
  }

  void onWrite(uint8_t reg, uint16_t value) override {
    if (reg == 0x00) {
      if (value & 0x8000) {
        resetRegisters();
      } else {
        regs_[0] = value & 0x7FFF;
        regs_[kMask] &= ~kCvrf;
      }
      restartConversion();
    } else if ((reg >= 0x07 && reg <= 0x0C) || reg == 0x10 || reg == 0x11) {
      regs_[reg] = value & 0xFFF8;  // alert and power-valid limits, bits 15:3
    } else if (reg == 0x0E) {
      regs_[reg] = value & 0xFFFE;
    } else if (reg == kMask) {
      regs_[kMask] = (regs_[kMask] & ~kMaskRw) | (value & kMaskRw);
    }
  }

  bool alertPin() const override { return regs_[kMask] & kCfAll; }
  bool warningPin() const override { return regs_[kMask] & kWfAll; }
};

}  // namespace

const char* inaChipName(InaChip chip) {
  switch (chip) {
    case InaChip::Ina219:
      return "ina219";
    case InaChip::Ina226:
      return "ina226";
    case InaChip::Ina260:
      return "ina260";
    case InaChip::Ina3221:
      return "ina3221";
  }
  return "ina?";
}

std::unique_ptr<InaChipModel> InaChipModel::create(InaChip chip, const Clock& clock) {
  switch (chip) {
    case InaChip::Ina219:
      return std::make_unique<Ina219Model>(clock);
    case InaChip::Ina226:
    case InaChip::Ina260:
      return std::make_unique<Ina226Model>(chip, clock);
    case InaChip::Ina3221:
      return std::make_unique<Ina3221Model>(clock);
  }
  return nullptr;
}

InaChipModel::InaChipModel(InaChip chip, const Clock& clock, int channels)
    : chip_(chip), clock_(clock), channels_(channels) {
  shuntOhm_.fill(0.1);
  cycleStartNs_ = lastNs_ = clock_.nowNs();
}

void InaChipModel::setInput(int channel, double busV, double currentA) {
  assert(channel >= 0 && channel < channels_);
  advance();
  inputs_[channel] = {busV, currentA};
  peakShuntV_[channel] = std::max(peakShuntV_[channel], trueShuntV(channel));
}

void InaChipModel::setShuntOhm(int channel, double ohm) {
  assert(channel >= 0 && channel < channels_);
  if (chip_ == InaChip::Ina260) return;
  advance();
  shuntOhm_[channel] = ohm;
  peakShuntV_[channel] = std::max(peakShuntV_[channel], trueShuntV(channel));
}

void InaChipModel::setNoise(double shuntSigmaV, double busSigmaV, uint64_t seed) {
  advance();
  shuntSigmaV_ = shuntSigmaV;
  busSigmaV_ = busSigmaV;
  rng_.seed(seed);
  gauss_.reset();
}

void InaChipModel::setFrozen(bool frozen) {
  advance();
  if (frozen_ == frozen) return;
  frozen_ = frozen;
  if (!frozen_) restartConversion();
}

void InaChipModel::powerOnReset() {
  advance();
  resetRegisters();
  restartConversion();
}

bool InaChipModel::alertAsserted() {
  advance();
  return alertPin();
}

bool InaChipModel::warningAsserted() {
  advance();
  return warningPin();
}

uint16_t InaChipModel::peek(uint8_t reg) {
  advance();
  return regs_[reg];
}

uint64_t InaChipModel::conversions() {
  advance();
  return conversions_;
}

uint16_t InaChipModel::readRegister(uint8_t reg) {
  advance();
  return onRead(reg);
}

void InaChipModel::writeRegister(uint8_t reg, uint16_t value) {
  advance();
  onWrite(reg, value);
}

void InaChipModel::restartConversion() {
  cycleStartNs_ = lastNs_;
  shotDone_ = false;
  startCycleSums();
}

void InaChipModel::startCycleSums() {
  shuntSumVns_.fill(0.0);
  busSumVns_.fill(0.0);
  for (int ch = 0; ch < channels_; ++ch)
    peakShuntV_[ch] = trueShuntV(ch);
}

bool InaChipModel::converting() const {
  unsigned mode = regs_[0] & 0x7;
  bool off = mode == 0 || mode == 4;  // power-down, ADC off
  bool triggered = mode >= 1 && mode <= 3;
  return !frozen_ && !off && !(triggered && shotDone_) && cycleNs() > 0;
}

void InaChipModel::advance() {
  int64_t nowNs = clock_.nowNs();
  if (nowNs <= lastNs_) return;
  while (converting()) {
    int64_t lenNs = cycleNs();
    int64_t endNs = cycleStartNs_ + lenNs;
    if (endNs > nowNs) break;
    accumulateTo(endNs);
    completeCycle(lenNs);
    cycleStartNs_ = endNs;
    if ((regs_[0] & 0x7) <= 3) {
      shotDone_ = true;  // triggered: one cycle, then idle
      break;
    }
    // The input is constant from here to now: cycles before the last full one would latch the
    // same means, so skip them rather than loop over hours of simulated time.
    int64_t whole = (nowNs - endNs) / lenNs;
    if (whole > 1) {
      cycleStartNs_ += (whole - 1) * lenNs;
      lastNs_ = cycleStartNs_;
      conversions_ += static_cast<uint64_t>(whole - 1);
    }
  }
  accumulateTo(nowNs);
}

void InaChipModel::accumulateTo(int64_t ns) {
  double dtNs = static_cast<double>(ns - lastNs_);
  if (dtNs > 0) {
    for (int ch = 0; ch < channels_; ++ch) {
      shuntSumVns_[ch] += trueShuntV(ch) * dtNs;
      busSumVns_[ch] += inputs_[ch].busV * dtNs;
    }
  }
  lastNs_ = ns;
}

void InaChipModel::completeCycle(int64_t lenNs) {
  std::array<double, kMaxChannels> shuntV{};
  std::array<double, kMaxChannels> busV{};
  double len = static_cast<double>(lenNs);
  for (int ch = 0; ch < channels_; ++ch) {
    shuntV[ch] = shuntSumVns_[ch] / len + noise(shuntSigmaV_, shuntAverages());
    busV[ch] = busSumVns_[ch] / len + noise(busSigmaV_, busAverages());
  }
  latchResults(shuntV.data(), busV.data(), peakShuntV_.data());
  ++conversions_;
  startCycleSums();
}

double InaChipModel::noise(double sigma, int averages) {
  if (sigma <= 0.0) return 0.0;
  return sigma * gauss_(rng_) / std::sqrt(static_cast<double>(averages));
}

}  // namespace qeil
