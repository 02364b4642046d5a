#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "hal/board_spec.h"
#include "hal/cpu_set.h"
#include "hal/result.h"
#include "hal/sim/fake_cgroup_tree.h"
#include "hal/sim/fake_sysfs.h"

namespace qeil::twin {

// A file of the fake tree held open for the twin's repeated writes and reads, as the kernel's
// side of a sysfs attribute: writes replace the content in place (the same inode, so readers
// holding it open see the new value). Never allocates after open().
class TwinFile {
 public:
  TwinFile() = default;
  ~TwinFile();
  TwinFile(TwinFile&& other) noexcept;
  TwinFile& operator=(TwinFile&& other) noexcept;
  TwinFile(const TwinFile&) = delete;
  TwinFile& operator=(const TwinFile&) = delete;

  Status open(const std::string& path);
  void close();
  bool isOpen() const { return fd_ >= 0; }
  // Replaces the content; skipped when a short text is what was last written.
  void write(const char* text, size_t len);
  void writeInt(int64_t value);
  // Someone else may have written the file: the next write goes through.
  void forget() { cached_ = false; }
  // The content without trailing whitespace, NUL-terminated.
  Result<size_t> read(char* buf, size_t cap) const;

 private:
  static constexpr size_t kCacheBytes = 32;
  int fd_ = -1;
  size_t lastLen_ = 0;
  char cache_[kCacheBytes] = {};
  bool cached_ = false;
};

// What a frequency domain's governor file says, as the twin obeys it.
enum class Governor { Performance, Powersave, Userspace, Schedutil };
Governor governorFromName(const char* name);

// The agent's settings of one frequency domain, read back from the tree.
struct DomainLimits {
  uint64_t minHz = 0;
  uint64_t maxHz = 0;
  Governor governor = Governor::Schedutil;
};

// Engine settings of the tree (not board physics).
struct TwinTreeOptions {
  CgroupVersion cgroupVersion = CgroupVersion::V2;
  std::string cpuGovernor = "schedutil";            // initial scaling_governor
  std::string devfreqGovernor = "simple_ondemand";  // initial devfreq governor
  // Initial scaling_max_freq per device (0: the top OPP), e.g. a power mode's cap.
  std::vector<uint64_t> initialMaxHz;
  // hwmon update_interval (ms) per hwmon rail chip, in the order of hwmonChips().
  std::vector<int> hwmonUpdateMs;
};

// One hwmon chip the tree carries: the rails (indices into BoardSpec::rails) on its channels.
struct HwmonChipLayout {
  std::string name;  // "ina3221", "ina226", ...
  int i2cBus = -1;
  int address = 0;
  std::vector<int> channelRail;  // per channel: the rail, or -1 when unused
};
// The hwmon chips of a spec's "hwmon" rails, grouped by bus and address.
std::vector<HwmonChipLayout> hwmonChips(const BoardSpec& spec);

// The fake sysfs/procfs/cgroup tree of a board, built generically from its BoardSpec, and the
// twin's per-step view of it: what it publishes (current frequencies, statistics,
// temperatures, cooling states, hwmon rails, CPU online state) and what it reads back (the
// agent's frequency limits and governors, CPU online files, cpusets). Everything after
// create() is allocation-free except the fault and workload calls named as such.
class TwinTree {
 public:
  static Result<std::unique_ptr<TwinTree>> create(const BoardSpec& spec, const std::string& rootDir,
                                                  const TwinTreeOptions& options);
  ~TwinTree();

  FakeSysfs& sysfs() { return *fs_; }
  FakeCgroupTree& cgroups() { return *cgroups_; }
  const std::string& rootDir() const { return fs_->rootDir(); }
  int cpuCount() const { return cpuCount_; }

  // ---- frequency domains (indexed like BoardSpec::devices) ----
  bool hasDomain(int device) const;
  // False when the files are unreadable (the previous limits hold).
  bool readLimits(int device, DomainLimits* out) const;
  void publishCurFreq(int device, size_t opp);
  void addResidencyNs(int device, size_t opp, int64_t ns);
  void publishStats(int device);
  // Accelerator lost: the devfreq node disappears (files emptied and removed, as kernfs
  // attributes of an unbound device read nothing). Allocates.
  Status removeDevfreq(int device);

