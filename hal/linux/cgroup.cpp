#include "hal/linux/cgroup.h"

#include <sys/stat.h>

#include <cctype>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "hal/linux/sysfs_file.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule gLog("cgroup");

constexpr int kMinWeight = 1;
constexpr int kMaxWeight = 10000;
constexpr int64_t kMinPeriodUs = 1000;  // the kernel's bounds for cfs periods
constexpr int64_t kMaxPeriodUs = 1000000;
constexpr int64_t kMinQuotaUs = 1000;
constexpr int64_t kMaxQuotaUs = (int64_t{1} << 44) - 1;
constexpr size_t kAttrBytes = 4096;
constexpr size_t kProcCgroupBytes = 8192;  // one line per v1 hierarchy, paths can be long

bool isDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::string> readAttr(const std::string& path) {
  char buf[kAttrBytes];
  Result<size_t> r = readTextFile(path, buf, sizeof buf);
  if (!r.ok()) return r.error();
  return std::string(buf, r.value());
}

Result<CpuSet> readCpuSet(const std::string& path) {
  Result<std::string> text = readAttr(path);
  if (!text.ok()) return text.error();
  return CpuSet::parse(text.value().c_str(), path.c_str());
}

// True when the whitespace-separated `list` holds `token` ("cpu" does not match "cpuset").
bool hasToken(const std::string& list, const char* token) {
  size_t len = strlen(token);
  for (size_t pos = 0; pos < list.size();) {
    size_t end = list.find_first_of(" \t\n", pos);
    if (end == std::string::npos) end = list.size();
    if (end - pos == len && list.compare(pos, len, token) == 0) return true;
    pos = end + 1;
  }
  return false;
}

// Kernel controller names are lower-case words; anything else means the file is not what we
// think it is, and guessing would place workloads wrongly.
Status checkControllerList(const std::string& list, const std::string& path) {
  for (char c : list) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == ' ' ||
              c == '\t' || c == '\n';
    if (!ok) {
      return Error::make(EINVAL, "%s: malformed controller list: '%.60s'", path.c_str(),
                         list.c_str());
    }
  }
  return {};
}

Status checkWeight(int weight) {
  if (weight < kMinWeight || weight > kMaxWeight) {
    return Error::make(EINVAL, "CPU weight %d out of range %d..%d", weight, kMinWeight, kMaxWeight);
  }
  return {};
}

Status checkCpuMax(int64_t quotaUs, int64_t periodUs) {
  if (periodUs < kMinPeriodUs || periodUs > kMaxPeriodUs) {
    return Error::make(EINVAL, "CPU period %" PRId64 " us out of range %" PRId64 "..%" PRId64,
                       periodUs, kMinPeriodUs, kMaxPeriodUs);
  }
  if (quotaUs >= 0 && (quotaUs < kMinQuotaUs || quotaUs > kMaxQuotaUs)) {
    return Error::make(EINVAL, "CPU quota %" PRId64 " us out of range %" PRId64 "..%" PRId64,
                       quotaUs, kMinQuotaUs, kMaxQuotaUs);
  }
  return {};
}

// Checks that `cpus` is a non-empty subset of the parent's set read from `parentPath`.
Status checkCpusWithin(CpuSet cpus, const std::string& parentPath) {
  if (cpus.empty()) return Error::make(EINVAL, "empty CPU set");
  Result<CpuSet> parent = readCpuSet(parentPath);
  if (!parent.ok()) return parent.error();
  for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
    if (cpus.contains(c) && !parent.value().contains(c)) {
      char list[256];
      if (!parent.value().format(list, sizeof list)) snprintf(list, sizeof list, "?");
      return Error::make(EINVAL, "CPU %d is not in the parent's cpuset '%s' (%s)", c, list,
                         parentPath.c_str());
    }
  }
  return {};
}

// True when the comma-separated v1 controller list ("cpu,cpuacct") names `controller`.
bool listsController(const std::string& list, const char* controller) {
  return ("," + list + ",").find("," + std::string(controller) + ",") != std::string::npos;
}

