#include "hal/linux/journal.h"

#include <fcntl.h>
#include <gpiod.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "hal/linux/sysfs_file.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule gLog("journal");

// "<len>:<text>"; returns false on malformed input. Advances p past the field.
bool parseField(const char*& p, const char* end, std::string* out) {
  char* colon = nullptr;
  errno = 0;
  unsigned long len = strtoul(p, &colon, 10);
  if (colon == p || errno != 0 || colon >= end || *colon != ':') return false;
  const char* text = colon + 1;
  if (len > static_cast<unsigned long>(end - text)) return false;
  out->assign(text, len);
  p = text + len;
  return true;
}

}  // namespace

SettingsJournal::SettingsJournal(std::string statePath) : statePath_(std::move(statePath)) {}

bool SettingsJournal::recorded(Kind kind, const std::string& path) const {
  for (const Entry& e : entries_) {
    if (e.kind == kind && e.path == path) return true;
  }
  return false;
}

bool SettingsJournal::insideCreatedDir(const std::string& path) const {
  for (const Entry& e : entries_) {
    if (e.kind == Kind::Dir && path.size() > e.path.size() &&
        path.compare(0, e.path.size(), e.path) == 0 && path[e.path.size()] == '/') {
      return true;
    }
  }
  return false;
}

Status SettingsJournal::record(Kind kind, const std::string& path, const std::string& value) {
  if (!statePath_.empty()) {
    std::string line;
    line += static_cast<char>(kind);
    line += ' ' + std::to_string(path.size()) + ':' + path;
    line += ' ' + std::to_string(value.size()) + ':' + value + '\n';
    int fd = ::open(statePath_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
      return Error::make(errno, "journal %s: open: %s", statePath_.c_str(), strerror(errno));
    }
    ssize_t n = ::write(fd, line.data(), line.size());
    int err = errno;
    bool synced = n == static_cast<ssize_t>(line.size()) && ::fsync(fd) == 0;
    if (!synced && n >= 0) err = errno ? errno : EIO;
    ::close(fd);
    if (!synced) {
      return Error::make(err, "journal %s: append: %s", statePath_.c_str(), strerror(err));
    }
  }
  entries_.push_back(Entry{kind, path, value});
  return {};
}

Status SettingsJournal::write(const std::string& path, const char* value) {
  if (recorded(Kind::File, path) || insideCreatedDir(path)) return writeRecorded(path, value);
  char original[4096];
  Result<size_t> r = readTextFile(path, original, sizeof original);
  if (!r.ok()) return r.error();
  return writeWithUndo(path, value, original);
}

Status SettingsJournal::writeWithUndo(const std::string& path, const char* value,
                                      const char* undoValue) {
  if (!recorded(Kind::File, path) && !insideCreatedDir(path)) {
    Status st = record(Kind::File, path, undoValue);
    if (!st.ok()) return st;
  }
  return writeRecorded(path, value);
}

Status SettingsJournal::writeRecorded(const std::string& path, const char* value) {
  Status st = writeTextFile(path, value);
  if (st.ok()) QEIL_LOG(gLog, Debug, "%s <- %s", path.c_str(), value);
  return st;
}

Status SettingsJournal::makeDir(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode)) return {};
    return Error::make(ENOTDIR, "%s: exists and is not a directory", path.c_str());
  }
  Status rec = record(Kind::Dir, path, "");
  if (!rec.ok()) return rec;
  if (::mkdir(path.c_str(), 0755) != 0) {
    int err = errno;
    entries_.pop_back();  // nothing was created; the state-file line is harmless (rmdir fails)
    return Error::make(err, "%s: mkdir: %s", path.c_str(), strerror(err));
  }
  if (mkdirObserver_) mkdirObserver_(path);
  return {};
}

Status SettingsJournal::removeDir(const std::string& path) {
  if (!recorded(Kind::Dir, path)) {
    return Error::make(EPERM, "%s: not created by qeil; removing it could not be undone",
                       path.c_str());
  }
  // The entry stays: restore finds the directory gone, which is not an error.
  return removeDirNow(path);
}

Status SettingsJournal::removeDirNow(const std::string& path) const {
  if (rmdirObserver_) rmdirObserver_(path);
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT) {
    return Error::make(errno, "%s: rmdir: %s", path.c_str(), strerror(errno));
  }
  return {};
}