  // ---- thermal (indexed like BoardSpec::zones) ----
  void publishTempC(int zone, double tempC);
  void publishCoolingState(int device, int state);

  // ---- hwmon rails (indexed like hwmonChips()) ----
  void publishHwmon(size_t chip, int channel, double busV, double shuntV, double currentA);

  // ---- CPUs ----
  // cpuN/online as the file says (true for a CPU without the file).
  bool readCpuOnline(int cpu, bool fallback) const;
  void writeCpuOnline(int cpu, bool online);
  void writeOnlineList(CpuSet online);

  // ---- cgroups ----
  // Creates `group` (relative to the cpuset hierarchy) as the kernel would, levels the tree
  // lacks included, writes `cpus` when not empty and adds `pid` to it. Returns the cpuset.cpus
  // paths from the hierarchy root down to the group. Allocates.
  Result<std::vector<std::string>> addCgroupProcess(const std::string& group, CpuSet cpus,
                                                    pid_t pid);
  // The process exits: gone from its group's cgroup.procs and from /proc. Allocates.
  void removeProcess(const std::string& group, pid_t pid);
  // The file holding `group`'s CPU weight: cpu.weight (v2) or, in the cpu hierarchy,
  // cpu.shares (v1); empty for the root group, which has none. Allocates.
  std::string cpuWeightFile(const std::string& group) const;
  // The weight that file holds, on cgroup v2's scale (100 the default; v1's shares 1024 are
  // 100); 100 when it is empty or unreadable. Never allocates.
  static double cpuWeight(const std::string& file);
  // The CPUs the cpusets along `paths` allow, as cgroup v2 resolves them: each level narrows
  // its parent's set, and a level that would leave nothing (or is empty) takes the parent's.
  // `all` is the root's set. Never allocates.
  static CpuSet effectiveCpus(const std::vector<std::string>& paths, CpuSet all);

 private:
  struct Domain {
    bool cpufreq = true;
    bool removed = false;
    std::string dir;  // absolute, as on a board
    std::vector<uint64_t> freqsHz;
    TwinFile cur;
    TwinFile target;  // devfreq
    TwinFile min;
    TwinFile max;
    TwinFile governor;
    TwinFile stats;       // time_in_state / trans_stat
    TwinFile totalTrans;  // cpufreq
    std::vector<uint64_t> residencyNs;
    std::vector<uint64_t> residencyMs;
    std::vector<uint32_t> transitions;
    size_t curOpp = 0;
    uint64_t totalTransitions = 0;
    std::vector<char> text;
  };
  struct HwmonFiles {
    bool ina3221 = true;
    std::vector<TwinFile> bus;
    std::vector<TwinFile> shunt;
    std::vector<TwinFile> current;
    std::vector<TwinFile> power;  // ina2xx
    std::vector<double> shuntOhm;
  };

  TwinTree() = default;
  Status build(const BoardSpec& spec, const TwinTreeOptions& options);
  Status buildDomains(const BoardSpec& spec, const TwinTreeOptions& options);
  Status buildZones(const BoardSpec& spec);
  Status buildHwmon(const BoardSpec& spec, const TwinTreeOptions& options);
  Status openFile(TwinFile& f, const std::string& absolute);

  std::unique_ptr<FakeSysfs> fs_;
  std::unique_ptr<FakeCgroupTree> cgroups_;
  CgroupVersion cgroupVersion_ = CgroupVersion::V2;
  int cpuCount_ = 0;
  std::vector<Domain> domains_;  // per device; empty dir: no domain
  std::vector<TwinFile> zoneTemp_;
  std::vector<TwinFile> cooling_;  // per device; closed: not a cooling device
  std::vector<HwmonFiles> hwmon_;
  std::vector<TwinFile> cpuOnline_;  // per CPU; closed for cpu0
  TwinFile onlineList_;
};

}  // namespace qeil::twin
