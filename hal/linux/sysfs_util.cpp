#include "hal/linux/sysfs_util.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

namespace qeil {
namespace {

bool isBlank(char c) {
  return isspace(static_cast<unsigned char>(c)) != 0;
}

// Parses one unsigned decimal at p (no sign); advances p. False if none or it overflows.
bool parseUnsigned(const char*& p, uint64_t* out) {
  if (!isdigit(static_cast<unsigned char>(*p))) return false;
  errno = 0;
  char* end = nullptr;
  unsigned long long v = strtoull(p, &end, 10);
  if (errno == ERANGE) return false;
  *out = v;
  p = end;
  return true;
}

// Opens `dir`; a missing directory yields nullptr without an error.
Result<DIR*> openDir(const std::string& dir) {
  DIR* d = opendir(dir.c_str());
  if (!d && errno != ENOENT) {
    return Error::make(errno, "%s: cannot list: %s", dir.c_str(), strerror(errno));
  }
  return d;
}

// "<path>: 250000 kHz is outside 1..10000000 kHz"; an empty unit leaves the number bare.
Error outOfRange(const std::string& path, int64_t v, int64_t lo, int64_t hi, const char* unit) {
  const char* sep = *unit ? " " : "";
  return Error::make(ERANGE, "%s: %lld%s%s is outside %lld..%lld%s%s", path.c_str(),
                     static_cast<long long>(v), sep, unit, static_cast<long long>(lo),
                     static_cast<long long>(hi), sep, unit);
}

}  // namespace

Result<std::vector<int>> listNumbered(const std::string& dir, const char* prefix) {
  Result<DIR*> d = openDir(dir);
  if (!d.ok()) return d.error();
  std::vector<int> found;
  if (!d.value()) return found;
  size_t len = strlen(prefix);
  while (const dirent* e = readdir(d.value())) {
    if (strncmp(e->d_name, prefix, len) != 0) continue;
    const char* num = e->d_name + len;
    char* end = nullptr;
    long v = strtol(num, &end, 10);
    if (isdigit(static_cast<unsigned char>(*num)) && *end == '\0' && v <= INT_MAX) {
      found.push_back(static_cast<int>(v));
    }
  }
  closedir(d.value());
  std::sort(found.begin(), found.end());
  return found;
}

Result<std::vector<std::string>> listNames(const std::string& dir) {
  Result<DIR*> d = openDir(dir);
  if (!d.ok()) return d.error();
  std::vector<std::string> found;
  if (!d.value()) return found;
  while (const dirent* e = readdir(d.value())) {
    if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) found.emplace_back(e->d_name);
  }
  closedir(d.value());
  std::sort(found.begin(), found.end());
  return found;
}

Result<int64_t> readIntInRange(SysfsFile& file, int64_t lo, int64_t hi, const char* unit) {
  Result<int64_t> v = file.readInt();
  if (!v.ok()) return v;
  if (v.value() < lo || v.value() > hi) return outOfRange(file.path(), v.value(), lo, hi, unit);
  return v;
}

Result<int64_t> readIntFileInRange(const std::string& path, int64_t lo, int64_t hi,
                                   const char* unit) {
  Result<int64_t> v = readIntFile(path);
  if (!v.ok()) return v;
  if (v.value() < lo || v.value() > hi) return outOfRange(path, v.value(), lo, hi, unit);
  return v;
}

Status parseFreqList(const char* text, const char* where, uint64_t scale, uint64_t lo, uint64_t hi,
                     FreqTable* out) {
  out->clear();
  const char* p = text;
  for (;;) {
    while (isBlank(*p))
      ++p;
    if (*p == '\0') break;
    uint64_t v = 0;
    if (!parseUnsigned(p, &v) || (*p != '\0' && !isBlank(*p))) {
      return Error::make(EINVAL, "%s: not a list of frequencies: '%.40s'", where, text);
    }
    if (v > hi / scale || v * scale < lo) {
      return Error::make(ERANGE, "%s: frequency %llu is outside %llu..%llu Hz", where,
                         static_cast<unsigned long long>(v), static_cast<unsigned long long>(lo),
                         static_cast<unsigned long long>(hi));
    }
    if (!out->push_back(v * scale)) {
      return Error::make(E2BIG, "%s: more than %zu frequencies", where, out->capacity());
    }
  }
  std::sort(out->begin(), out->end());
  out->resize(static_cast<size_t>(std::unique(out->begin(), out->end()) - out->begin()));
  return {};
}

Result<CpuSet> parseCpuWords(const char* text, const char* where) {
  CpuSet set;
  const char* p = text;
  for (;;) {
    while (isBlank(*p))
      ++p;
    if (*p == '\0') return set;
    uint64_t cpu = 0;
    if (!parseUnsigned(p, &cpu) || (*p != '\0' && !isBlank(*p)) || cpu >= CpuSet::kMaxCpus) {
      return Error::make(EINVAL, "%s: not a list of CPU numbers (0-%d): '%.40s'", where,
                         CpuSet::kMaxCpus - 1, text);
    }
    set.add(static_cast<int>(cpu));
  }
}

bool hasWord(const char* list, const char* word) {
  size_t len = strlen(word);
  if (len == 0) return false;
  for (const char* p = list; *p != '\0';) {
    while (isBlank(*p))
      ++p;
    const char* start = p;
    while (*p != '\0' && !isBlank(*p))
      ++p;
    if (static_cast<size_t>(p - start) == len && strncmp(start, word, len) == 0) return true;
  }
  return false;
}

Result<uint64_t> readFreqHz(SysfsFile& file, uint64_t unitHz) {
  Result<int64_t> v =
      readIntInRange(file, static_cast<int64_t>(kMinPlausibleHz / unitHz),
                     static_cast<int64_t>(kMaxPlausibleHz / unitHz), unitHz == 1 ? "Hz" : "kHz");
  if (!v.ok()) return v.error();
  return static_cast<uint64_t>(v.value()) * unitHz;
}

Status checkHwRange(const char* domain, uint64_t hz, uint64_t minHz, uint64_t maxHz) {
  if (hz >= minHz && hz <= maxHz) return {};
  return Error::make(EINVAL, "%s: %llu Hz is outside the hardware range %llu..%llu Hz", domain,
                     static_cast<unsigned long long>(hz), static_cast<unsigned long long>(minHz),
                     static_cast<unsigned long long>(maxHz));
}

Status checkGovernor(const char* domain, const std::string& availablePath, const char* name) {
  char available[1024];
  Result<size_t> r = readTextFile(availablePath, available, sizeof available);
  if (!r.ok()) return r.error();
  if (hasWord(available, name)) return {};
  return Error::make(EINVAL, "%s: governor '%.32s' is not available (available: %.120s)", domain,
                     name, available);
}

Result<std::string> readLinkBase(const std::string& path) {
  char buf[4096];
  ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
  if (n < 0) return Error::make(errno, "%s: readlink: %s", path.c_str(), strerror(errno));
  buf[n] = '\0';
  while (n > 0 && buf[n - 1] == '/')
    buf[--n] = '\0';
  const char* slash = strrchr(buf, '/');
  return std::string(slash ? slash + 1 : buf);
}

Status copyText(char* dst, size_t cap, const char* src, const char* where) {
  size_t len = strlen(src);
  if (cap == 0 || len >= cap) {
    return Error::make(ENOBUFS, "%s: '%.40s' does not fit in %zu bytes", where, src, cap);
  }
  memcpy(dst, src, len + 1);
  return {};
}

}  // namespace qeil
