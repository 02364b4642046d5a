#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/cpu_set.h"
#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"
#include "hal/result.h"

namespace qeil {

// CPU topology and hotplug state, read side only: /sys/devices/system/cpu/{possible,present,
// online} and cpuN/online. The agent reacts to CPUs going offline; it never offlines them.
class CpuOnline {
 public:
  static Result<std::unique_ptr<CpuOnline>> create(const SysRoot& root);

  CpuSet possible() const { return possible_; }
  CpuSet present() const { return present_; }
  // Present CPUs with a cpuN/online file. The others (cpu0 on most boards) cannot go offline.
  CpuSet hotpluggable() const { return hotpluggable_; }

  // The kernel's online list. Never allocates.
  Result<CpuSet> readOnline();
  // One CPU's cpuN/online; true for a present CPU without the file. Never allocates.
  Result<bool> isOnline(int cpu);

 private:
  explicit CpuOnline(std::string dir) : dir_(std::move(dir)) {}
  Status load();

  std::string dir_;
  CpuSet possible_;
  CpuSet present_;
  CpuSet hotpluggable_;
  SysfsFile online_;
  std::vector<SysfsFile> cpuOnline_;  // indexed by CPU; open for hotpluggable CPUs
};

}  // namespace qeil
