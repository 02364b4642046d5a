#include "hal/backends.h"

#include <cerrno>

#include "hal/linux/ina219.h"
#include "hal/linux/ina226.h"
#include "hal/linux/ina260.h"
#include "hal/linux/ina3221.h"

namespace qeil {
namespace {

using Factory = Result<std::unique_ptr<PowerMonitor>> (*)(const PowerMonitorSpec&, HalContext&);

template <class Chip>
Result<std::unique_ptr<PowerMonitor>> viaI2c(const PowerMonitorSpec& spec, HalContext& hal) {
  Result<I2cBus*> bus = hal.i2c.bus(spec.i2cBus);
  if (!bus.ok()) return bus.error();
  auto chip = Chip::create(*bus.value(), hal.clock, spec.ina);
  if (!chip.ok()) return chip.error();
  return std::unique_ptr<PowerMonitor>(std::move(chip.value()));
}

Result<std::unique_ptr<PowerMonitor>> viaHwmon(const PowerMonitorSpec& spec, HalContext& hal) {
  auto monitor = HwmonPowerMonitor::create(hal.root, spec.hwmon, hal.clock, hal.journal);
  if (!monitor.ok()) return monitor.error();
  return std::unique_ptr<PowerMonitor>(std::move(monitor.value()));
}

struct Backend {
  const char* name;
  Factory create;
};

// The one table of power monitor backends. A new backend is one row here.
constexpr Backend kPowerBackends[] = {
    {"ina219", &viaI2c<Ina219>},   {"ina226", &viaI2c<Ina226>}, {"ina260", &viaI2c<Ina260>},
    {"ina3221", &viaI2c<Ina3221>}, {"hwmon", &viaHwmon},
};

const Backend* findBackend(const std::string& name) {
  for (const Backend& b : kPowerBackends) {
    if (name == b.name) return &b;
  }
  return nullptr;
}

}  // namespace

Result<I2cBus*> I2cDevBusPool::bus(int number) {
  auto it = buses_.find(number);
  if (it != buses_.end()) return static_cast<I2cBus*>(it->second.get());
  auto opened = I2cDevBus::open(root_, number);
  if (!opened.ok()) return opened.error();
  I2cBus* bus = opened.value().get();
  buses_.emplace(number, std::move(opened.value()));
  return bus;
}

const char* powerMonitorBackendNames() {
  static const std::string names = [] {
    std::string joined;
    for (const Backend& b : kPowerBackends)
      joined += (joined.empty() ? "" : ", ") + std::string(b.name);
    return joined;
  }();
  return names.c_str();
}

bool isPowerMonitorBackend(const std::string& name) {
  return findBackend(name) != nullptr;
}

Result<std::unique_ptr<PowerMonitor>> createPowerMonitor(const PowerMonitorSpec& spec,
                                                         HalContext& hal) {
  const Backend* backend = findBackend(spec.backend);
  if (!backend) {
    return Error::make(EINVAL, "power monitor backend '%s' is unknown (known: %s)",
                       spec.backend.c_str(), powerMonitorBackendNames());
  }
  return backend->create(spec, hal);
}

}  // namespace qeil