Status SettingsJournal::movePid(const std::string& procsPath, pid_t pid,
                                const std::string& originalProcsPath) {
  char pidText[24];
  snprintf(pidText, sizeof pidText, "%d", static_cast<int>(pid));
  bool seen = false;
  for (const Entry& e : entries_) {
    seen = seen || (e.kind == Kind::Pid && e.path == pidText && e.value == originalProcsPath);
  }
  if (!seen) {
    Status st = record(Kind::Pid, pidText, originalProcsPath);
    if (!st.ok()) return st;
  }
  return writeTextFile(procsPath, pidText);
}

Status SettingsJournal::recordGpio(const std::string& chipPath, unsigned offset,
                                   int originalValue) {
  char value[32];
  snprintf(value, sizeof value, "%u=%d", offset, originalValue ? 1 : 0);
  for (const Entry& e : entries_) {
    if (e.kind == Kind::Gpio && e.path == chipPath &&
        strtoul(e.value.c_str(), nullptr, 10) == offset) {
      return {};
    }
  }
  return record(Kind::Gpio, chipPath, value);
}

Status SettingsJournal::undo(const Entry& e) const {
  switch (e.kind) {
    case Kind::File: {
      Status st = writeTextFile(e.path, e.value.c_str());
      // The file went away with its device (a lost accelerator's devfreq node, an unplugged
      // CPU's policy): there is no setting left to restore.
      if (!st.ok() && st.error().errnum() == ENOENT) {
        QEIL_LOG(gLog, Info, "restore: %s is gone with its device", e.path.c_str());
        return {};
      }
      return st;
    }
    case Kind::Dir:
      return removeDirNow(e.path);
    case Kind::Pid: {
      Status st = writeTextFile(e.value, e.path.c_str());
      if (!st.ok() && st.error().errnum() == ESRCH) return {};  // the process has exited
      return st;
    }
    case Kind::Gpio: {
      unsigned offset = 0;
      int value = 0;
      if (sscanf(e.value.c_str(), "%u=%d", &offset, &value) != 2) {
        return Error::make(EINVAL, "journal: bad GPIO entry '%s'", e.value.c_str());
      }
      if (gpiod_ctxless_set_value(e.path.c_str(), offset, value, false, "qeild-restore", nullptr,
                                  nullptr) != 0) {
        return Error::make(errno, "%s line %u: restore to %d: %s", e.path.c_str(), offset, value,
                           strerror(errno));
      }
      return {};
    }
  }
  return Error::make(EINVAL, "journal: unknown entry kind");
}

Status SettingsJournal::truncateState() {
  if (statePath_.empty()) return {};
  if (::truncate(statePath_.c_str(), 0) != 0 && errno != ENOENT) {
    return Error::make(errno, "journal %s: truncate: %s", statePath_.c_str(), strerror(errno));
  }
  return {};
}

Status SettingsJournal::restoreAll() {
  Status first;
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    Status st = undo(*it);
    if (!st.ok()) {
      QEIL_LOG(gLog, Warn, "restore: %s", st.error().message());
      if (first.ok()) first = st;
    }
  }
  entries_.clear();
  Status tr = truncateState();
  return first.ok() ? tr : first;
}

Status SettingsJournal::recover() {
  if (statePath_.empty()) return {};
  FILE* f = fopen(statePath_.c_str(), "re");
  if (!f) {
    if (errno == ENOENT) return {};
    return Error::make(errno, "journal %s: open: %s", statePath_.c_str(), strerror(errno));
  }
  std::vector<Entry> found;
  Status first;
  char* line = nullptr;
  size_t cap = 0;
  ssize_t len;
  int lineNo = 0;
  while ((len = getline(&line, &cap, f)) >= 0) {
    ++lineNo;
    const char* p = line;
    const char* end = line + len;
    Entry e{static_cast<Kind>(line[0]), "", ""};
    bool kindOk = len > 2 && strchr("WDPG", line[0]) != nullptr && line[1] == ' ';
    p += 2;
    bool ok = kindOk && parseField(p, end, &e.path) && p < end && *p++ == ' ' &&
              parseField(p, end, &e.value) && (p == end || *p == '\n');
    if (!ok) {
      if (first.ok()) {
        first = Error::make(EINVAL, "journal %s:%d: malformed entry, skipped", statePath_.c_str(),
                            lineNo);
      }
      continue;
    }
    found.push_back(std::move(e));
  }
  free(line);
  fclose(f);
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    Status st = undo(*it);
    if (!st.ok() && first.ok()) first = st;
  }
  if (!found.empty()) {
    QEIL_LOG(gLog, Info, "recovered %zu settings left by a previous run", found.size());
  }
  Status tr = truncateState();
  return first.ok() ? tr : first;
}

}  // namespace qeil
