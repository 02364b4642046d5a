#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hal/board_spec.h"
#include "hal/cpu_placement.h"
#include "hal/result.h"
#include "hal/sim/twin.h"
#include "hal/sim/twin_workload.h"

namespace qeil {

enum class WorkloadOrigin { Run, Attach };

constexpr int kMaxWorkloadPriority = 10;
constexpr int kCpuWeightPerPriority = 100;  // cgroup v2's default cpu.weight is 100

// One workload the agent knows: started by it (`run`) or an existing process (`attach`, CPU
// placement only). Tokens come from the twin (its simulated process) or from progress reports.
struct WorkloadEntry {
  int id = 0;  // 1, 2, ...: never reused while the agent runs
  bool used = false;
  WorkloadOrigin origin = WorkloadOrigin::Run;
  pid_t pid = 0;
  std::string group;          // its cgroup under the board's parent group ("w1")
  std::string device;         // "cpu" or an accelerator's name
  std::string plannedDevice;  // where the last plan put it; empty: not planned
  std::vector<std::string> argv;
  LlmWorkloadSpec model;
  // 1..kMaxWorkloadPriority: its weight in the planner's latency objective, and its cgroup's
  // CPU weight (kCpuWeightPerPriority each), so the kernel shares contended CPUs the same way.
  int priority = 1;
  int launcherId = -1;  // the twin's workload id
  WorkloadState state = WorkloadState::Running;
  int exitCode = 0;  // Done: the exit status; Crashed: the signal
  uint64_t tokens = 0;
  uint64_t tokensBefore = 0;
  CpuSet cpus;  // twin CPU workloads: the CPUs its threads run on now  // decoded by the runs
                // before the last move
  double tokensPerS = 0.0;
  int64_t startNs = 0;
  int64_t lastProgressNs = -1;
  // Crash handling (run workloads): restarts so far, when the next may happen.
  int restarts = 0;
  int64_t nextRestartNs = 0;
  // DELETE of a real process: SIGTERM sent at stopSinceNs; reaped (or SIGKILLed) by poll().
  bool stopping = false;
  int64_t stopSinceNs = -1;
};

// Starts, watches and stops workloads. Two backends behind this interface: the board twin's
// simulated LLM processes, and real processes forked and executed in their own cgroup.
class WorkloadLauncher {
 public:
  virtual ~WorkloadLauncher() = default;
  // Starts `w` (argv, model, device and group set); fills pid (and launcherId).
  virtual Status start(WorkloadEntry& w) = 0;
  // Stops it (the process is gone afterwards); its group is left to the journal's restore.
  virtual Status stop(WorkloadEntry& w) = 0;
  // Moves a running `w` to `device` ("cpu" or an accelerator): the twin ends its simulated
  // process and starts one on the device for the tokens left; a real process is stopped and
  // started again with the device's launch arguments. Sets w.device.
  virtual Status move(WorkloadEntry& w, const std::string& device) = 0;
  // Updates state (exit detection) and, where the backend knows them, tokens. Never allocates.
  virtual void poll(WorkloadEntry& w, int64_t nowNs) = 0;
  // Starts a crashed `w` again on w.device for the tokens it has left (twin) or with its command
  // again (a real process). Sets state back to Running.
  virtual Status restart(WorkloadEntry& w) = 0;
  // Starts stopping `w` without waiting: true when it is gone already (the twin), false when a
  // real process got SIGTERM and poll() reaps it (SIGKILL after the kill delay).
  virtual bool beginStop(WorkloadEntry& w, int64_t nowNs) {
    (void)nowNs;
    return stop(w).ok();
  }
};

// The twin's simulated LLM processes: `run` adds a twin workload in <parent>/<group>.
// The group is created with `placement` first (journaled: removed on restore).
std::unique_ptr<WorkloadLauncher> makeTwinLauncher(BoardTwin& twin, CpuPlacement& placement,
                                                   const BoardSpec& board);
// Real processes: fork, move the child into <parent>/<group> with `placement`, then exec the
// command with the device's launch arguments (BoardDevice::launchArgs, split on spaces)
// appended. Exit detection by waitpid(WNOHANG); stop sends SIGTERM, then SIGKILL after
// `killAfterMs`, and reaps.
std::unique_ptr<WorkloadLauncher> makeProcessLauncher(CpuPlacement& placement,
                                                      const BoardSpec& board,
                                                      int killAfterMs = 2000);

// The agent's bounded table of workloads (kMaxWorkloads).
class WorkloadTable {
 public:
  static constexpr size_t kMaxWorkloads = 16;
  WorkloadTable(WorkloadLauncher& launcher, CpuPlacement* placement)
      : launcher_(launcher), placement_(placement) {}

