#include "hal/sim/twin_tree.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <utility>

#include "hal/linux/sysfs_file.h"
#include "hal/linux/sysfs_util.h"

namespace qeil::twin {
namespace {

bool isIna3221(const std::string& chip) {
  return chip == "ina3221";
}

template <class T>
Status statusOf(const Result<T>& r) {
  return r.ok() ? Status() : Status(r.error());
}

// "policy4" -> 4; -1 when it does not end in a number.
int policyNumber(const std::string& name) {
  size_t digits = name.find_first_of("0123456789");
  if (digits == std::string::npos) return -1;
  return static_cast<int>(strtol(name.c_str() + digits, nullptr, 10));
}

int firstCpu(CpuSet cpus) {
  for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
    if (cpus.contains(c)) return c;
  }
  return -1;
}

std::vector<uint64_t> oppFreqs(const BoardDevice& d) {
  std::vector<uint64_t> hz;
  for (const OppSpec& o : d.opps)
    hz.push_back(o.freqHz);
  return hz;
}

bool isDir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Status mkdirOne(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return Error::make(errno, "%s: mkdir: %s", path.c_str(), strerror(errno));
  }
  return {};
}

}  // namespace

// ---- TwinFile ----

TwinFile::~TwinFile() {
  close();
}

TwinFile::TwinFile(TwinFile&& other) noexcept {
  *this = std::move(other);
}

TwinFile& TwinFile::operator=(TwinFile&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    lastLen_ = other.lastLen_;
    cached_ = other.cached_;
    memcpy(cache_, other.cache_, sizeof cache_);
    other.fd_ = -1;
    other.cached_ = false;
  }
  return *this;
}

Status TwinFile::open(const std::string& path) {
  close();
  fd_ = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd_ < 0) return Error::make(errno, "%s: open: %s", path.c_str(), strerror(errno));
  return {};
}

void TwinFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  cached_ = false;
}

void TwinFile::write(const char* text, size_t len) {
  if (fd_ < 0) return;
  bool small = len <= kCacheBytes;
  if (cached_ && small && len == lastLen_ && memcmp(cache_, text, len) == 0) return;
  ssize_t n = ::pwrite(fd_, text, len, 0);
  if (n != static_cast<ssize_t>(len)) return;
  if (!cached_ || len < lastLen_) {
    if (::ftruncate(fd_, static_cast<off_t>(len)) != 0) return;
  }
  lastLen_ = len;
  cached_ = true;
  if (small) memcpy(cache_, text, len);  // longer texts are never compared
}

void TwinFile::writeInt(int64_t value) {
  char text[24];
  int n = snprintf(text, sizeof text, "%lld\n", static_cast<long long>(value));
  if (n > 0) write(text, static_cast<size_t>(n));
}

Result<size_t> TwinFile::read(char* buf, size_t cap) const {
  if (fd_ < 0) return Error::make(EBADF, "twin file not open");
  size_t used = 0;
  while (used + 1 < cap) {
    ssize_t n = ::pread(fd_, buf + used, cap - 1 - used, static_cast<off_t>(used));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::make(errno, "twin file: read: %s", strerror(errno));
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' ' || buf[used - 1] == '\t'))
    --used;
  buf[used] = '\0';
  return used;
}

Governor governorFromName(const char* name) {
  if (strcmp(name, "performance") == 0) return Governor::Performance;
  if (strcmp(name, "powersave") == 0) return Governor::Powersave;
  if (strcmp(name, "userspace") == 0) return Governor::Userspace;
  return Governor::Schedutil;  // schedutil, ondemand, conservative, simple_ondemand, ...
}

