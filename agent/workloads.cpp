#include "agent/workloads.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "hal/clock.h"
#include "hal/log.h"

namespace qeil {
namespace {

// The launcher found an accelerator gone (ENODEV), as opposed to the workload failing.
bool deviceGone(const Status& s, const std::string& device) {
  return !s.ok() && s.error().errnum() == ENODEV && device != "cpu";
}

LogModule logWorkloads("workloads");

std::string groupPath(const BoardSpec& board, const std::string& group) {
  return board.cgroupParent.empty() ? group : board.cgroupParent + "/" + group;
}

class TwinLauncher : public WorkloadLauncher {
 public:
  TwinLauncher(BoardTwin& twin, CpuPlacement& placement, const BoardSpec& board)
      : twin_(twin), placement_(placement), board_(board) {}

  Status start(WorkloadEntry& w) override {
    Status s = placement_.createGroup(w.group.c_str());
    if (!s.ok()) return s;
    LlmWorkloadSpec spec = w.model;
    spec.device = w.device == "cpu" ? std::string() : w.device;
    spec.cgroup = groupPath(board_, w.group);
    if (spec.name.empty()) spec.name = w.argv.empty() ? w.group : w.argv[0];
    Result<int> id = twin_.addWorkload(spec);
    if (!id.ok()) return id.error();
    w.launcherId = id.value();
    w.pid = twin_.workloadPid(id.value());
    return Status();
  }
  Status stop(WorkloadEntry& w) override {
    // A finished workload's twin slot may run another one by now (the twin reuses it).
    if (w.launcherId < 0 || twin_.workloadPid(w.launcherId) != w.pid ||
        twin_.workload(w.launcherId).state != WorkloadState::Running)
      return Status();
    return twin_.crashWorkload(w.launcherId);
  }
  void poll(WorkloadEntry& w, int64_t) override {
    if (w.launcherId < 0) return;
    WorkloadStatus st = twin_.workload(w.launcherId);
    w.state = st.state;
    w.tokens = w.tokensBefore + st.totalTokens;
    w.tokensPerS = st.tokensPerS;
    w.cpus = st.cpus;
  }
  Status move(WorkloadEntry& w, const std::string& device) override {
    if (w.launcherId < 0) return Error::make(EINVAL, "workload %d: not started here", w.id);
    Status s = twin_.crashWorkload(w.launcherId);
    if (!s.ok()) return s;
    return respawn(w, device);
  }
  Status restart(WorkloadEntry& w) override {
    if (w.launcherId < 0) return Error::make(EINVAL, "workload %d: not started here", w.id);
    return respawn(w, w.device);
  }

 private:
  // A new simulated process on `device` for the tokens the ended one had left.
  Status respawn(WorkloadEntry& w, const std::string& device) {
    const WorkloadStatus st = twin_.workload(w.launcherId);
    w.tokensBefore += st.totalTokens;
    const int left = w.model.outputTokens - st.tokensGenerated;
    WorkloadEntry next = w;
    next.model.outputTokens = left > 0 ? left : 1;
    next.device = device;
    LlmWorkloadSpec spec = next.model;
    spec.device = device == "cpu" ? std::string() : device;
    spec.cgroup = groupPath(board_, w.group);
    Result<int> id = twin_.addWorkload(spec);
    if (!id.ok()) {
      w.state = WorkloadState::Crashed;
      return id.error();
    }
    w.launcherId = id.value();
    w.pid = twin_.workloadPid(id.value());
    w.device = device;
    w.state = WorkloadState::Running;
    return Status();
  }

  BoardTwin& twin_;
  CpuPlacement& placement_;
  const BoardSpec& board_;
};

std::vector<std::string> splitArgs(const std::string& args) {
  std::vector<std::string> out;
  std::istringstream in(args);
  std::string a;
  while (in >> a)
    out.push_back(a);
  return out;
}

class ProcessLauncher : public WorkloadLauncher {
 public:
  ProcessLauncher(CpuPlacement& placement, const BoardSpec& board, int killAfterMs)
      : placement_(placement), board_(board), killAfterMs_(killAfterMs) {}

