#include "hal/sim/fake_cgroup_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <initializer_list>
#include <utility>

#include "hal/linux/sysfs_file.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule gLog("fakecg");

constexpr const char* kV2Controllers[] = {"cpuset", "cpu", "io", "memory", "pids"};

struct FileInit {
  const char* name;
  std::string value;
};

Status makeDirs(const std::string& path) {
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string part = path.substr(0, pos);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      return Error::make(errno, "%s: mkdir: %s", part.c_str(), strerror(errno));
    }
  }
  return {};
}

Status createFile(const std::string& path, const std::string& content) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Error::make(errno, "%s: create: %s", path.c_str(), strerror(errno));
  ssize_t n = ::write(fd, content.data(), content.size());
  int err = errno;
  ::close(fd);
  if (n != static_cast<ssize_t>(content.size())) {
    return Error::make(n < 0 ? err : EIO, "%s: write failed", path.c_str());
  }
  return {};
}

Status createFiles(const std::string& dir, std::initializer_list<FileInit> files) {
  for (const FileInit& f : files) {
    Status st = createFile(dir + "/" + f.name, f.value);
    if (!st.ok()) return st;
  }
  return {};
}

std::string readOrEmpty(const std::string& path) {
  char buf[4096];
  Result<size_t> r = readTextFile(path, buf, sizeof buf);
  return r.ok() ? std::string(buf, r.value()) : std::string();
}

// What a subtree_control file enables. The kernel shows "cpuset cpu"; a plain file holds what
// was last written ("+cpuset +cpu"), so both spellings count and "-x" counts as off.
std::string enabledControllers(const std::string& subtreeControl) {
  std::string out;
  size_t pos = 0;
  while (pos < subtreeControl.size()) {
    size_t end = subtreeControl.find_first_of(" \t\n", pos);
    if (end == std::string::npos) end = subtreeControl.size();
    std::string token = subtreeControl.substr(pos, end - pos);
    if (!token.empty() && token[0] == '+') token.erase(0, 1);
    if (!token.empty() && token[0] != '-') out += (out.empty() ? "" : " ") + token;
    pos = end + 1;
  }
  return out;
}

bool hasWord(const std::string& list, const char* word) {
  return (" " + list + " ").find(std::string(" ") + word + " ") != std::string::npos;
}

bool startsWithDir(const std::string& path, const std::string& dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

}  // namespace

FakeCgroupTree::FakeCgroupTree(SysRoot root, FakeCgroupOptions options)
    : root_(std::move(root)), options_(std::move(options)), mount_(root_.path(syspath::kCgroup)) {}

Result<std::unique_ptr<FakeCgroupTree>> FakeCgroupTree::create(const SysRoot& root,
                                                               const FakeCgroupOptions& options) {
  std::unique_ptr<FakeCgroupTree> tree(new FakeCgroupTree(root, options));
  Status st = makeDirs(tree->mount_);
  if (st.ok()) st = makeDirs(root.path(syspath::kProc));
  if (st.ok()) st = options.version == CgroupVersion::V2 ? tree->layOutV2() : tree->layOutV1();
  if (!st.ok()) return st.error();
  return tree;
}

Status FakeCgroupTree::layOutV2() {
  std::string list;
  for (const char* c : kV2Controllers) {
    bool off = (strcmp(c, "cpuset") == 0 && !options_.cpusetController) ||
               (strcmp(c, "cpu") == 0 && !options_.cpuController);
    if (!off) list += std::string(list.empty() ? "" : " ") + c;
  }
  char cpus[256];
  if (!options_.cpus.format(cpus, sizeof cpus)) return Error::make(EINVAL, "CPU list too long");
  return createFiles(mount_, {{"cgroup.controllers", list + "\n"},
                              {"cgroup.subtree_control", options_.v2EnabledAtRoot ? list : ""},
                              {"cgroup.procs", ""},
                              {"cgroup.threads", ""},
                              {"cgroup.max.depth", "max\n"},
                              {"cpuset.cpus.effective", std::string(cpus) + "\n"},
                              {"cpuset.mems.effective", options_.mems + "\n"}});
}

