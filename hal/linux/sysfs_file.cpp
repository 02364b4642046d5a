#include "hal/linux/sysfs_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace qeil {
namespace {

Error errnoError(int err, const std::string& path, const char* what) {
  return Error::make(err, "%s: %s: %s", path.c_str(), what, strerror(err));
}

// Reads the whole attribute at offset 0 into buf; trims trailing whitespace.
Result<size_t> readAt0(int fd, const std::string& path, char* buf, size_t cap) {
  size_t used = 0;
  for (;;) {
    ssize_t n = pread(fd, buf + used, cap - used, static_cast<off_t>(used));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoError(errno, path, "read");
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
    if (used == cap) {
      return Error::make(EFBIG, "%s: longer than the %zu bytes expected", path.c_str(), cap - 1);
    }
  }
  while (used > 0 && isspace(static_cast<unsigned char>(buf[used - 1])))
    --used;
  buf[used] = '\0';
  return used;
}

}  // namespace

SysfsFile::~SysfsFile() {
  close();
}

SysfsFile::SysfsFile(SysfsFile&& other) noexcept : path_(std::move(other.path_)), fd_(other.fd_) {
  other.fd_ = -1;
}

SysfsFile& SysfsFile::operator=(SysfsFile&& other) noexcept {
  if (this != &other) {
    close();
    path_ = std::move(other.path_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

Status SysfsFile::open(std::string path) {
  close();
  path_ = std::move(path);
  fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) return errnoError(errno, path_, "open");
  return {};
}

void SysfsFile::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Result<size_t> SysfsFile::readText(char* buf, size_t cap) {
  if (fd_ < 0) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return errnoError(errno, path_, "open");
  }
  Result<size_t> r = readAt0(fd_, path_, buf, cap);
  // A device that went away leaves a dead descriptor: reopen on the next read.
  if (!r.ok() && r.error().errnum() != EFBIG) close();
  return r;
}

Result<int64_t> SysfsFile::readInt() {
  char buf[64];
  Result<size_t> r = readText(buf, sizeof buf);
  if (!r.ok()) return r.error();
  return parseInt(buf, path_.c_str());
}

Result<size_t> readTextFile(const std::string& path, char* buf, size_t cap) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errnoError(errno, path, "open");
  Result<size_t> r = readAt0(fd, path, buf, cap);
  ::close(fd);
  return r;
}

Result<int64_t> readIntFile(const std::string& path) {
  char buf[64];
  Result<size_t> r = readTextFile(path, buf, sizeof buf);
  if (!r.ok()) return r.error();
  return parseInt(buf, path.c_str());
}

Status writeTextFile(const std::string& path, const char* text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0) return errnoError(errno, path, "open for writing");
  size_t len = strlen(text);
  ssize_t n;
  do {
    n = ::write(fd, text, len);
  } while (n < 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  if (n < 0) return Error::make(err, "%s: write '%s': %s", path.c_str(), text, strerror(err));
  if (static_cast<size_t>(n) != len) {
    return Error::make(EIO, "%s: short write of '%s'", path.c_str(), text);
  }
  return {};
}

bool pathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

Result<int64_t> parseInt(const char* text, const char* where) {
  const char* p = text;
  while (isspace(static_cast<unsigned char>(*p)))
    ++p;
  if (*p == '\0') return Error::make(ENODATA, "%s: empty", where);
  errno = 0;
  char* end = nullptr;
  long long v = strtoll(p, &end, 10);
  if (end == p) return Error::make(EINVAL, "%s: not a number: '%.40s'", where, text);
  if (errno == ERANGE) return Error::make(ERANGE, "%s: out of range: '%.40s'", where, text);
  while (isspace(static_cast<unsigned char>(*end)))
    ++end;
  if (*end != '\0') return Error::make(EINVAL, "%s: not a number: '%.40s'", where, text);
  return static_cast<int64_t>(v);
}

}  // namespace qeil