// The cgroup path of `pid` in one hierarchy ("" for the root), from a /proc/<pid>/cgroup line
// "<id>:<controllers>:<path>". `controller` nullptr selects the v2 line "0::<path>".
Result<std::string> cgroupOfPid(const SysRoot& root, pid_t pid, const char* controller) {
  std::string path = root.path(syspath::kProc) + "/" + std::to_string(pid) + "/cgroup";
  char buf[kProcCgroupBytes];
  Result<size_t> r = readTextFile(path, buf, sizeof buf);
  if (!r.ok()) return r.error().prefix("pid %d", static_cast<int>(pid));
  int lineNo = 0;
  for (char* line = buf; *line;) {
    char* next = line + strcspn(line, "\n");
    if (*next) *next++ = '\0';
    ++lineNo;
    char* colon1 = strchr(line, ':');
    char* colon2 = colon1 ? strchr(colon1 + 1, ':') : nullptr;
    if (!colon2 || colon2[1] != '/') {
      return Error::make(EINVAL, "%s:%d: malformed line: '%.60s'", path.c_str(), lineNo, line);
    }
    std::string list(colon1 + 1, colon2);
    bool match = controller ? listsController(list, controller)
                            : list.empty() && strncmp(line, "0:", 2) == 0;
    if (match) {
      std::string group(colon2 + 1);
      if (group.find("/..") != std::string::npos) {
        return Error::make(EINVAL, "%s:%d: group outside our cgroup namespace: '%.60s'",
                           path.c_str(), lineNo, group.c_str());
      }
      return group == "/" ? std::string() : group;
    }
    line = next;
  }
  return Error::make(ENOENT, "%s: no line for the %s hierarchy", path.c_str(),
                     controller ? controller : "cgroup v2");
}

}  // namespace

Status validateCgroupName(const char* name) {
  if (!name || name[0] == '\0') return Error::make(EINVAL, "cgroup name is empty");
  size_t len = strnlen(name, kMaxCgroupNameBytes + 1);
  if (len > kMaxCgroupNameBytes) {
    return Error::make(EINVAL, "cgroup name '%.40s...' longer than %zu bytes", name,
                       kMaxCgroupNameBytes);
  }
  if (name[0] == '.') {
    return Error::make(EINVAL, "cgroup name '%s' starts with '.' (\"..\" or hidden)", name);
  }
  for (const char* p = name; *p; ++p) {
    unsigned char c = static_cast<unsigned char>(*p);
    if (isalnum(c) || c == '_' || c == '-' || c == '.') continue;
    return Error::make(EINVAL,
                       "cgroup name '%s': byte 0x%02x ('%c') not allowed (A-Z a-z 0-9 _ - .)",
                       isprint(c) ? name : "?", c, isprint(c) ? c : '?');
  }
  return {};
}

// ---- shared ----

Status CgroupPlacementBase::requireGroup(const std::string& mount, const char* group) const {
  Status st = validateCgroupName(group);
  if (!st.ok()) return st;
  std::string dir = groupDir(mount, group);
  if (!isDir(dir)) {
    return Error::make(ENOENT, "group '%s' does not exist (%s): createGroup first", group,
                       dir.c_str());
  }
  return {};
}

Status CgroupPlacementBase::requireNoTasks(const std::string& mount, const char* group) const {
  std::string procs = groupDir(mount, group) + "/cgroup.procs";
  char buf[64];
  Result<size_t> r = readTextFile(procs, buf, sizeof buf);
  if (!r.ok() && r.error().errnum() != EFBIG) return r.error();  // EFBIG: many tasks
  if (r.ok() && r.value() == 0) return {};
  buf[sizeof buf - 1] = '\0';  // a too-long read leaves the buffer unterminated
  buf[strcspn(buf, "\n")] = '\0';
  return Error::make(
      EBUSY,
      "group '%s' still has tasks (pid %s in %s): removeGroup moves none; move them out first",
      group, buf, procs.c_str());
}

Status CgroupPlacementBase::moveInHierarchy(const std::string& mount, const char* controller,
                                            const char* group, pid_t pid) {
  auto key = std::make_pair(pid, mount);
  auto it = origins_.find(key);
  if (it == origins_.end()) {
    Result<std::string> current = cgroupOfPid(root_, pid, controller);
    if (!current.ok()) return current.error();
    it = origins_.emplace(key, mount + current.value() + "/cgroup.procs").first;
  }
  std::string procs = groupDir(mount, group) + "/cgroup.procs";
  Status st = journal_.movePid(procs, pid, it->second);
  if (st.ok()) QEIL_LOG(gLog, Debug, "pid %d -> %s", static_cast<int>(pid), procs.c_str());
  return st;
}

// ---- cgroup v2 ----

