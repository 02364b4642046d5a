#include "hal/linux/devfreq.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "hal/linux/sysfs_util.h"

namespace qeil {
namespace {

constexpr uint64_t kUnitHz = 1;  // devfreq speaks Hz
// trans_stat grows with the square of the table: 32 OPPs need about 11 KB.
constexpr size_t kTransStatBytes = 16384;
constexpr size_t kFieldWidth = 10;  // "%10u" counts

struct Line {
  const char* begin;
  const char* end;  // exclusive, at '\n' or the text's end
};

// The line starting at p; p moves to the next one. False at the end of the text.
bool nextLine(const char*& p, Line* line) {
  if (*p == '\0') return false;
  const char* nl = strchr(p, '\n');
  line->begin = p;
  line->end = nl ? nl : p + strlen(p);
  p = nl ? nl + 1 : line->end;
  return true;
}

bool startsWith(const Line& l, const char* prefix) {
  size_t len = strlen(prefix);
  return static_cast<size_t>(l.end - l.begin) >= len && strncmp(l.begin, prefix, len) == 0;
}

// A decimal in [p, end) with optional spaces around it.
bool parseField(const char* p, const char* end, uint64_t* out) {
  while (p < end && *p == ' ')
    ++p;
  if (p == end || !isdigit(static_cast<unsigned char>(*p))) return false;
  uint64_t v = 0;
  for (; p < end && isdigit(static_cast<unsigned char>(*p)); ++p) {
    uint64_t d = static_cast<uint64_t>(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  while (p < end && *p == ' ')
    ++p;
  *out = v;
  return p == end;
}

bool onlyCounts(const char* p, const char* end) {
  for (; p < end; ++p) {
    if (*p != ' ' && !isdigit(static_cast<unsigned char>(*p))) return false;
  }
  return true;
}

// One row: marker, "%10lu:" frequency, `columns` counts of kFieldWidth, then the time in ms.
bool parseRow(const Line& l, size_t columns, uint64_t* freqHz, uint64_t* timeMs) {
  if (l.begin == l.end || (*l.begin != '*' && *l.begin != ' ')) return false;
  const char* colon = static_cast<const char*>(memchr(l.begin, ':', l.end - l.begin));
  if (!colon || !parseField(l.begin + 1, colon, freqHz)) return false;
  const char* counts = colon + 1;
  const char* time = counts + columns * kFieldWidth;
  if (time >= l.end || !onlyCounts(counts, time)) return false;
  return parseField(time, l.end, timeMs);
}

}  // namespace

Status parseDevfreqTransStat(const char* text, const char* where, const FreqTable& table,
                             TimeInState* out) {
  if (*text == '\0') return Error::make(ENODATA, "%s: empty", where);
  const char* p = text;
  Line from{};
  Line to{};
  if (!nextLine(p, &from) || !startsWith(from, "     From") || !nextLine(p, &to)) {
    return Error::make(EINVAL, "%s: not a devfreq trans_stat: '%.30s'", where, text);
  }
  // The counts have one column per row: count the rows first.
  size_t rows = 0;
  Line l{};
  for (const char* q = p; nextLine(q, &l) && !startsWith(l, "Total transition");)
    ++rows;
  out->freqHz = table;
  out->timeMs.clear();
  for (size_t i = 0; i < table.size(); ++i)
    out->timeMs.push_back(0);
  for (size_t row = 0; row < rows && nextLine(p, &l); ++row) {
    uint64_t freqHz = 0;
    uint64_t timeMs = 0;
    if (!parseRow(l, rows, &freqHz, &timeMs)) {
      return Error::make(EINVAL, "%s:%zu: malformed row: '%.40s'", where, row + 3, l.begin);
    }
    for (size_t i = 0; i < table.size(); ++i) {
      if (table[i] == freqHz) out->timeMs[i] = timeMs;
    }
  }
  if (rows == 0) return Error::make(ENODATA, "%s: no frequency rows", where);
  return {};
}

Result<std::vector<std::string>> DevfreqDevice::list(const SysRoot& root) {
  return listNames(root.path(syspath::kDevfreq));
}

Result<std::unique_ptr<DevfreqDevice>> DevfreqDevice::find(const SysRoot& root, const char* name,
                                                           SettingsJournal& journal,
                                                           const Clock& clock) {
  std::string dir = root.path(syspath::kDevfreq) + "/" + name;
  if (!pathExists(dir)) return Error::make(ENODEV, "%s: no such devfreq device", dir.c_str());
  std::unique_ptr<DevfreqDevice> dev(new DevfreqDevice(dir, name, journal, clock));
  Status st = dev->load();
  if (!st.ok()) return st.error();
  return dev;
}

Status DevfreqDevice::load() {
  std::string available = dir_ + "/available_frequencies";
  char text[4096];
  Result<size_t> r = readTextFile(available, text, sizeof text);
  if (!r.ok()) return r.error();
  Status st =
      parseFreqList(text, available.c_str(), kUnitHz, kMinPlausibleHz, kMaxPlausibleHz, &table_);
  if (!st.ok()) return st;
  if (table_.empty()) return Error::make(ENODATA, "%s: empty", available.c_str());
  st = cur_.open(dir_ + "/cur_freq");
  if (st.ok()) st = min_.open(dir_ + "/min_freq");
  if (st.ok()) st = max_.open(dir_ + "/max_freq");
  if (st.ok()) st = governor_.open(dir_ + "/governor");
  if (st.ok() && pathExists(dir_ + "/trans_stat")) st = transStat_.open(dir_ + "/trans_stat");
  return st;
}

Reading DevfreqDevice::readCurHz() {
  Reading r{lastHz_, false, clock_.nowNs()};
  Result<uint64_t> hz = readFreqHz(cur_, kUnitHz);
  if (!hz.ok()) {
    lastError_ = hz.error();
    return r;
  }
  lastHz_ = static_cast<double>(hz.value());
  r.value = lastHz_;
  r.valid = true;
  return r;
}

Result<uint64_t> DevfreqDevice::minLimitHz() {
  return readFreqHz(min_, kUnitHz);
}

Result<uint64_t> DevfreqDevice::maxLimitHz() {
  return readFreqHz(max_, kUnitHz);
}

Status DevfreqDevice::setLimit(const char* file, uint64_t hz) {
  Status st = checkHwRange(name_.c_str(), hz, hwMinHz(), hwMaxHz());
  if (!st.ok()) return st;
  char text[24];
  snprintf(text, sizeof text, "%llu", static_cast<unsigned long long>(hz));
  return journal_.write(dir_ + "/" + file, text);
}

Status DevfreqDevice::setMinLimitHz(uint64_t hz) {
  return setLimit("min_freq", hz);
}

Status DevfreqDevice::setMaxLimitHz(uint64_t hz) {
  return setLimit("max_freq", hz);
}

Status DevfreqDevice::governor(char* buf, size_t cap) {
  char text[64];
  Result<size_t> r = governor_.readText(text, sizeof text);
  if (!r.ok()) return r.error();
  if (r.value() == 0) return Error::make(ENODATA, "%s: empty", governor_.path().c_str());
  return copyText(buf, cap, text, governor_.path().c_str());
}

Status DevfreqDevice::setGovernor(const char* name) {
  Status st = checkGovernor(name_.c_str(), dir_ + "/available_governors", name);
  if (!st.ok()) return st;
  return journal_.write(dir_ + "/governor", name);
}

Status DevfreqDevice::timeInState(TimeInState* out) {
  if (!transStat_.isOpen()) {
    return Error::make(ENOTSUP, "%s/trans_stat: not available", dir_.c_str());
  }
  char text[kTransStatBytes];
  Result<size_t> r = transStat_.readText(text, sizeof text);
  if (!r.ok()) return r.error();
  return parseDevfreqTransStat(text, transStat_.path().c_str(), table_, out);
}

}  // namespace qeil
