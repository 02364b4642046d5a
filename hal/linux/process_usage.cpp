#include "hal/linux/process_usage.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>

namespace qeil {
namespace {

std::string procFile(const SysRoot& root, pid_t pid, const char* name) {
  return root.path(std::string(syspath::kProc) + "/" + std::to_string(pid) + "/" + name);
}

// "Key:   1234 kB" -> 1234 when the line starts with `key`.
bool kibField(const std::string& line, const char* key, double* out) {
  const size_t n = strlen(key);
  if (line.compare(0, n, key) != 0 || line.size() <= n || line[n] != ':') return false;
  *out = strtod(line.c_str() + n + 1, nullptr);
  return true;
}

Status readStatus(const std::string& path, ProcessMemory* m) {
  std::ifstream in(path);
  if (!in) return Error::make(ENOENT, "%s: cannot read", path.c_str());
  std::string line;
  while (std::getline(in, line)) {
    kibField(line, "VmRSS", &m->rssKiB) || kibField(line, "VmHWM", &m->hwmKiB) ||
        kibField(line, "RssAnon", &m->rssAnonKiB) || kibField(line, "RssFile", &m->rssFileKiB);
  }
  return Status();
}

void readRollup(const std::string& path, ProcessMemory* m) {
  std::ifstream in(path);
  std::string line;
  double v = 0;
  while (std::getline(in, line)) {
    if (kibField(line, "Pss", &v)) m->pssKiB = v;
    if (kibField(line, "Private_Clean", &v) || kibField(line, "Private_Dirty", &v))
      m->privateKiB += v;
    if (kibField(line, "Shared_Clean", &v) || kibField(line, "Shared_Dirty", &v)) m->sharedKiB += v;
  }
}

// A mapping's header line: "start-end perms offset dev inode [name]".
bool mappingHeader(const std::string& line, std::string* name) {
  const size_t dash = line.find('-');
  if (dash == std::string::npos || dash == 0 || line.find(':') < dash) return false;
  for (size_t i = 0; i < dash; ++i) {
    if (!isxdigit(static_cast<unsigned char>(line[i]))) return false;
  }
  // The name starts after the fifth field.
  size_t pos = 0;
  for (int field = 0; field < 5; ++field) {
    pos = line.find_first_not_of(' ', pos);
    pos = pos == std::string::npos ? pos : line.find(' ', pos);
    if (pos == std::string::npos) break;
  }
  const size_t start = pos == std::string::npos ? pos : line.find_first_not_of(' ', pos);
  *name = start == std::string::npos ? "[anon]" : line.substr(start);
  return true;
}

void readMappings(const std::string& path, ProcessMemory* m) {
  std::ifstream in(path);
  std::map<std::string, MappingUsage> byName;
  MappingUsage* current = nullptr;
  std::string line, name;
  double v = 0;
  while (std::getline(in, line)) {
    if (mappingHeader(line, &name)) {
      current = &byName[name];
      current->name = name;
    } else if (current) {
      if (kibField(line, "Rss", &v)) current->rssKiB += v;
      if (kibField(line, "Pss", &v)) current->pssKiB += v;
      if (kibField(line, "Private_Clean", &v) || kibField(line, "Private_Dirty", &v))
        current->privateKiB += v;
    }
  }
  for (auto& [key, usage] : byName)
    m->mappings.push_back(usage);
  std::sort(m->mappings.begin(), m->mappings.end(),
            [](const MappingUsage& a, const MappingUsage& b) { return a.rssKiB > b.rssKiB; });
}

}  // namespace

Result<ProcessMemory> readProcessMemory(const SysRoot& root, pid_t pid) {
  ProcessMemory m;
  Status s = readStatus(procFile(root, pid, "status"), &m);
  if (!s.ok()) return s.error();
  readRollup(procFile(root, pid, "smaps_rollup"), &m);
  readMappings(procFile(root, pid, "smaps"), &m);
  return m;
}

Result<double> readProcessCpuSeconds(const SysRoot& root, pid_t pid) {
  const std::string path = procFile(root, pid, "stat");
  std::ifstream in(path);
  std::string text;
  if (!std::getline(in, text)) return Error::make(ENOENT, "%s: cannot read", path.c_str());
  // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return Error::make(EINVAL, "%s: no command name", path.c_str());
  const char* p = text.c_str() + close + 1;
  double utime = 0, stime = 0;
  // Field 3 is the state; utime and stime are fields 14 and 15.
  for (int field = 3; field <= 15 && *p; ++field) {
    while (*p == ' ')
      ++p;
    if (field == 14) utime = strtod(p, nullptr);
    if (field == 15) stime = strtod(p, nullptr);
    while (*p && *p != ' ')
      ++p;
  }
  const long tick = sysconf(_SC_CLK_TCK);
  return (utime + stime) / static_cast<double>(tick > 0 ? tick : 100);
}

}  // namespace qeil
