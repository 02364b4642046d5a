#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "hal/result.h"

namespace qeil {

// An attribute file (sysfs, procfs, cgroupfs) held open for repeated reads. A pread at offset 0
// makes the kernel regenerate the value, so a sampling tick costs one syscall per attribute and
// no allocation. Errors name the file: "<path>: not a number: 'abc'".
class SysfsFile {
 public:
  SysfsFile() = default;
  ~SysfsFile();
  SysfsFile(SysfsFile&& other) noexcept;
  SysfsFile& operator=(SysfsFile&& other) noexcept;
  SysfsFile(const SysfsFile&) = delete;
  SysfsFile& operator=(const SysfsFile&) = delete;

  Status open(std::string path);
  void close();
  bool isOpen() const { return fd_ >= 0; }
  const std::string& path() const { return path_; }

  // Text without trailing whitespace, NUL-terminated; fails if it does not fit in `cap`.
  // Reopens the file first if a previous read closed it.
  Result<size_t> readText(char* buf, size_t cap);
  Result<int64_t> readInt();

 private:
  std::string path_;
  int fd_ = -1;
};

// One-shot helpers: open, read or write, close.
Result<size_t> readTextFile(const std::string& path, char* buf, size_t cap);
Result<int64_t> readIntFile(const std::string& path);
Status writeTextFile(const std::string& path, const char* text);
bool pathExists(const std::string& path);

// Parses a decimal integer with optional surrounding whitespace. `where` names the source.
Result<int64_t> parseInt(const char* text, const char* where);

}  // namespace qeil
