#pragma once

#include <cstddef>
#include <cstdint>

#include "hal/result.h"

namespace qeil {

// A set of logical CPUs (at most 64, more than any board we target has), with the Linux list
// format ("0-3,6") used by sysfs and cpusets.
class CpuSet {
 public:
  static constexpr int kMaxCpus = 64;

  CpuSet() = default;
  static CpuSet range(int first, int last);
  // Parses "0-3,6", "5", "" (empty set). `where` names the source in the error.
  static Result<CpuSet> parse(const char* text, const char* where);

  void add(int cpu) { bits_ |= uint64_t{1} << cpu; }
  void remove(int cpu) { bits_ &= ~(uint64_t{1} << cpu); }
  bool contains(int cpu) const { return cpu >= 0 && cpu < kMaxCpus && (bits_ >> cpu) & 1; }
  int count() const { return __builtin_popcountll(bits_); }
  bool empty() const { return bits_ == 0; }
  uint64_t bits() const { return bits_; }
  bool operator==(const CpuSet& o) const { return bits_ == o.bits_; }
  bool operator!=(const CpuSet& o) const { return bits_ != o.bits_; }

  // Writes the list format into `buf`; returns false if it does not fit.
  bool format(char* buf, size_t cap) const;

 private:
  uint64_t bits_ = 0;
};

}  // namespace qeil
