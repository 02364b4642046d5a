#pragma once

#include <cstdint>

namespace qeil::test {

// Heap allocations (operator new, any form) made by this process since it started. Linking
// qeil_alloc_counter replaces the global operator new to count them.
uint64_t allocationCount();

// Allocations made while the object lives.
class AllocationScope {
 public:
  AllocationScope() : start_(allocationCount()) {}
  uint64_t count() const { return allocationCount() - start_; }

 private:
  uint64_t start_;
};

}  // namespace qeil::test