Result<std::unique_ptr<Cgroup2Placement>> Cgroup2Placement::create(const SysRoot& root,
                                                                   SettingsJournal& journal,
                                                                   const char* parentGroup) {
  Status st = validateCgroupName(parentGroup);
  if (!st.ok()) return st.error();
  std::string mount = root.path(syspath::kCgroup);
  std::string listPath = mount + "/cgroup.controllers";
  Result<std::string> list = readAttr(listPath);
  if (!list.ok()) return list.error();
  st = checkControllerList(list.value(), listPath);
  if (!st.ok()) return st.error();
  if (!hasToken(list.value(), "cpuset")) {
    return Error::make(ENOTSUP, "%s: no cpuset controller in '%.60s'", listPath.c_str(),
                       list.value().c_str());
  }
  std::unique_ptr<Cgroup2Placement> p(
      new Cgroup2Placement(root, journal, parentGroup, mount, hasToken(list.value(), "cpu")));
  st = p->enableControllers(mount);
  if (st.ok()) st = journal.makeDir(mount + "/" + parentGroup);
  if (st.ok()) st = p->enableControllers(mount + "/" + parentGroup);
  if (!st.ok()) return st.error();
  return p;
}

// Enables cpuset (and cpu) for the children of `dir`; restore disables what we enabled. The
// file reads "cpuset cpu" but takes "+cpuset +cpu", hence the explicit undo.
Status Cgroup2Placement::enableControllers(const std::string& dir) {
  std::string path = dir + "/cgroup.subtree_control";
  Result<std::string> enabled = readAttr(path);
  if (!enabled.ok()) return enabled.error();
  std::string add;
  std::string undo;
  for (const char* c : {"cpuset", "cpu"}) {
    if ((strcmp(c, "cpu") == 0 && !cpu_) || hasToken(enabled.value(), c)) continue;
    add += std::string(add.empty() ? "" : " ") + "+" + c;
    undo += std::string(undo.empty() ? "" : " ") + "-" + c;
  }
  if (add.empty()) return {};
  return journal_.writeWithUndo(path, add.c_str(), undo.c_str());
}

Status Cgroup2Placement::requireCpu() const {
  if (cpu_) return {};
  return Error::make(ENOTSUP, "%s/cgroup.controllers: no cpu controller (weight and cap need it)",
                     mount_.c_str());
}

Status Cgroup2Placement::createGroup(const char* group) {
  Status st = validateCgroupName(group);
  if (!st.ok()) return st;
  return journal_.makeDir(groupDir(mount_, group));
}

Status Cgroup2Placement::removeGroup(const char* group) {
  Status st = requireGroup(mount_, group);
  if (st.ok()) st = requireNoTasks(mount_, group);
  if (st.ok()) st = journal_.removeDir(groupDir(mount_, group));
  return st;
}

Status Cgroup2Placement::setCpus(const char* group, CpuSet cpus) {
  Status st = requireGroup(mount_, group);
  if (st.ok()) st = checkCpusWithin(cpus, mount_ + "/" + parent_ + "/cpuset.cpus.effective");
  if (!st.ok()) return st.error().prefix("setCpus '%s'", group ? group : "");
  char list[256];
  if (!cpus.format(list, sizeof list)) return Error::make(EINVAL, "CPU list too long");
  return journal_.write(groupDir(mount_, group) + "/cpuset.cpus", list);
}

Result<CpuSet> Cgroup2Placement::cpus(const char* group) {
  Status st = requireGroup(mount_, group);
  if (!st.ok()) return st.error();
  std::string path = groupDir(mount_, group) + "/cpuset.cpus";
  Result<std::string> text = readAttr(path);
  if (!text.ok()) return text.error();
  // Empty means "not restricted": the group runs where its parent does.
  if (text.value().empty()) return readCpuSet(mount_ + "/" + parent_ + "/cpuset.cpus.effective");
  return CpuSet::parse(text.value().c_str(), path.c_str());
}

Status Cgroup2Placement::setCpuWeight(const char* group, int weight) {
  Status st = requireCpu();
  if (st.ok()) st = checkWeight(weight);
  if (st.ok()) st = requireGroup(mount_, group);
  if (!st.ok()) return st.error().prefix("setCpuWeight '%s'", group ? group : "");
  return journal_.write(groupDir(mount_, group) + "/cpu.weight", std::to_string(weight).c_str());
}

