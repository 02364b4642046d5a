#pragma once

#include <sys/types.h>

#include <string>

namespace qeil::test {

// Drops CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the calling thread's effective capability
// set, so file permissions apply even to root; they stay in the permitted set and are put back
// on destruction. dropped() is false when the thread did not hold them or capset failed.
class DacCapabilitiesDropped {
 public:
  DacCapabilitiesDropped();
  ~DacCapabilitiesDropped();
  DacCapabilitiesDropped(const DacCapabilitiesDropped&) = delete;
  DacCapabilitiesDropped& operator=(const DacCapabilitiesDropped&) = delete;
  bool dropped() const { return dropped_; }

 private:
  bool dropped_ = false;
};

// Makes `path` (a file or a directory) inaccessible to the calling thread: chmod 000, and the DAC
// capabilities dropped when running as root. Restores both on destruction. active() is false
// when the path can still be opened (the caller should GTEST_SKIP).
class DenyAccess {
 public:
  explicit DenyAccess(std::string path);
  ~DenyAccess();
  DenyAccess(const DenyAccess&) = delete;
  DenyAccess& operator=(const DenyAccess&) = delete;
  bool active() const { return active_; }

 private:
  std::string path_;
  mode_t mode_ = 0;
  bool chmodded_ = false;
  bool active_ = false;
  DacCapabilitiesDropped caps_;
};

}  // namespace qeil::test
