#include "verify/arde.h"

#include <algorithm>
#include <cmath>

namespace qeil::verify {
namespace {

constexpr double kTiny = 1e-300;
constexpr double kEpsilon = 1e-15;

// The continued fraction of I_x(p, q) (Numerical Recipes' betacf, modified Lentz).
double betaContinuedFraction(double x, double p, double q) {
  const double qab = p + q;
  const double qap = p + 1.0;
  const double qam = p - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  const int maxTerms = 1000 + static_cast<int>(20.0 * std::sqrt(std::max(p, q)));
  for (int m = 1; m <= maxTerms; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (q - m) * x / ((qam + m2) * (p + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(p + m) * (qab + m) * x / ((p + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double del = d * c;
    h *= del;
    if (std::fabs(del - 1.0) < kEpsilon) break;
  }
  return h;
}

// x^p (1-x)^q / B(p, q), in log space and long double: for p, q near 1e5 the log-gammas are
// about 1e6 and cancel, which in double leaves relative errors near 1e-11.
double prefactor(double x, double p, double q) {
  const long double lp = p;
  const long double lq = q;
  const long double lx = x;
  return static_cast<double>(std::exp(std::lgamma(lp + lq) - std::lgamma(lp) - std::lgamma(lq) +
                                      lp * std::log(lx) + lq * std::log1p(-lx)));
}

// P(Beta(p, q) > x) and P(Beta(p, q) <= x) from the side where the continued fraction converges
// (x below the mean-ish point (p+1)/(p+q+2)), so the small one of the two is never 1 - (near 1).
void betaTails(double x, double p, double q, double* lower, double* upper) {
  if (x <= 0.0) {
    *lower = 0.0;
    *upper = 1.0;
    return;
  }
  if (x >= 1.0) {
    *lower = 1.0;
    *upper = 0.0;
    return;
  }
  const double front = prefactor(x, p, q);
  if (x < (p + 1.0) / (p + q + 2.0)) {
    *lower = front * betaContinuedFraction(x, p, q) / p;
    *upper = 1.0 - *lower;
  } else {
    *upper = front * betaContinuedFraction(1.0 - x, q, p) / q;
    *lower = 1.0 - *upper;
  }
}

}  // namespace

double regularisedIncompleteBeta(double x, double p, double q) {
  double lower = 0.0;
  double upper = 0.0;
  betaTails(x, p, q, &lower, &upper);
  return lower;
}

double leaderPosterior(double a, double b) {
  double lower = 0.0;
  double upper = 0.0;
  betaTails(0.5, b + 1.0, a + 1.0, &lower, &upper);
  return lower;
}

double leaderErrorProbability(double a, double b) {
  double lower = 0.0;
  double upper = 0.0;
  betaTails(0.5, b + 1.0, a + 1.0, &lower, &upper);
  return upper;
}

double modePosterior(const double* weights, int count, int leader) {
  if (count <= 0 || leader < 0 || leader >= count) return 0.0;
  if (count == 1) return leaderPosterior(weights[leader], 0.0);
  double p = 1.0;
  for (int j = 0; j < count; ++j) {
    if (j != leader) p -= leaderErrorProbability(weights[leader], weights[j]);
  }
  return std::max(0.0, p);
}

double entropyNats(double sumW, double sumWLogW) {
  if (sumW <= 0.0) return 0.0;
  return std::max(0.0, std::log(sumW) - sumWLogW / sumW);
}

double expectedGain(double a, double b, int m) {
  if (m <= 0 || a - b >= m) return 0.0;
  const double alpha = a + 1.0;
  const double beta = b + 1.0;
  // Beta-binomial pmf(0) = B(alpha, m + beta) / B(alpha, beta), then the ratio of terms.
  double pmf = std::exp(std::lgamma(m + beta) + std::lgamma(alpha + beta) - std::lgamma(beta) -
                        std::lgamma(alpha + beta + m));
  double gain = 0.0;
  for (int x = 0; a + x < b + (m - x); ++x) {
    gain += pmf * (1.0 - 2.0 * leaderPosterior(a + x, b + (m - x)));
    pmf *= (static_cast<double>(m - x) / (x + 1)) * ((x + alpha) / (m - x - 1 + beta));
  }
  return gain;
}

double reachProbability(double a, double b, int m, double threshold) {
  if (m <= 0) return leaderPosterior(a, b) >= threshold ? 1.0 : 0.0;
  const double alpha = a + 1.0;
  const double beta = b + 1.0;
  double pmf = std::exp(std::lgamma(m + beta) + std::lgamma(alpha + beta) - std::lgamma(beta) -
                        std::lgamma(alpha + beta + m));
  // leaderPosterior rises with x: sum the pmf below the first x that reaches the threshold.
  double below = 0.0;
  for (int x = 0; x <= m; ++x) {
    if (leaderPosterior(a + x, b + (m - x)) >= threshold) return std::max(0.0, 1.0 - below);
    below += pmf;
    if (x < m) pmf *= (static_cast<double>(m - x) / (x + 1)) * ((x + alpha) / (m - x - 1 + beta));
  }
  return 0.0;
}

}  // namespace qeil::verify
