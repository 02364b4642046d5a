#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "verify/answer.h"

namespace qeil::verify {

// MODEL.md §9: one question's repeated samples, one at a time, and whether to stop. CSVET and the
// anchor rules share this interface so that they are compared on the same replayed samples.
enum class Rule : uint8_t {
  kCsvet,     // posterior >= 1 - delta, futility, energy not worth it, budget
  kMajority,  // majority over all kMax samples
  kBeta,      // Adaptive-Consistency Beta rule: leaderPosterior >= betaThreshold
  kEsc,       // ESC: windows of escWindow samples; stop when a window is unanimous
  kSprt,      // SPRT margin rule: leader - runner-up >= sprtMargin
};
const char* ruleName(Rule rule);

enum class StopReason : uint8_t {
  kContinue,         // not stopped: take another sample
  kPosterior,        // the leader's posterior reached the rule's threshold
  kFutility,         // diversity says the budget will not settle it
  kEnergy,           // one more sample's expected accuracy gain is worth less than its energy
  kBudget,           // kMax samples taken
  kWindowUnanimous,  // ESC: the last window agreed
  kMargin,           // SPRT: the lead reached the margin
};
const char* stopReasonName(StopReason reason);

struct SessionConfig {
  Rule rule = Rule::kCsvet;
  int kMax = 40;  // budget: never more samples than this (>= 1)
  // CSVET. delta: the accepted probability that the leader is not the true mode (stop when the
  // leader's posterior reaches 1 - delta); also the futility level: stop when the chance of
  // reaching 1 - delta within the remaining budget is below delta.
  double delta = 0.05;
  // Energy of a sample = its output tokens x joulesPerToken (the agent takes joules per token
  // from the energy model, MODEL.md §6). The expected energy of the next sample is the mean of
  // this question's samples so far.
  double joulesPerToken = 1.0;
  // What a correct answer is worth, in joules. 0: the budget's own price, kMax x the expected
  // energy of a sample (the caller who allows kMax samples for a question values its answer at
  // least that much), so one more sample must buy at least 1/kMax of accuracy.
  double valueCorrectJ = 0.0;
  // Anchors.
  double betaThreshold = 0.95;
  int escWindow = 5;  // <= kMaxWindow
  double sprtMargin = 3.0;
  // EAC: numbers within this relative tolerance are one answer.
  double numericRelTolerance = 1e-9;
};

struct Sample {
  Answer answer;  // canonicalise() it, or build it directly; kNone: nothing extracted
  int outputTokens = 0;
  // Mean token log-probability of the sample (<= 0); the vote weighs exp(it).
  bool hasConfidence = false;
  double confidenceLogProb = 0.0;
};

struct Decision {
  bool accepted = true;  // false: the sample was invalid and ignored (negative tokens, ...)
  bool stop = false;
  StopReason reason = StopReason::kContinue;
  int samples = 0;             // samples taken so far (with no answer or overflowing included)
  Answer selected;             // the leading class (kNone when no sample had an answer)
  double posterior = 0.0;      // leaderPosterior(leader, runner-up), vote weights as counts
  double modePosterior = 0.0;  // its Dirichlet generalisation over all classes
  double entropyNats = 0.0;    // diversity of the answers
  double diversity = 0.0;      // entropyNats / log(answered samples): 0 unanimous, 1 all differ
};

// One question. Fixed memory (kMaxClasses answer classes; a sample whose class does not fit is
// counted as overflow: it is a vote for an unknown other answer in the posterior and the
// diversity). add() never allocates.
class Session {
 public:
  static constexpr int kMaxClasses = 16;
  static constexpr int kMaxWindow = 16;

  // Fails (returns false, a default session) on an invalid config: kMax < 1, delta not in
  // (0, 1), negative joules, escWindow outside 1..kMaxWindow.
  static bool create(const SessionConfig& config, Session* out);
  Session() = default;

  // One sample; the decision after it. Once stopped, further samples are not taken (the
  // decision is returned unchanged with accepted = false).
  Decision add(const Sample& sample);
  Decision add(std::string_view rawAnswer, int outputTokens);

  const Decision& decision() const { return decision_; }
  int classes() const { return classCount_; }
  int overflowSamples() const { return overflow_; }
  int unansweredSamples() const { return unanswered_; }
  double totalTokens() const { return tokens_; }
  const SessionConfig& config() const { return config_; }

 private:
  struct AnswerClass {
    Answer answer;
    double weight = 0.0;
    int votes = 0;
  };
  static constexpr int kOverflowClass = -1;
  static constexpr int kNoAnswerClass = -2;

  int classOf(const Answer& answer);
  void rankClasses(int* leader, int* runnerUp) const;
  StopReason csvetReason(double leaderW, double runnerUpW, double posterior) const;
  StopReason rulesReason(double leaderW, double runnerUpW, double posterior) const;
  bool windowUnanimous() const;

  SessionConfig config_;
  std::array<AnswerClass, kMaxClasses> classes_{};
  int classCount_ = 0;
  int samples_ = 0;
  int unanswered_ = 0;
  int overflow_ = 0;
  double overflowW_ = 0.0;
  double overflowWLogW_ = 0.0;
  double tokens_ = 0.0;
  std::array<int, kMaxWindow> window_{};  // class of the last samples, ring buffer
  Decision decision_;
};

}  // namespace qeil::verify
