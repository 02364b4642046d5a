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

// A devfreq device (/sys/class/devfreq/<name>): a GPU, an NPU, a memory controller. Everything
// in Hz. The hardware range is the ends of available_frequencies. Limits and the governor are
// written through the journal; limits outside the hardware range are refused before any write,
// and the governor must be one available_governors lists.
class DevfreqDevice final : public SysfsFreqDomain {
 public:
  // `name` is the class entry: "fb000000.gpu".
  static Result<std::unique_ptr<DevfreqDevice>> find(const SysRoot& root, const char* name,
                                                     SettingsJournal& journal, const Clock& clock);
  static Result<std::vector<std::string>> list(const SysRoot& root);

  FreqKind kind() const override { return FreqKind::Devfreq; }
  CpuSet cpus() const override { return CpuSet(); }
  uint64_t hwMinHz() const override { return availableHz()[0]; }
  uint64_t hwMaxHz() const override { return availableHz().back(); }

  // The time(ms) column of trans_stat, in availableHz() order. Never allocates.
  Status timeInState(TimeInState* out) override;

 private:
  DevfreqDevice(std::string dir, std::string name, SettingsJournal& journal, const Clock& clock);
  Status load();

  SysfsFile transStat_;  // not open when the device keeps no statistics
};

// Parses devfreq's trans_stat: a header, then one row per frequency
// ("*<freq:%10lu>:<count:%10u> x N<time_ms:%10llu>"), then "Total transition : N". The layout
// is fixed-width and wide values run into each other, so the time is found by position.
Status parseDevfreqTransStat(const char* text, const char* where, const FreqTable& table,
                             TimeInState* out);

}  // namespace qeil
