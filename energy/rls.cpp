#include "energy/rls.h"

#include <algorithm>
#include <cerrno>
#include <cmath>

namespace qeil::energy {

Status Rls::init(size_t dim, const double* theta0, const double* priorStd,
                 const RlsConfig& config) {
  if (dim == 0 || dim > kMaxDim)
    return Error::make(EINVAL, "RLS dimension %zu not in 1..%zu", dim, kMaxDim);
  if (!(config.forgetting > 0.0 && config.forgetting <= 1.0))
    return Error::make(EINVAL, "RLS forgetting factor %g not in (0, 1]", config.forgetting);
  if (!(config.noiseStd > 0.0 && std::isfinite(config.noiseStd)))
    return Error::make(EINVAL, "RLS noise std %g not positive", config.noiseStd);
  if (!(config.relTolerance > 0.0))
    return Error::make(EINVAL, "RLS relative tolerance %g not positive", config.relTolerance);
  for (size_t i = 0; i < dim; ++i) {
    if (!std::isfinite(theta0[i])) return Error::make(EINVAL, "RLS prior theta[%zu] not finite", i);
    if (!(priorStd[i] > 0.0 && std::isfinite(priorStd[i])))
      return Error::make(EINVAL, "RLS prior std[%zu] = %g not positive", i, priorStd[i]);
  }
  config_ = config;
  dim_ = dim;
  samples_ = 0;
  errSum_ = 0.0;
  weightSum_ = 0.0;
  theta_ = {};
  p_ = {};
  pBound_ = {};
  for (size_t i = 0; i < dim; ++i) {
    theta_[i] = theta0[i];
    const double ratio = priorStd[i] / config.noiseStd;
    p_[i][i] = pBound_[i] = ratio * ratio;
  }
  return {};
}

Status Rls::update(const double* x, double y) {
  if (dim_ == 0) return Error::make(EINVAL, "RLS update before init");
  if (!std::isfinite(y)) return Error::make(EDOM, "RLS target not finite");
  for (size_t i = 0; i < dim_; ++i)
    if (!std::isfinite(x[i])) return Error::make(EDOM, "RLS regressor x[%zu] not finite", i);

  Vector px{};  // P x
  double xpx = 0.0;
  double prediction = 0.0;
  for (size_t i = 0; i < dim_; ++i) {
    for (size_t j = 0; j < dim_; ++j)
      px[i] += p_[i][j] * x[j];
    xpx += x[i] * px[i];
    prediction += x[i] * theta_[i];
  }
  const double lambda = config_.forgetting;
  const double denom = lambda + xpx;
  const double err = y - prediction;
  if (!(xpx >= 0.0) || !std::isfinite(denom) || !std::isfinite(err))
    return Error::make(EDOM, "RLS update numerically broken (x'Px = %g)", xpx);

  // Work on copies and commit only when everything is finite and P stays positive.
  Vector theta = theta_;
  Matrix p = p_;
  for (size_t i = 0; i < dim_; ++i) {
    const double gain = px[i] / denom;
    theta[i] += gain * err;
    for (size_t j = 0; j <= i; ++j) {
      // P - K x'P, symmetrised: both triangles from the same expression.
      const double v = (p_[i][j] - gain * px[j]) / lambda;
      p[i][j] = p[j][i] = v;
    }
  }
  boundCovariance(p);
  for (size_t i = 0; i < dim_; ++i) {
    if (!std::isfinite(theta[i]) || !(p[i][i] > 0.0) || !std::isfinite(p[i][i]))
      return Error::make(EDOM, "RLS update lost positive definiteness at %zu", i);
  }
  theta_ = theta;
  p_ = p;
  errSum_ = lambda * errSum_ + err * err / (1.0 + xpx);
  weightSum_ = lambda * weightSum_ + 1.0;
  ++samples_;
  return {};
}

void Rls::boundCovariance(Matrix& p) const {
  Vector scale{};
  bool any = false;
  for (size_t i = 0; i < dim_; ++i) {
    scale[i] = p[i][i] > pBound_[i] ? std::sqrt(pBound_[i] / p[i][i]) : 1.0;
    any = any || scale[i] < 1.0;
  }
  if (!any) return;
  for (size_t i = 0; i < dim_; ++i) {
    for (size_t j = 0; j < dim_; ++j)
      p[i][j] *= scale[i] * scale[j];
  }
}

double Rls::residualVariance() const {
  if (weightSum_ <= 0.0) return config_.noiseStd * config_.noiseStd;
  return errSum_ / weightSum_;
}

double Rls::covariance(size_t i, size_t j) const {
  const double floor = config_.noiseStd * config_.noiseStd;
  return std::max(residualVariance(), floor) * p_[i][j];
}

double Rls::standardError(size_t i) const {
  return std::sqrt(covariance(i, i));
}

bool Rls::confident(size_t i, double absTolerance) const {
  if (i >= dim_ || samples_ < config_.minSamples) return false;
  return standardError(i) <= std::max(config_.relTolerance * std::fabs(theta_[i]), absTolerance);
}

bool Rls::confident() const {
  if (dim_ == 0) return false;
  for (size_t i = 0; i < dim_; ++i)
    if (!confident(i)) return false;
  return true;
}

}  // namespace qeil::energy
