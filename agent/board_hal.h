#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/backends.h"
#include "hal/board_spec.h"
#include "hal/cpu_placement.h"
#include "hal/freq_domain.h"
#include "hal/power_monitor.h"
#include "hal/result.h"
#include "hal/thermal_zone.h"

namespace qeil {

// Where one board rail is read: a channel of one of BoardHal::monitors.
struct RailBinding {
  int monitor = -1;
  int channel = 0;
};

// The HAL objects of one board, built from its BoardSpec over a HalContext: one power monitor
// per chip (the rails sharing an INA3221, or a hwmon chip, share it), a thermal zone per board
// zone, a frequency domain per device that has one (cpufreq policy or devfreq node), and the
// CPU placement (cgroups) under the board's parent group. Vectors are in the board's order.
struct BoardHal {
  std::vector<std::unique_ptr<PowerMonitor>> monitors;
  std::vector<RailBinding> rails;                    // per BoardSpec::rails
  std::vector<std::unique_ptr<ThermalZone>> zones;   // per BoardSpec::zones
  std::vector<std::unique_ptr<FreqDomain>> domains;  // per BoardSpec::devices; null: none
  std::unique_ptr<CpuPlacement> placement;
};

// Builds everything; a monitor whose chip does not answer yet is kept (it re-probes while
// sampling) and named in `warnings`. Errors: a backend the HAL refuses, a zone or frequency
// domain missing from the tree, no usable cgroup hierarchy.
Result<std::unique_ptr<BoardHal>> buildBoardHal(const BoardSpec& board, HalContext& hal,
                                                std::vector<std::string>* warnings);

// The monitor specs of a board, one per chip, and each rail's place on them.
struct MonitorPlan {
  std::vector<PowerMonitorSpec> specs;
  std::vector<RailBinding> rails;
};
MonitorPlan planMonitors(const BoardSpec& board);

}  // namespace qeil
