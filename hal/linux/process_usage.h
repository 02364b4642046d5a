#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "hal/linux/sys_root.h"
#include "hal/result.h"

// What one process costs the machine, from procfs: its memory (resident, peak, proportional and
// private, and per mapping, so that shared-library pages can be told from its own) and its CPU
// time. Used by bench/agent_overhead on the qeild it runs.
namespace qeil {

// One file (or [heap], [stack], anonymous memory) and the memory its mappings hold, in KiB.
struct MappingUsage {
  std::string name;  // the file's path, "[heap]", "[stack]", "[anon]", ...
  double rssKiB = 0, pssKiB = 0, privateKiB = 0;
};

struct ProcessMemory {
  double rssKiB = 0;                      // status VmRSS
  double hwmKiB = 0;                      // status VmHWM: the peak resident size
  double rssAnonKiB = 0, rssFileKiB = 0;  // status RssAnon, RssFile
  double pssKiB = 0;                      // smaps_rollup Pss
  double privateKiB = 0;                  // smaps_rollup Private_Clean + Private_Dirty
  double sharedKiB = 0;                   // smaps_rollup Shared_Clean + Shared_Dirty
  std::vector<MappingUsage> mappings;     // from smaps, the largest resident first
};
// Errors: the process is gone or its files unreadable (ENOENT, EACCES).
Result<ProcessMemory> readProcessMemory(const SysRoot& root, pid_t pid);

// utime + stime in seconds (stat fields 14 and 15 over the clock tick).
Result<double> readProcessCpuSeconds(const SysRoot& root, pid_t pid);

}  // namespace qeil
