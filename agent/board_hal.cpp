#include "agent/board_hal.h"

#include <cerrno>

#include "agent/board_check.h"
#include "hal/linux/cgroup.h"
#include "hal/linux/cpufreq.h"
#include "hal/linux/devfreq.h"
#include "hal/linux/thermal.h"

namespace qeil {
namespace {

bool sameChip(const BoardRail& a, const BoardRail& b) {
  if (a.backend != b.backend) return false;
  if (a.backend == "hwmon") {
    return a.hwmonChip == b.hwmonChip && a.i2cBus == b.i2cBus && a.address == b.address &&
           !a.hwmonLabel.empty() && !b.hwmonLabel.empty();
  }
  return a.i2cBus == b.i2cBus && a.address == b.address;
}

// Adds `rail` to the chip spec of an earlier rail on the same chip; returns its channel.
int joinChip(PowerMonitorSpec& spec, const BoardRail& rail) {
  if (rail.backend == "hwmon") {
    spec.hwmon.labels.push_back(rail.hwmonLabel);
    return static_cast<int>(spec.hwmon.labels.size()) - 1;
  }
  spec.ina.channels[rail.channel] = InaChannelConfig{rail.shuntOhm, rail.maxCurrentA, true};
  return rail.channel;
}

int railChannel(const BoardRail& rail) {
  return rail.backend == "hwmon" ? 0 : rail.channel;
}

Status addZones(const BoardSpec& board, HalContext& hal, BoardHal& out) {
  for (const BoardZone& z : board.zones) {
    auto zone = SysfsThermalZone::find(hal.root, z.name.c_str(), hal.clock);
    if (!zone.ok()) return zone.error().prefix("thermal zone %s", z.name.c_str());
    out.zones.push_back(std::move(zone.value()));
  }
  return Status();
}

Result<std::unique_ptr<FreqDomain>> findDomain(const BoardDevice& d, HalContext& hal) {
  if (!d.cpufreqPolicy.empty()) {
    auto p = CpufreqPolicy::find(hal.root, d.cpufreqPolicy.c_str(), hal.journal, hal.clock);
    if (!p.ok()) return p.error();
    return std::unique_ptr<FreqDomain>(std::move(p.value()));
  }
  if (!d.devfreq.empty()) {
    auto p = DevfreqDevice::find(hal.root, d.devfreq.c_str(), hal.journal, hal.clock);
    if (!p.ok()) return p.error();
    return std::unique_ptr<FreqDomain>(std::move(p.value()));
  }
  return std::unique_ptr<FreqDomain>();
}

Status addDomains(const BoardSpec& board, HalContext& hal, BoardHal& out) {
  for (const BoardDevice& d : board.devices) {
    auto domain = findDomain(d, hal);
    if (!domain.ok()) return domain.error().prefix("device %s", d.name.c_str());
    out.domains.push_back(std::move(domain.value()));
  }
  return Status();
}

}  // namespace

MonitorPlan planMonitors(const BoardSpec& board) {
  MonitorPlan plan;
  std::vector<size_t> firstRailOfSpec;
  for (const BoardRail& rail : board.rails) {
    RailBinding binding;
    for (size_t m = 0; m < plan.specs.size() && binding.monitor < 0; ++m) {
      if (!sameChip(board.rails[firstRailOfSpec[m]], rail)) continue;
      binding.monitor = static_cast<int>(m);
      binding.channel = joinChip(plan.specs[m], rail);
    }
    if (binding.monitor < 0) {
      binding.monitor = static_cast<int>(plan.specs.size());
      binding.channel = railChannel(rail);
      plan.specs.push_back(railMonitorSpec(rail));
      firstRailOfSpec.push_back(static_cast<size_t>(&rail - board.rails.data()));
    }
    plan.rails.push_back(binding);
  }
  return plan;
}

Result<std::unique_ptr<BoardHal>> buildBoardHal(const BoardSpec& board, HalContext& hal,
                                                std::vector<std::string>* warnings) {
  auto out = std::make_unique<BoardHal>();
  MonitorPlan plan = planMonitors(board);
  for (const PowerMonitorSpec& spec : plan.specs) {
    auto monitor = createPowerMonitor(spec, hal);
    if (!monitor.ok()) return monitor.error();
    Status s = monitor.value()->init();
    if (!s.ok() && warnings) warnings->push_back(s.error().message());
    out->monitors.push_back(std::move(monitor.value()));
  }
  out->rails = plan.rails;
  Status s = addZones(board, hal, *out);
  if (s.ok()) s = addDomains(board, hal, *out);
  if (!s.ok()) return s.error();
  auto placement = createCpuPlacement(hal.root, hal.journal, board.cgroupParent.c_str());
  if (!placement.ok()) return placement.error().prefix("cpu placement");
  out->placement = std::move(placement.value());
  return out;
}

}  // namespace qeil
