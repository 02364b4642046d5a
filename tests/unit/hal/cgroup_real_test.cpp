// CPU placement on the real kernel: a forked child is moved into a one-CPU cpuset group, the
// kernel applies it, and restore brings the child back and removes the groups. Skips where
// cgroups are not writable or there is no cpuset controller.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "hal/linux/cgroup.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"

namespace qeil {
namespace {

std::string fileText(const std::string& path) {
  std::ifstream in(path);
  std::string all;
  for (std::string line; std::getline(in, line);)
    all += line + "\n";
  return all;
}

// The value of one "Key:\tvalue" line of /proc/<pid>/status.
std::string statusField(pid_t pid, const char* key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(std::string(key) + ":", 0) != 0) continue;
    size_t v = line.find_first_not_of(" \t", strlen(key) + 1);
    return v == std::string::npos ? "" : line.substr(v);
  }
  return "";
}

// A child that sleeps until killed; killed and reaped when the object dies, whatever happened.
class SleepingChild {
 public:
  SleepingChild() : pid_(fork()) {
    if (pid_ == 0) {
      for (;;)
        pause();
    }
  }
  ~SleepingChild() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_;
};

// Best-effort cleanup when an assertion fails halfway: restore, then remove whatever is left.
// Declared before the child so that it runs after the child is gone (groups are then empty).
class RealCgroupCleanup {
 public:
  RealCgroupCleanup(SettingsJournal& journal, std::string parent)
      : journal_(journal), parent_(std::move(parent)) {}
  ~RealCgroupCleanup() {
    (void)journal_.restoreAll();
    for (const char* base : {"/sys/fs/cgroup/cpuset/", "/sys/fs/cgroup/cpu/", "/sys/fs/cgroup/"}) {
      std::string dir = base + parent_;
      rmdir((dir + "/w").c_str());
      rmdir(dir.c_str());
    }
  }

 private:
  SettingsJournal& journal_;
  std::string parent_;
};

bool skippable(int err) {
  // No cpuset controller, or cgroups not writable (not root, read-only mount, container).
  return err == ENOENT || err == ENOTSUP || err == EACCES || err == EPERM || err == EROFS;
}

TEST(CgroupRealSystem, ForkedChildRunsOnOneCpuInACpusetGroupAndRestoreBringsItBack) {
  SysRoot root("/");
  SettingsJournal journal;  // memory only: the test restores before it ends
  std::string parent = "qeil_test_" + std::to_string(getpid());
  RealCgroupCleanup cleanup(journal, parent);

  auto created = createCpuPlacement(root, journal, parent.c_str());
  if (!created.ok() && skippable(created.error().errnum())) {
    GTEST_SKIP() << "no writable cgroup cpuset: " << created.error().message();
  }
  ASSERT_TRUE(created.ok()) << created.error().message();
  CpuPlacement& placement = *created.value();
  Status st = placement.createGroup("w");
  if (!st.ok() && skippable(st.error().errnum())) {
    GTEST_SKIP() << "cannot create a cgroup: " << st.error().message();
  }
  ASSERT_TRUE(st.ok()) << st.error().message();

  // A CPU both the group and this process may use: the last one.
  auto groupCpus = placement.cpus("w");
  ASSERT_TRUE(groupCpus.ok()) << groupCpus.error().message();
  cpu_set_t mine;
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0) << strerror(errno);
  int cpu = -1;
  for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
    if (groupCpus.value().contains(c) && CPU_ISSET(c, &mine)) cpu = c;
  }
  if (cpu < 0) GTEST_SKIP() << "no CPU shared by the cpuset group and this process";
  ASSERT_TRUE(placement.setCpus("w", CpuSet::range(cpu, cpu)).ok());

  SleepingChild child;
  ASSERT_GT(child.pid(), 0) << "fork: " << strerror(errno);
  std::string procCgroup = "/proc/" + std::to_string(child.pid()) + "/cgroup";
  std::string cgroupBefore = fileText(procCgroup);
  std::string allowedBefore = statusField(child.pid(), "Cpus_allowed_list");
  ASSERT_FALSE(cgroupBefore.empty());

  st = placement.movePid("w", child.pid());
  ASSERT_TRUE(st.ok()) << st.error().message();
  cpu_set_t affinity;
  ASSERT_EQ(sched_getaffinity(child.pid(), sizeof affinity, &affinity), 0) << strerror(errno);
  EXPECT_EQ(CPU_COUNT(&affinity), 1);
  EXPECT_TRUE(CPU_ISSET(cpu, &affinity));
  EXPECT_EQ(statusField(child.pid(), "Cpus_allowed_list"), std::to_string(cpu));
  EXPECT_NE(fileText(procCgroup).find(parent + "/w"), std::string::npos) << fileText(procCgroup);

  st = journal.restoreAll();
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(fileText(procCgroup), cgroupBefore);
  EXPECT_EQ(statusField(child.pid(), "Cpus_allowed_list"), allowedBefore);
  bool v1 = std::string(placement.backendName()) == "cgroup1";
  std::vector<std::string> dirs;
  if (v1) {
    dirs = {"/sys/fs/cgroup/cpuset/" + parent, "/sys/fs/cgroup/cpu/" + parent};
  } else {
    dirs = {"/sys/fs/cgroup/" + parent};
  }
  for (const std::string& dir : dirs)
    EXPECT_FALSE(pathExists(dir)) << dir;
}

}  // namespace
}  // namespace qeil
