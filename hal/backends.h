#pragma once

#include <map>
#include <memory>
#include <string>

#include "hal/clock.h"
#include "hal/i2c_bus.h"
#include "hal/linux/hwmon_power.h"
#include "hal/linux/i2c_dev_bus.h"
#include "hal/linux/ina_common.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/power_monitor.h"

namespace qeil {

// The I2C adapter for a bus number: /dev/i2c-N on a board, a simulated bus under the twin.
class I2cBusProvider {
 public:
  virtual ~I2cBusProvider() = default;
  virtual Result<I2cBus*> bus(int number) = 0;
};

// Opens <root>/dev/i2c-N once per bus number and keeps it open.
class I2cDevBusPool final : public I2cBusProvider {
 public:
  explicit I2cDevBusPool(SysRoot root) : root_(std::move(root)) {}
  Result<I2cBus*> bus(int number) override;

 private:
  SysRoot root_;
  std::map<int, std::unique_ptr<I2cDevBus>> buses_;
};

// What a board file says about one power monitor.
struct PowerMonitorSpec {
  std::string backend;     // one of powerMonitorBackendNames()
  int i2cBus = -1;         // I2C backends: the adapter number
  InaConfig ina;           // I2C backends
  HwmonPowerConfig hwmon;  // "hwmon"
};

// What the backends are built from.
struct HalContext {
  SysRoot root;
  const Clock& clock;
  SettingsJournal& journal;
  I2cBusProvider& i2c;
};

// Builds the monitor the spec names from the one backend table. An unknown name is an error
// listing the known ones. The monitor is not initialised: call init().
Result<std::unique_ptr<PowerMonitor>> createPowerMonitor(const PowerMonitorSpec& spec,
                                                         HalContext& hal);
// "ina219, ina226, ina260, ina3221, hwmon": for messages and board-file validation.
const char* powerMonitorBackendNames();
bool isPowerMonitorBackend(const std::string& name);

}  // namespace qeil
