#pragma once

#include <string>
#include <vector>

namespace qeil::bench {

// Flags every bench takes: --short (a quick run that only proves the bench works, for CI) and
// --results DIR (also write <DIR>/<bench>.json). They are removed from argv.
struct BenchArgs {
  bool shortMode = false;
  std::string resultsDir;
};
BenchArgs parseBenchArgs(int* argc, char** argv);

// The project's shared data (README: never copied into the tree): $QEIL_DATA_DIR/<relative>, or
// by default ../shared/data/<relative> beside the source tree.
std::string sharedDataPath(const char* relative);
// A bench whose default data file is missing (a clone without ../shared beside it) says so and
// exits with this code, which ctest reports as skipped.
constexpr int kSkippedNoData = 77;
int skipForMissingData(const char* bench, const std::string& path);

// The figures a bench measured, printed beside their targets and optionally written as JSON.
class Report {
 public:
  explicit Report(std::string bench) : bench_(std::move(bench)) {}

  // A figure with a target; `met` says whether the measurement meets it.
  void target(const std::string& name, double measured, const std::string& unit,
              const std::string& target, bool met);
  // A figure without a target (context for the reader).
  void info(const std::string& name, double measured, const std::string& unit);

  void print() const;
  // Writes <dir>/<bench>.json; returns false (and says why on stderr) on failure.
  bool writeJson(const std::string& dir) const;
  bool allMet() const;

 private:
  struct Figure {
    std::string name;
    double measured;
    std::string unit;
    std::string target;  // empty: no target
    bool met;
  };
  std::string bench_;
  std::vector<Figure> figures_;
};

}  // namespace qeil::bench