Status FakeCgroupTree::layOutV1() {
  char cpus[256];
  if (!options_.cpus.format(cpus, sizeof cpus)) return Error::make(EINVAL, "CPU list too long");
  std::string cpuset = mount_ + "/cpuset";
  Status st = makeDirs(cpuset);
  if (!st.ok()) return st;
  st = createFiles(cpuset, {{"cpuset.cpus", std::string(cpus) + "\n"},
                            {"cpuset.mems", options_.mems + "\n"},
                            {"cpuset.effective_cpus", std::string(cpus) + "\n"},
                            {"cpuset.effective_mems", options_.mems + "\n"},
                            {"cpuset.cpu_exclusive", "1\n"},
                            {"cpuset.mem_exclusive", "1\n"},
                            {"cpuset.sched_load_balance", "1\n"},
                            {"cgroup.clone_children", "0\n"},
                            {"notify_on_release", "0\n"},
                            {"cgroup.procs", ""},
                            {"tasks", ""}});
  if (!st.ok() || !options_.cpuController) return st;
  cpuDir_ = mount_ + (options_.v1CpuWithCpuacct ? "/cpu,cpuacct" : "/cpu");
  st = makeDirs(cpuDir_);
  if (st.ok()) st = populateV1Cpu(cpuDir_);
  if (!st.ok() || !options_.v1CpuWithCpuacct) return st;
  for (const char* link : {"/cpu", "/cpuacct"}) {
    if (::symlink("cpu,cpuacct", (mount_ + link).c_str()) != 0 && errno != EEXIST) {
      return Error::make(errno, "%s%s: symlink: %s", mount_.c_str(), link, strerror(errno));
    }
  }
  return {};
}

std::string FakeCgroupTree::hierarchyDir(const char* controller) const {
  if (options_.version == CgroupVersion::V2) return mount_;
  if (strcmp(controller, "cpuset") == 0) return mount_ + "/cpuset";
  return cpuDir_;
}

std::string FakeCgroupTree::hierarchyOf(const std::string& dir) const {
  if (options_.version == CgroupVersion::V2) return startsWithDir(dir, mount_) ? mount_ : "";
  if (startsWithDir(dir, mount_ + "/cpuset")) return mount_ + "/cpuset";
  if (cpuDir_.empty()) return "";
  // The journal may name the hierarchy through the "cpu" symlink.
  if (startsWithDir(dir, cpuDir_) || startsWithDir(dir, mount_ + "/cpu")) return cpuDir_;
  return "";
}

void FakeCgroupTree::attach(SettingsJournal& journal) {
  journal.setMkdirObserver([this](const std::string& dir) {
    Status st = populate(dir);
    if (!st.ok()) QEIL_LOG(gLog, Warn, "populate: %s", st.error().message());
  });
  journal.setRmdirObserver([this](const std::string& dir) { depopulate(dir); });
}

Status FakeCgroupTree::populate(const std::string& dir) {
  std::string hierarchy = hierarchyOf(dir);
  if (hierarchy.empty())
    return Error::make(EINVAL, "%s: not inside a cgroup hierarchy", dir.c_str());
  std::string parent = dir.substr(0, dir.rfind('/'));
  if (options_.version == CgroupVersion::V2) return populateV2(dir, parent);
  if (hierarchy == cpuDir_) return populateV1Cpu(dir);
  return populateV1Cpuset(dir, parent);
}

Status FakeCgroupTree::populateV2(const std::string& dir, const std::string& parent) {
  std::string enabled = enabledControllers(readOrEmpty(parent + "/cgroup.subtree_control"));
  Status st = createFiles(dir, {{"cgroup.controllers", enabled + "\n"},
                                {"cgroup.subtree_control", ""},
                                {"cgroup.procs", ""},
                                {"cgroup.threads", ""},
                                {"cgroup.type", "domain\n"},
                                {"cgroup.events", "populated 0\nfrozen 0\n"},
                                {"cgroup.freeze", "0\n"},
                                {"cgroup.max.depth", "max\n"}});
  if (st.ok() && hasWord(enabled, "cpuset")) {
    // An empty cpuset.cpus means "the parent's CPUs": effective starts as the parent's.
    st =
        createFiles(dir, {{"cpuset.cpus", ""},
                          {"cpuset.mems", ""},
                          {"cpuset.cpus.effective", readOrEmpty(parent + "/cpuset.cpus.effective")},
                          {"cpuset.mems.effective", readOrEmpty(parent + "/cpuset.mems.effective")},
                          {"cpuset.cpus.partition", "member\n"}});
  }
  if (st.ok() && hasWord(enabled, "cpu")) {
    st = createFiles(dir, {{"cpu.weight", "100\n"},
                           {"cpu.weight.nice", "0\n"},
                           {"cpu.max", "max 100000\n"},
                           {"cpu.idle", "0\n"},
                           {"cpu.stat", "usage_usec 0\nuser_usec 0\nsystem_usec 0\n"}});
  }
  return st;
}