  Status start(WorkloadEntry& w) override {
    if (w.argv.empty()) return Error::make(EINVAL, "run: an empty command");
    std::vector<std::string> args = w.argv;
    int d = indexByName(board_.devices, w.device);
    if (d >= 0) {
      for (std::string& a : splitArgs(board_.devices[static_cast<size_t>(d)].launchArgs))
        args.push_back(std::move(a));
    }
    std::vector<char*> cargv;
    for (std::string& a : args)
      cargv.push_back(a.data());
    cargv.push_back(nullptr);
    Status s = placement_.createGroup(w.group.c_str());
    if (!s.ok()) return s;
    int go[2];
    int err[2];
    if (pipe2(go, O_CLOEXEC) != 0) return Error::make(errno, "pipe: %s", strerror(errno));
    if (pipe2(err, O_CLOEXEC) != 0) {
      close(go[0]);
      close(go[1]);
      return Error::make(errno, "pipe: %s", strerror(errno));
    }
    pid_t pid = fork();
    if (pid < 0) {
      int e = errno;
      for (int fd : {go[0], go[1], err[0], err[1]})
        close(fd);
      return Error::make(e, "fork: %s", strerror(e));
    }
    if (pid == 0) {
      // The child waits until it is in its group, then becomes the command.
      char c = 0;
      if (read(go[0], &c, 1) != 1 || c != 'g') _exit(126);
      setpgid(0, 0);
      execvp(cargv[0], cargv.data());
      int e = errno;
      ssize_t n = write(err[1], &e, sizeof e);
      (void)n;
      _exit(127);
    }
    close(go[0]);
    close(err[1]);
    s = placement_.movePid(w.group.c_str(), pid);
    char c = s.ok() ? 'g' : 'x';
    ssize_t n = write(go[1], &c, 1);
    close(go[1]);
    int execErr = 0;
    ssize_t got = read(err[0], &execErr, sizeof execErr);
    close(err[0]);
    if (!s.ok() || n != 1 || got > 0) {
      int status = 0;
      waitpid(pid, &status, 0);
      if (!s.ok()) return s;
      return Error::make(got > 0 ? execErr : EIO, "run %s: %s", cargv[0],
                         got > 0 ? strerror(execErr) : "the child did not start");
    }
    w.pid = pid;
    QEIL_LOG(logWorkloads, Info, "workload %d: pid %d runs %s in %s", w.id, static_cast<int>(pid),
             cargv[0], w.group.c_str());
    return Status();
  }

  Status stop(WorkloadEntry& w) override {
    if (w.origin != WorkloadOrigin::Run || w.state != WorkloadState::Running || w.pid <= 0)
      return Status();
    kill(w.pid, SIGTERM);
    int status = 0;
    for (int waitedMs = 0; waitedMs < killAfterMs_; waitedMs += 10) {
      if (waitpid(w.pid, &status, WNOHANG) == w.pid) {
        record(w, status);
        return Status();
      }
      usleep(10 * 1000);
    }
    kill(w.pid, SIGKILL);
    if (waitpid(w.pid, &status, 0) == w.pid) {
      record(w, status);
      return Status();
    }
    return Error::make(errno, "workload %d: reaping pid %d: %s", w.id, static_cast<int>(w.pid),
                       strerror(errno));
  }

  Status move(WorkloadEntry& w, const std::string& device) override {
    Status s = stop(w);
    if (!s.ok()) return s;
    w.state = WorkloadState::Running;
    w.device = device;
    return start(w);
  }

  Status restart(WorkloadEntry& w) override {
    Status s = start(w);
    if (s.ok()) w.state = WorkloadState::Running;
    return s;
  }

  bool beginStop(WorkloadEntry& w, int64_t nowNs) override {
    if (w.origin != WorkloadOrigin::Run || w.state != WorkloadState::Running || w.pid <= 0)
      return true;
    kill(w.pid, SIGTERM);
    w.stopping = true;
    w.stopSinceNs = nowNs;
    return false;
  }

