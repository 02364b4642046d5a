#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "hal/result.h"

namespace qeil::energy {

// MODEL.md §7: recursive least squares with a forgetting factor, in fixed memory.
struct RlsConfig {
  double forgetting = 0.99;  // lambda: old samples weigh lambda^age (window about 1/(1-lambda))
  // Nominal noise of y, in y's unit. The covariance is kept in units of the noise variance, so
  // the prior's covariance is priorStd^2 / noiseStd^2; the residual variance used for standard
  // errors never drops below noiseStd^2 (otherwise a noiseless run would call an unexcited
  // parameter, which only its prior bounds, confident).
  double noiseStd = 1.0;
  uint32_t minSamples = 30;    // no confidence before this many accepted updates
  double relTolerance = 0.05;  // confident: standard error <= relTolerance * |theta|
};

// y = x . theta + noise. The covariance P (in units of the noise variance) obeys
//   K = P x / (lambda + x'P x),  theta += K (y - x'theta),  P = (P - K x'P) / lambda,
// symmetrised after each update. Anti-wind-up: without excitation in some direction P grows as
// 1/lambda^n there; each diagonal is bounded by its prior value (a congruence D P D with D
// diagonal, which keeps P positive definite), so a fit never becomes less certain than its prior.
// No allocation: all storage is inline; update() and every query run in O(dim^2).
class Rls {
 public:
  static constexpr size_t kMaxDim = 16;
  using Vector = std::array<double, kMaxDim>;

  // `dim` parameters starting at theta0 with prior standard deviations priorStd (> 0).
  Status init(size_t dim, const double* theta0, const double* priorStd, const RlsConfig& config);
  // One sample: x has dim() entries. Non-finite input or a numerically broken update is
  // rejected with the state unchanged.
  Status update(const double* x, double y);

  bool initialised() const { return dim_ > 0; }
  size_t dim() const { return dim_; }
  uint64_t samples() const { return samples_; }
  double theta(size_t i) const { return theta_[i]; }
  const Vector& theta() const { return theta_; }
  // Exponentially weighted mean of the normalised a-priori residual e^2 / (1 + x'P x), whose
  // expectation is the noise variance; noiseStd^2 before the first sample.
  double residualVariance() const;
  // Parameter covariance sigma^2 P, sigma^2 = max(residualVariance(), noiseStd^2). With
  // forgetting this overstates the variance by up to a factor 1 + lambda (conservative).
  double covariance(size_t i, size_t j) const;
  double standardError(size_t i) const;
  // Enough samples, and standard error <= max(relTolerance * |theta_i|, absTolerance).
  bool confident(size_t i, double absTolerance = 0.0) const;
  // confident(i) for every parameter.
  bool confident() const;
  const RlsConfig& config() const { return config_; }

 private:
  using Matrix = std::array<Vector, kMaxDim>;

  void boundCovariance(Matrix& p) const;

  RlsConfig config_;
  size_t dim_ = 0;
  uint64_t samples_ = 0;
  Vector theta_{};
  Matrix p_{};
  Vector pBound_{};         // prior diagonal of P: the anti-wind-up bound
  double errSum_ = 0.0;     // sum of lambda^age * normalised residual^2
  double weightSum_ = 0.0;  // sum of lambda^age
};

}  // namespace qeil::energy