std::vector<HwmonChipLayout> hwmonChips(const BoardSpec& spec) {
  std::vector<HwmonChipLayout> chips;
  for (size_t r = 0; r < spec.rails.size(); ++r) {
    const BoardRail& rail = spec.rails[r];
    if (rail.backend != "hwmon") continue;
    auto it = std::find_if(chips.begin(), chips.end(), [&](const HwmonChipLayout& c) {
      return c.i2cBus == rail.i2cBus && c.address == rail.address;
    });
    if (it == chips.end()) {
      HwmonChipLayout c;
      c.name = rail.hwmonChip;
      c.i2cBus = rail.i2cBus;
      c.address = rail.address;
      c.channelRail.assign(isIna3221(rail.hwmonChip) ? 3 : 1, -1);
      chips.push_back(c);
      it = chips.end() - 1;
    }
    size_t ch = isIna3221(it->name) ? static_cast<size_t>(std::max(rail.channel, 0)) : 0;
    if (ch < it->channelRail.size() && it->channelRail[ch] < 0) {
      it->channelRail[ch] = static_cast<int>(r);
    }
  }
  return chips;
}

// ---- building ----

TwinTree::~TwinTree() = default;

Result<std::unique_ptr<TwinTree>> TwinTree::create(const BoardSpec& spec,
                                                   const std::string& rootDir,
                                                   const TwinTreeOptions& options) {
  std::unique_ptr<TwinTree> tree(new TwinTree());
  tree->fs_ = std::make_unique<FakeSysfs>(rootDir);
  Status st = tree->build(spec, options);
  if (!st.ok()) return st.error().prefix("twin tree of '%s'", spec.name.c_str());
  return tree;
}

Status TwinTree::openFile(TwinFile& f, const std::string& absolute) {
  return f.open(fs_->path(absolute));
}

Status TwinTree::build(const BoardSpec& spec, const TwinTreeOptions& options) {
  cpuCount_ = 1;
  for (const BoardDevice& d : spec.devices) {
    if (d.kind != HwDeviceKind::Cpu) continue;
    for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
      if (d.cpus.contains(c)) cpuCount_ = std::max(cpuCount_, c + 1);
    }
  }
  Status st = fs_->addCpus(cpuCount_);
  if (st.ok()) st = buildDomains(spec, options);
  if (st.ok()) st = buildZones(spec);
  if (st.ok()) st = buildHwmon(spec, options);
  if (st.ok()) st = fs_->addPressure();
  if (!st.ok()) return st;
  FakeCgroupOptions cg;
  cg.version = options.cgroupVersion;
  cg.cpus = CpuSet::range(0, cpuCount_ - 1);
  auto cgroups = FakeCgroupTree::create(fs_->sysRoot(), cg);
  if (!cgroups.ok()) return cgroups.error();
  cgroups_ = std::move(cgroups.value());
  cgroupVersion_ = options.cgroupVersion;
  cpuOnline_.resize(static_cast<size_t>(cpuCount_));
  for (int c = 1; st.ok() && c < cpuCount_; ++c) {
    st = openFile(cpuOnline_[c], "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/online");
  }
  if (st.ok()) st = openFile(onlineList_, "/sys/devices/system/cpu/online");
  return st;
}

