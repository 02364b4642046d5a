#pragma once

#include <string>

namespace qeil {

// The root every sysfs, procfs, cgroupfs and /dev path is built from: "/" on a board, a
// temporary tree in tests and under the twin. Only hal/linux spells the system paths.
class SysRoot {
 public:
  explicit SysRoot(std::string dir = "/");
  const std::string& dir() const { return dir_; }
  // `absolute` is the path as on a real system ("/sys/class/thermal").
  std::string path(const std::string& absolute) const;

 private:
  std::string dir_;  // without trailing slash; empty for "/"
};

// The system paths qeil touches, relative to a SysRoot.
namespace syspath {
constexpr const char* kThermal = "/sys/class/thermal";
constexpr const char* kHwmon = "/sys/class/hwmon";
constexpr const char* kCpu = "/sys/devices/system/cpu";
constexpr const char* kCpufreq = "/sys/devices/system/cpu/cpufreq";
constexpr const char* kDevfreq = "/sys/class/devfreq";
constexpr const char* kCgroup = "/sys/fs/cgroup";
constexpr const char* kPressure = "/proc/pressure";
constexpr const char* kProc = "/proc";
constexpr const char* kDev = "/dev";
}  // namespace syspath

}  // namespace qeil
