#include "verify/session.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/support/alloc_counter.h"
#include "verify/arde.h"

namespace qeil::verify {
namespace {

constexpr int kTokens = 100;

Session makeSession(const SessionConfig& config) {
  Session s;
  EXPECT_TRUE(Session::create(config, &s));
  return s;
}

SessionConfig rule(Rule r, int kMax = 40) {
  SessionConfig c;
  c.rule = r;
  c.kMax = kMax;
  return c;
}

// Feeds answers until the session stops; the last decision.
Decision feed(Session* s, const std::vector<std::string>& answers) {
  Decision d;
  for (const std::string& a : answers) {
    d = s->add(a, kTokens);
    if (d.stop) break;
  }
  return d;
}

TEST(Session, RejectsInvalidConfigs) {
  Session s;
  SessionConfig c;
  c.kMax = 0;
  EXPECT_FALSE(Session::create(c, &s));
  c = SessionConfig{};
  c.delta = 0.0;
  EXPECT_FALSE(Session::create(c, &s));
  c = SessionConfig{};
  c.joulesPerToken = -1.0;
  EXPECT_FALSE(Session::create(c, &s));
  c = SessionConfig{};
  c.escWindow = Session::kMaxWindow + 1;
  EXPECT_FALSE(Session::create(c, &s));
  EXPECT_TRUE(Session::create(SessionConfig{}, &s));
}

TEST(Session, SpellingsOfOneAnswerAreOneClass) {
  Session s = makeSession(rule(Rule::kMajority));
  s.add("1,000", kTokens);
  s.add("$1000", kTokens);
  s.add("The answer is 1000.0 dollars.", kTokens);
  const Decision d = s.add("999", kTokens);
  EXPECT_EQ(s.classes(), 2);
  EXPECT_NEAR(d.selected.number, 1000.0, 1e-12);
  EXPECT_NEAR(d.posterior, leaderPosterior(3, 1), 1e-15);
}

TEST(Session, InvalidSamplesAreRejectedAndNotCounted) {
  Session s = makeSession(rule(Rule::kMajority));
  EXPECT_TRUE(s.add("5", kTokens).accepted);
  EXPECT_FALSE(s.add("5", -1).accepted);
  Sample bad;
  bad.answer = canonicalise("5");
  bad.hasConfidence = true;
  bad.confidenceLogProb = std::numeric_limits<double>::quiet_NaN();
  EXPECT_FALSE(s.add(bad).accepted);
  bad.confidenceLogProb = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(s.add(bad).accepted);
  bad.confidenceLogProb = 0.5;  // a log-probability above 0
  EXPECT_FALSE(s.add(bad).accepted);
  EXPECT_EQ(s.decision().samples, 1);
  EXPECT_EQ(s.totalTokens(), kTokens);
}

TEST(Session, ConfidenceWeighsVotes) {
  Session s = makeSession(rule(Rule::kMajority));
  Sample x;
  x.answer = canonicalise("A");
  x.hasConfidence = true;
  x.confidenceLogProb = -0.01;
  s.add(x);
  x.answer = canonicalise("B");
  x.confidenceLogProb = -3.0;
  s.add(x);
  const Decision d = s.add(x);
  EXPECT_EQ(d.selected.option, 'A');  // one confident vote beats two unsure ones
  // Weights become counts that add up to the answered samples: A ~ 3 * 0.99 / 1.09.
  EXPECT_GT(d.posterior, 0.5);
  EXPECT_LT(d.posterior, leaderPosterior(3, 0));
}

TEST(Session, OverflowIsCountedAndEntersDiversity) {
  Session s = makeSession(rule(Rule::kMajority));
  Decision d;
  for (int i = 0; i < Session::kMaxClasses + 4; ++i)
    d = s.add(std::to_string(i), kTokens);
  EXPECT_EQ(s.classes(), Session::kMaxClasses);
  EXPECT_EQ(s.overflowSamples(), 4);
  EXPECT_NEAR(d.diversity, 1.0, 1e-12);  // every sample differs
  EXPECT_EQ(d.modePosterior, 0.0);
  d = s.add("NA", kTokens);
  EXPECT_EQ(s.unansweredSamples(), 1);
  EXPECT_EQ(d.samples, Session::kMaxClasses + 5);
}

TEST(Majority, StopsOnlyAtTheBudgetAndBreaksTiesByFirstSeen) {
  Session s = makeSession(rule(Rule::kMajority, 6));
  const Decision d = feed(&s, {"7", "7", "7", "7", "9", "9"});
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, StopReason::kBudget);
  EXPECT_EQ(d.samples, 6);
  Session t = makeSession(rule(Rule::kMajority, 4));
  EXPECT_EQ(feed(&t, {"9", "7", "7", "9"}).selected.number, 9.0);
  EXPECT_FALSE(t.add("7", kTokens).accepted);  // stopped: nothing more is taken
}

TEST(BetaRule, StopsWhenThePosteriorReaches095) {
  Session s = makeSession(rule(Rule::kBeta));
  Decision d = feed(&s, {"5", "5", "5"});
  EXPECT_FALSE(d.stop);  // (3,0) = 15/16 < 0.95
  d = s.add("5", kTokens);
  EXPECT_TRUE(d.stop);  // (4,0) = 31/32
  EXPECT_EQ(d.reason, StopReason::kPosterior);
  Session t = makeSession(rule(Rule::kBeta));
  d = feed(&t, {"4", "5", "5", "5", "5", "5", "5"});
  EXPECT_EQ(d.samples, 7);  // (5,1) = 0.9375 continues, (6,1) = 0.96484375 stops
  EXPECT_EQ(d.selected.number, 5.0);
}

TEST(EscRule, StopsAtTheEndOfAUnanimousWindow) {
  Session s = makeSession(rule(Rule::kEsc));
  Decision d = feed(&s, {"1", "1", "1", "1", "2", "1", "1", "1", "1", "1"});
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.samples, 10);
  EXPECT_EQ(d.reason, StopReason::kWindowUnanimous);
  Session t = makeSession(rule(Rule::kEsc, 12));
  d = feed(&t, {"2", "1", "1", "1", "1", "1", "NA", "1", "1", "1", "1", "1"});
  EXPECT_EQ(d.reason, StopReason::kBudget);  // windows straddle, and NA is not agreement
  EXPECT_EQ(d.samples, 12);
}