Status TwinTree::buildDomains(const BoardSpec& spec, const TwinTreeOptions& options) {
  domains_.resize(spec.devices.size());
  for (size_t i = 0; i < spec.devices.size(); ++i) {
    const BoardDevice& d = spec.devices[i];
    Domain& dom = domains_[i];
    uint64_t maxHz = i < options.initialMaxHz.size() ? options.initialMaxHz[i] : 0;
    Status st;
    if (d.kind == HwDeviceKind::Cpu && !d.cpufreqPolicy.empty()) {
      FakePolicy p;
      p.id = policyNumber(d.cpufreqPolicy);
      if (p.id < 0) p.id = firstCpu(d.cpus);
      p.cpus = d.cpus;
      p.freqsHz = oppFreqs(d);
      p.scalingMaxHz = maxHz;
      p.governor = options.cpuGovernor;
      st = fs_->addCpufreqPolicy(p);
      dom.cpufreq = true;
      dom.dir = "/sys/devices/system/cpu/cpufreq/policy" + std::to_string(p.id);
      const std::pair<TwinFile*, const char*> files[] = {
          {&dom.cur, "scaling_cur_freq"},      {&dom.min, "scaling_min_freq"},
          {&dom.max, "scaling_max_freq"},      {&dom.governor, "scaling_governor"},
          {&dom.stats, "stats/time_in_state"}, {&dom.totalTrans, "stats/total_trans"}};
      for (const auto& [file, name] : files) {
        if (st.ok()) st = openFile(*file, dom.dir + "/" + name);
      }
    } else if (d.kind != HwDeviceKind::Cpu && !d.devfreq.empty()) {
      FakeDevfreq f;
      f.name = d.devfreq;
      f.devicePath = "/sys/devices/platform/" + d.devfreq;
      f.freqsHz = oppFreqs(d);
      f.governor = options.devfreqGovernor;
      st = fs_->addDevfreq(f);
      dom.cpufreq = false;
      dom.dir = f.devicePath + "/devfreq/" + d.devfreq;
      const std::pair<TwinFile*, const char*> files[] = {
          {&dom.cur, "cur_freq"}, {&dom.target, "target_freq"}, {&dom.min, "min_freq"},
          {&dom.max, "max_freq"}, {&dom.governor, "governor"},  {&dom.stats, "trans_stat"}};
      for (const auto& [file, name] : files) {
        if (st.ok()) st = openFile(*file, dom.dir + "/" + name);
      }
      if (st.ok() && maxHz > 0) dom.max.writeInt(static_cast<int64_t>(maxHz));
    } else {
      continue;
    }
    if (!st.ok()) return st;
    dom.freqsHz = oppFreqs(d);
    size_t n = dom.freqsHz.size();
    dom.residencyNs.assign(n, 0);
    dom.residencyMs.assign(n, 0);
    dom.transitions.assign(n * n, 0);
    dom.text.assign(statsTextBytes(n), '\0');
  }
  return {};
}

Status TwinTree::buildZones(const BoardSpec& spec) {
  zoneTemp_.resize(spec.zones.size());
  cooling_.resize(spec.devices.size());
  for (size_t z = 0; z < spec.zones.size(); ++z) {
    const BoardZone& zone = spec.zones[z];
    FakeZone fz;
    fz.type = zone.name;
    fz.tempMC = std::llround(spec.ambientC * 1000.0);
    for (const BoardTrip& t : zone.trips) {
      fz.trips.push_back(
          {t.type, std::llround(t.tempC * 1000.0), std::llround(t.hystC * 1000.0), true});
    }
    Status st = statusOf(fs_->addThermalZone(fz));
    Result<std::string> dir = st.ok() ? fs_->zoneDir(zone.name) : Result<std::string>(st.error());
    if (!dir.ok()) return dir.error();
    st = openFile(zoneTemp_[z], dir.value() + "/temp");
    if (!st.ok()) return st;
    // One cooling device per cooled device: one state per OPP step below the top.
    for (const std::string& name : zone.cooledDevices) {
      auto it = std::find_if(spec.devices.begin(), spec.devices.end(),
                             [&](const BoardDevice& d) { return d.name == name; });
      if (it == spec.devices.end()) {
        return Error::make(EINVAL, "zone '%s' cools unknown device '%s'", zone.name.c_str(),
                           name.c_str());
      }
      size_t i = static_cast<size_t>(it - spec.devices.begin());
      if (cooling_[i].isOpen()) continue;
      std::string type;
      if (it->kind == HwDeviceKind::Cpu && !it->cpufreqPolicy.empty()) {
        type = "cpufreq-cpu" + std::to_string(firstCpu(it->cpus));
      } else if (!it->devfreq.empty()) {
        type = "devfreq-" + it->devfreq;
      } else {
        continue;  // nothing the kernel could throttle it through
      }
      int maxState = static_cast<int>(it->opps.size()) - 1;
      Result<int> n = fs_->addCoolingDevice({type, std::max(maxState, 0), 0});
      if (!n.ok()) return n.error();
      st = openFile(cooling_[i],
                    "/sys/class/thermal/cooling_device" + std::to_string(n.value()) + "/cur_state");
      if (!st.ok()) return st;
    }
  }
  return {};
}