  void poll(WorkloadEntry& w, int64_t nowNs) override {
    if (w.stopping) {
      int status = 0;
      if (waitpid(w.pid, &status, WNOHANG) == w.pid) {
        record(w, status);
        w.stopping = false;
      } else if (nowNs - w.stopSinceNs >= static_cast<int64_t>(killAfterMs_) * kNsPerMs) {
        kill(w.pid, SIGKILL);  // reaped by the next poll
      }
      return;
    }
    if (w.state != WorkloadState::Running || w.pid <= 0) return;
    if (w.origin == WorkloadOrigin::Attach) {
      if (kill(w.pid, 0) != 0 && errno == ESRCH) w.state = WorkloadState::Done;
      return;
    }
    int status = 0;
    if (waitpid(w.pid, &status, WNOHANG) == w.pid) record(w, status);
  }

 private:
  static void record(WorkloadEntry& w, int status) {
    if (WIFSIGNALED(status)) {
      w.state = WorkloadState::Crashed;
      w.exitCode = WTERMSIG(status);
    } else {
      w.state = WEXITSTATUS(status) == 0 ? WorkloadState::Done : WorkloadState::Crashed;
      w.exitCode = WEXITSTATUS(status);
    }
  }

  CpuPlacement& placement_;
  const BoardSpec& board_;
  int killAfterMs_;
};

}  // namespace

std::unique_ptr<WorkloadLauncher> makeTwinLauncher(BoardTwin& twin, CpuPlacement& placement,
                                                   const BoardSpec& board) {
  return std::make_unique<TwinLauncher>(twin, placement, board);
}

std::unique_ptr<WorkloadLauncher> makeProcessLauncher(CpuPlacement& placement,
                                                      const BoardSpec& board, int killAfterMs) {
  return std::make_unique<ProcessLauncher>(placement, board, killAfterMs);
}

LlmWorkloadSpec defaultLlmDescriptor() {
  LlmWorkloadSpec m = tinyLlamaQ4();
  m.name = "tinyllama-1.1b-q4";
  m.threads = 4;
  return m;
}

WorkloadEntry* WorkloadTable::freeSlot() {
  WorkloadEntry* finished = nullptr;
  for (WorkloadEntry& e : entries_) {
    if (!e.used) return &e;
    if (e.state != WorkloadState::Running && (!finished || e.id < finished->id)) finished = &e;
  }
  return finished;  // the oldest finished entry makes room
}

WorkloadEntry WorkloadTable::newEntry(WorkloadOrigin origin, int64_t nowNs) const {
  WorkloadEntry e;
  e.id = nextId_;
  e.used = true;
  e.origin = origin;
  e.group = "w" + std::to_string(e.id);
  e.device = "cpu";
  e.startNs = nowNs;
  return e;
}

WorkloadEntry* WorkloadTable::findMutable(int id) {
  for (WorkloadEntry& e : entries_) {
    if (e.used && e.id == id) return &e;
  }
  return nullptr;
}

const WorkloadEntry* WorkloadTable::find(int id) const {
  for (const WorkloadEntry& e : entries_) {
    if (e.used && e.id == id) return &e;
  }
  return nullptr;
}

size_t WorkloadTable::count() const {
  size_t n = 0;
  for (const WorkloadEntry& e : entries_)
    n += e.used ? 1 : 0;
  return n;
}

Result<int> WorkloadTable::run(const std::vector<std::string>& argv, const LlmWorkloadSpec& model,
                               const std::string& device, int64_t nowNs) {
  WorkloadEntry* slot = freeSlot();
  if (!slot)
    return Error::make(EAGAIN, "run: %zu workloads are running, the most the agent keeps",
                       kMaxWorkloads);
  WorkloadEntry e = newEntry(WorkloadOrigin::Run, nowNs);
  if (!device.empty()) e.device = device;
  e.argv = argv;
  e.model = model;
  Status s = noteGone(launcher_.start(e), e.device);
  if (!s.ok()) return s.error();
  ++nextId_;
  *slot = std::move(e);
  changed();
  return slot->id;
}

Result<int> WorkloadTable::resume(int id, const std::vector<std::string>& argv,
                                  const LlmWorkloadSpec& model, const std::string& device,
                                  uint64_t tokensDone, int64_t nowNs) {
  if (id <= 0 || find(id)) return Error::make(EEXIST, "resume: workload %d exists", id);
  WorkloadEntry* slot = freeSlot();
  if (!slot) return Error::make(EAGAIN, "resume: the table is full");
  WorkloadEntry e = newEntry(WorkloadOrigin::Run, nowNs);
  e.id = id;
  e.group = "w" + std::to_string(id);
  e.device = device.empty() ? "cpu" : device;
  e.argv = argv;
  e.model = model;
  const int64_t left = static_cast<int64_t>(model.outputTokens) - static_cast<int64_t>(tokensDone);
  e.model.outputTokens = left > 0 ? static_cast<int>(left) : 1;
  Status s = noteGone(launcher_.start(e), e.device);
  if (!s.ok()) return s.error();
  e.tokensBefore = tokensDone;
  e.tokens = tokensDone;
  if (id >= nextId_) nextId_ = id + 1;
  *slot = std::move(e);
  changed();
  return id;
}

Result<int> WorkloadTable::attach(pid_t pid, int64_t nowNs) {
  if (pid <= 0) return Error::make(EINVAL, "attach: pid %d is not a process id", pid);
  for (const WorkloadEntry& e : entries_) {
    if (e.used && e.pid == pid && e.state == WorkloadState::Running)
      return Error::make(EEXIST, "attach: pid %d is workload %d already", pid, e.id);
  }
  if (kill(pid, 0) != 0 && errno == ESRCH)
    return Error::make(ESRCH, "attach: no process %d", static_cast<int>(pid));
  WorkloadEntry* slot = freeSlot();
  if (!slot)
    return Error::make(EAGAIN, "attach: %zu workloads are running, the most the agent keeps",
                       kMaxWorkloads);
  WorkloadEntry e = newEntry(WorkloadOrigin::Attach, nowNs);
  e.pid = pid;
  if (placement_) {
    Status s = placement_->createGroup(e.group.c_str());
    if (s.ok()) s = placement_->movePid(e.group.c_str(), pid);
    if (!s.ok()) return s.error();
  }
  ++nextId_;
  *slot = std::move(e);
  changed();
  return slot->id;
}

Status WorkloadTable::stop(int id) {
  WorkloadEntry* e = findMutable(id);
  if (!e) return Error::make(ENOENT, "workload %d: no such workload", id);
  if (e->stopping) return Status();
  if (e->origin == WorkloadOrigin::Run && !launcher_.beginStop(*e, lastPollNs_)) {
    changed();  // no longer planned
    return Status();
  }
  *e = WorkloadEntry();
  changed();
  return Status();
}

bool WorkloadTable::stopping(int id) const {
  const WorkloadEntry* e = find(id);
  return e && e->stopping;
}

Status WorkloadTable::restartOne(WorkloadEntry& e, const std::string& device, int64_t nowNs) {
  const std::string from = e.device;
  e.device = device;
  Status s = noteGone(launcher_.restart(e), device);
  // The device gone, not the workload: no attempt used, and the next tick (which marks the
  // device lost) restarts it elsewhere.
  if (!deviceGone(s, device)) {
    ++e.restarts;
    e.nextRestartNs = nowNs + (kRestartBackoffMs << (e.restarts - 1)) * kNsPerMs;
  }
  if (!s.ok()) {
    e.device = from;
    QEIL_LOG(logWorkloads, Warn, "workload %d: restart %d of %d on %s: %s", e.id, e.restarts,
             kMaxRestarts, device.c_str(), s.error().message());
    return s;
  }
  changed();
  ++restartsDone_;
  QEIL_LOG(logWorkloads, Info, "workload %d: restarted on %s (restart %d of %d), pid %d", e.id,
           device.c_str(), e.restarts, kMaxRestarts, static_cast<int>(e.pid));
  return Status();
}

void WorkloadTable::stopAll() {
  for (WorkloadEntry& e : entries_) {
    if (!e.used || e.origin != WorkloadOrigin::Run) continue;
    Status s = launcher_.stop(e);
    if (!s.ok())
      QEIL_LOG(logWorkloads, Warn, "stopping workload %d: %s", e.id, s.error().message());
    e = WorkloadEntry();
  }
  changed();
}

Status WorkloadTable::setPriority(int id, int priority) {
  if (priority < 1 || priority > kMaxWorkloadPriority)
    return Error::make(EINVAL, "priority %d: must be from 1 to %d", priority, kMaxWorkloadPriority);
  WorkloadEntry* e = findMutable(id);
  if (!e) return Error::make(ENOENT, "no workload %d", id);
  if (e->priority != priority) {
    e->priority = priority;
    changed();
  }
  if (!placement_ || e->group.empty()) return Status();
  Status s = placement_->setCpuWeight(e->group.c_str(), priority * kCpuWeightPerPriority);
  if (!s.ok()) QEIL_LOG(logWorkloads, Warn, "workload %d: %s", id, s.error().message());
  return s;
}

Status WorkloadTable::progress(int id, uint64_t tokens, int64_t nowNs) {
  WorkloadEntry* e = findMutable(id);
  if (!e) return Error::make(ENOENT, "workload %d: no such workload", id);
  if (e->launcherId >= 0)
    return Error::make(EINVAL, "workload %d: the twin reports its own tokens", id);
  if (tokens < e->tokens)
    return Error::make(EINVAL, "workload %d: tokens go from %llu down to %llu", id,
                       static_cast<unsigned long long>(e->tokens),
                       static_cast<unsigned long long>(tokens));
  int64_t sinceNs = e->lastProgressNs >= 0 ? e->lastProgressNs : e->startNs;
  if (nowNs > sinceNs)
    e->tokensPerS = static_cast<double>(tokens - e->tokens) * kNsPerS / (nowNs - sinceNs);
  e->tokens = tokens;
  e->lastProgressNs = nowNs;
  return Status();
}

void WorkloadTable::setPlannedDevice(int id, const std::string& device) {
  WorkloadEntry* e = findMutable(id);
  if (e && e->plannedDevice != device) e->plannedDevice = device;
}

Status WorkloadTable::moveTo(int id, const std::string& device) {
  WorkloadEntry* e = findMutable(id);
  if (!e) return Error::make(ENOENT, "workload %d: no such workload", id);
  if (e->origin != WorkloadOrigin::Run || e->state != WorkloadState::Running || e->device == device)
    return Status();
  QEIL_LOG(logWorkloads, Info, "workload %d: %s -> %s", id, e->device.c_str(), device.c_str());
  return noteGone(launcher_.move(*e, device), device);
}

Status WorkloadTable::noteGone(Status s, const std::string& device) {
  if (deviceGone(s, device)) goneDevice_ = device;
  return s;
}

void WorkloadTable::poll(int64_t nowNs) {
  lastPollNs_ = nowNs;
  for (WorkloadEntry& e : entries_) {
    if (!e.used) continue;
    if (e.stopping) {
      launcher_.poll(e, nowNs);
      if (!e.stopping) {
        QEIL_LOG(logWorkloads, Info, "workload %d (pid %d): stopped", e.id,
                 static_cast<int>(e.pid));
        e = WorkloadEntry();
        changed();
      }
      continue;
    }
    if (e.state != WorkloadState::Running) continue;
    launcher_.poll(e, nowNs);
    if (e.state != WorkloadState::Running) {
      changed();
      QEIL_LOG(logWorkloads, Info, "workload %d (pid %d): %s", e.id, static_cast<int>(e.pid),
               workloadStateName(e.state));
    }
  }
}

}  // namespace qeil
