#pragma once

// For benches timed with Google Benchmark: the console report as usual, and the mean time per
// iteration of the last run kept for the bench's own figures.

#include <benchmark/benchmark.h>

#include <vector>

namespace qeil::bench {

class CapturingReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      meanNs = r.GetAdjustedRealTime() * benchmark::GetTimeUnitMultiplier(benchmark::kNanosecond) /
               benchmark::GetTimeUnitMultiplier(r.time_unit);
    }
  }
  double meanNs = 0.0;
};

}  // namespace qeil::bench