Status TwinTree::buildHwmon(const BoardSpec& spec, const TwinTreeOptions& options) {
  std::vector<HwmonChipLayout> chips = hwmonChips(spec);
  hwmon_.resize(chips.size());
  for (size_t i = 0; i < chips.size(); ++i) {
    const HwmonChipLayout& layout = chips[i];
    if (layout.name.compare(0, 3, "ina") != 0) {
      return Error::make(EINVAL, "hwmon chip '%s' at bus %d 0x%02x: the twin models INA chips",
                         layout.name.c_str(), layout.i2cBus, layout.address);
    }
    char devicePath[128];
    snprintf(devicePath, sizeof devicePath, "/sys/devices/platform/twin-i2c/i2c-%d/%d-%04x",
             layout.i2cBus, layout.i2cBus, layout.address);
    FakeHwmon hw;
    hw.name = layout.name;
    hw.devicePath = devicePath;
    hw.updateIntervalMs = i < options.hwmonUpdateMs.size() ? options.hwmonUpdateMs[i] : 1;
    HwmonFiles& files = hwmon_[i];
    files.ina3221 = isIna3221(layout.name);
    for (int r : layout.channelRail) {
      FakeRail fr;
      if (r >= 0) {
        const BoardRail& rail = spec.rails[static_cast<size_t>(r)];
        fr.label = rail.hwmonLabel.empty() ? rail.name : rail.hwmonLabel;
        fr.shuntUohm = static_cast<uint32_t>(std::llround(rail.shuntOhm * 1e6));
      } else {
        fr.enabled = false;
      }
      hw.rails.push_back(fr);
      files.shuntOhm.push_back(r >= 0 ? spec.rails[static_cast<size_t>(r)].shuntOhm : 0.0);
    }
    Result<int> n = fs_->addHwmon(hw);
    if (!n.ok()) return n.error();
    std::string dir = "/sys/class/hwmon/hwmon" + std::to_string(n.value());
    size_t channels = layout.channelRail.size();
    files.bus.resize(channels);
    files.shunt.resize(channels);
    files.current.resize(channels);
    files.power.resize(channels);
    for (size_t c = 0; c < channels; ++c) {
      // ina3221: in<c>_input bus, in<c+3>_input shunt, curr<c>_input; ina2xx: one channel.
      size_t ch = c + 1;
      struct {
        TwinFile* file;
        const char* fmt;
        size_t n;
      } const names[] = {
          {&files.bus[c], "in%zu_input", files.ina3221 ? ch : 1},
          {&files.shunt[c], "in%zu_input", files.ina3221 ? ch + 3 : 0},
          {&files.current[c], "curr%zu_input", files.ina3221 ? ch : 1},
          {&files.power[c], files.ina3221 ? nullptr : "power%zu_input", 1},
      };
      Status st;
      for (const auto& f : names) {
        if (!st.ok() || f.fmt == nullptr) continue;
        char name[32];
        snprintf(name, sizeof name, f.fmt, f.n);
        std::string path = dir;
        path.append("/").append(name);
        st = openFile(*f.file, path);
      }
      if (!st.ok()) return st;
    }
  }
  return {};
}

// ---- frequency domains ----

bool TwinTree::hasDomain(int device) const {
  return device >= 0 && static_cast<size_t>(device) < domains_.size() &&
         !domains_[device].dir.empty() && !domains_[device].removed;
}

