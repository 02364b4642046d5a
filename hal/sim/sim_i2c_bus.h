#pragma once

#include <cerrno>
#include <cstdint>

#include "hal/fixed_vector.h"
#include "hal/i2c_bus.h"
#include "hal/result.h"

namespace qeil {

// A chip on a simulated bus, seen at the register level: values are the chip's own 16-bit
// register contents (MSB first on the wire, i.e. not yet in SMBus word order).
class SimI2cDevice {
 public:
  virtual ~SimI2cDevice() = default;
  // A read has the chip's side effects (flags that clear on read).
  virtual uint16_t readRegister(uint8_t reg) = 0;
  virtual void writeRegister(uint8_t reg, uint16_t value) = 0;
  // Stuck chip: result registers frozen, no new conversions, until unfrozen.
  virtual void setFrozen(bool frozen) = 0;
};

// An in-memory I2C adapter: devices are attached by 7-bit address, words come back in SMBus
// order (low byte first, so the chip's big-endian register is byte-swapped, as on a real bus),
// and faults are injected per address. Nothing here allocates after attach().
class SimI2cBus final : public I2cBus {
 public:
  static constexpr size_t kMaxDevices = 16;
  static constexpr int kForever = -1;

  explicit SimI2cBus(const char* name = "sim-i2c");

  const char* name() const override { return name_; }
  Result<uint16_t> readWordData(uint8_t addr7, uint8_t command) override;
  Status writeWordData(uint8_t addr7, uint8_t command, uint16_t value) override;

  // The device is not owned and must outlive the bus. Returns false when the address is not
  // 7-bit or taken, or the bus is full.
  bool attach(uint8_t addr7, SimI2cDevice& device);

  // Fault injection, per address. A NACK answers ENXIO to every transfer (as a chip that went
  // away); failNext makes the next `count` transfers fail with `errnum` (kForever: until
  // cleared); a read override makes one register read back `value` (e.g. a wrong ID).
  void setNack(uint8_t addr7, bool nack);
  void failNext(uint8_t addr7, int count, int errnum = EIO);
  void overrideRead(uint8_t addr7, uint8_t reg, uint16_t value);
  void setStuck(uint8_t addr7, bool stuck);
  // Removes every injected fault at the address (a stuck chip starts converting again).
  void clearFaults(uint8_t addr7);

  // Transfers attempted at an attached address, failed ones included.
  uint64_t transfers(uint8_t addr7) const;

 private:
  struct Override {
    uint8_t reg;
    uint16_t value;
  };
  struct Slot {
    uint8_t addr = 0;
    SimI2cDevice* device = nullptr;
    bool nack = false;
    int failCount = 0;  // kForever: until cleared
    int failErrnum = EIO;
    FixedVector<Override, 8> overrides;
    uint64_t transfers = 0;
  };

  Slot* find(uint8_t addr7);
  const Slot* find(uint8_t addr7) const;
  // Counts the transfer and applies NACK / failNext; returns the fault, if any.
  Status startTransfer(uint8_t addr7, uint8_t command, const char* op, Slot** slot);

  char name_[32] = {};
  FixedVector<Slot, kMaxDevices> slots_;
};

// SMBus word order <-> INA register order.
constexpr uint16_t swapBytes(uint16_t v) {
  return static_cast<uint16_t>((v >> 8) | (v << 8));
}

}  // namespace qeil
