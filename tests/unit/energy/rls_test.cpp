// MODEL.md §7: the recursive least squares every calibration fit stands on.
#include "energy/rls.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "tests/support/alloc_counter.h"

namespace qeil::energy {
namespace {

RlsConfig config(double forgetting, double noiseStd) {
  RlsConfig c;
  c.forgetting = forgetting;
  c.noiseStd = noiseStd;
  c.minSamples = 10;
  c.relTolerance = 0.05;
  return c;
}

TEST(Rls, NoiselessDataIsFittedExactlyOnceEveryDirectionIsSeen) {
  // y = 2 - 3 x1 + 0.5 x2 from a wrong prior (0, 0, 0) with a wide prior (std 100 against a
  // noise of 1e-3: P0 = 1e10), so after three independent samples the prior weighs ~1e-10.
  Rls rls;
  const double theta0[3] = {0, 0, 0};
  const double std0[3] = {100, 100, 100};
  ASSERT_TRUE(rls.init(3, theta0, std0, config(1.0, 1e-3)).ok());
  const double xs[4][3] = {{1, 0, 0}, {1, 1, 0}, {1, 0, 1}, {1, 2, 3}};
  for (const auto& x : xs)
    ASSERT_TRUE(rls.update(x, 2 - 3 * x[1] + 0.5 * x[2]).ok());
  EXPECT_NEAR(rls.theta(0), 2.0, 1e-6);
  EXPECT_NEAR(rls.theta(1), -3.0, 1e-6);
  EXPECT_NEAR(rls.theta(2), 0.5, 1e-6);
  EXPECT_EQ(rls.samples(), 4u);
}

TEST(Rls, StandardErrorMatchesOrdinaryLeastSquaresWithoutForgetting) {
  // lambda = 1 and a negligible prior make RLS ordinary least squares: for y = t0 + t1 s with
  // s = k / n (k = 0..n-1) and noise sigma, Var(t1) = sigma^2 / sum (s - mean s)^2 and
  // Var(t0) = sigma^2 (1/n + mean^2 / sum (s - mean)^2). The residual variance is estimated
  // from the data, so the reported errors should match within sampling error (~10 %).
  const int n = 2000;
  const double sigma = 0.2;
  Rls rls;
  const double theta0[2] = {0, 0};
  const double std0[2] = {1e3, 1e3};
  ASSERT_TRUE(rls.init(2, theta0, std0, config(1.0, 0.01)).ok());
  std::mt19937_64 rng(7);
  std::normal_distribution<double> noise(0.0, sigma);
  double sxx = 0.0;
  const double mean = (n - 1) / 2.0 / n;
  for (int k = 0; k < n; ++k) {
    const double s = static_cast<double>(k) / n;
    const double x[2] = {1.0, s};
    ASSERT_TRUE(rls.update(x, 1.5 + 4.0 * s + noise(rng)).ok());
    sxx += (s - mean) * (s - mean);
  }
  EXPECT_NEAR(std::sqrt(rls.residualVariance()), sigma, 0.1 * sigma);
  EXPECT_NEAR(rls.standardError(1), sigma / std::sqrt(sxx), 0.1 * sigma / std::sqrt(sxx));
  const double se0 = sigma * std::sqrt(1.0 / n + mean * mean / sxx);
  EXPECT_NEAR(rls.standardError(0), se0, 0.1 * se0);
  EXPECT_NEAR(rls.theta(1), 4.0, 4 * sigma / std::sqrt(sxx));  // within 4 standard errors
}

TEST(Rls, CovarianceStaysBoundedWithoutExcitationAndTheFitRecovers) {
  // x = (1, 1) forever only tells theta0 + theta1. With lambda = 0.9 the unexcited direction
  // of P would grow as 0.9^-n (1e45 after 1000 samples); the bound keeps each diagonal at its
  // prior (std 10 / noise 0.1: 1e4). Excitation afterwards must still bring convergence.
  Rls rls;
  const double theta0[2] = {0, 0};
  const double std0[2] = {10, 10};
  ASSERT_TRUE(rls.init(2, theta0, std0, config(0.9, 0.1)).ok());
  const double same[2] = {1, 1};
  for (int k = 0; k < 1000; ++k)
    ASSERT_TRUE(rls.update(same, 3.0).ok());
  EXPECT_NEAR(rls.theta(0) + rls.theta(1), 3.0, 1e-6);
  // SE^2 = max(residual variance, noise^2) P_ii with P_ii <= 1e4: SE <= max(sigma, 0.1) * 100.
  const double sigma = std::max(std::sqrt(rls.residualVariance()), 0.1);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_LE(rls.standardError(i), sigma * 100 * (1 + 1e-9)) << i;
    EXPECT_GT(rls.standardError(i), sigma * 50) << "the unexcited direction stays uncertain";
    EXPECT_FALSE(rls.confident(i)) << "only the sum is known";
  }
  // Now theta = (1, 2), seen through alternating regressors.
  for (int k = 0; k < 100; ++k) {
    const double x[2] = {1.0, k % 2 ? 1.0 : -1.0};
    ASSERT_TRUE(rls.update(x, x[0] * 1.0 + x[1] * 2.0).ok());
  }
  EXPECT_NEAR(rls.theta(0), 1.0, 1e-6);
  EXPECT_NEAR(rls.theta(1), 2.0, 1e-6);
  EXPECT_TRUE(rls.confident());
}

TEST(Rls, ConfidenceNeedsTheMinimumNumberOfSamples) {
  // Noiseless, fully excited: standard errors are tiny at once, yet 10 samples are required.
  Rls rls;
  const double theta0[1] = {0};
  const double std0[1] = {10};
  ASSERT_TRUE(rls.init(1, theta0, std0, config(0.99, 0.01)).ok());
  const double x[1] = {1.0};
  for (int k = 0; k < 9; ++k)
    ASSERT_TRUE(rls.update(x, 5.0).ok());
  EXPECT_FALSE(rls.confident(0));
  ASSERT_TRUE(rls.update(x, 5.0).ok());
  EXPECT_TRUE(rls.confident(0));
}

TEST(Rls, RejectsBadInputWithoutChangingState) {
  Rls rls;
  const double theta0[2] = {1, 2};
  const double std0[2] = {1, 1};
  const double x[2] = {1, 1};
  EXPECT_FALSE(rls.update(x, 1.0).ok()) << "before init";
  EXPECT_FALSE(rls.init(0, theta0, std0, config(0.99, 1)).ok());
  EXPECT_FALSE(rls.init(17, theta0, std0, config(0.99, 1)).ok());
  EXPECT_FALSE(rls.init(2, theta0, std0, config(1.5, 1)).ok());
  EXPECT_FALSE(rls.init(2, theta0, std0, config(0.99, 0)).ok());
  const double badStd[2] = {1, -1};
  EXPECT_FALSE(rls.init(2, theta0, badStd, config(0.99, 1)).ok());
  ASSERT_TRUE(rls.init(2, theta0, std0, config(0.99, 1)).ok());
  const double nanX[2] = {1, NAN};
  Status st = rls.update(nanX, 1.0);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.error().message()).find("x[1]"), std::string::npos);
  EXPECT_FALSE(rls.update(x, INFINITY).ok());
  EXPECT_EQ(rls.samples(), 0u);
  EXPECT_EQ(rls.theta(0), 1.0);
  EXPECT_EQ(rls.theta(1), 2.0);
  EXPECT_EQ(rls.covariance(0, 1), 0.0);
}

TEST(Rls, UpdateAndQueriesDoNotAllocate) {
  Rls rls;
  double theta0[Rls::kMaxDim] = {};
  double std0[Rls::kMaxDim];
  for (double& s : std0)
    s = 1.0;
  ASSERT_TRUE(rls.init(Rls::kMaxDim, theta0, std0, config(0.99, 0.1)).ok());
  double x[Rls::kMaxDim];
  test::AllocationScope scope;
  double sum = 0.0;
  for (int k = 0; k < 200; ++k) {
    for (size_t i = 0; i < Rls::kMaxDim; ++i)
      x[i] = std::sin(k * 0.37 + i);
    ASSERT_TRUE(rls.update(x, x[0]).ok());
    sum += rls.standardError(k % Rls::kMaxDim) + (rls.confident() ? 1 : 0);
  }
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_GT(sum, 0.0);
}

}  // namespace
}  // namespace qeil::energy
