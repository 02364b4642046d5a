#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "agent/workloads.h"
#include "hal/result.h"

namespace qeil {

// The accepted workloads, kept on disk beside the settings journal so that a qeild killed with
// SIGKILL loses none: rewritten (atomically: a temporary file renamed over it) on every arrival,
// exit, stop and restart, read back by the next start (Agent::init), which runs every recorded
// `run` workload again under its id for the tokens it had left. One line per workload, fields
// separated by tabs, the command's arguments by 0x1f (an argument holding a tab, a newline or
// 0x1f is not recorded). Entries stopped or finished are not recorded.
struct SavedWorkload {
  int id = 0;
  WorkloadOrigin origin = WorkloadOrigin::Run;
  pid_t pid = 0;
  int launcherId = -1;
  std::string device;
  uint64_t tokens = 0;
  LlmWorkloadSpec model;
  std::vector<std::string> argv;
  int priority = 1;
};

// The workloads worth resuming: started or attached, not stopping, not done.
std::vector<SavedWorkload> savedWorkloads(const WorkloadTable& table);
// Writes into `buffer` (a line that does not fit is left out, logged) and renames a temporary
// file over `path` (`tmpPath` beside it): no heap allocation, so the tick may call it.
Status saveWorkloads(const WorkloadTable& table, const char* path, const char* tmpPath,
                     char* buffer, size_t capacity);
// A missing file is an empty list. Errors name the file and line.
Result<std::vector<SavedWorkload>> loadWorkloads(const std::string& path);

}  // namespace qeil
