#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hal/cpu_set.h"
#include "hal/linux/psi.h"
#include "hal/linux/sys_root.h"
#include "hal/result.h"
#include "hal/thermal_zone.h"

namespace qeil {

// What the fake writes for each kind of device. Values use the units sysfs uses.
struct FakeTrip {
  TripType type = TripType::Passive;
  int64_t tempMC = 0;
  int64_t hystMC = 0;
  bool hasHyst = true;  // some kernels only show hyst for writable trips
};

struct FakeZone {
  std::string type;  // "bigcore0-thermal"
  int64_t tempMC = 40000;
  std::vector<FakeTrip> trips;
};

struct FakeCoolingDevice {
  std::string type;  // "cpufreq-cpu4", "pwm-fan"
  int maxState = 0;
  int curState = 0;
};

struct FakePolicy {
  int id = 0;  // policyN: N is its first CPU
  CpuSet cpus;
  std::vector<uint64_t> freqsHz;  // the OPP table, ascending
  uint64_t scalingMaxHz = 0;      // 0: the top OPP
  std::string driver = "cpufreq-dt";
  std::string governor = "schedutil";
  std::string governors = "conservative ondemand userspace powersave performance schedutil";
  bool availableFrequencies = true;  // false: only stats/time_in_state lists the OPPs
  bool stats = true;                 // CONFIG_CPU_FREQ_STAT
};

struct FakeDevfreq {
  std::string name;        // "fb000000.gpu"
  std::string devicePath;  // "/sys/devices/platform/fb000000.gpu"
  std::vector<uint64_t> freqsHz;
  std::string governor = "simple_ondemand";
  std::string governors = "userspace powersave performance simple_ondemand";
};

// One channel of a power monitor chip. An empty label writes no label file (as the kernel
// does for an INA3221 channel without a DT label).
struct FakeRail {
  std::string label;
  uint32_t shuntUohm = 0;
  bool enabled = true;
};

struct FakeHwmon {
  std::string name;             // hwmon name: "ina3221", "ina226", "pwmfan"
  std::string devicePath;       // "/sys/devices/platform/bus@0/c240000.i2c/i2c-1/1-0040"
  std::vector<FakeRail> rails;  // ina3221: 3 channels; ina2xx: 1; others: none
  int updateIntervalMs = 1;
};

// Frequency statistics as the kernel prints them, into a caller's buffer without allocating
// (the twin rewrites them every period). Each returns the length written, or -1 when the text
// does not fit in `cap`. statsTextBytes(n) is enough for either with n OPPs.
size_t statsTextBytes(size_t opps);
// cpufreq stats/time_in_state: "<kHz> <10 ms units>" per OPP.
int formatCpufreqTimeInState(char* out, size_t cap, const uint64_t* freqsHz,
                             const uint64_t* residencyMs, size_t n);
// devfreq trans_stat: transitions row-major (from x to), `cur` marked with '*'.
int formatDevfreqTransStat(char* out, size_t cap, const uint64_t* freqsHz,
                           const uint32_t* transitions, const uint64_t* residencyMs, size_t n,
                           size_t cur, uint64_t totalTrans);

// Builds a real-looking sysfs/procfs tree under a directory, for the Linux backends to run on
// unchanged in tests and under the twin. Class entries are symlinks into /sys/devices as on a
// board. Setters rewrite files in place (same inode), so descriptors held open by the
// backends see the new values, as with sysfs.
class FakeSysfs {
 public:
  explicit FakeSysfs(std::string rootDir);

  // Whole boards, with numbers from ../shared/data/boards/board-data.json.
  static Result<std::unique_ptr<FakeSysfs>> rk3588(const std::string& rootDir);
  static Result<std::unique_ptr<FakeSysfs>> jetsonOrinNano(const std::string& rootDir);