Status Cgroup2Placement::setCpuMax(const char* group, int64_t quotaUs, int64_t periodUs) {
  Status st = requireCpu();
  if (st.ok()) st = checkCpuMax(quotaUs, periodUs);
  if (st.ok()) st = requireGroup(mount_, group);
  if (!st.ok()) return st.error().prefix("setCpuMax '%s'", group ? group : "");
  char value[64];
  if (quotaUs < 0) {
    snprintf(value, sizeof value, "max %" PRId64, periodUs);
  } else {
    snprintf(value, sizeof value, "%" PRId64 " %" PRId64, quotaUs, periodUs);
  }
  return journal_.write(groupDir(mount_, group) + "/cpu.max", value);
}

Status Cgroup2Placement::movePid(const char* group, pid_t pid) {
  Status st = pid > 0 ? requireGroup(mount_, group) : Error::make(EINVAL, "pid %d", pid);
  if (st.ok()) st = moveInHierarchy(mount_, nullptr, group, pid);
  if (!st.ok()) return st.error().prefix("movePid '%s'", group ? group : "");
  return st;
}

// ---- cgroup v1 ----

Result<std::unique_ptr<Cgroup1Placement>> Cgroup1Placement::create(const SysRoot& root,
                                                                   SettingsJournal& journal,
                                                                   const char* parentGroup) {
  Status st = validateCgroupName(parentGroup);
  if (!st.ok()) return st.error();
  std::string base = root.path(syspath::kCgroup);
  std::string cpuset = base + "/cpuset";
  if (!pathExists(cpuset + "/cpuset.cpus")) {
    return Error::make(ENOENT, "%s/cpuset.cpus: no cgroup v1 cpuset hierarchy", cpuset.c_str());
  }
  // Debian mounts cpu and cpuacct together as "cpu,cpuacct" with a "cpu" symlink; some boards
  // mount "cpu" alone. Without either, weight and cap are unavailable but placement works.
  std::string cpu;
  for (const char* dir : {"/cpu", "/cpu,cpuacct"}) {
    if (cpu.empty() && pathExists(base + dir + "/cpu.shares")) cpu = base + dir;
  }
  std::unique_ptr<Cgroup1Placement> p(
      new Cgroup1Placement(root, journal, parentGroup, cpuset, cpu));
  std::string parentDir = cpuset + "/" + parentGroup;
  st = journal.makeDir(parentDir);
  if (st.ok()) st = p->inheritCpusetIfEmpty(parentDir, cpuset);
  if (st.ok() && !cpu.empty()) st = journal.makeDir(cpu + "/" + parentGroup);
  if (!st.ok()) return st.error();
  return p;
}

Status Cgroup1Placement::inheritCpusetIfEmpty(const std::string& dir, const std::string& from) {
  for (const char* file : {"/cpuset.cpus", "/cpuset.mems"}) {
    Result<std::string> mine = readAttr(dir + file);
    if (!mine.ok()) return mine.error();
    if (!mine.value().empty()) continue;
    Result<std::string> theirs = readAttr(from + file);
    if (!theirs.ok()) return theirs.error();
    Status st = journal_.write(dir + file, theirs.value().c_str());
    if (!st.ok()) return st;
  }
  return {};
}

Status Cgroup1Placement::requireCpu() const {
  if (!cpuMount_.empty()) return {};
  return Error::make(ENOTSUP, "no cgroup v1 cpu hierarchy (%s/cpu or cpu,cpuacct with cpu.shares)",
                     root_.path(syspath::kCgroup).c_str());
}

int64_t Cgroup1Placement::weightToShares(int weight) {
  int64_t shares = (int64_t{weight} * 1024 + 50) / 100;
  return shares < 2 ? 2 : shares;
}

Status Cgroup1Placement::createGroup(const char* group) {
  Status st = validateCgroupName(group);
  if (!st.ok()) return st;
  std::string dir = groupDir(cpusetMount_, group);
  st = journal_.makeDir(dir);
  // Tasks cannot enter a v1 cpuset group with empty mems or cpus: start with the parent's.
  if (st.ok()) st = inheritCpusetIfEmpty(dir, cpusetMount_ + "/" + parent_);
  if (st.ok() && !cpuMount_.empty()) st = journal_.makeDir(groupDir(cpuMount_, group));
  return st;
}

