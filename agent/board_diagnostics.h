#pragma once

#include <map>
#include <string>

#include "agent/board_config.h"

namespace libconfig {
class Setting;
}

namespace qeil {

// Where every setting of one board file is, and the problems found in it. The reader records
// each setting as it reads it; checks made later on the parsed BoardSpec report against a
// setting's path ("devices.[1].opp_mhz") and get its file and line from here.
class BoardDiagnostics {
 public:
  // `includeDir`: where libconfig looks for the files an @include names ("": the working
  // directory).
  BoardDiagnostics(std::string file, std::string includeDir)
      : file_(std::move(file)), includeDir_(std::move(includeDir)) {}

  void record(const libconfig::Setting& s);
  bool has(const std::string& path) const { return where_.count(path) != 0; }
  // Reports at `path`, or at its nearest recorded ancestor when it was not in the file (a
  // missing setting is reported at the group that lacks it).
  void report(const std::string& path, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
  // A syntax error; `includedFile` is libconfig's name for the file it was in (null: ours).
  void reportLine(const char* includedFile, int line, const std::string& message);

  bool empty() const { return errors_.empty(); }
  // Whether a problem was reported at `path` or below it.
  bool reportedUnder(const std::string& path) const;
  // Every problem, sorted by file and line (stable: same-line problems keep their order).
  BoardErrors take();

 private:
  struct Location {
    std::string file;
    int line = 0;
  };
  const Location& locate(const std::string& path) const;
  std::string sourceName(const char* includedFile) const;

  std::string file_;
  std::string includeDir_;
  Location whole_{file_, 0};
  std::map<std::string, Location> where_;
  BoardErrors errors_;
};

// "devices.[1]", "devices.[1].opp_mhz": the path libconfig gives an element's setting.
std::string settingPath(const std::string& list, size_t index, const char* key = nullptr);

}  // namespace qeil
