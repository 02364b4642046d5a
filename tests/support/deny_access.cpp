#include "tests/support/deny_access.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace qeil::test {
namespace {

constexpr unsigned kDacBits = (1u << CAP_DAC_OVERRIDE) | (1u << CAP_DAC_READ_SEARCH);

// The raw syscalls: pid 0 is the calling thread, and capabilities are per thread.
bool getCaps(__user_cap_data_struct (&data)[_LINUX_CAPABILITY_U32S_3]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capget, &header, data) == 0;
}

bool setCaps(__user_cap_data_struct (&data)[_LINUX_CAPABILITY_U32S_3]) {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  return syscall(SYS_capset, &header, data) == 0;
}

}  // namespace

DacCapabilitiesDropped::DacCapabilitiesDropped() {
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (!getCaps(data) || (data[0].effective & kDacBits) == 0) return;
  data[0].effective &= ~kDacBits;
  dropped_ = setCaps(data);
}

DacCapabilitiesDropped::~DacCapabilitiesDropped() {
  if (!dropped_) return;
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  if (!getCaps(data)) return;
  data[0].effective |= kDacBits & data[0].permitted;
  setCaps(data);
}

DenyAccess::DenyAccess(std::string path) : path_(std::move(path)) {
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0) return;
  mode_ = st.st_mode & 07777;
  chmodded_ = ::chmod(path_.c_str(), 0) == 0;
  if (!chmodded_) return;
  int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  active_ = errno == EACCES;
}

DenyAccess::~DenyAccess() {
  // Members are destroyed after this body: the capabilities come back after the chmod, which
  // needs none for the file's owner.
  if (chmodded_) ::chmod(path_.c_str(), mode_);
}

}  // namespace qeil::test