bool TwinTree::readLimits(int device, DomainLimits* out) const {
  if (!hasDomain(device)) return false;
  const Domain& dom = domains_[device];
  uint64_t unit = dom.cpufreq ? 1000 : 1;
  char text[64];
  Result<size_t> r = dom.min.read(text, sizeof text);
  Result<int64_t> minV = r.ok() ? parseInt(text, "min") : Result<int64_t>(r.error());
  r = dom.max.read(text, sizeof text);
  Result<int64_t> maxV = r.ok() ? parseInt(text, "max") : Result<int64_t>(r.error());
  r = dom.governor.read(text, sizeof text);
  if (!minV.ok() || !maxV.ok() || !r.ok() || r.value() == 0) return false;
  out->minHz = static_cast<uint64_t>(std::max<int64_t>(minV.value(), 0)) * unit;
  out->maxHz = static_cast<uint64_t>(std::max<int64_t>(maxV.value(), 0)) * unit;
  out->governor = governorFromName(text);
  return true;
}

void TwinTree::publishCurFreq(int device, size_t opp) {
  if (!hasDomain(device)) return;
  Domain& dom = domains_[device];
  size_t n = dom.freqsHz.size();
  if (opp >= n) return;
  if (opp != dom.curOpp) {
    ++dom.transitions[dom.curOpp * n + opp];
    ++dom.totalTransitions;
    dom.curOpp = opp;
  }
  uint64_t hz = dom.freqsHz[opp];
  if (dom.cpufreq) {
    dom.cur.writeInt(static_cast<int64_t>(hz / 1000));
    return;
  }
  dom.cur.writeInt(static_cast<int64_t>(hz));
  dom.target.writeInt(static_cast<int64_t>(hz));
}

void TwinTree::addResidencyNs(int device, size_t opp, int64_t ns) {
  if (!hasDomain(device) || opp >= domains_[device].residencyNs.size()) return;
  domains_[device].residencyNs[opp] += static_cast<uint64_t>(ns);
}

void TwinTree::publishStats(int device) {
  if (!hasDomain(device)) return;
  Domain& dom = domains_[device];
  size_t n = dom.freqsHz.size();
  for (size_t i = 0; i < n; ++i)
    dom.residencyMs[i] = dom.residencyNs[i] / 1000000;
  int len = dom.cpufreq
                ? formatCpufreqTimeInState(dom.text.data(), dom.text.size(), dom.freqsHz.data(),
                                           dom.residencyMs.data(), n)
                : formatDevfreqTransStat(dom.text.data(), dom.text.size(), dom.freqsHz.data(),
                                         dom.transitions.data(), dom.residencyMs.data(), n,
                                         dom.curOpp, dom.totalTransitions);
  if (len > 0) dom.stats.write(dom.text.data(), static_cast<size_t>(len));
  if (dom.cpufreq) dom.totalTrans.writeInt(static_cast<int64_t>(dom.totalTransitions));
}

Status TwinTree::removeDevfreq(int device) {
  if (!hasDomain(device) || domains_[device].cpufreq) {
    return Error::make(ENOENT, "device %d has no devfreq node", device);
  }
  Domain& dom = domains_[device];
  for (TwinFile* f : {&dom.cur, &dom.target, &dom.min, &dom.max, &dom.governor, &dom.stats})
    f->close();
  dom.removed = true;
  std::string dir = fs_->path(dom.dir);
  Result<std::vector<std::string>> names = listNames(dir);
  if (!names.ok()) return names.error();
  for (const std::string& name : names.value()) {
    std::string file = dir;
    file.append("/").append(name);
    int fd = ::open(file.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd >= 0) ::close(fd);  // descriptors held open now read nothing
    ::unlink(file.c_str());
  }
  ::rmdir(dir.c_str());
  size_t slash = dom.dir.rfind('/');
  ::unlink(fs_->path("/sys/class/devfreq" + dom.dir.substr(slash)).c_str());
  return {};
}

// ---- thermal and hwmon ----