Status Cgroup1Placement::removeGroup(const char* group) {
  Status st = requireGroup(cpusetMount_, group);
  if (st.ok()) st = requireNoTasks(cpusetMount_, group);
  bool cpu = st.ok() && !cpuMount_.empty() && isDir(groupDir(cpuMount_, group));
  if (cpu) st = requireNoTasks(cpuMount_, group);
  if (st.ok() && cpu) st = journal_.removeDir(groupDir(cpuMount_, group));
  if (st.ok()) st = journal_.removeDir(groupDir(cpusetMount_, group));
  return st;
}

Status Cgroup1Placement::setCpus(const char* group, CpuSet cpus) {
  Status st = requireGroup(cpusetMount_, group);
  if (st.ok()) st = checkCpusWithin(cpus, cpusetMount_ + "/" + parent_ + "/cpuset.cpus");
  if (!st.ok()) return st.error().prefix("setCpus '%s'", group ? group : "");
  char list[256];
  if (!cpus.format(list, sizeof list)) return Error::make(EINVAL, "CPU list too long");
  return journal_.write(groupDir(cpusetMount_, group) + "/cpuset.cpus", list);
}

Result<CpuSet> Cgroup1Placement::cpus(const char* group) {
  Status st = requireGroup(cpusetMount_, group);
  if (!st.ok()) return st.error();
  return readCpuSet(groupDir(cpusetMount_, group) + "/cpuset.cpus");
}

Status Cgroup1Placement::setCpuWeight(const char* group, int weight) {
  Status st = requireCpu();
  if (st.ok()) st = checkWeight(weight);
  if (st.ok()) st = requireGroup(cpuMount_, group);
  if (!st.ok()) return st.error().prefix("setCpuWeight '%s'", group ? group : "");
  return journal_.write(groupDir(cpuMount_, group) + "/cpu.shares",
                        std::to_string(weightToShares(weight)).c_str());
}

Status Cgroup1Placement::setCpuMax(const char* group, int64_t quotaUs, int64_t periodUs) {
  Status st = requireCpu();
  if (st.ok()) st = checkCpuMax(quotaUs, periodUs);
  if (st.ok()) st = requireGroup(cpuMount_, group);
  if (!st.ok()) return st.error().prefix("setCpuMax '%s'", group ? group : "");
  std::string dir = groupDir(cpuMount_, group);
  st = journal_.write(dir + "/cpu.cfs_period_us", std::to_string(periodUs).c_str());
  if (!st.ok()) return st;
  return journal_.write(dir + "/cpu.cfs_quota_us",
                        std::to_string(quotaUs < 0 ? -1 : quotaUs).c_str());
}

Status Cgroup1Placement::movePid(const char* group, pid_t pid) {
  Status st = pid > 0 ? requireGroup(cpusetMount_, group) : Error::make(EINVAL, "pid %d", pid);
  if (st.ok()) st = moveInHierarchy(cpusetMount_, "cpuset", group, pid);
  if (st.ok() && !cpuMount_.empty()) st = moveInHierarchy(cpuMount_, "cpu", group, pid);
  if (!st.ok()) return st.error().prefix("movePid '%s'", group ? group : "");
  return st;
}

// ---- detection ----

Result<std::unique_ptr<CpuPlacement>> createCpuPlacement(const SysRoot& root,
                                                         SettingsJournal& journal,
                                                         const char* parentGroup) {
  std::string base = root.path(syspath::kCgroup);
  std::string v2List = base + "/cgroup.controllers";
  std::string v2Why = "absent";
  if (pathExists(v2List)) {
    Result<std::string> list = readAttr(v2List);
    if (!list.ok()) return list.error();
    Status st = checkControllerList(list.value(), v2List);
    if (!st.ok()) return st.error();
    if (hasToken(list.value(), "cpuset")) {
      auto p = Cgroup2Placement::create(root, journal, parentGroup);
      if (!p.ok()) return p.error();
      return std::unique_ptr<CpuPlacement>(std::move(p.value()));
    }
    v2Why = "no cpuset in '" + list.value().substr(0, 40) + "'";
  }
  std::string v1Cpus = base + "/cpuset/cpuset.cpus";
  if (pathExists(v1Cpus)) {
    auto p = Cgroup1Placement::create(root, journal, parentGroup);
    if (!p.ok()) return p.error();
    return std::unique_ptr<CpuPlacement>(std::move(p.value()));
  }
  return Error::make(ENOENT, "no cgroup cpuset controller: %s: %s; %s: absent", v2List.c_str(),
                     v2Why.c_str(), v1Cpus.c_str());
}

}  // namespace qeil
