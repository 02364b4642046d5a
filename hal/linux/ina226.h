#pragma once

#include <memory>

#include "hal/linux/ina_common.h"

namespace qeil {

// TI INA226 (SBOS547): one rail, 36 V bus, shunt ADC +-81.92 mV, calibrated current and power
// registers, one ALERT function at a time. Probed by its ID registers.
class Ina226 final : public InaSingleAlertMonitor {
 public:
  // Validates the configuration (averaging and conversion times from the datasheet sets; the
  // expected current must fit the shunt range) and computes the calibration. Does not touch
  // the bus: init() does.
  static Result<std::unique_ptr<Ina226>> create(I2cBus& bus, const Clock& clock,
                                                const InaConfig& config);

  uint16_t calibration() const { return settings_.cal; }
  // The LSBs the programmed (truncated) calibration really gives.
  double currentLsbA() const { return settings_.currentLsbA; }
  double powerLsbW() const { return settings_.powerLsbW; }

 protected:
  Status probe() override;
  Status configure() override;
  Status readPass(Pass& pass) override;

 private:
  struct Settings {
    uint16_t config = 0;
    uint16_t cal = 0;
    double currentLsbA = 0.0;
    double powerLsbW = 0.0;
    int64_t periodNs = 0;
  };
  Ina226(I2cBus& bus, const Clock& clock, const InaConfig& config, const Settings& settings);
  static Result<Settings> settingsFor(const char* name, const InaConfig& config);

  Settings settings_;
};

}  // namespace qeil