void TwinTree::publishTempC(int zone, double tempC) {
  zoneTemp_[static_cast<size_t>(zone)].writeInt(std::llround(tempC * 1000.0));
}

void TwinTree::publishCoolingState(int device, int state) {
  TwinFile& f = cooling_[static_cast<size_t>(device)];
  f.forget();  // the agent may have written cur_state: the governor's state wins
  f.writeInt(state);
}

void TwinTree::publishHwmon(size_t chip, int channel, double busV, double shuntV, double currentA) {
  HwmonFiles& f = hwmon_[chip];
  size_t c = static_cast<size_t>(channel);
  f.bus[c].writeInt(std::llround(busV * 1e3));          // mV
  f.current[c].writeInt(std::llround(currentA * 1e3));  // mA
  if (f.ina3221) {
    f.shunt[c].writeInt(std::llround(shuntV * 1e6));  // uV
    return;
  }
  f.shunt[c].writeInt(std::llround(shuntV * 1e3));           // mV
  f.power[c].writeInt(std::llround(busV * currentA * 1e6));  // uW
}

// ---- CPUs ----

bool TwinTree::readCpuOnline(int cpu, bool fallback) const {
  if (cpu <= 0 || cpu >= cpuCount_) return true;
  char text[16];
  Result<size_t> r = cpuOnline_[static_cast<size_t>(cpu)].read(text, sizeof text);
  if (!r.ok() || r.value() == 0) return fallback;
  return text[0] != '0';
}

void TwinTree::writeCpuOnline(int cpu, bool online) {
  if (cpu <= 0 || cpu >= cpuCount_) return;
  TwinFile& f = cpuOnline_[static_cast<size_t>(cpu)];
  f.forget();  // the agent or a test may have written it
  f.write(online ? "1\n" : "0\n", 2);
}

void TwinTree::writeOnlineList(CpuSet online) {
  char list[256];
  if (!online.format(list, sizeof list - 1)) return;
  size_t len = strlen(list);
  list[len++] = '\n';
  onlineList_.write(list, len);
}

// ---- cgroups ----

Result<std::vector<std::string>> TwinTree::addCgroupProcess(const std::string& group, CpuSet cpus,
                                                            pid_t pid) {
  std::string hierarchy = cgroups_->hierarchyDir("cpuset");
  std::string cpuHierarchy =
      cgroupVersion_ == CgroupVersion::V1 ? cgroups_->hierarchyDir("cpu") : std::string();
  std::vector<std::string> paths = {hierarchy + "/cpuset.cpus"};
  std::string rel;
  size_t pos = 0;
  while (pos < group.size()) {
    size_t end = group.find('/', pos);
    if (end == std::string::npos) end = group.size();
    if (end > pos) {
      std::string parent = hierarchy + rel;
      rel += "/" + group.substr(pos, end - pos);
      std::string dir = hierarchy + rel;
      if (!isDir(dir)) {
        if (cgroupVersion_ == CgroupVersion::V2) {
          // The parent hands cpuset (and cpu) down, as a launcher's systemd slice would.
          char enabled[256];
          Result<size_t> r =
              readTextFile(parent + "/cgroup.subtree_control", enabled, sizeof enabled);
          if (!r.ok() || !hasWord(enabled, "cpuset")) {
            // Written as the kernel shows it afterwards ("+cpuset +cpu" is what one writes).
            Status st = writeTextFile(parent + "/cgroup.subtree_control", "cpuset cpu");
            if (!st.ok()) return st.error();
          }
        }
        Status st = mkdirOne(dir);
        if (st.ok()) st = cgroups_->populate(dir);
        if (st.ok() && cgroupVersion_ == CgroupVersion::V1) {
          // A v1 cpuset group starts empty: no task may enter before cpus and mems are set.
          for (const char* file : {"/cpuset.cpus", "/cpuset.mems"}) {
            char text[256];
            Result<size_t> r = readTextFile(parent + file, text, sizeof text);
            if (st.ok() && r.ok()) st = writeTextFile(dir + file, text);
          }
        }
        if (st.ok() && !cpuHierarchy.empty() && !isDir(cpuHierarchy + rel)) {
          st = mkdirOne(cpuHierarchy + rel);
          if (st.ok()) st = cgroups_->populate(cpuHierarchy + rel);
        }
        if (!st.ok()) return st.error();
      }
      paths.push_back(dir + "/cpuset.cpus");
    }
    pos = end + 1;
  }
  if (!cpus.empty()) {
    char list[256];
    if (!cpus.format(list, sizeof list)) return Error::make(EINVAL, "CPU list too long");
    Status st = writeTextFile(paths.back(), list);
    if (!st.ok()) return st.error();
  }
  Status st = cgroups_->addProcess(pid, rel.empty() ? "/" : rel);
  if (!st.ok()) return st.error();
  return paths;
}