  // Errors: EAGAIN when the table is full (the API answers 429), EINVAL for a bad request,
  // else what the launcher said.
  Result<int> run(const std::vector<std::string>& argv, const LlmWorkloadSpec& model,
                  const std::string& device, int64_t nowNs);
  Result<int> attach(pid_t pid, int64_t nowNs);
  // A `run` workload recorded by a daemon that was killed (agent/workload_record.h), started
  // again under its id for the tokens it had left (tokensDone of model.outputTokens).
  Result<int> resume(int id, const std::vector<std::string>& argv, const LlmWorkloadSpec& model,
                     const std::string& device, uint64_t tokensDone, int64_t nowNs);
  // Called after every arrival, exit, stop and restart (the agent records the table then).
  void setOnChange(std::function<void()> onChange) { onChange_ = std::move(onChange); }
  // ENOENT: no such workload. A real process is stopped asynchronously: it gets SIGTERM now and
  // stays in the table as `stopping` until poll() reaped it (SIGKILL after the launcher's kill
  // delay); stopping() says so.
  Status stop(int id);
  bool stopping(int id) const;
  // Stops every workload it started (on exit); attached processes are left running.
  void stopAll();
  Status progress(int id, uint64_t tokens, int64_t nowNs);
  // Sets a workload's priority (a change re-plans: the latency objective), then writes its
  // cgroup's CPU weight (journaled; a failure is logged and returned, the priority stays).
  // EINVAL outside 1..kMaxWorkloadPriority, ENOENT for no such workload.
  Status setPriority(int id, int priority);
  void setPlannedDevice(int id, const std::string& device);
  // Moves a workload it started to `device` ("cpu" or an accelerator; see
  // WorkloadLauncher::move). Nothing to do when it is there already.
  Status moveTo(int id, const std::string& device);
  // Exit detection and tokens for every entry; allocation-free.
  void poll(int64_t nowNs);
  // Crashed run workloads start again (WorkloadLauncher::restart) on the launcher device
  // `deviceFor(entry)` gives ("cpu" or an accelerator: the planned one while usable): at most
  // kMaxRestarts times each, the first at once, then after kRestartBackoffMs doubling. Attached
  // processes are reported, never restarted. Returns how many restarted.
  static constexpr int kMaxRestarts = 3;
  static constexpr int64_t kRestartBackoffMs = 1000;
  template <typename DeviceFor>
  int restartCrashed(int64_t nowNs, DeviceFor deviceFor);
  uint64_t restartsDone() const { return restartsDone_; }
  // The accelerator a start, move or restart last found gone (the launcher said ENODEV): the
  // only sign of a lost accelerator that has no devfreq node. Empty when none; cleared by
  // taking it.
  std::string takeGoneDevice() { return std::move(goneDevice_); }

  const WorkloadEntry* find(int id) const;
  const std::array<WorkloadEntry, kMaxWorkloads>& entries() const { return entries_; }
  size_t count() const;
  // Bumped on every arrival and exit (what re-planning watches).
  uint64_t generation() const { return generation_; }

 private:
  WorkloadEntry* freeSlot();
  WorkloadEntry newEntry(WorkloadOrigin origin, int64_t nowNs) const;
  WorkloadEntry* findMutable(int id);
  // Remembers `device` when `s` says it is gone; returns `s`.
  Status noteGone(Status s, const std::string& device);

  WorkloadLauncher& launcher_;
  CpuPlacement* placement_;
  std::array<WorkloadEntry, kMaxWorkloads> entries_;
  int nextId_ = 1;
  std::string goneDevice_;
  uint64_t generation_ = 0;
  int64_t lastPollNs_ = 0;
  std::function<void()> onChange_;
  void changed() {
    ++generation_;
    if (onChange_) onChange_();
  }
  uint64_t restartsDone_ = 0;
  Status restartOne(WorkloadEntry& e, const std::string& device, int64_t nowNs);
};

template <typename DeviceFor>
int WorkloadTable::restartCrashed(int64_t nowNs, DeviceFor deviceFor) {
  int n = 0;
  for (WorkloadEntry& e : entries_) {
    if (!e.used || e.origin != WorkloadOrigin::Run || e.state != WorkloadState::Crashed ||
        e.stopping || e.restarts >= kMaxRestarts || nowNs < e.nextRestartNs)
      continue;
    if (restartOne(e, deviceFor(e), nowNs).ok()) ++n;
  }
  return n;
}

// The model a `run` gets when the request names none: TinyLlama 1.1B at Q4 (4.5 bits per
// weight), a 64-token prompt and 128 output tokens.
LlmWorkloadSpec defaultLlmDescriptor();

}  // namespace qeil