Status FakeCgroupTree::populateV1Cpuset(const std::string& dir, const std::string& parent) {
  // v1 starts a group with empty cpus and mems unless the parent asks to clone them.
  bool clone = readOrEmpty(parent + "/cgroup.clone_children") == "1";
  std::string cpus = clone ? readOrEmpty(parent + "/cpuset.cpus") : "";
  std::string mems = clone ? readOrEmpty(parent + "/cpuset.mems") : "";
  return createFiles(dir, {{"cpuset.cpus", cpus},
                           {"cpuset.mems", mems},
                           {"cpuset.effective_cpus", cpus},
                           {"cpuset.effective_mems", mems},
                           {"cpuset.cpu_exclusive", "0\n"},
                           {"cpuset.mem_exclusive", "0\n"},
                           {"cpuset.sched_load_balance", "1\n"},
                           {"cgroup.clone_children", clone ? "1\n" : "0\n"},
                           {"notify_on_release", "0\n"},
                           {"cgroup.procs", ""},
                           {"tasks", ""}});
}

Status FakeCgroupTree::populateV1Cpu(const std::string& dir) {
  Status st = createFiles(dir, {{"cpu.shares", "1024\n"},
                                {"cpu.cfs_quota_us", "-1\n"},
                                {"cpu.cfs_period_us", "100000\n"},
                                {"cpu.stat", "nr_periods 0\nnr_throttled 0\nthrottled_time 0\n"},
                                {"cgroup.clone_children", "0\n"},
                                {"notify_on_release", "0\n"},
                                {"cgroup.procs", ""},
                                {"tasks", ""}});
  if (st.ok() && options_.v1CpuWithCpuacct) {
    st = createFiles(dir, {{"cpuacct.usage", "0\n"}, {"cpuacct.stat", "user 0\nsystem 0\n"}});
  }
  return st;
}

void FakeCgroupTree::depopulate(const std::string& dir) {
  if (hierarchyOf(dir).empty()) return;  // never delete files outside the fake hierarchies
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  while (struct dirent* e = ::readdir(d)) {
    std::string path = dir + "/" + e->d_name;
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) ::unlink(path.c_str());
  }
  ::closedir(d);
}

Status FakeCgroupTree::addProcess(pid_t pid, const std::string& group) {
  std::string rel = group == "/" ? "" : group;
  std::string lines;
  if (options_.version == CgroupVersion::V2) {
    lines = "0::" + group + "\n";
  } else {
    lines = "3:cpuset:" + group + "\n";
    if (!cpuDir_.empty()) {
      lines += std::string(options_.v1CpuWithCpuacct ? "2:cpu,cpuacct:" : "2:cpu:") + group + "\n";
    }
    lines += "1:name=systemd:/\n0::/\n";
  }
  std::string procDir = root_.path(syspath::kProc) + "/" + std::to_string(pid);
  Status st = makeDirs(procDir);
  if (st.ok()) st = createFile(procDir + "/cgroup", lines);
  for (const char* c : {"cpuset", "cpu"}) {
    std::string hierarchy = hierarchyDir(c);
    if (!st.ok() || hierarchy.empty()) continue;
    std::string procs = hierarchy + rel + "/cgroup.procs";
    std::string listed = readOrEmpty(procs);
    st = createFile(procs, listed + (listed.empty() ? "" : "\n") + std::to_string(pid) + "\n");
    if (options_.version == CgroupVersion::V2) break;  // one hierarchy
  }
  return st;
}

}  // namespace qeil
