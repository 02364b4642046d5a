#pragma once

#include <memory>

#include "hal/linux/ina_common.h"

namespace qeil {

// TI INA260 (SBOS656): one rail through its internal 2 mOhm shunt (+-15 A), current, bus and
// power registers with fixed LSBs, no calibration, one ALERT function at a time. Probed by its ID
// registers.
class Ina260 final : public InaSingleAlertMonitor {
 public:
  static constexpr double kShuntOhm = 0.002;

  // shuntOhm must be 0 (or 0.002); maxCurrentA, when given, at most 15 A.
  static Result<std::unique_ptr<Ina260>> create(I2cBus& bus, const Clock& clock,
                                                const InaConfig& config);

 protected:
  Status probe() override;
  Status configure() override;
  Status readPass(Pass& pass) override;

 private:
  Ina260(I2cBus& bus, const Clock& clock, const InaConfig& config, uint16_t configReg,
         int64_t periodNs);

  uint16_t configReg_;
};

}  // namespace qeil
