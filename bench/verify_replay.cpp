// bench/verify_replay: MODEL.md §9's selection cascade on replayed samples. Any CSV with columns
// question,gold,sample,answer,output_tokens (--data FILE; by default
// ../shared/data/verify/gsm8k-gpt4o-mini-40.csv beside the source tree). For every rule (CSVET
// and the anchors: majority@kmax, the Adaptive-Consistency Beta rule, ESC, the SPRT margin rule)
// it prints accuracy, mean samples and mean output tokens per question, in the stored order and
// averaged over 19 seeded permutations of each question's samples, and how CSVET stopped.
//
// CSVET's parameters follow stated principles, not this file (it is judged on other data too):
//   - delta = 0.05: the accepted probability that the selected answer is not the mode of the
//     model's answers (the conventional 5 % error rate, the same level as the Beta anchor);
//   - a correct answer is worth the energy of the whole budget, kMax samples of this question
//     (SessionConfig::valueCorrectJ = 0): one more sample must buy at least 1/kMax of accuracy;
//   - joules per token only scales both sides here (the agent takes it from the energy model).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "bench/support/bench_report.h"
#include "verify/replay.h"

namespace qeil::verify {
namespace {

constexpr int kPermutations = 19;
constexpr uint64_t kSeed = 20240601;
constexpr int kShortQuestions = 150;
constexpr double kNominalJoulesPerToken = 1.0;

struct Totals {
  double correct = 0;
  double samples = 0;
  double tokens = 0;
  double questions = 0;
  int reasons[8] = {};
  void add(const ReplayOutcome& o) {
    correct += o.correct ? 1 : 0;
    samples += o.samples;
    tokens += o.outputTokens;
    questions += 1;
    ++reasons[static_cast<int>(o.reason)];
  }
  double accuracyPct() const { return 100.0 * correct / questions; }
  double meanSamples() const { return samples / questions; }
  double meanTokens() const { return tokens / questions; }
};

struct RuleResult {
  SessionConfig config;
  Totals stored;
  Totals permuted;
};

SessionConfig configFor(Rule rule, int kMax) {
  SessionConfig c;
  c.rule = rule;
  c.kMax = kMax;
  c.joulesPerToken = kNominalJoulesPerToken;
  return c;
}

int run(const bench::BenchArgs& args, const std::string& dataPath) {
  std::vector<ReplayQuestion> questions;
  ReplayError error;
  if (!loadReplayCsv(dataPath, &questions, &error)) {
    std::fprintf(stderr, "verify_replay: %s\n", error.message.c_str());
    return 1;
  }
  if (questions.empty()) {
    std::fprintf(stderr, "verify_replay: %s: no questions\n", dataPath.c_str());
    return 1;
  }
  if (args.shortMode && questions.size() > static_cast<size_t>(kShortQuestions)) {
    questions.resize(kShortQuestions);
  }
  size_t kMax = 0;
  for (const ReplayQuestion& q : questions)
    kMax = std::max(kMax, q.samples.size());
  const int budget = static_cast<int>(kMax);

  std::vector<RuleResult> results;
  for (Rule rule : {Rule::kMajority, Rule::kBeta, Rule::kEsc, Rule::kSprt, Rule::kCsvet}) {
    results.push_back(RuleResult{configFor(rule, budget), {}, {}});
  }
  std::mt19937_64 rng(kSeed);
  std::vector<int> order;
  for (const ReplayQuestion& q : questions) {
    for (RuleResult& r : results)
      r.stored.add(replayQuestion(q, r.config, nullptr));
    order.resize(q.samples.size());
    for (int p = 0; p < kPermutations; ++p) {
      std::iota(order.begin(), order.end(), 0);
      std::shuffle(order.begin(), order.end(), rng);
      for (RuleResult& r : results)
        r.permuted.add(replayQuestion(q, r.config, order.data()));
    }
  }

  std::printf("verify_replay: %s\n%zu questions, k_max = %d, %d permutations (seed %llu)%s\n\n",
              dataPath.c_str(), questions.size(), budget, kPermutations,
              static_cast<unsigned long long>(kSeed), args.shortMode ? " [--short]" : "");
  std::printf("%-15s | %-28s | %-28s\n", "", "stored order", "19 permutations (mean)");
  std::printf("%-15s | %8s %8s %10s | %8s %8s %10s\n", "rule", "acc %", "samples", "tokens",
              "acc %", "samples", "tokens");
  for (const RuleResult& r : results) {
    std::printf("%-15s | %8.2f %8.2f %10.1f | %8.2f %8.2f %10.1f\n", ruleName(r.config.rule),
                r.stored.accuracyPct(), r.stored.meanSamples(), r.stored.meanTokens(),
                r.permuted.accuracyPct(), r.permuted.meanSamples(), r.permuted.meanTokens());
  }
  const RuleResult& majority = results[0];
  const RuleResult& csvet = results.back();
  std::printf("\nCSVET stop reasons (permutations):");
  for (int i = 1; i < 8; ++i) {
    if (csvet.permuted.reasons[i] > 0) {
      std::printf("  %s %.1f %%", stopReasonName(static_cast<StopReason>(i)),
                  100.0 * csvet.permuted.reasons[i] / csvet.permuted.questions);
    }
  }
  std::printf("\n");

  bench::Report report("verify_replay");
  report.info("questions", static_cast<double>(questions.size()), "count");
  for (const RuleResult& r : results) {
    const std::string name = ruleName(r.config.rule);
    report.info(name + " accuracy, stored", r.stored.accuracyPct(), "%");
    report.info(name + " accuracy, permuted", r.permuted.accuracyPct(), "%");
    report.info(name + " samples, permuted", r.permuted.meanSamples(), "samples");
    report.info(name + " tokens, permuted", r.permuted.meanTokens(), "tokens");
  }
  for (int permuted = 0; permuted < 2; ++permuted) {
    const Totals& c = permuted ? csvet.permuted : csvet.stored;
    const Totals& m = permuted ? majority.permuted : majority.stored;
    const std::string suffix = permuted ? ", permuted" : ", stored";
    const double floorPct = m.accuracyPct() - 0.1;
    char target[64];
    std::snprintf(target, sizeof target, ">= %.2f", floorPct);
    report.target("CSVET accuracy" + suffix, c.accuracyPct(), "%", target,
                  c.accuracyPct() >= floorPct);
    report.target("CSVET mean samples" + suffix, c.meanSamples(), "samples", "<= 4.0",
                  c.meanSamples() <= 4.0);
  }
  report.print();
  if (!args.resultsDir.empty() && !report.writeJson(args.resultsDir)) return 1;
  return 0;
}

}  // namespace
}  // namespace qeil::verify

int main(int argc, char** argv) {
  const qeil::bench::BenchArgs args = qeil::bench::parseBenchArgs(&argc, argv);
  std::string data = qeil::bench::sharedDataPath("verify/gsm8k-gpt4o-mini-40.csv");
  bool defaultData = true;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--data") == 0 && i + 1 < argc) {
      data = argv[++i];
      defaultData = false;
    } else {
      std::fprintf(stderr, "usage: verify_replay [--data FILE] [--short] [--results DIR]\n");
      return 2;
    }
  }
  if (defaultData && access(data.c_str(), F_OK) != 0)
    return qeil::bench::skipForMissingData("verify_replay", data);
  return qeil::verify::run(args, data);
}
