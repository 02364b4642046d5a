#include "verify/session.h"

#include <algorithm>
#include <cmath>

#include "verify/arde.h"

namespace qeil::verify {
namespace {

constexpr double kMinWeight = 1e-6;

}  // namespace

const char* ruleName(Rule rule) {
  switch (rule) {
    case Rule::kCsvet:
      return "CSVET";
    case Rule::kMajority:
      return "majority@kmax";
    case Rule::kBeta:
      return "Beta 0.95";
    case Rule::kEsc:
      return "ESC w=5";
    case Rule::kSprt:
      return "SPRT margin 3";
  }
  return "?";
}

const char* stopReasonName(StopReason reason) {
  switch (reason) {
    case StopReason::kContinue:
      return "continue";
    case StopReason::kPosterior:
      return "posterior reached";
    case StopReason::kFutility:
      return "futility";
    case StopReason::kEnergy:
      return "energy not worth it";
    case StopReason::kBudget:
      return "budget";
    case StopReason::kWindowUnanimous:
      return "window unanimous";
    case StopReason::kMargin:
      return "margin reached";
  }
  return "?";
}

bool Session::create(const SessionConfig& config, Session* out) {
  *out = Session();
  if (config.kMax < 1 || !(config.delta > 0.0 && config.delta < 1.0) ||
      !(config.joulesPerToken >= 0.0) || !(config.valueCorrectJ >= 0.0) ||
      !std::isfinite(config.joulesPerToken) || !std::isfinite(config.valueCorrectJ) ||
      config.escWindow < 1 || config.escWindow > kMaxWindow ||
      !(config.betaThreshold > 0.0 && config.betaThreshold < 1.0) || !(config.sprtMargin > 0.0) ||
      !(config.numericRelTolerance >= 0.0)) {
    return false;
  }
  out->config_ = config;
  return true;
}

Decision Session::add(std::string_view rawAnswer, int outputTokens) {
  Sample s;
  s.answer = canonicalise(rawAnswer);
  s.outputTokens = outputTokens;
  return add(s);
}

int Session::classOf(const Answer& answer) {
  if (answer.kind == AnswerKind::kNone) return kNoAnswerClass;
  for (int i = 0; i < classCount_; ++i) {
    if (sameAnswer(classes_[i].answer, answer, config_.numericRelTolerance)) return i;
  }
  if (classCount_ == kMaxClasses) return kOverflowClass;
  classes_[classCount_].answer = answer;
  return classCount_++;
}

void Session::rankClasses(int* leader, int* runnerUp) const {
  *leader = -1;
  *runnerUp = -1;
  for (int i = 0; i < classCount_; ++i) {
    const double w = classes_[i].weight;
    if (*leader < 0 || w > classes_[*leader].weight) {
      *runnerUp = *leader;
      *leader = i;
    } else if (*runnerUp < 0 || w > classes_[*runnerUp].weight) {
      *runnerUp = i;
    }
  }
}

bool Session::windowUnanimous() const {
  const int w = config_.escWindow;
  if (samples_ < w || samples_ % w != 0) return false;
  const int first = window_[(samples_ - 1) % w];
  if (first < 0) return false;
  for (int i = 0; i < w; ++i) {
    if (window_[i] != first) return false;
  }
  return true;
}

StopReason Session::csvetReason(double a, double b, double posterior) const {
  if (posterior >= 1.0 - config_.delta) return StopReason::kPosterior;
  const int remaining = config_.kMax - samples_;
  if (remaining <= 0) return StopReason::kBudget;
  if (classCount_ == 0) return StopReason::kContinue;  // nothing to settle yet
  // Futility: samples that land outside the two leading answers settle nothing, so of the
  // remaining budget only the share the two leaders drew so far (smoothed) counts. If even the
  // chance of reaching 1 - delta with those is below delta, more samples are wasted.
  const double answered = samples_ - unanswered_;
  const int effective = static_cast<int>(std::floor(remaining * (a + b + 1.0) / (answered + 2.0)));
  if (reachProbability(a, b, effective, 1.0 - config_.delta) < config_.delta) {
    return StopReason::kFutility;
  }
  // Energy: continue while, for some horizon m, the expected gain in P(the selected answer is
  // the mode) per sample is worth the expected energy of a sample.
  const double sampleJ = tokens_ / samples_ * config_.joulesPerToken;
  if (sampleJ <= 0.0) return StopReason::kContinue;  // free samples are always worth it
  const double valueJ =
      config_.valueCorrectJ > 0.0 ? config_.valueCorrectJ : config_.kMax * sampleJ;
  const double price = sampleJ / valueJ;
  for (int m = 1; m <= remaining; ++m) {
    if (expectedGain(a, b, m) >= price * m) return StopReason::kContinue;
  }
  return StopReason::kEnergy;
}

StopReason Session::rulesReason(double a, double b, double posterior) const {
  StopReason reason = StopReason::kContinue;
  switch (config_.rule) {
    case Rule::kCsvet:
      return csvetReason(a, b, posterior);
    case Rule::kMajority:
      break;
    case Rule::kBeta:
      if (classCount_ > 0 && leaderPosterior(a, b) >= config_.betaThreshold) {
        reason = StopReason::kPosterior;
      }
      break;
    case Rule::kEsc:
      if (windowUnanimous()) reason = StopReason::kWindowUnanimous;
      break;
    case Rule::kSprt:
      if (classCount_ > 0 && a - b >= config_.sprtMargin) reason = StopReason::kMargin;
      break;
  }
  if (reason == StopReason::kContinue && samples_ >= config_.kMax) reason = StopReason::kBudget;
  return reason;
}

Decision Session::add(const Sample& sample) {
  if (decision_.stop || sample.outputTokens < 0 ||
      (sample.hasConfidence &&
       (!std::isfinite(sample.confidenceLogProb) || sample.confidenceLogProb > 0.0))) {
    Decision rejected = decision_;
    rejected.accepted = false;
    return rejected;
  }
  const double weight =
      sample.hasConfidence ? std::max(kMinWeight, std::exp(sample.confidenceLogProb)) : 1.0;
  const int cls = classOf(sample.answer);
  if (cls >= 0) {
    classes_[cls].weight += weight;
    ++classes_[cls].votes;
  } else if (cls == kOverflowClass) {
    ++overflow_;
    overflowW_ += weight;
    overflowWLogW_ += weight * std::log(weight);
  } else {
    ++unanswered_;
  }
  window_[samples_ % config_.escWindow] = cls;
  ++samples_;
  tokens_ += sample.outputTokens;

  Decision d;
  d.samples = samples_;
  int leader = -1;
  int runnerUp = -1;
  rankClasses(&leader, &runnerUp);
  // Vote weights as counts: rescaled so that they add up to the answered samples (a confidence
  // moves votes between answers, it does not add or remove evidence).
  double sumW = overflowW_;
  double sumWLogW = overflowWLogW_;
  for (int i = 0; i < classCount_; ++i) {
    sumW += classes_[i].weight;
    sumWLogW += classes_[i].weight * std::log(classes_[i].weight);
  }
  const double answered = samples_ - unanswered_;
  const double scale = sumW > 0.0 ? answered / sumW : 0.0;
  double a = 0.0;
  double b = 0.0;
  if (leader >= 0) {
    d.selected = classes_[leader].answer;
    a = classes_[leader].weight * scale;
    b = runnerUp >= 0 ? classes_[runnerUp].weight * scale : 0.0;
    std::array<double, kMaxClasses + 1> scaled{};
    int n = 0;
    for (int i = 0; i < classCount_; ++i)
      scaled[n++] = classes_[i].weight * scale;
    if (overflowW_ > 0.0) scaled[n++] = overflowW_ * scale;
    d.posterior = leaderPosterior(a, b);
    d.modePosterior = modePosterior(scaled.data(), n, leader);
  }
  d.entropyNats = entropyNats(sumW, sumWLogW);
  d.diversity = answered >= 2.0 ? d.entropyNats / std::log(answered) : 0.0;
  d.reason = rulesReason(a, b, d.modePosterior);
  d.stop = d.reason != StopReason::kContinue;
  decision_ = d;
  return d;
}

}  // namespace qeil::verify
