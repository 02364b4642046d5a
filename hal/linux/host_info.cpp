#include "hal/linux/host_info.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qeil {
namespace {

std::string readFirstLine(const std::string& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (!f) return "";
  char buf[256] = {};
  if (!fgets(buf, sizeof buf, f)) buf[0] = '\0';
  fclose(f);
  std::string s(buf);
  while (!s.empty() && (s.back() == '\n' || s.back() == ' '))
    s.pop_back();
  return s;
}

long parseCacheSize(const std::string& s) {  // "307200K", "2048K", "32M"
  char* end = nullptr;
  const long v = strtol(s.c_str(), &end, 10);
  switch (end ? *end : '\0') {
    case 'K':
      return v * 1024;
    case 'M':
      return v * 1024 * 1024;
    case 'G':
      return v * 1024 * 1024 * 1024;
    default:
      return v;
  }
}

// Reads up to `n` whitespace-separated numbers from `p`; returns how many it read.
int parseNumbers(const char* p, double* out, int n) {
  int got = 0;
  while (got < n) {
    char* end = nullptr;
    const double v = strtod(p, &end);
    if (end == p) break;
    out[got++] = v;
    p = end;
  }
  return got;
}

void readCpuinfo(const SysRoot& root, HostCpuInfo* info) {
  FILE* f = fopen(root.path("/proc/cpuinfo").c_str(), "r");
  if (!f) return;
  char line[4096];
  bool haveModel = false, haveFlags = false, haveMHz = false;
  while (fgets(line, sizeof line, f)) {
    const char* colon = strchr(line, ':');
    if (!colon) continue;
    std::string value(colon + 1);
    while (!value.empty() && (value.back() == '\n' || value.back() == ' '))
      value.pop_back();
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (!haveModel && strncmp(line, "model name", 10) == 0) {
      info->model = value;
      haveModel = true;
    } else if (!haveMHz && strncmp(line, "cpu MHz", 7) == 0) {
      info->mhz = strtod(value.c_str(), nullptr);
      haveMHz = true;
    } else if (!haveFlags &&
               (strncmp(line, "flags", 5) == 0 || strncmp(line, "Features", 8) == 0)) {
      info->flags = value;
      haveFlags = true;
    }
  }
  fclose(f);
}

void readLastLevelCache(const SysRoot& root, HostCpuInfo* info) {
  for (int i = 0; i < 16; ++i) {
    const std::string dir =
        root.path(std::string(syspath::kCpu) + "/cpu0/cache/index" + std::to_string(i));
    const std::string type = readFirstLine(dir + "/type");
    if (type.empty() || type == "Instruction") continue;
    const int level = static_cast<int>(strtol(readFirstLine(dir + "/level").c_str(), nullptr, 10));
    const long size = parseCacheSize(readFirstLine(dir + "/size"));
    if (level > info->llcLevel || (level == info->llcLevel && size > info->llcBytes)) {
      info->llcLevel = level;
      info->llcBytes = size;
    }
  }
}

void readMemAvailable(const SysRoot& root, HostCpuInfo* info) {
  FILE* f = fopen(root.path("/proc/meminfo").c_str(), "r");
  if (!f) return;
  char line[256];
  const char kKey[] = "MemAvailable:";
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, kKey, sizeof kKey - 1) == 0)
      info->memAvailableBytes = strtod(line + sizeof kKey - 1, nullptr) * 1024.0;  // kB
  }
  fclose(f);
}

}  // namespace

HostCpuInfo readHostCpuInfo(const SysRoot& root) {
  HostCpuInfo info;
  readCpuinfo(root, &info);
  readLastLevelCache(root, &info);
  readMemAvailable(root, &info);
  return info;
}

HostCpuTimes readHostCpuTimes(const SysRoot& root) {
  HostCpuTimes t;
  // "cpu  user nice system idle iowait irq softirq steal guest guest_nice"
  const std::string cpu = readFirstLine(root.path("/proc/stat"));
  double v[8] = {};
  if (cpu.compare(0, 4, "cpu ") == 0 && parseNumbers(cpu.c_str() + 4, v, 8) == 8) {
    t.busy = v[0] + v[1] + v[2] + v[5] + v[6];  // user nice system irq softirq
    t.steal = v[7];
    t.total = t.busy + v[3] + v[4] + v[7];  // + idle iowait steal
  }
  if (FILE* f = fopen(root.path("/proc/self/stat").c_str(), "r")) {
    char buf[1024] = {};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    // After the ")" closing the command name: state (field 3), then numbers from field 4;
    // utime and stime are fields 14 and 15.
    const char* p = strrchr(buf, ')');
    double field[12] = {};
    if (p && p[1] == ' ' && p[2] != '\0' && parseNumbers(p + 3, field, 12) == 12)
      t.self = field[10] + field[11];
  }
  return t;
}

std::string readLoadAverage(const SysRoot& root) {
  std::string s = readFirstLine(root.path("/proc/loadavg"));
  // "0.17 1.14 1.72 3/84 8522": keep the three averages.
  size_t cut = 0;
  for (int fields = 0; fields < 3 && cut != std::string::npos; ++fields)
    cut = s.find(' ', cut + 1);
  return cut == std::string::npos ? s : s.substr(0, cut);
}

}  // namespace qeil
