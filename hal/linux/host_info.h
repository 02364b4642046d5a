#pragma once

#include <string>

#include "hal/linux/sys_root.h"

// What the host tells about itself in procfs and sysfs: its CPU, caches and memory, and the CPU
// time spent by everything on it. Used by benches to describe the machine they measured and
// how disturbed it was. Missing files leave the defaults.
namespace qeil {

struct HostCpuInfo {
  std::string model = "unknown";  // /proc/cpuinfo "model name"
  std::string flags;              // "flags" (x86) or "Features" (arm64), as listed
  double mhz = 0.0;               // "cpu MHz" of the first CPU; 0 where not reported
  int llcLevel = 0;               // the largest data or unified cache of cpu0
  long llcBytes = 0;
  double memAvailableBytes = 0.0;  // /proc/meminfo MemAvailable
};
HostCpuInfo readHostCpuInfo(const SysRoot& root);

// Jiffies over all CPUs since boot: busy (user nice system irq softirq), steal, the total, and
// this process's own CPU time (utime + stime).
struct HostCpuTimes {
  double busy = 0, total = 0, steal = 0, self = 0;
};
HostCpuTimes readHostCpuTimes(const SysRoot& root);

// "0.17 1.14 1.72": the 1, 5 and 15 minute load averages; empty when unreadable.
std::string readLoadAverage(const SysRoot& root);

}  // namespace qeil