TEST(SprtRule, StopsAtAMarginOfThree) {
  Session s = makeSession(rule(Rule::kSprt));
  Decision d = feed(&s, {"1", "2", "1", "1"});
  EXPECT_FALSE(d.stop);  // 3 - 1 = 2
  d = s.add("1", kTokens);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, StopReason::kMargin);
  EXPECT_EQ(d.samples, 5);
}

TEST(Csvet, TwoAgreeingSamplesAreNotWorthMoreAtTheBudgetPrice) {
  // A correct answer worth kMax samples: after (2,0) no horizon buys 1/kMax per sample.
  Session s = makeSession(rule(Rule::kCsvet));
  Decision d = s.add("18", kTokens);
  EXPECT_FALSE(d.stop);  // (1,0): two more samples gain 1/16, more than 2/40
  d = s.add("18.0", kTokens);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, StopReason::kEnergy);
  EXPECT_NEAR(d.posterior, 7.0 / 8.0, 1e-15);
}

TEST(Csvet, ValuableAnswersWaitForThePosterior) {
  SessionConfig c = rule(Rule::kCsvet);
  c.joulesPerToken = 0.5;
  c.valueCorrectJ = 1e7;  // far more than any sample's 50 J
  Session s = makeSession(c);
  const Decision d = feed(&s, {"18", "18", "18", "18", "18"});
  EXPECT_EQ(d.samples, 4);
  EXPECT_EQ(d.reason, StopReason::kPosterior);  // (4,0) = 31/32 >= 1 - 0.05
  // A smaller delta needs more agreement: 1 - 2^-6 at (5,0).
  c.delta = 0.02;
  Session t = makeSession(c);
  EXPECT_EQ(feed(&t, {"1", "1", "1", "1", "1", "1", "1"}).samples, 5);
}

TEST(Csvet, EnergyPriceDecides) {
  // (2,0): the best horizon buys about 0.0055 per sample. 100 tokens x 1 J = 100 J a sample.
  SessionConfig c = rule(Rule::kCsvet);
  c.valueCorrectJ = 100.0 / 0.004;  // price 0.004 per sample: continue
  Session cheap = makeSession(c);
  EXPECT_FALSE(feed(&cheap, {"3", "3"}).stop);
  c.valueCorrectJ = 100.0 / 0.008;  // price 0.008: stop
  Session dear = makeSession(c);
  const Decision d = feed(&dear, {"3", "3"});
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.reason, StopReason::kEnergy);
}

TEST(Csvet, FutilityWhenAnswersKeepDiffering) {
  SessionConfig c = rule(Rule::kCsvet, 12);
  c.joulesPerToken = 0.0;  // free samples: only futility or the budget can stop it
  Session s = makeSession(c);
  std::vector<std::string> answers;
  for (int i = 0; i < 12; ++i)
    answers.push_back(std::to_string(i));
  const Decision d = feed(&s, answers);
  EXPECT_EQ(d.reason, StopReason::kFutility);
  EXPECT_LT(d.samples, 12);
  EXPECT_GT(d.diversity, 0.99);
}

TEST(Csvet, NeverAboveTheBudget) {
  SessionConfig c = rule(Rule::kCsvet, 1);
  c.joulesPerToken = 0.0;
  Session one = makeSession(c);
  const Decision d = one.add("1", kTokens);
  EXPECT_EQ(d.reason, StopReason::kBudget);  // 3/4 < 0.95, and no sample left
  // Seeded random sequences over few answers, free samples and a generous value: the session
  // stops by kMax and takes nothing after.
  std::mt19937 rng(12345);
  c.kMax = 9;
  c.joulesPerToken = 1.0;
  c.valueCorrectJ = 1e9;
  for (int trial = 0; trial < 300; ++trial) {
    Session s = makeSession(c);
    std::uniform_int_distribution<int> pick(0, 1 + trial % 4);
    Decision last;
    for (int i = 0; i < 12; ++i) {
      const Decision d2 = s.add(std::to_string(pick(rng)), kTokens);
      if (d2.accepted) last = d2;
    }
    ASSERT_TRUE(last.stop);
    ASSERT_LE(last.samples, 9);
  }
}

TEST(Session, AddingSamplesNeverAllocates) {
  // Raw text (canonicalised inside add), overflowing classes, no-answers; answers prepared first.
  std::vector<std::string> answers = {"1,000", "B", "Answer: 7", "seven", "NA", "(C)"};
  for (int i = 0; i < 24; ++i)
    answers.push_back(std::to_string(100 + i));
  for (Rule r : {Rule::kCsvet, Rule::kMajority, Rule::kBeta, Rule::kEsc, Rule::kSprt}) {
    SessionConfig c = rule(r, 60);
    c.valueCorrectJ = 1e9;  // CSVET searches every horizon
    Session s = makeSession(c);
    test::AllocationScope scope;
    for (int i = 0; i < 60; ++i)
      s.add(answers[(i * 7) % answers.size()], 120 + i);
    EXPECT_EQ(scope.count(), 0u) << ruleName(r);
    EXPECT_GT(s.decision().samples, 1) << ruleName(r);
  }
}

}  // namespace
}  // namespace qeil::verify
