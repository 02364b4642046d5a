#pragma once

#include <cstdint>

#include "hal/cpu_set.h"
#include "hal/fixed_vector.h"
#include "hal/reading.h"
#include "hal/result.h"

namespace qeil {

constexpr size_t kMaxOpps = 32;
using FreqTable = FixedVector<uint64_t, kMaxOpps>;  // Hz, ascending

enum class FreqKind { Cpufreq, Devfreq };

// Residency per available frequency, same order as availableHz().
struct TimeInState {
  FixedVector<uint64_t, kMaxOpps> freqHz;
  FixedVector<uint64_t, kMaxOpps> timeMs;
};

// A DVFS domain: a cpufreq policy (policyN, its related CPUs) or a devfreq device (a GPU, an
// NPU). All frequencies in Hz whatever the sysfs unit (cpufreq uses kHz). Limits written here
// are journaled and restored when the agent exits.
class FreqDomain {
 public:
  virtual ~FreqDomain() = default;
  virtual const char* name() const = 0;  // "policy4", "fb000000.gpu"
  virtual FreqKind kind() const = 0;
  virtual CpuSet cpus() const = 0;  // related CPUs; empty for devfreq
  virtual const FreqTable& availableHz() const = 0;
  // Hardware limits (cpuinfo_min/max_freq; the table's ends for devfreq).
  virtual uint64_t hwMinHz() const = 0;
  virtual uint64_t hwMaxHz() const = 0;

  virtual Reading readCurHz() = 0;
  virtual Result<uint64_t> minLimitHz() = 0;
  virtual Result<uint64_t> maxLimitHz() = 0;
  virtual Status setMinLimitHz(uint64_t hz) = 0;
  virtual Status setMaxLimitHz(uint64_t hz) = 0;
  // Writes the governor name into buf.
  virtual Status governor(char* buf, size_t cap) = 0;
  virtual Status setGovernor(const char* name) = 0;
  virtual Status timeInState(TimeInState* out) = 0;
};

}  // namespace qeil
