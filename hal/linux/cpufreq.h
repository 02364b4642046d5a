#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/clock.h"
#include "hal/freq_domain.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"
#include "hal/linux/sysfs_freq_domain.h"

namespace qeil {

// A cpufreq policy (/sys/devices/system/cpu/cpufreq/policyN). sysfs speaks kHz; this speaks Hz.
// The OPP table comes from scaling_available_frequencies, or from stats/time_in_state when a
// driver does not publish the former. Limits and the governor are written through the journal,
// and limits outside cpuinfo_min_freq..cpuinfo_max_freq are refused before any write; the
// governor must be one scaling_available_governors lists.
class CpufreqPolicy final : public SysfsFreqDomain {
 public:
  // `policy` is the directory name: "policy4".
  static Result<std::unique_ptr<CpufreqPolicy>> find(const SysRoot& root, const char* policy,
                                                     SettingsJournal& journal, const Clock& clock);
  // The policy whose related_cpus include `cpu`.
  static Result<std::unique_ptr<CpufreqPolicy>> findByCpu(const SysRoot& root, int cpu,
                                                          SettingsJournal& journal,
                                                          const Clock& clock);
  // Every policy directory name, by number ("policy0", "policy4", "policy6").
  static Result<std::vector<std::string>> list(const SysRoot& root);

  FreqKind kind() const override { return FreqKind::Cpufreq; }
  CpuSet cpus() const override { return cpus_; }
  uint64_t hwMinHz() const override { return hwMinHz_; }
  uint64_t hwMaxHz() const override { return hwMaxHz_; }

  // stats/time_in_state (kHz, 10 ms units) as Hz and ms, in availableHz() order. Never
  // allocates. ENOTSUP without CONFIG_CPU_FREQ_STAT.
  Status timeInState(TimeInState* out) override;

 private:
  CpufreqPolicy(std::string dir, std::string name, SettingsJournal& journal, const Clock& clock);
  Status load();
  Status loadTable();

  CpuSet cpus_;
  uint64_t hwMinHz_ = 0;
  uint64_t hwMaxHz_ = 0;
  SysfsFile stats_;  // not open when the kernel keeps no stats
};

// Parses stats/time_in_state text ("<kHz> <10 ms units>" per line) into `out`, in `table`
// order; frequencies missing from the text get 0 ms, ones not in the table are ignored.
Status parseCpufreqTimeInState(const char* text, const char* where, const FreqTable& table,
                               TimeInState* out);

}  // namespace qeil
