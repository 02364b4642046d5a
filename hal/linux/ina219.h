#pragma once

#include <memory>

#include "hal/linux/ina_common.h"

namespace qeil {

// TI INA219 (SBOS448): one rail, 32 V bus range, PGA shunt ranges 40..320 mV, calibrated
// current and power registers. No ID registers: probed by a reset and the configuration's
// reset value. No ALERT pin: alerts answer ENOTSUP.
class Ina219 final : public InaMonitor {
 public:
  // averages 1..128 (powers of two); with averages 1 the conversion time picks the resolution
  // (84, 148, 276, 532 us = 9..12 bit), averaging always runs 12-bit conversions (532 us).
  // The PGA is the smallest range holding maxCurrentA x shuntOhm.
  static Result<std::unique_ptr<Ina219>> create(I2cBus& bus, const Clock& clock,
                                                const InaConfig& config);

  Status setAlert(int channel, AlertKind kind, double limit) override;
  Result<bool> takeAlert(int channel) override;

  uint16_t calibration() const { return settings_.cal; }
  double currentLsbA() const { return settings_.currentLsbA; }
  double powerLsbW() const { return settings_.powerLsbW; }
  // Shunt range of the chosen PGA gain.
  double shuntRangeV() const;

 protected:
  Status probe() override;
  Status configure() override;
  Status readPass(Pass& pass) override;

 private:
  struct Settings {
    uint16_t config = 0;
    uint16_t cal = 0;
    int pga = 0;  // 0..3: /1../8
    double currentLsbA = 0.0;
    double powerLsbW = 0.0;
    int64_t periodNs = 0;
  };
  Ina219(I2cBus& bus, const Clock& clock, const InaConfig& config, const Settings& settings);
  static Result<Settings> settingsFor(const char* name, const InaConfig& config);

  Settings settings_;
};

}  // namespace qeil
