#include "hal/linux/cpufreq.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "hal/linux/sysfs_util.h"

namespace qeil {
namespace {

constexpr uint64_t kHz = 1000;           // cpufreq's unit, in Hz
constexpr uint64_t kMsPerStatUnit = 10;  // time_in_state counts USER_HZ ticks (100 Hz)
// Big enough for time_in_state with kMaxOpps lines of "<kHz> <ticks>".
constexpr size_t kStatsBytes = 4096;
constexpr SysfsFreqFiles kFiles = {"scaling_cur_freq",
                                   "scaling_min_freq",
                                   "scaling_max_freq",
                                   "scaling_governor",
                                   "scaling_available_governors",
                                   kHz};

// Reads "<number> <number>" at p, advancing past the line; false if the line is malformed.
bool parsePair(const char*& p, uint64_t* a, uint64_t* b) {
  char* end = nullptr;
  if (!isdigit(static_cast<unsigned char>(*p))) return false;
  errno = 0;
  *a = strtoull(p, &end, 10);
  if (errno != 0 || *end != ' ') return false;
  p = end + 1;
  if (!isdigit(static_cast<unsigned char>(*p))) return false;
  *b = strtoull(p, &end, 10);
  if (errno != 0 || (*end != '\n' && *end != '\0')) return false;
  p = *end == '\n' ? end + 1 : end;
  return true;
}

// The frequency column of stats/time_in_state, as an ascending table.
Status freqsFromTimeInState(const char* text, const char* where, FreqTable* out) {
  out->clear();
  int line = 0;
  for (const char* p = text; *p != '\0';) {
    ++line;
    uint64_t khz = 0;
    uint64_t ticks = 0;
    if (!parsePair(p, &khz, &ticks)) {
      return Error::make(EINVAL, "%s:%d: not '<kHz> <time>'", where, line);
    }
    if (khz < kMinPlausibleHz / kHz || khz > kMaxPlausibleHz / kHz) {
      return Error::make(ERANGE, "%s:%d: %llu kHz is outside %llu..%llu kHz", where, line,
                         static_cast<unsigned long long>(khz),
                         static_cast<unsigned long long>(kMinPlausibleHz / kHz),
                         static_cast<unsigned long long>(kMaxPlausibleHz / kHz));
    }
    if (!out->push_back(khz * kHz)) {
      return Error::make(E2BIG, "%s: more than %zu frequencies", where, out->capacity());
    }
  }
  std::sort(out->begin(), out->end());
  out->resize(static_cast<size_t>(std::unique(out->begin(), out->end()) - out->begin()));
  return {};
}

}  // namespace

Status parseCpufreqTimeInState(const char* text, const char* where, const FreqTable& table,
                               TimeInState* out) {
  out->freqHz = table;
  out->timeMs.clear();
  for (size_t i = 0; i < table.size(); ++i)
    out->timeMs.push_back(0);
  int line = 0;
  for (const char* p = text; *p != '\0';) {
    ++line;
    uint64_t khz = 0;
    uint64_t ticks = 0;
    if (!parsePair(p, &khz, &ticks) || ticks > UINT64_MAX / kMsPerStatUnit) {
      return Error::make(EINVAL, "%s:%d: not '<kHz> <time>'", where, line);
    }
    for (size_t i = 0; i < table.size(); ++i) {
      if (table[i] == khz * kHz) out->timeMs[i] = ticks * kMsPerStatUnit;
    }
  }
  if (line == 0) return Error::make(ENODATA, "%s: empty", where);
  return {};
}

Result<std::vector<std::string>> CpufreqPolicy::list(const SysRoot& root) {
  Result<std::vector<int>> ids = listNumbered(root.path(syspath::kCpufreq), "policy");
  if (!ids.ok()) return ids.error();
  std::vector<std::string> names;
  for (int id : ids.value())
    names.push_back("policy" + std::to_string(id));
  return names;
}

Result<std::unique_ptr<CpufreqPolicy>> CpufreqPolicy::find(const SysRoot& root, const char* policy,
                                                           SettingsJournal& journal,
                                                           const Clock& clock) {
  std::string dir = root.path(syspath::kCpufreq) + "/" + policy;
  if (!pathExists(dir)) {
    return Error::make(ENODEV, "%s: no such cpufreq policy", dir.c_str());
  }
  std::unique_ptr<CpufreqPolicy> p(new CpufreqPolicy(dir, policy, journal, clock));
  Status st = p->load();
  if (!st.ok()) return st.error();
  return p;
}

Result<std::unique_ptr<CpufreqPolicy>> CpufreqPolicy::findByCpu(const SysRoot& root, int cpu,
                                                                SettingsJournal& journal,
                                                                const Clock& clock) {
  Result<std::vector<std::string>> names = list(root);
  if (!names.ok()) return names.error();
  for (const std::string& name : names.value()) {
    std::string path = root.path(syspath::kCpufreq) + "/" + name + "/related_cpus";
    char text[256];
    Result<size_t> r = readTextFile(path, text, sizeof text);
    if (!r.ok()) return r.error();
    Result<CpuSet> cpus = parseCpuWords(text, path.c_str());
    if (!cpus.ok()) return cpus.error();
    if (cpus.value().contains(cpu)) return find(root, name.c_str(), journal, clock);
  }
  return Error::make(ENODEV, "%s: no policy covers cpu%d (%zu policies)",
                     root.path(syspath::kCpufreq).c_str(), cpu, names.value().size());
}

CpufreqPolicy::CpufreqPolicy(std::string dir, std::string name, SettingsJournal& journal,
                             const Clock& clock)
    : SysfsFreqDomain(std::move(dir), std::move(name), kFiles, journal, clock) {}

Status CpufreqPolicy::load() {
  std::string related = dir() + "/related_cpus";
  char text[256];
  Result<size_t> r = readTextFile(related, text, sizeof text);
  if (!r.ok()) return r.error();
  Result<CpuSet> cpus = parseCpuWords(text, related.c_str());
  if (!cpus.ok()) return cpus.error();
  if (cpus.value().empty()) return Error::make(EINVAL, "%s: no CPUs", related.c_str());
  cpus_ = cpus.value();

  SysfsFile hwMin;
  SysfsFile hwMax;
  Status st = hwMin.open(dir() + "/cpuinfo_min_freq");
  if (st.ok()) st = hwMax.open(dir() + "/cpuinfo_max_freq");
  if (!st.ok()) return st;
  Result<uint64_t> lo = readFreqHz(hwMin, kHz);
  if (!lo.ok()) return lo.error();
  Result<uint64_t> hi = readFreqHz(hwMax, kHz);
  if (!hi.ok()) return hi.error();
  if (lo.value() > hi.value()) {
    return Error::make(EINVAL, "%s: cpuinfo_min_freq %llu kHz is above cpuinfo_max_freq %llu kHz",
                       dir().c_str(), static_cast<unsigned long long>(lo.value() / kHz),
                       static_cast<unsigned long long>(hi.value() / kHz));
  }
  hwMinHz_ = lo.value();
  hwMaxHz_ = hi.value();

  st = openControls();
  if (!st.ok()) return st;
  if (pathExists(dir() + "/stats/time_in_state")) {
    st = stats_.open(dir() + "/stats/time_in_state");
    if (!st.ok()) return st;
  }
  return loadTable();
}

// scaling_available_frequencies, else the frequencies stats/time_in_state lists.
Status CpufreqPolicy::loadTable() {
  std::string available = dir() + "/scaling_available_frequencies";
  char text[kStatsBytes];
  if (pathExists(available)) {
    Result<size_t> r = readTextFile(available, text, sizeof text);
    if (!r.ok()) return r.error();
    Status st =
        parseFreqList(text, available.c_str(), kHz, kMinPlausibleHz, kMaxPlausibleHz, &table());
    if (!st.ok()) return st;
  } else if (stats_.isOpen()) {
    Result<size_t> r = stats_.readText(text, sizeof text);
    if (!r.ok()) return r.error();
    Status st = freqsFromTimeInState(text, stats_.path().c_str(), &table());
    if (!st.ok()) return st;
  }
  if (table().empty()) {
    return Error::make(ENOENT,
                       "%s: no frequency table (neither scaling_available_frequencies nor "
                       "stats/time_in_state lists one)",
                       dir().c_str());
  }
  return {};
}

Status CpufreqPolicy::timeInState(TimeInState* out) {
  if (!stats_.isOpen()) {
    return Error::make(ENOTSUP,
                       "%s/stats/time_in_state: not available (kernel without "
                       "CONFIG_CPU_FREQ_STAT)",
                       dir().c_str());
  }
  char text[kStatsBytes];
  Result<size_t> r = stats_.readText(text, sizeof text);
  if (!r.ok()) return r.error();
  return parseCpufreqTimeInState(text, stats_.path().c_str(), availableHz(), out);
}

}  // namespace qeil
