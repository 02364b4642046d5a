#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "agent/planning.h"
#include "hal/board_spec.h"
#include "hal/sim/twin_workload.h"
#include "verify/replay.h"
#include "verify/session.h"

// bench/scenario (issue 8): qeild's own planning and enforcement (the Agent on a board twin, on
// a simulated clock) serving GSM8K-style queries, under qeil and under the stock and anchor
// configurations. The pieces with logic live here so that tests can check them.
namespace qeil::bench::scenario {

// Arrival times (s from 0) of `count` queries of a Poisson process of `ratePerS`: exponential
// gaps -ln(1 - u) / rate from a seeded 64-bit generator (splitmix64), the same on every host.
std::vector<double> poissonArrivalsS(double ratePerS, int count, uint64_t seed);
// Which question of the data file each query asks: seeded draws without replacement (with
// replacement once every question was drawn).
std::vector<int> drawQuestions(int questions, int count, uint64_t seed);

// A decoder-only model of the sweep (MODEL.md §2 sizes), from its published config.
struct ModelArch {
  const char* name;
  double params;
  int layers;
  int hiddenWidth;
  int kvWidth;
};
// The sweep's sizes, 0.125B to 8B (SmolLM2-135M, SmolLM2-360M, Llama-3.2-1B, Llama-3.2-3B,
// Llama-3.1-8B); `defaultModel()` is the 3B.
const std::vector<ModelArch>& sweepModels();
const ModelArch& defaultModel();
// One query's workload: prefill of `promptTokens` once (the samples share the prompt's KV
// cache), then `outputTokens` decoded; the KV window is the prompt plus the longest sample, as
// each sample restarts from the prompt. `bits` 4 runs as llama.cpp's Q4_0 (4.5 bits per weight,
// int8 kernels), 16 as F16.
LlmWorkloadSpec querySpec(const ModelArch& m, int bits, int promptTokens, int outputTokens,
                          int maxSampleTokens, int threads);

// One query answered by repeated samples replayed from the data, decoded in sequence by one
// workload; the stopping rule is asked at each sample boundary as the tokens come.
class QueryReplay {
 public:
  // `config.kMax` samples at most (the question's own count if it has fewer); the rule decides
  // when to stop (kMajority: never before the budget).
  QueryReplay(const verify::ReplayQuestion& question, const verify::SessionConfig& config);
  // Tokens of the samples the budget allows (the workload's output tokens).
  int budgetTokens() const { return budgetTokens_; }
  int maxSampleTokens() const { return maxSampleTokens_; }
  // Feeds every sample whose last token is within `tokensDecoded`; true once answered (the
  // rule stopped or the budget's samples were all fed).
  bool advance(uint64_t tokensDecoded);
  bool done() const { return done_; }
  bool correct() const;
  int samplesUsed() const { return fed_; }
  // Tokens up to the end of the last sample fed.
  uint64_t tokensUsed() const { return fed_ > 0 ? ends_[static_cast<size_t>(fed_ - 1)] : 0; }
  const verify::Decision& decision() const { return session_.decision(); }

 private:
  const verify::ReplayQuestion* question_;
  verify::Session session_;
  std::vector<uint64_t> ends_;  // cumulative token count at each sample's end
  int budgetTokens_ = 0;
  int maxSampleTokens_ = 0;
  int fed_ = 0;
  bool done_ = false;
};

// One query's fate in a run.
struct QueryRecord {
  double arrivalS = 0.0;
  double startS = -1.0;
  double endS = -1.0;  // < 0: never answered (lost)
  bool correct = false;
  int samples = 0;
  uint64_t tokens = 0;
  int restarts = 0;  // crashed and started again
};

// MODEL.md §10 figures of one configuration's run.
struct Metrics {
  int queries = 0;
  int answered = 0;
  int correct = 0;
  double energyJ = 0.0;    // the board's top-level rails over the run
  double durationS = 0.0;  // from 0 to the last answer
  double energyPerQueryJ = 0.0;
  double energyPerCorrectJ = 0.0;  // infinite with no correct answer
  double avgPowerW = 0.0;
  double p50S = 0.0, p95S = 0.0, p99S = 0.0;  // latency: arrival to answer, answered queries
  double accuracy = 0.0;                      // correct / queries (a lost query is wrong)
  double meanSamples = 0.0;
  double ipw = 0.0;  // accuracy / average power
  double ipj = 0.0;  // accuracy / energy per query
};
// Nearest-rank percentile (p in [0, 100]) of `values`; 0 for none.
double percentile(std::vector<double> values, double p);
Metrics computeMetrics(const std::vector<QueryRecord>& queries, double energyJ, double durationS);

// Output: a CSV table (fields with commas or quotes are quoted) and a minimal SVG chart.
std::string csvField(const std::string& s);
std::string csvLine(const std::vector<std::string>& fields);

struct SvgSeries {
  std::string label;
  std::string color;
  std::vector<double> x, y;
};
// A line chart with axes, ticks and a legend; `title`, axis labels escaped for XML.
std::string svgLineChart(const std::string& title, const std::string& xLabel,
                         const std::string& yLabel, const std::vector<SvgSeries>& series, double x0,
                         double y0, double width, double height);
// A horizontal bar chart (one bar per label).
std::string svgBarChart(const std::string& title, const std::string& unit,
                        const std::vector<std::string>& labels, const std::vector<double>& values,
                        double x0, double y0, double width, double height);
std::string xmlEscape(const std::string& s);

}  // namespace qeil::bench::scenario
