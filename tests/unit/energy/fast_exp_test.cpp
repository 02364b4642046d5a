// fastExp (energy/fast_exp.h) and the transient's short series (energy/transient.h): the e^x of
// the model's hot paths, pinned against a wider reference.
#include "energy/fast_exp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "energy/transient.h"

namespace qeil::energy {
namespace {

// e^x in long double (64-bit mantissa on x86-64, 113 on aarch64), relative error of fastExp.
double relativeError(double x) {
  const long double reference = std::exp(static_cast<long double>(x));
  return static_cast<double>((static_cast<long double>(fastExp(x)) - reference) / reference);
}

// The documented bound: 3e-16 relative, about one unit in the last place (measured: 2e-16).
constexpr double kMaxRelativeError = 3e-16;

TEST(FastExp, WithinAnUlpOverTheWholeRange) {
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> whole(-708.0, 709.0);
  double worst = 0.0;
  for (int i = 0; i < 100000; ++i)
    worst = std::max(worst, std::fabs(relativeError(whole(rng))));
  EXPECT_LT(worst, kMaxRelativeError);
}

// What the model feeds it: lambda * (T - T0) for leakage (lambda <= 0.1/K, T within a few
// hundred K) and -h / tau for the zone transient, both well inside [-50, 50]; dense near 0,
// where the table index and the reduction change most often.
TEST(FastExp, WithinAnUlpOverTheModelsRange) {
  double worst = 0.0;
  for (double x = -50.0; x <= 50.0; x += 1.0 / 1024 + 1e-7)
    worst = std::max(worst, std::fabs(relativeError(x)));
  for (double x = -1e-3; x <= 1e-3; x += 1.3e-7)
    worst = std::max(worst, std::fabs(relativeError(x)));
  EXPECT_LT(worst, kMaxRelativeError);
}

TEST(FastExp, ExactWhereExpIsExactAndLibmOutsideTheRange) {
  EXPECT_EQ(fastExp(0.0), 1.0);
  EXPECT_EQ(fastExp(-0.0), 1.0);
  EXPECT_EQ(fastExp(-745.5), std::exp(-745.5));  // subnormal
  EXPECT_EQ(fastExp(710.0), std::numeric_limits<double>::infinity());
  EXPECT_EQ(fastExp(-std::numeric_limits<double>::infinity()), 0.0);
  EXPECT_TRUE(std::isnan(fastExp(std::numeric_limits<double>::quiet_NaN())));
  // Both ends of the fast range are normal numbers.
  EXPECT_LT(std::fabs(relativeError(-708.0)), kMaxRelativeError);
  EXPECT_LT(std::fabs(relativeError(709.0)), kMaxRelativeError);
}

// e^x - 1 - x by its Taylor series in long double, far past the double's precision for |x| < 1.
long double excessReference(long double x) {
  long double term = x * x / 2;
  long double sum = 0;
  for (int k = 3; k < 40; ++k) {
    sum += term;
    term *= x / k;
  }
  return sum;
}

// The zone transient's growth(): e^x and e^x - 1 - x, by a series below |x| = 1/8 and by fastExp
// above, both close to the last bit (measured: 2.1e-16 and 6.2e-16 relative); the excess
// without the cancellation of e^x - 1 - x.
TEST(FastExp, TransientGrowthSeriesAndExcess) {
  double worstFactor = 0.0;
  double worstExcess = 0.0;
  for (double x = -0.5; x <= 0.5; x += 1.0 / 4096 + 1e-9) {
    const transient::Growth g = transient::growth(x);
    const long double factor = std::exp(static_cast<long double>(x));
    worstFactor =
        std::max(worstFactor, static_cast<double>(std::fabs((g.factor - factor) / factor)));
    if (std::fabs(x) < 0.125) {  // where growth() promises the excess to full precision
      const long double excess = excessReference(x);
      worstExcess =
          std::max(worstExcess, static_cast<double>(std::fabs((g.excess - excess) / excess)));
    }
  }
  EXPECT_LT(worstFactor, 3e-16);
  EXPECT_LT(worstExcess, 1e-15);
  // Four Taylor terms for the correction's tiny shifts of the factors, growth() above 1e-3.
  for (double x : {-2e-3, -9e-4, -1e-7, 0.0, 3e-6, 9.9e-4, 0.05}) {
    EXPECT_NEAR(transient::expNearZero(x), std::exp(x), 3e-16) << x;
  }
}

}  // namespace
}  // namespace qeil::energy
