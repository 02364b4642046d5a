#include "hal/sim/fake_sysfs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "hal/linux/sysfs_file.h"
#include "hal/linux/sysfs_util.h"

namespace qeil {
namespace {

const char* tripName(TripType type) {
  switch (type) {
    case TripType::Active:
      return "active";
    case TripType::Passive:
      return "passive";
    case TripType::Hot:
      return "hot";
    case TripType::Critical:
      return "critical";
  }
  return "?";
}

std::string num(uint64_t v) {
  return std::to_string(v);
}

std::string baseName(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// The kernel prints CPU masks for cpufreq as "0 1 2 3".
std::string cpuWords(CpuSet cpus) {
  std::string out;
  for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
    if (!cpus.contains(c)) continue;
    if (!out.empty()) out += ' ';
    out += std::to_string(c);
  }
  return out + "\n";
}

// Lists as the kernel prints them: every item followed by a space, then a newline.
std::string spaced(const std::vector<uint64_t>& values, uint64_t divisor) {
  std::string out;
  for (uint64_t v : values)
    out += num(v / divisor) + " ";
  return out + "\n";
}

std::string psiText(const PsiStats& s) {
  char buf[256];
  auto line = [](char* out, size_t cap, const char* kind, const PsiLine& l) {
    return snprintf(out, cap, "%s avg10=%.2f avg60=%.2f avg300=%.2f total=%llu\n", kind, l.avg10,
                    l.avg60, l.avg300, static_cast<unsigned long long>(l.totalUs));
  };
  int n = line(buf, sizeof buf, "some", s.some);
  if (s.hasFull && n > 0 && static_cast<size_t>(n) < sizeof buf) {
    line(buf + n, sizeof buf - static_cast<size_t>(n), "full", s.full);
  }
  return buf;
}

bool isIna3221(const std::string& name) {
  return name == "ina3221";
}
bool isIna2xx(const std::string& name) {
  return !isIna3221(name) && name.compare(0, 3, "ina") == 0;
}

Status errnoStatus(const std::string& path, const char* what) {
  int err = errno;
  return Error::make(err, "%s: %s: %s", path.c_str(), what, strerror(err));
}

Result<std::string> readAll(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoStatus(path, "open").error();
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  int err = errno;
  ::close(fd);
  if (n < 0) return Error::make(err, "%s: read: %s", path.c_str(), strerror(err));
  return out;
}

}  // namespace

// ---- statistics text ----

size_t statsTextBytes(size_t opps) {
  // trans_stat: a header and one row per OPP of 1 + 11 + 10 per OPP + 11 bytes, a footer.
  return 64 + (opps + 1) * (24 + 10 * opps) + 64;
}

namespace {

// Appends printf output at `*used`; false when it did not fit.
bool append(char* out, size_t cap, size_t* used, const char* fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool append(char* out, size_t cap, size_t* used, const char* fmt, ...) {
  if (*used >= cap) return false;
  va_list args;
  va_start(args, fmt);
  int n = vsnprintf(out + *used, cap - *used, fmt, args);
  va_end(args);
  if (n < 0 || static_cast<size_t>(n) >= cap - *used) return false;
  *used += static_cast<size_t>(n);
  return true;
}

using Ull = unsigned long long;

}  // namespace

int formatCpufreqTimeInState(char* out, size_t cap, const uint64_t* freqsHz,
                             const uint64_t* residencyMs, size_t n) {
  size_t used = 0;
  if (cap > 0) out[0] = '\0';
  for (size_t i = 0; i < n; ++i) {
    if (!append(out, cap, &used, "%llu %llu\n", static_cast<Ull>(freqsHz[i] / 1000),
                static_cast<Ull>(residencyMs[i] / 10))) {
      return -1;
    }
  }
  return static_cast<int>(used);
}

// The kernel's fixed-width layout (drivers/devfreq/devfreq.c, trans_stat_show).
int formatDevfreqTransStat(char* out, size_t cap, const uint64_t* freqsHz,
                           const uint32_t* transitions, const uint64_t* residencyMs, size_t n,
                           size_t cur, uint64_t totalTrans) {
  size_t used = 0;
  bool ok = append(out, cap, &used, "     From  :   To\n           :");
  for (size_t j = 0; ok && j < n; ++j)
    ok = append(out, cap, &used, "%10llu", static_cast<Ull>(freqsHz[j]));
  if (ok) ok = append(out, cap, &used, "   time(ms)\n");
  for (size_t i = 0; ok && i < n; ++i) {
    ok = append(out, cap, &used, "%s%10llu:", i == cur ? "*" : " ", static_cast<Ull>(freqsHz[i]));
    for (size_t j = 0; ok && j < n; ++j)
      ok = append(out, cap, &used, "%10u", transitions[i * n + j]);
    if (ok) ok = append(out, cap, &used, "%10llu\n", static_cast<Ull>(residencyMs[i]));
  }
  if (ok) ok = append(out, cap, &used, "Total transition : %llu\n", static_cast<Ull>(totalTrans));
  return ok ? static_cast<int>(used) : -1;
}

FakeSysfs::FakeSysfs(std::string rootDir) : rootDir_(std::move(rootDir)) {}

// ---- file primitives ----

Status FakeSysfs::mkdirAbs(const std::string& absolute) {
  std::string full = path(absolute);
  for (size_t pos = 1; pos <= full.size(); ++pos) {
    if (pos != full.size() && full[pos] != '/') continue;
    std::string part = full.substr(0, pos);
    if (::mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) return errnoStatus(part, "mkdir");
  }
  return {};
}

// Truncates and writes in place: readers holding the file open see the new content.
Status FakeSysfs::writeAbs(const std::string& absolute, const std::string& text) {
  std::string full = path(absolute);
  int fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  size_t slash = absolute.rfind('/');
  if (fd < 0 && errno == ENOENT && slash != std::string::npos && slash > 0) {
    Status st = mkdirAbs(absolute.substr(0, slash));  // first file in a new directory
    if (!st.ok()) return st;
    fd = ::open(full.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  }
  if (fd < 0) return errnoStatus(full, "open for writing");
  ssize_t n = ::write(fd, text.data(), text.size());
  Status st = n == static_cast<ssize_t>(text.size()) ? Status() : errnoStatus(full, "write");
  ::close(fd);
  return st;
}

Status FakeSysfs::symlinkAbs(const std::string& target, const std::string& absolute) {
  Status st = mkdirAbs(absolute.substr(0, absolute.rfind('/')));
  if (!st.ok()) return st;
  std::string full = path(absolute);
  ::unlink(full.c_str());
  if (::symlink(target.c_str(), full.c_str()) != 0) return errnoStatus(full, "symlink");
  return {};
}

Status FakeSysfs::writeRaw(const std::string& absolute, const std::string& text) {
  return writeAbs(absolute, text);
}

// ---- thermal ----

Result<int> FakeSysfs::addThermalZone(const FakeZone& zone) {
  int n = nextZone_++;
  std::string name = "thermal_zone" + std::to_string(n);
  std::string dir = "/sys/devices/virtual/thermal/" + name;
  Status st = writeAbs(dir + "/type", zone.type + "\n");
  if (st.ok()) st = writeAbs(dir + "/temp", std::to_string(zone.tempMC) + "\n");
  if (st.ok()) st = writeAbs(dir + "/mode", "enabled\n");
  if (st.ok()) st = writeAbs(dir + "/policy", "step_wise\n");
  for (size_t i = 0; st.ok() && i < zone.trips.size(); ++i) {
    const FakeTrip& t = zone.trips[i];
    std::string base = dir + "/trip_point_" + std::to_string(i) + "_";
    st = writeAbs(base + "temp", std::to_string(t.tempMC) + "\n");
    if (st.ok()) st = writeAbs(base + "type", std::string(tripName(t.type)) + "\n");
    if (st.ok() && t.hasHyst) st = writeAbs(base + "hyst", std::to_string(t.hystMC) + "\n");
  }
  if (st.ok())
    st = symlinkAbs("../../devices/virtual/thermal/" + name, "/sys/class/thermal/" + name);
  if (!st.ok()) return st.error();
  zones_[zone.type] = n;
  return n;
}

Result<int> FakeSysfs::addCoolingDevice(const FakeCoolingDevice& dev) {
  int n = nextCooling_++;
  std::string name = "cooling_device" + std::to_string(n);
  std::string dir = "/sys/devices/virtual/thermal/" + name;
  Status st = writeAbs(dir + "/type", dev.type + "\n");
  if (st.ok()) st = writeAbs(dir + "/max_state", std::to_string(dev.maxState) + "\n");
  if (st.ok()) st = writeAbs(dir + "/cur_state", std::to_string(dev.curState) + "\n");
  if (st.ok())
    st = symlinkAbs("../../devices/virtual/thermal/" + name, "/sys/class/thermal/" + name);
  if (!st.ok()) return st.error();
  cooling_[dev.type] = n;
  return n;
}

Result<std::string> FakeSysfs::zoneDir(const std::string& type) const {
  auto it = zones_.find(type);
  if (it == zones_.end()) return Error::make(ENOENT, "fake sysfs: no zone '%s'", type.c_str());
  return "/sys/class/thermal/thermal_zone" + std::to_string(it->second);
}

Status FakeSysfs::setTempC(const std::string& zoneType, double tempC) {
  Result<std::string> dir = zoneDir(zoneType);
  if (!dir.ok()) return dir.error();
  return writeAbs(dir.value() + "/temp", std::to_string(std::llround(tempC * 1000.0)) + "\n");
}

Status FakeSysfs::setCoolingState(const std::string& type, int state) {
  auto it = cooling_.find(type);
  if (it == cooling_.end())
    return Error::make(ENOENT, "fake sysfs: no cooling device '%s'", type.c_str());
  return writeAbs("/sys/class/thermal/cooling_device" + std::to_string(it->second) + "/cur_state",
                  std::to_string(state) + "\n");
}

// ---- CPUs ----

Status FakeSysfs::writeOnline() {
  char list[256];
  if (!online_.format(list, sizeof list)) return Error::make(ENOBUFS, "fake sysfs: CPU list");
  return writeAbs("/sys/devices/system/cpu/online", std::string(list) + "\n");
}

Status FakeSysfs::addCpus(int count) {
  if (count < 1 || count > CpuSet::kMaxCpus) {
    return Error::make(EINVAL, "fake sysfs: %d CPUs is outside 1..%d", count, CpuSet::kMaxCpus);
  }
  cpuCount_ = count;
  online_ = CpuSet::range(0, count - 1);
  char list[32];
  snprintf(list, sizeof list, count == 1 ? "0\n" : "0-%d\n", count - 1);
  Status st = writeAbs("/sys/devices/system/cpu/possible", list);
  if (st.ok()) st = writeAbs("/sys/devices/system/cpu/present", list);
  if (st.ok()) st = writeOnline();
  if (st.ok()) st = mkdirAbs("/sys/devices/system/cpu/cpu0");  // cpu0 cannot go offline
  for (int c = 1; st.ok() && c < count; ++c) {
    st = writeAbs("/sys/devices/system/cpu/cpu" + std::to_string(c) + "/online", "1\n");
  }
  return st;
}

Status FakeSysfs::setCpuOnline(int cpu, bool online) {
  if (cpu <= 0 || cpu >= cpuCount_) {
    return Error::make(EINVAL, "fake sysfs: cpu%d has no online file (1..%d do)", cpu,
                       cpuCount_ - 1);
  }
  if (online) {
    online_.add(cpu);
  } else {
    online_.remove(cpu);
  }
  Status st = writeAbs("/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/online",
                       online ? "1\n" : "0\n");
  return st.ok() ? writeOnline() : st;
}

// ---- cpufreq and devfreq ----

Status FakeSysfs::addCpufreqPolicy(const FakePolicy& p) {
  if (p.freqsHz.empty() || !std::is_sorted(p.freqsHz.begin(), p.freqsHz.end())) {
    return Error::make(EINVAL, "fake sysfs: policy%d needs an ascending OPP table", p.id);
  }
  std::string name = "policy" + std::to_string(p.id);
  std::string dir = std::string("/sys/devices/system/cpu/cpufreq/") + name;
  uint64_t maxHz = p.scalingMaxHz ? p.scalingMaxHz : p.freqsHz.back();
  const std::pair<const char*, std::string> files[] = {
      {"affected_cpus", cpuWords(p.cpus)},
      {"related_cpus", cpuWords(p.cpus)},
      {"cpuinfo_min_freq", num(p.freqsHz.front() / 1000) + "\n"},
      {"cpuinfo_max_freq", num(p.freqsHz.back() / 1000) + "\n"},
      {"cpuinfo_transition_latency", "40000\n"},
      {"scaling_min_freq", num(p.freqsHz.front() / 1000) + "\n"},
      {"scaling_max_freq", num(maxHz / 1000) + "\n"},
      {"scaling_cur_freq", num(maxHz / 1000) + "\n"},
      {"scaling_driver", p.driver + "\n"},
      {"scaling_governor", p.governor + "\n"},
      {"scaling_available_governors", p.governors + " \n"},
      {"scaling_setspeed", "<unsupported>\n"},
  };
  Status st;
  for (const auto& [file, text] : files) {
    if (st.ok()) st = writeAbs(dir + "/" + file, text);
  }
  if (st.ok() && p.availableFrequencies) {
    st = writeAbs(dir + "/scaling_available_frequencies", spaced(p.freqsHz, 1000));
  }
  for (int c = 0; st.ok() && c < CpuSet::kMaxCpus; ++c) {
    if (p.cpus.contains(c)) {
      st = symlinkAbs("../cpufreq/" + name,
                      "/sys/devices/system/cpu/cpu" + std::to_string(c) + "/cpufreq");
    }
  }
  if (!st.ok()) return st;
  FreqState state;
  state.dir = dir;
  state.cpufreq = true;
  state.freqsHz = p.freqsHz;
  state.residencyMs.assign(p.freqsHz.size(), 0);
  state.cur = static_cast<size_t>(std::lower_bound(p.freqsHz.begin(), p.freqsHz.end(), maxHz) -
                                  p.freqsHz.begin());
  state.cur = std::min(state.cur, p.freqsHz.size() - 1);
  state.stats = p.stats;
  if (p.stats) {
    st = writeStats(state);
    if (!st.ok()) return st;
  }
  domains_[name] = state;
  return {};
}

Status FakeSysfs::addDevfreq(const FakeDevfreq& d) {
  if (d.freqsHz.empty() || !std::is_sorted(d.freqsHz.begin(), d.freqsHz.end())) {
    return Error::make(EINVAL, "fake sysfs: %s needs an ascending OPP table", d.name.c_str());
  }
  if (d.devicePath.compare(0, 5, "/sys/") != 0) {
    return Error::make(EINVAL, "fake sysfs: device path '%s' is not under /sys",
                       d.devicePath.c_str());
  }
  std::string dir = d.devicePath + "/devfreq/" + d.name;
  const std::pair<const char*, std::string> files[] = {
      {"name", d.name + "\n"},
      {"available_frequencies", spaced(d.freqsHz, 1)},
      {"available_governors", d.governors + " \n"},
      {"governor", d.governor + "\n"},
      {"cur_freq", num(d.freqsHz.front()) + "\n"},
      {"target_freq", num(d.freqsHz.front()) + "\n"},
      {"min_freq", num(d.freqsHz.front()) + "\n"},
      {"max_freq", num(d.freqsHz.back()) + "\n"},
      {"polling_interval", "50\n"},
  };
  Status st;
  for (const auto& [file, text] : files) {
    if (st.ok()) st = writeAbs(dir + "/" + file, text);
  }
  FreqState state;
  state.dir = dir;
  state.cpufreq = false;
  state.freqsHz = d.freqsHz;
  state.residencyMs.assign(d.freqsHz.size(), 0);
  state.transitions.assign(d.freqsHz.size() * d.freqsHz.size(), 0);
  if (st.ok()) st = writeStats(state);
  if (st.ok()) st = symlinkAbs("../../" + dir.substr(5), "/sys/class/devfreq/" + d.name);
  if (!st.ok()) return st;
  domains_[d.name] = state;
  return {};
}

// cpufreq: stats/time_in_state and total_trans. devfreq: trans_stat.
Status FakeSysfs::writeStats(const FreqState& s) {
  size_t n = s.freqsHz.size();
  std::string text(statsTextBytes(n), '\0');
  if (s.cpufreq) {
    int len =
        formatCpufreqTimeInState(&text[0], text.size(), s.freqsHz.data(), s.residencyMs.data(), n);
    if (len < 0) return Error::make(ENOBUFS, "fake sysfs: %s: time_in_state", s.dir.c_str());
    text.resize(static_cast<size_t>(len));
    Status st = writeAbs(s.dir + "/stats/time_in_state", text);
    return st.ok() ? writeAbs(s.dir + "/stats/total_trans", num(s.totalTrans) + "\n") : st;
  }
  int len = formatDevfreqTransStat(&text[0], text.size(), s.freqsHz.data(), s.transitions.data(),
                                   s.residencyMs.data(), n, s.cur, s.totalTrans);
  if (len < 0) return Error::make(ENOBUFS, "fake sysfs: %s: trans_stat", s.dir.c_str());
  text.resize(static_cast<size_t>(len));
  return writeAbs(s.dir + "/trans_stat", text);
}

Result<std::string> FakeSysfs::domainDir(const std::string& domain) const {
  auto it = domains_.find(domain);
  if (it == domains_.end()) {
    return Error::make(ENOENT, "fake sysfs: no frequency domain '%s'", domain.c_str());
  }
  if (it->second.cpufreq) return it->second.dir;
  return "/sys/class/devfreq/" + domain;
}

Status FakeSysfs::setCurFreqHz(const std::string& domain, uint64_t hz) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) {
    return Error::make(ENOENT, "fake sysfs: no frequency domain '%s'", domain.c_str());
  }
  FreqState& s = it->second;
  auto pos = std::find(s.freqsHz.begin(), s.freqsHz.end(), hz);
  if (pos != s.freqsHz.end() && static_cast<size_t>(pos - s.freqsHz.begin()) != s.cur && s.stats) {
    size_t next = static_cast<size_t>(pos - s.freqsHz.begin());
    if (!s.cpufreq) ++s.transitions[s.cur * s.freqsHz.size() + next];
    ++s.totalTrans;
    s.cur = next;
    Status st = writeStats(s);
    if (!st.ok()) return st;
  }
  if (s.cpufreq) return writeAbs(s.dir + "/scaling_cur_freq", num(hz / 1000) + "\n");
  Status st = writeAbs(s.dir + "/cur_freq", num(hz) + "\n");
  return st.ok() ? writeAbs(s.dir + "/target_freq", num(hz) + "\n") : st;
}

Status FakeSysfs::addResidencyMs(const std::string& domain, uint64_t freqHz, uint64_t ms) {
  auto it = domains_.find(domain);
  if (it == domains_.end()) {
    return Error::make(ENOENT, "fake sysfs: no frequency domain '%s'", domain.c_str());
  }
  FreqState& s = it->second;
  if (!s.stats) {
    return Error::make(ENOTSUP, "fake sysfs: %s has no stats", domain.c_str());
  }
  auto pos = std::find(s.freqsHz.begin(), s.freqsHz.end(), freqHz);
  if (pos == s.freqsHz.end()) {
    return Error::make(EINVAL, "fake sysfs: %s has no OPP at %llu Hz", domain.c_str(),
                       static_cast<unsigned long long>(freqHz));
  }
  s.residencyMs[static_cast<size_t>(pos - s.freqsHz.begin())] += ms;
  return writeStats(s);
}

// ---- hwmon ----

Status FakeSysfs::writeHwmonFiles(const HwmonState& chip) {
  const FakeHwmon& spec = chip.spec;
  std::vector<std::pair<std::string, std::string>> files = {{"name", spec.name + "\n"}};
  if (isIna3221(spec.name)) {
    for (size_t i = 0; i < spec.rails.size() && i < 3; ++i) {
      const FakeRail& r = spec.rails[i];
      std::string c = std::to_string(i + 1);
      // Power-on critical limit: the full shunt range, 163.8 mV (INA3221 datasheet).
      uint64_t critMa = r.shuntUohm ? 163800ull * 1000 / r.shuntUohm : 0;
      if (!r.label.empty()) files.emplace_back("in" + c + "_label", r.label + "\n");
      files.emplace_back("in" + c + "_enable", r.enabled ? "1\n" : "0\n");
      files.emplace_back("in" + c + "_input", "0\n");
      files.emplace_back("in" + std::to_string(i + 4) + "_input", "0\n");
      files.emplace_back("curr" + c + "_input", "0\n");
      files.emplace_back("curr" + c + "_crit", num(critMa) + "\n");
      files.emplace_back("curr" + c + "_crit_alarm", "0\n");
      files.emplace_back("curr" + c + "_max", num(critMa) + "\n");
      files.emplace_back("curr" + c + "_max_alarm", "0\n");
      files.emplace_back("shunt" + c + "_resistor", num(r.shuntUohm) + "\n");
    }
    files.emplace_back("samples", "1\n");
  } else if (isIna2xx(spec.name) && !spec.rails.empty()) {
    for (const char* f : {"in0_input", "in1_input", "curr1_input", "power1_input", "curr1_crit",
                          "curr1_crit_alarm", "power1_crit", "power1_crit_alarm", "in1_crit",
                          "in1_crit_alarm", "in1_lcrit", "in1_lcrit_alarm"}) {
      files.emplace_back(f, "0\n");
    }
    files.emplace_back("shunt_resistor", num(spec.rails[0].shuntUohm) + "\n");
  }
  if (isIna3221(spec.name) || isIna2xx(spec.name)) {
    files.emplace_back("update_interval", std::to_string(spec.updateIntervalMs) + "\n");
  }
  for (const auto& [file, text] : files) {
    Status st = writeAbs(chip.dir + "/" + file, text);
    if (!st.ok()) return st;
  }
  return {};
}

Result<int> FakeSysfs::addHwmon(const FakeHwmon& chip) {
  if (chip.devicePath.compare(0, 5, "/sys/") != 0) {
    return Error::make(EINVAL, "fake sysfs: device path '%s' is not under /sys",
                       chip.devicePath.c_str());
  }
  int n = nextHwmon_++;
  std::string name = "hwmon" + std::to_string(n);
  HwmonState state{chip, chip.devicePath + "/hwmon/" + name};
  Status st = writeHwmonFiles(state);
  if (st.ok()) st = symlinkAbs("../../../" + baseName(chip.devicePath), state.dir + "/device");
  if (st.ok()) st = symlinkAbs("../../" + state.dir.substr(5), "/sys/class/hwmon/" + name);
  if (!st.ok()) return st.error();
  hwmons_[n] = state;
  return n;
}

Result<FakeSysfs::HwmonState*> FakeSysfs::hwmonState(int hwmon) {
  auto it = hwmons_.find(hwmon);
  if (it == hwmons_.end()) return Error::make(ENOENT, "fake sysfs: no hwmon%d", hwmon);
  return &it->second;
}

Result<std::string> FakeSysfs::hwmonDir(int hwmon) const {
  if (hwmons_.count(hwmon) == 0) return Error::make(ENOENT, "fake sysfs: no hwmon%d", hwmon);
  return "/sys/class/hwmon/hwmon" + std::to_string(hwmon);
}

Status FakeSysfs::setRail(int hwmon, int channel, double busV, double currentA) {
  Result<HwmonState*> chip = hwmonState(hwmon);
  if (!chip.ok()) return chip.error();
  const FakeHwmon& spec = chip.value()->spec;
  if (channel < 0 || static_cast<size_t>(channel) >= spec.rails.size()) {
    return Error::make(EINVAL, "fake sysfs: hwmon%d has no channel %d", hwmon, channel);
  }
  const std::string& dir = chip.value()->dir;
  double shuntV = currentA * spec.rails[static_cast<size_t>(channel)].shuntUohm * 1e-6;
  auto text = [](double v) { return std::to_string(std::llround(v)) + "\n"; };
  Status st;
  if (isIna3221(spec.name)) {
    std::string c = std::to_string(channel + 1);
    st = writeAbs(dir + "/in" + c + "_input", text(busV * 1e3));
    if (st.ok())
      st = writeAbs(dir + "/in" + std::to_string(channel + 4) + "_input", text(shuntV * 1e6));
    if (st.ok()) st = writeAbs(dir + "/curr" + c + "_input", text(currentA * 1e3));
    return st;
  }
  st = writeAbs(dir + "/in0_input", text(shuntV * 1e3));
  if (st.ok()) st = writeAbs(dir + "/in1_input", text(busV * 1e3));
  if (st.ok()) st = writeAbs(dir + "/curr1_input", text(currentA * 1e3));
  if (st.ok()) st = writeAbs(dir + "/power1_input", text(busV * currentA * 1e6));
  return st;
}

Status FakeSysfs::setRail(const std::string& label, double busV, double currentA) {
  for (const auto& [n, chip] : hwmons_) {
    for (size_t i = 0; i < chip.spec.rails.size(); ++i) {
      if (chip.spec.rails[i].label == label) {
        return setRail(n, static_cast<int>(i), busV, currentA);
      }
    }
  }
  return Error::make(ENOENT, "fake sysfs: no rail labelled '%s'", label.c_str());
}

Status FakeSysfs::setCritAlarm(int hwmon, int channel, bool fired) {
  Result<HwmonState*> chip = hwmonState(hwmon);
  if (!chip.ok()) return chip.error();
  std::string c = isIna3221(chip.value()->spec.name) ? std::to_string(channel + 1) : "1";
  return writeAbs(chip.value()->dir + "/curr" + c + "_crit_alarm", fired ? "1\n" : "0\n");
}

Status FakeSysfs::rebindHwmon(int hwmon, int newIndex) {
  Result<HwmonState*> found = hwmonState(hwmon);
  if (!found.ok()) return found.error();
  if (hwmons_.count(newIndex) != 0)
    return Error::make(EEXIST, "fake sysfs: hwmon%d exists", newIndex);
  HwmonState moved = *found.value();
  std::string oldDir = moved.dir;
  moved.dir = moved.spec.devicePath + "/hwmon/hwmon" + std::to_string(newIndex);
  Result<std::vector<std::string>> names = listNames(path(oldDir));
  if (!names.ok()) return names.error();
  Status st;
  for (const std::string& name : names.value()) {
    if (name == "device") continue;
    std::string oldFile = oldDir;
    oldFile.append("/").append(name);
    Result<std::string> text = readAll(path(oldFile));
    if (!text.ok()) return text.error();
    std::string newFile = moved.dir;
    newFile.append("/").append(name);
    if (st.ok()) st = writeAbs(newFile, text.value());
    if (st.ok()) st = writeAbs(oldFile, "");  // open descriptors now read nothing
    ::unlink(path(oldFile).c_str());
  }
  ::unlink(path(oldDir + "/device").c_str());
  ::rmdir(path(oldDir).c_str());
  ::unlink(path("/sys/class/hwmon/hwmon" + std::to_string(hwmon)).c_str());
  if (st.ok())
    st = symlinkAbs("../../../" + baseName(moved.spec.devicePath), moved.dir + "/device");
  std::string name = "hwmon" + std::to_string(newIndex);
  if (st.ok()) st = symlinkAbs("../../" + moved.dir.substr(5), "/sys/class/hwmon/" + name);
  hwmons_.erase(hwmon);
  hwmons_[newIndex] = moved;
  nextHwmon_ = std::max(nextHwmon_, newIndex + 1);
  return st;
}

// ---- pressure ----

Status FakeSysfs::addPressure() {
  PsiStats zero;
  zero.hasFull = true;
  for (PsiResource r : {PsiResource::Cpu, PsiResource::Memory, PsiResource::Io}) {
    Status st = setPressure(r, zero);
    if (!st.ok()) return st;
  }
  return {};
}

Status FakeSysfs::setPressure(PsiResource resource, const PsiStats& stats) {
  return writeAbs(std::string(syspath::kPressure) + "/" + psiResourceName(resource),
                  psiText(stats));
}

Status FakeSysfs::setCgroupPressure(const std::string& cgroup, PsiResource resource,
                                    const PsiStats& stats) {
  std::string dir = syspath::kCgroup;
  if (!cgroup.empty()) dir += "/" + cgroup;
  return writeAbs(dir + "/" + psiResourceName(resource) + ".pressure", psiText(stats));
}

// ---- presets ----

namespace {

// Source: ../shared/data/boards/board-data.json, boards.rk3588 (mainline rk3588-base.dtsi and
// rk3588-opp.dtsi; GPU OPPs from the gpu_opp_table patches).
constexpr uint64_t kRk3588A55Hz[] = {1008000000, 1200000000, 1416000000, 1608000000, 1800000000};
constexpr uint64_t kRk3588A76Hz[] = {1200000000, 1416000000, 1608000000, 1800000000,
                                     2016000000, 2208000000, 2400000000};
constexpr uint64_t kRk3588MaliHz[] = {300000000, 400000000, 500000000, 600000000,
                                      700000000, 800000000, 900000000, 1000000000};

// Source: board-data.json, boards.tegra234_orin_nano.cpu_clusters[*].freqs_hz (identical for
// both clusters; tegra234.dtsi).
constexpr uint64_t kOrinCpuHz[] = {
    115200000,  192000000,  268800000,  345600000,  422400000,  499200000,  576000000,  652800000,
    729600000,  806400000,  883200000,  960000000,  1036800000, 1113600000, 1190400000, 1267200000,
    1344000000, 1420800000, 1497600000, 1574400000, 1651200000, 1728000000, 1804800000, 1881600000,
    1958400000, 2035200000, 2112000000, 2188800000, 2201600000};
// board-data.json has no Orin Nano GPU OPP table: 820 MHz (25 W mode) and 1020 MHz
// (MAXN_SUPER) are its gpu.clock_hz_25w and gpu.max_clock_hz_super; 624.75 MHz is the
// non-Super cap; the lower steps are placeholders, not measured values.
constexpr uint64_t kOrinNanoGpuHz[] = {306000000, 408000000, 510000000,
                                       624750000, 820000000, 1020000000};

template <class T>
Status statusOf(const Result<T>& r) {
  return r.ok() ? Status() : Status(r.error());
}

template <size_t N>
std::vector<uint64_t> table(const uint64_t (&hz)[N]) {
  return std::vector<uint64_t>(hz, hz + N);
}

Status buildRk3588(FakeSysfs& fs) {
  Status st = fs.addCpus(8);
  const std::pair<int, CpuSet> policies[] = {
      {0, CpuSet::range(0, 3)}, {4, CpuSet::range(4, 5)}, {6, CpuSet::range(6, 7)}};
  for (const auto& [id, cpus] : policies) {
    FakePolicy p;
    p.id = id;
    p.cpus = cpus;
    p.freqsHz = id == 0 ? table(kRk3588A55Hz) : table(kRk3588A76Hz);
    if (st.ok()) st = fs.addCpufreqPolicy(p);
  }
  // Trips: passive 85 °C (hyst 2 °C) where a cooling map exists, critical 115 °C everywhere.
  const FakeTrip passive{TripType::Passive, 85000, 2000};
  const FakeTrip critical{TripType::Critical, 115000, 0};
  const std::pair<const char*, bool> zones[] = {
      {"package-thermal", false},   {"bigcore0-thermal", true}, {"bigcore2-thermal", true},
      {"littlecore-thermal", true}, {"center-thermal", false},  {"gpu-thermal", true},
      {"npu-thermal", false}};
  for (const auto& [type, cooled] : zones) {
    FakeZone z{type, 42000, {}};
    if (cooled) z.trips.push_back(passive);
    z.trips.push_back(critical);
    if (st.ok()) st = statusOf(fs.addThermalZone(z));
  }
  // One cooling state per OPP step below the top: cpufreq and devfreq cooling.
  const FakeCoolingDevice cooling[] = {{"cpufreq-cpu0", 4, 0},
                                       {"cpufreq-cpu4", 6, 0},
                                       {"cpufreq-cpu6", 6, 0},
                                       {"devfreq-fb000000.gpu", 7, 0}};
  for (const FakeCoolingDevice& c : cooling) {
    if (st.ok()) st = statusOf(fs.addCoolingDevice(c));
  }
  FakeDevfreq mali;
  mali.name = "fb000000.gpu";
  mali.devicePath = "/sys/devices/platform/fb000000.gpu";
  mali.freqsHz = table(kRk3588MaliHz);
  if (st.ok()) st = fs.addDevfreq(mali);
  if (st.ok()) st = fs.addPressure();
  return st;
}

Status buildJetsonOrinNano(FakeSysfs& fs) {
  // 6 CPUs: cl0 x4 + cl1 x2 (board-data.json cpu_note; which cores are fused off is assumed).
  Status st = fs.addCpus(6);
  for (const auto& [id, cpus] : {std::pair<int, CpuSet>{0, CpuSet::range(0, 3)},
                                 std::pair<int, CpuSet>{4, CpuSet::range(4, 5)}}) {
    FakePolicy p;
    p.id = id;
    p.cpus = cpus;
    p.freqsHz = table(kOrinCpuHz);
    p.scalingMaxHz = 1728000000;  // MAXN_SUPER CPU cap (cpu_note)
    p.driver = "tegra194";
    if (st.ok()) st = fs.addCpufreqPolicy(p);
  }
  // cpu-thermal trips in board-data.json order (tegra234-p3767.dtsi).
  FakeZone cpu{"cpu-thermal",
               45000,
               {{TripType::Critical, 104500, 0},
                {TripType::Hot, 99000, 1000},
                {TripType::Passive, 95000, 2000},
                {TripType::Active, 80000, 4000},
                {TripType::Active, 65000, 4000},
                {TripType::Active, 50000, 4000}}};
  if (st.ok()) st = statusOf(fs.addThermalZone(cpu));
  // The fan's cooling maps run over states 0..3.
  if (st.ok()) st = statusOf(fs.addCoolingDevice({"pwm-fan", 3, 0}));
  FakeHwmon fan{"pwmfan", "/sys/devices/platform/pwm-fan", {}, 1};
  // INA3221 at 0x40 on i2c@c240000 (i2c-1 under L4T): three rails on 5 mOhm shunts. Power-on
  // configuration: 1 sample, 1.1 ms bus and shunt conversions, 3 channels -> 6.6 ms.
  FakeHwmon ina{"ina3221",
                "/sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040",
                {{"VDD_IN", 5000}, {"VDD_CPU_GPU_CV", 5000}, {"VDD_SOC", 5000}},
                6};
  for (const FakeHwmon& chip : {fan, ina}) {
    if (st.ok()) st = statusOf(fs.addHwmon(chip));
  }
  FakeDevfreq gpu;
  gpu.name = "17000000.gpu";  // JetPack 6 nvgpu; JetPack 5 named it 17000000.ga10b
  gpu.devicePath = "/sys/devices/platform/bus@0/17000000.gpu";
  gpu.freqsHz = table(kOrinNanoGpuHz);
  gpu.governor = "nvhost_podgov";
  gpu.governors = "nvhost_podgov userspace performance simple_ondemand";
  if (st.ok()) st = fs.addDevfreq(gpu);
  if (st.ok()) st = fs.addPressure();
  return st;
}

Result<std::unique_ptr<FakeSysfs>> build(const std::string& rootDir,
                                         Status (*builder)(FakeSysfs&)) {
  auto fs = std::make_unique<FakeSysfs>(rootDir);
  Status st = builder(*fs);
  if (!st.ok()) return st.error();
  return fs;
}

}  // namespace

Result<std::unique_ptr<FakeSysfs>> FakeSysfs::rk3588(const std::string& rootDir) {
  return build(rootDir, buildRk3588);
}

Result<std::unique_ptr<FakeSysfs>> FakeSysfs::jetsonOrinNano(const std::string& rootDir) {
  return build(rootDir, buildJetsonOrinNano);
}

}  // namespace qeil
