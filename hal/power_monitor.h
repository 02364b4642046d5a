#pragma once

#include <cstdint>

#include "hal/result.h"

namespace qeil {

// One measurement of one rail.
struct PowerSample {
  double busV = 0.0;
  double shuntV = 0.0;
  double currentA = 0.0;
  double powerW = 0.0;
  bool valid = false;
  int64_t timestampNs = 0;
};

// ALERT functions a monitor may offer; a chip without one answers ENOTSUP.
enum class AlertKind {
  OverCurrent,     // limit in A (shunt over-voltage, or the INA3221 critical limit)
  OverPower,       // limit in W
  BusOverVoltage,  // limit in V
  BusUnderVoltage  // limit in V
};

// Where a sensor stands. A run of failed reads sends it back to Probing; probing is retried
// with a back-off so a dead chip does not cost a bus transaction on every tick.
enum class SensorState { Probing, Ok, Failing };

struct SensorHealthStats {
  SensorState state = SensorState::Probing;
  uint32_t consecutiveFailures = 0;
  uint64_t reads = 0;
  uint64_t failures = 0;
  uint64_t probes = 0;
};

// A power monitor with one or more channels (rails): an INA chip on I2C, or a chip the kernel
// owns read through hwmon. Backends: hal/linux/ina*.cpp, hal/linux/hwmon_power.cpp.
class PowerMonitor {
 public:
  virtual ~PowerMonitor() = default;

  // Names the chip and where it is ("ina226 /dev/i2c-1 0x40", "hwmon ina3221 VDD_IN").
  virtual const char* name() const = 0;
  virtual int channelCount() const = 0;

  // Finds and configures the chip. A failure leaves the monitor in Probing; `sample` retries.
  virtual Status init() = 0;
  // One read of every channel: updates the last sample, the software energy integral and the
  // health. Never allocates; on failure the channel's sample is marked invalid.
  virtual void sample() = 0;

  virtual const PowerSample& last(int channel) const = 0;
  // Energy integrated in software from the valid samples since init (trapezoid rule).
  virtual double energyJ(int channel) const = 0;
  virtual const SensorHealthStats& health() const = 0;
  // The error of the last failed operation (empty message if none).
  virtual const Error& lastError() const = 0;

  virtual Status setAlert(int channel, AlertKind kind, double limit) = 0;
  // Reads and clears the chip's alert flags; true if the channel's alert fired.
  virtual Result<bool> takeAlert(int channel) = 0;
};

}  // namespace qeil
