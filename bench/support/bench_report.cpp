#include "bench/support/bench_report.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qeil::bench {

std::string sharedDataPath(const char* relative) {
  const char* dir = std::getenv("QEIL_DATA_DIR");
  const std::string base =
      dir && *dir ? std::string(dir) : std::string(QEIL_SOURCE_DIR "/../shared/data");
  return base + "/" + relative;
}

int skipForMissingData(const char* bench, const std::string& path) {
  fprintf(stderr, "%s: skipped: no data at %s (give --data FILE or set QEIL_DATA_DIR)\n", bench,
          path.c_str());
  return kSkippedNoData;
}

BenchArgs parseBenchArgs(int* argc, char** argv) {
  BenchArgs args;
  int out = 1;
  for (int i = 1; i < *argc; ++i) {
    if (strcmp(argv[i], "--short") == 0) {
      args.shortMode = true;
    } else if (strcmp(argv[i], "--results") == 0 && i + 1 < *argc) {
      args.resultsDir = argv[++i];
    } else {
      argv[out++] = argv[i];
    }
  }
  *argc = out;
  return args;
}

void Report::target(const std::string& name, double measured, const std::string& unit,
                    const std::string& target, bool met) {
  figures_.push_back({name, measured, unit, target, met});
}

void Report::info(const std::string& name, double measured, const std::string& unit) {
  figures_.push_back({name, measured, unit, "", true});
}

bool Report::allMet() const {
  for (const Figure& f : figures_) {
    if (!f.met) return false;
  }
  return true;
}

void Report::print() const {
  printf("\n%s\n", bench_.c_str());
  printf("  %-34s %14s  %-10s %-16s %s\n", "figure", "measured", "unit", "target", "");
  for (const Figure& f : figures_) {
    printf("  %-34s %14.4g  %-10s %-16s %s\n", f.name.c_str(), f.measured, f.unit.c_str(),
           f.target.empty() ? "-" : f.target.c_str(),
           f.target.empty() ? "" : (f.met ? "met" : "NOT MET"));
  }
}

bool Report::writeJson(const std::string& dir) const {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) {
    fprintf(stderr, "%s: mkdir %s: %s\n", bench_.c_str(), dir.c_str(), strerror(errno));
    return false;
  }
  std::string path = dir + "/" + bench_ + ".json";
  FILE* f = fopen(path.c_str(), "w");
  if (!f) {
    fprintf(stderr, "%s: %s: %s\n", bench_.c_str(), path.c_str(), strerror(errno));
    return false;
  }
  fprintf(f, "{\n  \"bench\": \"%s\",\n  \"figures\": [\n", bench_.c_str());
  for (size_t i = 0; i < figures_.size(); ++i) {
    const Figure& fig = figures_[i];
    fprintf(f, "    {\"name\": \"%s\", \"measured\": %.9g, \"unit\": \"%s\"", fig.name.c_str(),
            fig.measured, fig.unit.c_str());
    if (!fig.target.empty()) {
      fprintf(f, ", \"target\": \"%s\", \"met\": %s", fig.target.c_str(),
              fig.met ? "true" : "false");
    }
    fprintf(f, "}%s\n", i + 1 < figures_.size() ? "," : "");
  }
  fprintf(f, "  ]\n}\n");
  bool ok = fclose(f) == 0;
  if (ok) printf("  results: %s\n", path.c_str());
  return ok;
}

}  // namespace qeil::bench
