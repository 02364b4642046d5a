#include "verify/arde.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace qeil::verify {
namespace {

// P(Binomial(n, 1/2) <= a) exactly, as a ratio of integers (n < 120).
long double exactBinomialCdf(int n, int a) {
  std::vector<unsigned __int128> row(n + 1, 0);
  row[0] = 1;
  for (int i = 1; i <= n; ++i) {
    for (int k = i; k > 0; --k)
      row[k] += row[k - 1];
  }
  unsigned __int128 below = 0;
  for (int k = 0; k <= a && k <= n; ++k)
    below += row[k];
  return static_cast<long double>(below) / std::ldexp(1.0L, n);
}

// Independent large-n check: the upper tail P(Binomial(n, 1/2) > a) summed term by term in
// long double from log-gamma.
long double tailBySummation(long long n, long long a) {
  long double sum = 0.0L;
  for (long long k = n; k > a; --k) {
    const long double logTerm = std::lgamma(static_cast<long double>(n + 1)) -
                                std::lgamma(static_cast<long double>(k + 1)) -
                                std::lgamma(static_cast<long double>(n - k + 1)) -
                                n * std::log(2.0L);
    const long double term = std::exp(logTerm);
    sum += term;
    if (k < n / 2 && term < sum * 1e-22L) break;
  }
  return sum;
}

TEST(LeaderPosterior, GoldenValues) {
  EXPECT_NEAR(leaderPosterior(4, 0), 31.0 / 32.0, 1e-15);
  EXPECT_NEAR(leaderPosterior(3, 0), 15.0 / 16.0, 1e-15);
  EXPECT_NEAR(leaderPosterior(6, 1), 0.96484375, 1e-15);
  EXPECT_NEAR(leaderPosterior(5, 1), 0.9375, 1e-15);
  EXPECT_NEAR(leaderPosterior(2, 2), 0.5, 1e-15);
  EXPECT_NEAR(leaderPosterior(0, 0), 0.5, 1e-15);
}

TEST(LeaderPosterior, MatchesExactIntegerSumsForSmallCounts) {
  for (int a = 0; a <= 60; ++a) {
    for (int b = 0; b <= 55; ++b) {
      const long double exact = exactBinomialCdf(a + b + 1, a);
      ASSERT_NEAR(leaderPosterior(a, b), static_cast<double>(exact), 1e-13) << a << "," << b;
      ASSERT_NEAR(leaderPosterior(a, b) + leaderErrorProbability(a, b), 1.0, 1e-14);
    }
  }
}

TEST(LeaderPosterior, LargeCountsAgainstDirectSummation) {
  struct Case {
    long long a;
    long long b;
  };
  const Case cases[] = {{5000, 4900}, {10000, 10000}, {60000, 59000}, {1000, 0},
                        {300, 200},   {2000, 1000},   {99999, 100000}};
  for (const Case& c : cases) {
    const long double tail = tailBySummation(c.a + c.b + 1, c.a);
    const double got = leaderErrorProbability(static_cast<double>(c.a), static_cast<double>(c.b));
    ASSERT_GT(tail, 0.0L);
    EXPECT_NEAR(got / static_cast<double>(tail), 1.0, 1e-9) << c.a << "," << c.b;
    EXPECT_NEAR(leaderPosterior(c.a, c.b), 1.0 - static_cast<double>(tail), 1e-12);
  }
  // Equal counts: exactly one half whatever n (the distribution is symmetric).
  EXPECT_NEAR(leaderPosterior(1e6, 1e6), 0.5, 1e-9);
}

TEST(IncompleteBeta, SymmetryAndKnownValues) {
  EXPECT_NEAR(regularisedIncompleteBeta(0.3, 1.0, 1.0), 0.3, 1e-14);
  EXPECT_NEAR(regularisedIncompleteBeta(0.3, 2.0, 1.0), 0.09, 1e-14);
  for (double x : {0.1, 0.5, 0.77}) {
    EXPECT_NEAR(
        regularisedIncompleteBeta(x, 2.5, 7.25) + regularisedIncompleteBeta(1.0 - x, 7.25, 2.5),
        1.0, 1e-13);
  }
  EXPECT_EQ(regularisedIncompleteBeta(0.0, 2.0, 3.0), 0.0);
  EXPECT_EQ(regularisedIncompleteBeta(1.0, 2.0, 3.0), 1.0);
  // Weighted (non-integer) counts sit between their integer neighbours.
  EXPECT_GT(leaderPosterior(3.5, 1.0), leaderPosterior(3, 1));
  EXPECT_LT(leaderPosterior(3.5, 1.0), leaderPosterior(4, 1));
}

TEST(ModePosterior, TwoClassesIsTheBinaryFormulaAndMoreClassesLowerIt) {
  const double two[] = {5, 1};
  EXPECT_NEAR(modePosterior(two, 2, 0), leaderPosterior(5, 1), 1e-15);
  const double one[] = {3};
  EXPECT_NEAR(modePosterior(one, 1, 0), 15.0 / 16.0, 1e-15);
  const double three[] = {5, 1, 1};
  EXPECT_NEAR(modePosterior(three, 3, 0), 1.0 - 2.0 * (1.0 - leaderPosterior(5, 1)), 1e-15);
  const double many[] = {2, 2, 2, 2, 2};
  EXPECT_EQ(modePosterior(many, 5, 0), 0.0);
}

TEST(Entropy, UniformAndUnanimous) {
  // Four classes of weight 2: log 4.
  EXPECT_NEAR(entropyNats(8.0, 4 * 2 * std::log(2.0)), std::log(4.0), 1e-14);
  EXPECT_NEAR(entropyNats(5.0, 5 * std::log(5.0)), 0.0, 1e-14);
  EXPECT_EQ(entropyNats(0.0, 0.0), 0.0);
}

TEST(ExpectedGain, ZeroWhenTheLeadCannotBeOverturned) {
  EXPECT_EQ(expectedGain(2, 0, 1), 0.0);
  EXPECT_EQ(expectedGain(2, 0, 2), 0.0);
  EXPECT_EQ(expectedGain(5, 1, 4), 0.0);
  EXPECT_GT(expectedGain(2, 0, 3), 0.0);
}

TEST(ExpectedGain, HandComputedCase) {
  // (1,0) and two more samples: the runner-up takes both with probability E[(1-s)^2] = 1/6
  // under s ~ Beta(2,1), leaving (1,2) where the old leader's posterior is 5/16: gain
  // 1/6 * (1 - 2 * 5/16) = 1/16.
  EXPECT_NEAR(expectedGain(1, 0, 2), 1.0 / 16.0, 1e-14);
  // A tie: one sample breaks it: E[max(q, 1-q)] - 1/2 with q = 11/16 or 5/16: 3/16.
  EXPECT_NEAR(expectedGain(1, 1, 1), 3.0 / 16.0, 1e-14);
}

TEST(ReachProbability, ExtremesAndHandComputedCase) {
  EXPECT_EQ(reachProbability(4, 0, 0, 0.95), 1.0);
  EXPECT_EQ(reachProbability(3, 0, 0, 0.95), 0.0);
  // (3,0) + 1: reaches 31/32 only if the leader takes it: P = E[s] = 4/5 under Beta(4,1).
  EXPECT_NEAR(reachProbability(3, 0, 1, 0.95), 0.8, 1e-14);
  // (1,1) + 1 can never reach 0.95.
  EXPECT_EQ(reachProbability(1, 1, 1, 0.95), 0.0);
}

}  // namespace
}  // namespace qeil::verify
