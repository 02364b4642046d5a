#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/clock.h"
#include "hal/freq_domain.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"

namespace qeil {

// A devfreq device (/sys/class/devfreq/<name>): a GPU, an NPU, a memory controller. Everything
// in Hz. The hardware range is the ends of available_frequencies. Limits and the governor are
// written through the journal; limits outside the hardware range are refused before any write.
class DevfreqDevice final : public FreqDomain {
 public:
  // `name` is the class entry: "fb000000.gpu".
  static Result<std::unique_ptr<DevfreqDevice>> find(const SysRoot& root, const char* name,
                                                     SettingsJournal& journal, const Clock& clock);
  static Result<std::vector<std::string>> list(const SysRoot& root);

  const char* name() const override { return name_.c_str(); }
  FreqKind kind() const override { return FreqKind::Devfreq; }
  CpuSet cpus() const override { return CpuSet(); }
  const FreqTable& availableHz() const override { return table_; }
  uint64_t hwMinHz() const override { return table_[0]; }
  uint64_t hwMaxHz() const override { return table_.back(); }

  // Never allocates. Invalid (with lastError()) when the read fails or is implausible.
  Reading readCurHz() override;
  Result<uint64_t> minLimitHz() override;
  Result<uint64_t> maxLimitHz() override;
  Status setMinLimitHz(uint64_t hz) override;
  Status setMaxLimitHz(uint64_t hz) override;
  Status governor(char* buf, size_t cap) override;
  // Checks available_governors before writing.
  Status setGovernor(const char* name) override;
  // The time(ms) column of trans_stat, in availableHz() order. Never allocates.
  Status timeInState(TimeInState* out) override;

  const std::string& dir() const { return dir_; }
  const Error& lastError() const { return lastError_; }

 private:
  DevfreqDevice(std::string dir, std::string name, SettingsJournal& journal, const Clock& clock)
      : dir_(std::move(dir)), name_(std::move(name)), journal_(journal), clock_(clock) {}
  Status load();
  Status setLimit(const char* file, uint64_t hz);

  std::string dir_;
  std::string name_;
  SettingsJournal& journal_;
  const Clock& clock_;
  FreqTable table_;
  SysfsFile cur_;
  SysfsFile min_;
  SysfsFile max_;
  SysfsFile governor_;
  SysfsFile transStat_;  // not open when the device keeps no statistics
  double lastHz_ = 0.0;
  Error lastError_;
};

// Parses devfreq's trans_stat: a header, then one row per frequency
// ("*<freq:%10lu>:<count:%10u> x N<time_ms:%10llu>"), then "Total transition : N". The layout
// is fixed-width and wide values run into each other, so the time is found by position.
Status parseDevfreqTransStat(const char* text, const char* where, const FreqTable& table,
                             TimeInState* out);

}  // namespace qeil
