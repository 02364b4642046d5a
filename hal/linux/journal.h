#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "hal/result.h"

namespace qeil {

// Every board setting the agent changes goes through this journal: it records the original value
// before the first change, in memory and in a state file that survives a crash, and puts
// everything back on exit (restoreAll) or on the next start after a crash (recover).
//
// State file: one entry per line, "<kind> <len>:<text> <len>:<text>", appended and fsynced before
// the setting is changed. Kinds: W (file, original value), D (directory we created), P (pid, the
// cgroup.procs file it came from), G (GPIO chip path, "offset=value").
class SettingsJournal {
 public:
  // `statePath` empty: memory only (tests, --check-config).
  explicit SettingsJournal(std::string statePath = "");
  SettingsJournal(const SettingsJournal&) = delete;
  SettingsJournal& operator=(const SettingsJournal&) = delete;

  // Restores what a previous run left in the state file, newest first, then empties the file.
  // Restores every entry it can; returns the first error (a malformed line names its number).
  Status recover();

  // Writes `value` to the attribute at `path`, recording its current value first (once per
  // path). Attributes inside a directory this journal created are not recorded: removing the
  // directory undoes them.
  Status write(const std::string& path, const char* value);
  // Like write, but restore writes `undoValue` instead of the value read back: for attributes
  // whose contents are not valid input (cgroup.subtree_control reads "cpu io", takes "-cpu").
  Status writeWithUndo(const std::string& path, const char* value, const char* undoValue);
  // mkdir, recorded so that restore removes it. An existing directory is not recorded.
  Status makeDir(const std::string& path);
  // Called after every successful makeDir. On a board the kernel fills a new cgroup directory
  // with its control files; on a fake tree the twin plays that part through this observer.
  void setMkdirObserver(std::function<void(const std::string& path)> observer) {
    mkdirObserver_ = std::move(observer);
  }
  // Removes a directory this journal created, before restore would (a workload group that is no
  // longer needed). Refuses other directories: their removal could not be undone.
  Status removeDir(const std::string& path);
  // Called before every rmdir (removeDir, restore, recover). The kernel empties a cgroup
  // directory by itself; on a fake tree the twin removes the control files through this.
  void setRmdirObserver(std::function<void(const std::string& path)> observer) {
    rmdirObserver_ = std::move(observer);
  }
  // Writes `pid` into `procsPath` (a cgroup.procs file), recording `originalProcsPath` so that
  // restore moves the process back. Recorded once per (pid, originalProcsPath): with cgroup v1 a
  // pid is moved in several hierarchies. A process that has exited by then is not an error.
  Status movePid(const std::string& procsPath, pid_t pid, const std::string& originalProcsPath);
  // Records the value an output GPIO line had before the agent drove it.
  Status recordGpio(const std::string& chipPath, unsigned offset, int originalValue);

  // Undoes everything, newest first, and empties the state file. Keeps going past errors and
  // returns the first one.
  Status restoreAll();

  size_t size() const { return entries_.size(); }

 private:
  enum class Kind : char { File = 'W', Dir = 'D', Pid = 'P', Gpio = 'G' };
  struct Entry {
    Kind kind;
    std::string path;
    std::string value;
  };

  Status record(Kind kind, const std::string& path, const std::string& value);
  Status writeRecorded(const std::string& path, const char* value);
  bool recorded(Kind kind, const std::string& path) const;
  bool insideCreatedDir(const std::string& path) const;
  Status undo(const Entry& e) const;
  Status removeDirNow(const std::string& path) const;
  Status truncateState();

  std::string statePath_;
  std::vector<Entry> entries_;
  std::function<void(const std::string&)> mkdirObserver_;
  std::function<void(const std::string&)> rmdirObserver_;
};

}  // namespace qeil
