#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <random>

#include "hal/clock.h"
#include "hal/sim/sim_i2c_bus.h"

namespace qeil {

enum class InaChip { Ina219, Ina226, Ina260, Ina3221 };

const char* inaChipName(InaChip chip);

// Register-level model of a TI INA power monitor, for SimI2cBus: register map and reset values
// (also through the RST bit), calibration arithmetic with the datasheet's integer truncation,
// LSBs, saturation at full scale, conversion time and averaging driven by a Clock, conversion-
// ready flags, alert limits and flags, and the ALERT pin.
//
// Timing: in a continuous mode a result is latched only at the end of each averaging cycle
// (all conversions of all enabled channels) and is the mean of the true input over that cycle.
// The input is piecewise constant between setInput() calls, so the mean is exact. Noise, when
// enabled, is Gaussian per conversion, so a latched mean carries sigma / sqrt(averages).
//
// Simplifications: shunt-only and bus-only modes convert both; INA219 resolutions below 12 bit
// keep the 12-bit LSB; the INA3221 summation and power-valid functions are not modelled; its
// critical alert uses the highest input held during the cycle as "an individual conversion".
class InaChipModel : public SimI2cDevice {
 public:
  static constexpr int kMaxChannels = 3;

  static std::unique_ptr<InaChipModel> create(InaChip chip, const Clock& clock);
  ~InaChipModel() override = default;
  InaChipModel(const InaChipModel&) = delete;
  InaChipModel& operator=(const InaChipModel&) = delete;

  InaChip chip() const { return chip_; }
  int channelCount() const { return channels_; }

  // The true input of a channel from now until the next call.
  void setInput(int channel, double busV, double currentA);
  // The physical shunt on the board (default 0.1 Ohm). A driver told another value shows the
  // calibration error. The INA260's shunt is internal: fixed at 2 mOhm, this call is ignored.
  void setShuntOhm(int channel, double ohm);
  double shuntOhm(int channel) const { return shuntOhm_[channel]; }
  // Gaussian noise per conversion, sigma in volts at the ADC input; 0 turns it off.
  void setNoise(double shuntSigmaV, double busSigmaV, uint64_t seed);
  // Stuck chip: no conversions, result registers and flags frozen. Unfreezing starts a cycle.
  void setFrozen(bool frozen) override;
  // A brown-out: every register back to its power-on value, conversions restart.
  void powerOnReset();

  // ALERT pin asserted (INA3221: the critical-alert pin). Always false on the INA219.
  bool alertAsserted();
  // INA3221 warning-alert pin; false on the others.
  bool warningAsserted();
  // Register contents without the side effects of a bus read.
  uint16_t peek(uint8_t reg);
  // Averaging cycles latched since creation, up to the clock's now.
  uint64_t conversions();

  uint16_t readRegister(uint8_t reg) override;
  void writeRegister(uint8_t reg, uint16_t value) override;

 protected:
  InaChipModel(InaChip chip, const Clock& clock, int channels);

  virtual void resetRegisters() = 0;
  // One averaging cycle over every enabled channel; 0 when nothing converts.
  virtual int64_t cycleNs() const = 0;
  virtual int shuntAverages() const = 0;
  virtual int busAverages() const = 0;
  virtual bool channelEnabled(int channel) const = 0;
  // Latches one cycle's means (and the highest shunt voltage held during it) into registers.
  virtual void latchResults(const double* shuntV, const double* busV, const double* peakShuntV) = 0;
  virtual uint16_t onRead(uint8_t reg) = 0;
  virtual void onWrite(uint8_t reg, uint16_t value) = 0;
  virtual bool alertPin() const { return false; }
  virtual bool warningPin() const { return false; }

  // The conversion sequence starts over (configuration written, reset, unfrozen).
  void restartConversion();

  std::array<uint16_t, 256> regs_{};
  std::array<double, kMaxChannels> shuntOhm_{};

 private:
  struct Input {
    double busV = 0.0;
    double currentA = 0.0;
  };

  bool converting() const;
  // Brings the conversion engine up to the clock's now.
  void advance();
  void accumulateTo(int64_t ns);
  void completeCycle(int64_t lenNs);
  void startCycleSums();
  double trueShuntV(int ch) const { return inputs_[ch].currentA * shuntOhm_[ch]; }
  double noise(double sigma, int averages);

  InaChip chip_;
  const Clock& clock_;
  int channels_;
  std::array<Input, kMaxChannels> inputs_{};
  std::array<double, kMaxChannels> shuntSumVns_{};
  std::array<double, kMaxChannels> busSumVns_{};
  std::array<double, kMaxChannels> peakShuntV_{};
  int64_t cycleStartNs_ = 0;
  int64_t lastNs_ = 0;
  bool frozen_ = false;
  bool shotDone_ = false;  // triggered mode: the one cycle has run
  uint64_t conversions_ = 0;
  double shuntSigmaV_ = 0.0;
  double busSigmaV_ = 0.0;
  std::mt19937_64 rng_;
  std::normal_distribution<double> gauss_{0.0, 1.0};
};

}  // namespace qeil
