#pragma once

#include <sys/types.h>

#include "hal/cpu_set.h"
#include "hal/result.h"

namespace qeil {

// Places processes on CPUs with cgroups: one child group per workload under the agent's parent
// group. Backends: cgroup v2 (cpuset.cpus, cpu.weight, cpu.max) and a cgroup v1 fallback (cpuset
// and cpu hierarchies), chosen at start. Every change is journaled and undone on exit.
class CpuPlacement {
 public:
  virtual ~CpuPlacement() = default;
  virtual const char* backendName() const = 0;  // "cgroup2" or "cgroup1"

  virtual Status createGroup(const char* group) = 0;
  virtual Status removeGroup(const char* group) = 0;
  virtual Status setCpus(const char* group, CpuSet cpus) = 0;
  virtual Result<CpuSet> cpus(const char* group) = 0;
  // Relative CPU weight, 1..10000 (cgroup v2 cpu.weight; v1 maps it to cpu.shares).
  virtual Status setCpuWeight(const char* group, int weight) = 0;
  // Bandwidth cap: `quotaUs` of CPU time per `periodUs`; quotaUs < 0 means no cap.
  virtual Status setCpuMax(const char* group, int64_t quotaUs, int64_t periodUs) = 0;
  // Moves every thread of `pid` into the group; restore moves it back where it was.
  virtual Status movePid(const char* group, pid_t pid) = 0;
};

}  // namespace qeil
