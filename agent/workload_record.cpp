#include "agent/workload_record.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

namespace qeil {
namespace {

bool recordable(const std::string& arg) {
  return arg.find_first_of("\t\n\x1f") == std::string::npos;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep))
    out.push_back(part);
  return out;
}

// printf-appends to buffer[*used..capacity); false (nothing counted) when it does not fit.
__attribute__((format(printf, 4, 5))) bool appendf(char* buffer, size_t capacity, size_t* used,
                                                   const char* format, ...) {
  va_list args;
  va_start(args, format);
  const int n = vsnprintf(buffer + *used, capacity - *used, format, args);
  va_end(args);
  if (n < 0 || *used + static_cast<size_t>(n) >= capacity) return false;
  *used += static_cast<size_t>(n);
  return true;
}

}  // namespace

std::vector<SavedWorkload> savedWorkloads(const WorkloadTable& table) {
  std::vector<SavedWorkload> out;
  for (const WorkloadEntry& e : table.entries()) {
    if (!e.used || e.stopping || e.state == WorkloadState::Done) continue;
    SavedWorkload w;
    w.id = e.id;
    w.origin = e.origin;
    w.pid = e.pid;
    w.launcherId = e.launcherId;
    w.device = e.device;
    w.tokens = e.tokens;
    w.model = e.model;
    w.argv = e.argv;
    w.priority = e.priority;
    out.push_back(std::move(w));
  }
  return out;
}

Status saveWorkloads(const WorkloadTable& table, const char* path, const char* tmpPath,
                     char* buffer, size_t capacity) {
  size_t used = 0;
  for (const WorkloadEntry& e : table.entries()) {
    if (!e.used || e.stopping || e.state == WorkloadState::Done) continue;
    bool ok = recordable(e.device);
    for (const std::string& a : e.argv)
      ok = ok && recordable(a);
    if (!ok) continue;
    const LlmWorkloadSpec& m = e.model;
    const size_t start = used;
    bool fits =
        appendf(buffer, capacity, &used,
                "%d\t%s\t%d\t%d\t%s\t%llu\t%.17g\t%.17g\t%d\t%d\t%d\t%d\t%d\t%d\t%.17g\t%d\t", e.id,
                e.origin == WorkloadOrigin::Run ? "run" : "attach", static_cast<int>(e.pid),
                e.launcherId, e.device.c_str(), static_cast<unsigned long long>(e.tokens), m.params,
                m.bitsPerWeight, m.layers, m.hiddenWidth, m.kvWidth, m.contextTokens,
                m.promptTokens, m.outputTokens, m.kvBytesPerElem, m.threads);
    for (size_t i = 0; fits && i < e.argv.size(); ++i)
      fits = appendf(buffer, capacity, &used, "%s%s", i ? "\x1f" : "", e.argv[i].c_str());
    // The priority follows the argv (a record without it, from an older daemon, reads as 1).
    fits = fits && appendf(buffer, capacity, &used, "\t%d", e.priority);
    fits = fits && used + 1 < capacity;
    if (!fits) {
      used = start;  // this workload does not fit: left out
      continue;
    }
    buffer[used++] = '\n';
  }
  const int fd = open(tmpPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error::make(errno, "%s: open: %s", tmpPath, strerror(errno));
  const ssize_t written = write(fd, buffer, used);
  const bool closed = close(fd) == 0;
  if (written != static_cast<ssize_t>(used) || !closed)
    return Error::make(EIO, "%s: write failed", tmpPath);
  if (rename(tmpPath, path) != 0)
    return Error::make(errno, "%s: rename: %s", path, strerror(errno));
  return Status();
}

Result<std::vector<SavedWorkload>> loadWorkloads(const std::string& path) {
  std::vector<SavedWorkload> out;
  std::ifstream in(path);
  if (!in) return out;
  std::string line;
  int lineNo = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (line.empty()) continue;
    std::vector<std::string> f = split(line, '\t');
    if (f.size() < 16 || (f[1] != "run" && f[1] != "attach"))
      return Error::make(EINVAL, "%s:%d: not a workload record", path.c_str(), lineNo);
    SavedWorkload w;
    LlmWorkloadSpec& m = w.model;
    char* end = nullptr;
    errno = 0;
    w.id = static_cast<int>(strtol(f[0].c_str(), &end, 10));
    w.origin = f[1] == "run" ? WorkloadOrigin::Run : WorkloadOrigin::Attach;
    w.pid = static_cast<pid_t>(strtol(f[2].c_str(), nullptr, 10));
    w.launcherId = static_cast<int>(strtol(f[3].c_str(), nullptr, 10));
    w.device = f[4];
    w.tokens = strtoull(f[5].c_str(), nullptr, 10);
    m = defaultLlmDescriptor();
    m.params = strtod(f[6].c_str(), nullptr);
    m.bitsPerWeight = strtod(f[7].c_str(), nullptr);
    m.layers = static_cast<int>(strtol(f[8].c_str(), nullptr, 10));
    m.hiddenWidth = static_cast<int>(strtol(f[9].c_str(), nullptr, 10));
    m.kvWidth = static_cast<int>(strtol(f[10].c_str(), nullptr, 10));
    m.contextTokens = static_cast<int>(strtol(f[11].c_str(), nullptr, 10));
    m.promptTokens = static_cast<int>(strtol(f[12].c_str(), nullptr, 10));
    m.outputTokens = static_cast<int>(strtol(f[13].c_str(), nullptr, 10));
    m.kvBytesPerElem = strtod(f[14].c_str(), nullptr);
    m.threads = static_cast<int>(strtol(f[15].c_str(), nullptr, 10));
    if (f.size() > 16 && !f[16].empty()) w.argv = split(f[16], '\x1f');
    if (f.size() > 17) w.priority = static_cast<int>(strtol(f[17].c_str(), nullptr, 10));
    if (errno != 0 || w.id <= 0 || m.threads <= 0 || w.priority < 1 ||
        w.priority > kMaxWorkloadPriority)
      return Error::make(EINVAL, "%s:%d: a bad field", path.c_str(), lineNo);
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace qeil
