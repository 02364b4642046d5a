#pragma once

#include <cstdint>
#include <memory>

#include "hal/i2c_bus.h"
#include "hal/linux/sys_root.h"
#include "hal/result.h"

namespace qeil {

// One I2C adapter through the kernel's i2c-dev interface (<root>/dev/i2c-N) and libi2c's SMBus
// helpers. The selected slave address is cached, so a run of transfers to one chip costs one
// ioctl(I2C_SLAVE) only when the address changes. Errors carry the kernel's errno: a NACK is
// ENXIO or EREMOTEIO depending on the adapter driver.
class I2cDevBus final : public I2cBus {
 public:
  // Opens <root>/dev/i2c-<busNumber> and checks that it is an i2c-dev adapter able to do SMBus
  // word transfers.
  static Result<std::unique_ptr<I2cDevBus>> open(const SysRoot& root, int busNumber);
  ~I2cDevBus() override;
  I2cDevBus(const I2cDevBus&) = delete;
  I2cDevBus& operator=(const I2cDevBus&) = delete;

  // "/dev/i2c-N" as on the board, whatever the root.
  const char* name() const override { return name_; }
  Result<uint16_t> readWordData(uint8_t addr7, uint8_t command) override;
  Status writeWordData(uint8_t addr7, uint8_t command, uint16_t value) override;

 private:
  I2cDevBus(int fd, int busNumber);
  Status selectSlave(uint8_t addr7);
  Error transferError(int err, uint8_t addr7, const char* op, uint8_t command) const;

  int fd_;
  int selectedAddr_ = -1;  // none yet
  char name_[32] = {};
};

}  // namespace qeil
