#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "hal/clock.h"
#include "hal/freq_domain.h"
#include "hal/linux/journal.h"
#include "hal/linux/sysfs_file.h"

namespace qeil {

// The files of a frequency domain's sysfs directory that cpufreq and devfreq name differently,
// and the unit they speak.
struct SysfsFreqFiles {
  const char* cur;                 // "scaling_cur_freq" / "cur_freq"
  const char* min;                 // "scaling_min_freq" / "min_freq"
  const char* max;                 // "scaling_max_freq" / "max_freq"
  const char* governor;            // "scaling_governor" / "governor"
  const char* availableGovernors;  // "scaling_available_governors" / "available_governors"
  uint64_t unitHz;                 // 1000 (cpufreq: kHz) or 1 (devfreq: Hz)
};

// What a cpufreq policy and a devfreq device share: the current frequency, the two limits and
// the governor, each one file in the domain's directory. Limits and the governor are written
// through the journal; limits outside hwMinHz()..hwMaxHz() are refused before any write, a
// governor the directory does not list as available too. Subclasses load the frequency table
// and the hardware range and read their statistics.
class SysfsFreqDomain : public FreqDomain {
 public:
  const char* name() const override { return name_.c_str(); }
  const FreqTable& availableHz() const override { return table_; }

  // Never allocates. Invalid (with lastError()) when the read fails or is implausible.
  Reading readCurHz() override;
  Result<uint64_t> minLimitHz() override;
  Result<uint64_t> maxLimitHz() override;
  Status setMinLimitHz(uint64_t hz) override;
  Status setMaxLimitHz(uint64_t hz) override;
  Status governor(char* buf, size_t cap) override;
  // Checks the available governors before writing.
  Status setGovernor(const char* name) override;

  const std::string& dir() const { return dir_; }
  const Error& lastError() const { return lastError_; }

 protected:
  SysfsFreqDomain(std::string dir, std::string name, const SysfsFreqFiles& files,
                  SettingsJournal& journal, const Clock& clock)
      : dir_(std::move(dir)),
        name_(std::move(name)),
        files_(files),
        journal_(journal),
        clock_(clock) {}

  // Opens the current frequency, limit and governor files.
  Status openControls();
  // Filled by the subclass when it loads.
  FreqTable& table() { return table_; }

 private:
  Status setLimit(const char* file, uint64_t hz);

  std::string dir_;
  std::string name_;
  SysfsFreqFiles files_;
  SettingsJournal& journal_;
  const Clock& clock_;
  FreqTable table_;
  SysfsFile cur_;
  SysfsFile min_;
  SysfsFile max_;
  SysfsFile governor_;
  double lastHz_ = 0.0;
  Error lastError_;
};

}  // namespace qeil
