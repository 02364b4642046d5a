#include "hal/linux/devfreq.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <utility>

#include "hal/linux/sysfs_util.h"

namespace qeil {
namespace {

constexpr uint64_t kUnitHz = 1;  // devfreq speaks Hz
// trans_stat grows with the square of the table: 32 OPPs need about 11 KB.
constexpr size_t kTransStatBytes = 16384;
constexpr size_t kFieldWidth = 10;  // "%10u" counts
constexpr SysfsFreqFiles kFiles = {
    "cur_freq", "min_freq", "max_freq", "governor", "available_governors", kUnitHz};

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

DevfreqDevice::DevfreqDevice(std::string dir, std::string name, SettingsJournal& journal,
                             const Clock& clock)
    : SysfsFreqDomain(std::move(dir), std::move(name), kFiles, journal, clock) {}

Status DevfreqDevice::load() {
  std::string available = dir() + "/available_frequencies";
  char text[4096];
  Result<size_t> r = readTextFile(available, text, sizeof text);
  if (!r.ok()) return r.error();
  Status st =
      parseFreqList(text, available.c_str(), kUnitHz, kMinPlausibleHz, kMaxPlausibleHz, &table());
  if (!st.ok()) return st;
  if (table().empty()) return Error::make(ENODATA, "%s: empty", available.c_str());
  st = openControls();
  if (st.ok() && pathExists(dir() + "/trans_stat")) st = transStat_.open(dir() + "/trans_stat");
  return st;
}

Status DevfreqDevice::timeInState(TimeInState* out) {
  if (!transStat_.isOpen()) {
    return Error::make(ENOTSUP, "%s/trans_stat: not available", dir().c_str());
  }
  char text[kTransStatBytes];
  Result<size_t> r = transStat_.readText(text, sizeof text);
  if (!r.ok()) return r.error();
  return parseDevfreqTransStat(text, transStat_.path().c_str(), availableHz(), out);
}

}  // namespace qeil
