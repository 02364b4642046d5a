#pragma once

#include <array>
#include <memory>

#include "hal/linux/ina_common.h"

namespace qeil {

// TI INA3221 (SBOS576): three rails, shunt voltage (+-163.8 mV, 40 uV) and bus voltage
// (8 mV) per channel, no current or power registers: current = Vshunt / R and power = Vbus x I
// are computed here. Per-channel critical limits drive the CRITICAL pin (OverCurrent alerts).
class Ina3221 final : public InaMonitor {
 public:
  // Channels with `enabled` false are not converted (and shorten the conversion cycle); at
  // least one must be enabled.
  static Result<std::unique_ptr<Ina3221>> create(I2cBus& bus, const Clock& clock,
                                                 const InaConfig& config);

  // OverCurrent only: the channel's critical limit, compared with every single conversion.
  Status setAlert(int channel, AlertKind kind, double limit) override;
  Result<bool> takeAlert(int channel) override;

 protected:
  Status probe() override;
  Status configure() override;
  Status readPass(Pass& pass) override;

 private:
  Ina3221(I2cBus& bus, const Clock& clock, const InaConfig& config, uint16_t configReg,
          int64_t periodNs);
  bool enabled(int channel) const { return config().channels[channel].enabled; }

  uint16_t configReg_;
  std::array<uint16_t, 3> criticalLimit_;  // register values as programmed
  uint16_t criticalFlags_ = 0;             // CF1-3 seen by a pass and not yet taken
};

}  // namespace qeil