void TwinTree::removeProcess(const std::string& group, pid_t pid) {
  std::string rel = group.empty() || group[0] == '/' ? group : "/" + group;
  std::string pidText = std::to_string(pid);
  for (const char* controller : {"cpuset", "cpu"}) {
    std::string hierarchy = cgroups_->hierarchyDir(controller);
    if (hierarchy.empty()) continue;
    std::string procs = hierarchy + rel + "/cgroup.procs";
    char text[4096];
    Result<size_t> r = readTextFile(procs, text, sizeof text);
    if (!r.ok()) continue;
    std::string kept;
    for (char* line = strtok(text, "\n"); line; line = strtok(nullptr, "\n")) {
      if (pidText != line) kept += std::string(line) + "\n";
    }
    int fd = ::open(procs.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = ::write(fd, kept.data(), kept.size());
      (void)n;
      ::close(fd);
    }
    if (cgroupVersion_ == CgroupVersion::V2) break;
  }
  std::string procDir = fs_->path("/proc/" + pidText);
  ::unlink((procDir + "/cgroup").c_str());
  ::rmdir(procDir.c_str());
}

std::string TwinTree::cpuWeightFile(const std::string& group) const {
  std::string rel;
  for (size_t pos = 0; pos < group.size();) {
    size_t end = group.find('/', pos);
    if (end == std::string::npos) end = group.size();
    if (end > pos) rel += "/" + group.substr(pos, end - pos);
    pos = end + 1;
  }
  if (rel.empty()) return std::string();
  if (cgroupVersion_ == CgroupVersion::V1)
    return cgroups_->hierarchyDir("cpu") + rel + "/cpu.shares";
  return cgroups_->hierarchyDir("cpuset") + rel + "/cpu.weight";
}

double TwinTree::cpuWeight(const std::string& file) {
  constexpr double kDefault = 100.0;
  if (file.empty()) return kDefault;
  char text[32];
  Result<size_t> r = readTextFile(file, text, sizeof text);
  if (!r.ok() || r.value() == 0) return kDefault;
  const double value = strtod(text, nullptr);
  if (!(value > 0.0)) return kDefault;
  const bool shares = file.size() >= 10 && file.compare(file.size() - 10, 10, "cpu.shares") == 0;
  return shares ? value * kDefault / 1024.0 : value;
}

CpuSet TwinTree::effectiveCpus(const std::vector<std::string>& paths, CpuSet all) {
  CpuSet eff = all;
  for (const std::string& path : paths) {
    char text[512];
    Result<size_t> r = readTextFile(path, text, sizeof text);
    if (!r.ok() || r.value() == 0) continue;
    Result<CpuSet> level = CpuSet::parse(text, path.c_str());
    if (!level.ok()) continue;
    CpuSet narrowed;
    for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
      if (eff.contains(c) && level.value().contains(c)) narrowed.add(c);
    }
    if (!narrowed.empty()) eff = narrowed;
  }
  return eff;
}

}  // namespace qeil::twin
