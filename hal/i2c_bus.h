#pragma once

#include <cstdint>

#include "hal/result.h"

namespace qeil {

// SMBus-level access to one I2C adapter (hal/linux/i2c_dev_bus: /dev/i2c-N through libi2c;
// hal/sim/sim_i2c_bus: register models of real chips).
//
// Words travel as SMBus defines them: the first byte on the wire is the LOW byte of the value.
// INA chips send their registers MSB first, so INA drivers swap bytes (hal/linux/ina_common).
// Errors carry the errno the kernel would give: ENXIO or EREMOTEIO for a NACK, EIO, ETIMEDOUT.
class I2cBus {
 public:
  virtual ~I2cBus() = default;
  // Names the adapter in messages (its device node, e.g. i2c-1 under the root's dev).
  virtual const char* name() const = 0;
  virtual Result<uint16_t> readWordData(uint8_t addr7, uint8_t command) = 0;
  virtual Status writeWordData(uint8_t addr7, uint8_t command, uint16_t value) = 0;
};

}  // namespace qeil
