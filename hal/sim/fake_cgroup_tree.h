#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "hal/cpu_set.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/result.h"

namespace qeil {

enum class CgroupVersion { V1, V2 };

struct FakeCgroupOptions {
  CgroupVersion version = CgroupVersion::V2;
  CpuSet cpus = CpuSet::range(0, 7);  // the root cpuset
  std::string mems = "0";
  bool cpusetController = true;  // v2: "cpuset" listed in cgroup.controllers (v1 always has it)
  bool cpuController = true;     // v2: "cpu" listed; v1: a cpu hierarchy is mounted
  // v1: mount "cpu,cpuacct" with "cpu" and "cpuacct" symlinks (Debian), else "cpu" alone.
  bool v1CpuWithCpuacct = true;
  // v2: the root's cgroup.subtree_control already enables every controller (systemd does so).
  bool v2EnabledAtRoot = true;
};

// A cgroup tree made of plain files under a root, for tests and the board twin: the layout the
// kernel mounts at /sys/fs/cgroup (v2, or v1 cpuset + cpu hierarchies) and /proc/<pid>/cgroup.
// Plain files cannot act on writes, so the tree plays the kernel's part where the code relies
// on it: a new group directory gets its control files with the kernel's initial values, and a
// removed one loses them. Writes to cgroup.procs replace the file; /proc/<pid>/cgroup does not
// follow moves.
class FakeCgroupTree {
 public:
  static Result<std::unique_ptr<FakeCgroupTree>> create(const SysRoot& root,
                                                        const FakeCgroupOptions& options);

  // Fills new groups and empties removed ones for every makeDir/removeDir/restore of `journal`.
  // The tree must outlive the journal's use of it.
  void attach(SettingsJournal& journal);
  // The kernel's part on mkdir inside a hierarchy: creates the control files of `dir`.
  Status populate(const std::string& dir);
  // The kernel's part on rmdir: removes the control files of `dir` (inside a hierarchy only).
  void depopulate(const std::string& dir);

  // A process in `group` ("/" is the root) of every hierarchy: writes <root>/proc/<pid>/cgroup
  // the way the kernel shows it and lists the pid in each group's cgroup.procs.
  Status addProcess(pid_t pid, const std::string& group = "/");

  // <root>/sys/fs/cgroup: the v2 mount, or the tmpfs holding the v1 hierarchies.
  const std::string& mountDir() const { return mount_; }
  // Where `controller` ("cpuset", "cpu") lives: the v2 mount or the v1 hierarchy's directory.
  std::string hierarchyDir(const char* controller) const;

 private:
  FakeCgroupTree(SysRoot root, FakeCgroupOptions options);
  Status layOutV2();
  Status layOutV1();
  Status populateV2(const std::string& dir, const std::string& parent);
  Status populateV1Cpuset(const std::string& dir, const std::string& parent);
  Status populateV1Cpu(const std::string& dir);
  // The hierarchy directory `dir` is inside of, or "" when it is in none.
  std::string hierarchyOf(const std::string& dir) const;

  SysRoot root_;
  FakeCgroupOptions options_;
  std::string mount_;
  std::string cpuDir_;  // v1: the real cpu hierarchy directory ("cpu,cpuacct" or "cpu")
};

}  // namespace qeil
