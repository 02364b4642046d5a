#pragma once

// A driver on its chip model: simulated clock, in-memory bus, one INA chip at 0x40.

#include <memory>
#include <string>

#include "hal/linux/ina219.h"
#include "hal/linux/ina226.h"
#include "hal/linux/ina260.h"
#include "hal/linux/ina3221.h"
#include "hal/sim/ina_chip_model.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/sim_i2c_bus.h"

namespace qeil::test {

inline bool contains(const char* text, const std::string& part) {
  return std::string(text).find(part) != std::string::npos;
}

// A board-like default: 0.1 Ohm shunts, 0.8 A expected (80 mV: within every chip's shunt range,
// the INA226's 81.92 mV being the smallest).
inline InaConfig defaultInaConfig(InaChip chip) {
  InaConfig c;
  for (InaChannelConfig& ch : c.channels) {
    ch.shuntOhm = chip == InaChip::Ina260 ? 0.0 : 0.1;
    ch.maxCurrentA = 0.8;
  }
  return c;
}

inline Result<std::unique_ptr<InaMonitor>> createIna(InaChip chip, I2cBus& bus, const Clock& clock,
                                                     const InaConfig& c) {
  auto wrap = [](auto r) -> Result<std::unique_ptr<InaMonitor>> {
    if (!r.ok()) return r.error();
    return std::unique_ptr<InaMonitor>(std::move(r.value()));
  };
  switch (chip) {
    case InaChip::Ina219:
      return wrap(Ina219::create(bus, clock, c));
    case InaChip::Ina226:
      return wrap(Ina226::create(bus, clock, c));
    case InaChip::Ina260:
      return wrap(Ina260::create(bus, clock, c));
    case InaChip::Ina3221:
      return wrap(Ina3221::create(bus, clock, c));
  }
  return Error::make(EINVAL, "unknown chip");
}

struct InaRig {
  static constexpr uint8_t kAddr = 0x40;

  explicit InaRig(InaChip type) : InaRig(type, defaultInaConfig(type)) {}
  InaRig(InaChip type, const InaConfig& config) : chip(InaChipModel::create(type, clock)) {
    bus.attach(kAddr, *chip);
    for (int ch = 0; ch < chip->channelCount(); ++ch) {
      if (type != InaChip::Ina260) chip->setShuntOhm(ch, config.channels[ch].shuntOhm);
    }
    InaConfig c = config;
    c.addr = kAddr;
    auto m = createIna(type, bus, clock, c);
    if (m.ok()) {
      monitor = std::move(m.value());
    } else {
      createError = m.error();
    }
  }

  // Steps the clock by `ns`, then samples.
  void stepAndSample(int64_t ns) {
    clock.advanceNs(ns);
    monitor->sample();
  }
  // Brings a fresh monitor to its first valid sample: init, one conversion period, sample.
  bool start() {
    if (!monitor || !monitor->init().ok()) return false;
    stepAndSample(monitor->conversionPeriodNs());
    return monitor->last(firstEnabled()).valid;
  }
  int firstEnabled() const { return 0; }

  SimClock clock{0};
  SimI2cBus bus{"/dev/i2c-1"};
  std::unique_ptr<InaChipModel> chip;
  std::unique_ptr<InaMonitor> monitor;
  Error createError;
};

}  // namespace qeil::test
