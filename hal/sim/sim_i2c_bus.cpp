#include "hal/sim/sim_i2c_bus.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace qeil {

SimI2cBus::SimI2cBus(const char* name) {
  snprintf(name_, sizeof name_, "%s", name);
}

bool SimI2cBus::attach(uint8_t addr7, SimI2cDevice& device) {
  if (addr7 > 0x7F || find(addr7) != nullptr || slots_.full()) return false;
  Slot slot;
  slot.addr = addr7;
  slot.device = &device;
  return slots_.push_back(slot);
}

SimI2cBus::Slot* SimI2cBus::find(uint8_t addr7) {
  for (Slot& s : slots_) {
    if (s.addr == addr7) return &s;
  }
  return nullptr;
}

const SimI2cBus::Slot* SimI2cBus::find(uint8_t addr7) const {
  for (const Slot& s : slots_) {
    if (s.addr == addr7) return &s;
  }
  return nullptr;
}

Status SimI2cBus::startTransfer(uint8_t addr7, uint8_t command, const char* op, Slot** slot) {
  *slot = find(addr7);
  if (*slot == nullptr) {
    return Error::make(ENXIO, "%s 0x%02x: %s 0x%02x: NACK (no device)", name_, addr7, op, command);
  }
  Slot& s = **slot;
  ++s.transfers;
  if (s.nack) {
    return Error::make(ENXIO, "%s 0x%02x: %s 0x%02x: NACK", name_, addr7, op, command);
  }
  if (s.failCount != 0) {
    if (s.failCount > 0) --s.failCount;
    return Error::make(s.failErrnum, "%s 0x%02x: %s 0x%02x: %s (injected)", name_, addr7, op,
                       command, strerror(s.failErrnum));
  }
  return {};
}

Result<uint16_t> SimI2cBus::readWordData(uint8_t addr7, uint8_t command) {
  Slot* slot = nullptr;
  Status st = startTransfer(addr7, command, "read word", &slot);
  if (!st.ok()) return st.error();
  // The chip still sees the read (flags clear) even when an override replaces the answer.
  uint16_t value = slot->device->readRegister(command);
  for (const Override& o : slot->overrides) {
    if (o.reg == command) value = o.value;
  }
  return swapBytes(value);
}

Status SimI2cBus::writeWordData(uint8_t addr7, uint8_t command, uint16_t value) {
  Slot* slot = nullptr;
  Status st = startTransfer(addr7, command, "write word", &slot);
  if (!st.ok()) return st;
  slot->device->writeRegister(command, swapBytes(value));
  return {};
}

void SimI2cBus::setNack(uint8_t addr7, bool nack) {
  if (Slot* s = find(addr7)) s->nack = nack;
}

void SimI2cBus::failNext(uint8_t addr7, int count, int errnum) {
  if (Slot* s = find(addr7)) {
    s->failCount = count;
    s->failErrnum = errnum;
  }
}

void SimI2cBus::overrideRead(uint8_t addr7, uint8_t reg, uint16_t value) {
  Slot* s = find(addr7);
  if (s == nullptr) return;
  for (Override& o : s->overrides) {
    if (o.reg == reg) {
      o.value = value;
      return;
    }
  }
  s->overrides.push_back({reg, value});
}

void SimI2cBus::setStuck(uint8_t addr7, bool stuck) {
  if (Slot* s = find(addr7)) s->device->setFrozen(stuck);
}

void SimI2cBus::clearFaults(uint8_t addr7) {
  Slot* s = find(addr7);
  if (s == nullptr) return;
  s->nack = false;
  s->failCount = 0;
  s->overrides.clear();
  s->device->setFrozen(false);
}

uint64_t SimI2cBus::transfers(uint8_t addr7) const {
  const Slot* s = find(addr7);
  return s != nullptr ? s->transfers : 0;
}

}  // namespace qeil