  const std::string& rootDir() const { return rootDir_; }
  SysRoot sysRoot() const { return SysRoot(rootDir_); }
  // Where the tree keeps `absolute` ("/sys/class/thermal" -> "<root>/sys/class/thermal").
  std::string path(const std::string& absolute) const { return sysRoot().path(absolute); }

  // ---- building ----
  Result<int> addThermalZone(const FakeZone& zone);  // returns N of thermal_zoneN
  Result<int> addCoolingDevice(const FakeCoolingDevice& dev);
  // possible/present/online for CPUs 0..count-1, and cpuN/online for every CPU but cpu0.
  Status addCpus(int count);
  Status addCpufreqPolicy(const FakePolicy& policy);
  Status addDevfreq(const FakeDevfreq& dev);
  Result<int> addHwmon(const FakeHwmon& chip);  // returns N of hwmonN
  // /proc/pressure/{cpu,memory,io}, all zero.
  Status addPressure();

  // ---- what a twin or a test changes ----
  Status setTempC(const std::string& zoneType, double tempC);
  Status setCoolingState(const std::string& type, int state);
  // `domain` is a policy ("policy4") or a devfreq device ("fb000000.gpu").
  Status setCurFreqHz(const std::string& domain, uint64_t hz);
  // Adds residency at `freqHz` to stats/time_in_state or trans_stat.
  Status addResidencyMs(const std::string& domain, uint64_t freqHz, uint64_t ms);
  // Writes a rail's bus voltage and current, and the shunt voltage and power they imply.
  Status setRail(int hwmon, int channel, double busV, double currentA);
  Status setRail(const std::string& label, double busV, double currentA);
  Status setCritAlarm(int hwmon, int channel, bool fired);
  Status setCpuOnline(int cpu, bool online);
  Status setPressure(PsiResource resource, const PsiStats& stats);
  // A cgroup's <resource>.pressure (`cgroup` relative to /sys/fs/cgroup; created if missing).
  Status setCgroupPressure(const std::string& cgroup, PsiResource resource, const PsiStats& stats);
  // A driver rebind: hwmonN goes away (its attributes read empty from then on, like kernfs
  // files of a removed device) and comes back as hwmon<newIndex> with the same contents.
  Status rebindHwmon(int hwmon, int newIndex);
  // Fault injection: replaces a file's content in place (`absolute` as on a board).
  Status writeRaw(const std::string& absolute, const std::string& text);

  // ---- lookups (absolute paths as on a board) ----
  Result<std::string> zoneDir(const std::string& type) const;
  Result<std::string> hwmonDir(int hwmon) const;
  Result<std::string> domainDir(const std::string& domain) const;

 private:
  struct FreqState {
    std::string dir;  // absolute
    bool cpufreq = true;
    bool stats = true;  // cpufreq without CONFIG_CPU_FREQ_STAT has no stats directory
    std::vector<uint64_t> freqsHz;
    std::vector<uint64_t> residencyMs;
    std::vector<uint32_t> transitions;  // devfreq: from x to, row-major
    size_t cur = 0;
    uint64_t totalTrans = 0;
  };
  struct HwmonState {
    FakeHwmon spec;
    std::string dir;  // absolute, under the device
  };

  Status writeAbs(const std::string& absolute, const std::string& text);
  Status mkdirAbs(const std::string& absolute);
  Status symlinkAbs(const std::string& target, const std::string& absolute);
  Status writeStats(const FreqState& state);
  Status writeOnline();
  Status writeHwmonFiles(const HwmonState& chip);
  Result<HwmonState*> hwmonState(int hwmon);

  std::string rootDir_;
  std::map<std::string, int> zones_;    // type -> N
  std::map<std::string, int> cooling_;  // type -> N
  std::map<std::string, FreqState> domains_;
  std::map<int, HwmonState> hwmons_;
  int nextZone_ = 0;
  int nextCooling_ = 0;
  int nextHwmon_ = 0;
  int cpuCount_ = 0;
  CpuSet online_;
};

}  // namespace qeil
