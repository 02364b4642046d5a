#include "hal/linux/sys_root.h"

namespace qeil {

SysRoot::SysRoot(std::string dir) : dir_(std::move(dir)) {
  while (!dir_.empty() && dir_.back() == '/')
    dir_.pop_back();
}

std::string SysRoot::path(const std::string& absolute) const {
  if (absolute.empty() || absolute[0] != '/') return dir_ + "/" + absolute;
  return dir_ + absolute;
}

}  // namespace qeil
