#include "agent/board_diagnostics.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <libconfig.h++>

namespace qeil {

std::string BoardError::text() const {
  std::string out = file + ":";
  if (line > 0) out += std::to_string(line) + ":";
  out += " ";
  if (!setting.empty()) out += setting + ": ";
  return out + message;
}

std::string BoardDiagnostics::sourceName(const char* includedFile) const {
  if (!includedFile) return file_;
  if (includedFile[0] == '/' || includeDir_.empty()) return includedFile;
  return includeDir_ + "/" + includedFile;
}

void BoardDiagnostics::record(const libconfig::Setting& s) {
  // libconfig names the file of a setting read through @include only.
  where_[s.getPath()] =
      Location{sourceName(s.getSourceFile()), static_cast<int>(s.getSourceLine())};
}

const BoardDiagnostics::Location& BoardDiagnostics::locate(const std::string& path) const {
  std::string p = path;
  for (;;) {
    auto it = where_.find(p);
    if (it != where_.end()) return it->second;
    size_t dot = p.rfind('.');
    if (dot == std::string::npos) return whole_;
    p.resize(dot);
  }
}

void BoardDiagnostics::report(const std::string& path, const char* fmt, ...) {
  char message[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  const Location& at = locate(path);
  errors_.push_back(BoardError{at.file, at.line, path, message});
}

void BoardDiagnostics::reportLine(const char* includedFile, int line, const std::string& message) {
  errors_.push_back(BoardError{sourceName(includedFile), line, "", message});
}

bool BoardDiagnostics::reportedUnder(const std::string& path) const {
  return std::any_of(errors_.begin(), errors_.end(), [&](const BoardError& e) {
    return e.setting.compare(0, path.size(), path) == 0 &&
           (e.setting.size() == path.size() || e.setting[path.size()] == '.');
  });
}

BoardErrors BoardDiagnostics::take() {
  std::stable_sort(errors_.begin(), errors_.end(), [](const BoardError& a, const BoardError& b) {
    return a.file != b.file ? a.file < b.file : a.line < b.line;
  });
  return std::move(errors_);
}

std::string settingPath(const std::string& list, size_t index, const char* key) {
  std::string path = list + ".[" + std::to_string(index) + "]";
  return key ? path + "." + key : path;
}

}  // namespace qeil
