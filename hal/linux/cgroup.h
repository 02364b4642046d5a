#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "hal/cpu_placement.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"

namespace qeil {

// Longest group name accepted (the parent group and each workload group are one component).
constexpr size_t kMaxCgroupNameBytes = 64;

// Accepts [A-Za-z0-9_.-]{1,64} not starting with '.': no '/', no "..", no control-file clash.
Status validateCgroupName(const char* name);

// Chooses the backend from what the kernel offers at <root>/sys/fs/cgroup: cgroup v2 when its
// cgroup.controllers lists cpuset, else v1 when a cpuset hierarchy is mounted at
// <root>/sys/fs/cgroup/cpuset. Creates `parentGroup` (journaled); workload groups go under it.
Result<std::unique_ptr<CpuPlacement>> createCpuPlacement(const SysRoot& root,
                                                         SettingsJournal& journal,
                                                         const char* parentGroup);

// What both backends share: the journal, name checks, and where each moved pid came from.
class CgroupPlacementBase : public CpuPlacement {
 public:
  const std::string& parentGroup() const { return parent_; }

 protected:
  CgroupPlacementBase(SysRoot root, SettingsJournal& journal, std::string parent)
      : root_(std::move(root)), journal_(journal), parent_(std::move(parent)) {}

  std::string groupDir(const std::string& mount, const char* group) const {
    return mount + "/" + parent_ + "/" + group;
  }
  // Checks the name and that <mount>/<parent>/<group> exists.
  Status requireGroup(const std::string& mount, const char* group) const;
  // EBUSY naming the group while its cgroup.procs lists a task.
  Status requireNoTasks(const std::string& mount, const char* group) const;
  // Moves `pid` into the group of one hierarchy, journaling the cgroup.procs it first came from.
  // `controller` picks the /proc/<pid>/cgroup line: nullptr for v2 ("0::/path").
  Status moveInHierarchy(const std::string& mount, const char* controller, const char* group,
                         pid_t pid);

  SysRoot root_;
  SettingsJournal& journal_;
  std::string parent_;

 private:
  // (pid, hierarchy mount) -> the cgroup.procs the pid was in before its first move.
  std::map<std::pair<pid_t, std::string>, std::string> origins_;
};

// cgroup v2: one hierarchy at <root>/sys/fs/cgroup with cpuset.cpus, cpu.weight, cpu.max.
class Cgroup2Placement final : public CgroupPlacementBase {
 public:
  // Enables cpuset (and cpu when the kernel lists it) for the parent and its children, all
  // journaled. Fails when cgroup.controllers is unreadable, malformed or lacks cpuset.
  static Result<std::unique_ptr<Cgroup2Placement>> create(const SysRoot& root,
                                                          SettingsJournal& journal,
                                                          const char* parentGroup);

  const char* backendName() const override { return "cgroup2"; }
  bool hasCpuController() const { return cpu_; }

  Status createGroup(const char* group) override;
  Status removeGroup(const char* group) override;
  Status setCpus(const char* group, CpuSet cpus) override;
  Result<CpuSet> cpus(const char* group) override;
  Status setCpuWeight(const char* group, int weight) override;
  Status setCpuMax(const char* group, int64_t quotaUs, int64_t periodUs) override;
  Status movePid(const char* group, pid_t pid) override;

 private:
  Cgroup2Placement(SysRoot root, SettingsJournal& journal, std::string parent, std::string mount,
                   bool cpu)
      : CgroupPlacementBase(std::move(root), journal, std::move(parent)),
        mount_(std::move(mount)),
        cpu_(cpu) {}
  Status enableControllers(const std::string& dir);
  Status requireCpu() const;

  std::string mount_;
  bool cpu_;
};

// cgroup v1: a cpuset hierarchy and, optionally, a cpu hierarchy (cpu or cpu,cpuacct). Weight
// maps to cpu.shares (weight 100 = 1024 shares), the bandwidth cap to cpu.cfs_quota_us/period.
class Cgroup1Placement final : public CgroupPlacementBase {
 public:
  // Without a cpu hierarchy, setCpuWeight and setCpuMax answer ENOTSUP.
  static Result<std::unique_ptr<Cgroup1Placement>> create(const SysRoot& root,
                                                          SettingsJournal& journal,
                                                          const char* parentGroup);

  const char* backendName() const override { return "cgroup1"; }
  bool hasCpuController() const { return !cpuMount_.empty(); }

  Status createGroup(const char* group) override;
  Status removeGroup(const char* group) override;
  Status setCpus(const char* group, CpuSet cpus) override;
  Result<CpuSet> cpus(const char* group) override;
  Status setCpuWeight(const char* group, int weight) override;
  Status setCpuMax(const char* group, int64_t quotaUs, int64_t periodUs) override;
  Status movePid(const char* group, pid_t pid) override;

  // v2 weight to v1 shares: 100 -> 1024, proportional, at least the kernel's minimum of 2.
  static int64_t weightToShares(int weight);

 private:
  Cgroup1Placement(SysRoot root, SettingsJournal& journal, std::string parent,
                   std::string cpusetMount, std::string cpuMount)
      : CgroupPlacementBase(std::move(root), journal, std::move(parent)),
        cpusetMount_(std::move(cpusetMount)),
        cpuMount_(std::move(cpuMount)) {}
  Status requireCpu() const;
  // A new v1 cpuset group starts with empty cpus and mems: no task may enter until both are set.
  Status inheritCpusetIfEmpty(const std::string& dir, const std::string& from);

  std::string cpusetMount_;
  std::string cpuMount_;  // empty without a cpu hierarchy
};

}  // namespace qeil
