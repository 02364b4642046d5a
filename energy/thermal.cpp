#include "energy/thermal.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "energy/fast_exp.h"
#include "energy/transient.h"

namespace qeil::energy {

void ZoneLeakage::add(const LeakageParams& leak, double voltV) {
  const double coeffW = leak.refW * voltV / leak.refVoltV;
  for (Term& t : terms_) {
    if (t.lambdaPerK == leak.lambdaPerK && t.refTempC == leak.refTempC) {
      t.coeffW += coeffW;
      return;
    }
  }
  terms_.push_back({coeffW, leak.lambdaPerK, leak.refTempC});
  maxLambdaPerK_ = std::max(maxLambdaPerK_, std::fabs(leak.lambdaPerK));
}

double ZoneLeakage::powerW(double tempC) const {
  double sum = 0.0;
  for (const Term& t : terms_)
    sum += t.coeffW * fastExp(t.lambdaPerK * (tempC - t.refTempC));
  return sum;
}

double ZoneLeakage::slopeWPerK(double tempC) const {
  double sum = 0.0;
  for (const Term& t : terms_) {
    sum += t.lambdaPerK * (t.coeffW * fastExp(t.lambdaPerK * (tempC - t.refTempC)));
  }
  return sum;
}

double ZoneLeakage::powerW(double tempC, double* slopeWPerK) const {
  double f[kMaxDevices];
  factors(tempC, f);
  return powerW(f, slopeWPerK);
}

void ZoneLeakage::factors(double tempC, double* factors) const {
  for (size_t i = 0; i < terms_.size(); ++i)
    factors[i] = fastExp(terms_[i].lambdaPerK * (tempC - terms_[i].refTempC));
}

double ZoneLeakage::powerW(const double* factors, double* slopeWPerK) const {
  double sum = 0.0;
  double slope = 0.0;
  for (size_t i = 0; i < terms_.size(); ++i) {
    const double w = terms_[i].coeffW * factors[i];
    sum += w;
    slope += terms_[i].lambdaPerK * w;
  }
  *slopeWPerK = slope;
  return sum;
}

void ZoneLeakage::shiftFactors(double dTK, double* factors) const {
  for (size_t i = 0; i < terms_.size(); ++i)
    factors[i] *= transient::expNearZero(terms_[i].lambdaPerK * dTK);
}

SteadyState steadyState(const ZoneSpec& zone, double ambientC, double otherW,
                        const ZoneLeakage& leakage) {
  // g(T) = T - T_amb - R (P + L(T)) is concave (L is a sum of rising exponentials). Newton from
  // T_amb + R P, where g < 0, climbs monotonically to the smaller (stable) root if g' = 1 - R L'
  // stays positive; g' <= 0 while g < 0 means g never reaches zero: runaway.
  const double r = zone.rThKPerW;
  double t = ambientC + r * otherW;
  for (int i = 0; i < 100; ++i) {
    double leakSlope;
    const double g = t - ambientC - r * (otherW + leakage.powerW(t, &leakSlope));
    const double slope = 1.0 - r * leakSlope;
    if (slope <= 0.0) return {true, t};
    const double next = t - g / slope;
    if (next > zone.criticalTripC) return {true, next};
    if (std::fabs(next - t) < 1e-9) return {false, next};
    t = next;
  }
  return {false, t};
}

ThermalStep stepTemperature(const ZoneSpec& zone, double ambientC, double startC, double otherW,
                            const ZoneLeakage& leakage, double dtS, double toleranceK,
                            double* factors) {
  if (!(dtS > 0.0)) return {startC, startC, 0.0, 0};
  double ownFactors[kMaxDevices];
  if (factors == nullptr) {
    factors = ownFactors;
    leakage.factors(startC, factors);
  }
  const transient::Stretch s{1.0 / zone.rThKPerW, zone.cThJPerK, 1.0 / zone.cThJPerK, ambientC,
                             otherW};
  const double minStepS = transient::minStepS(zone);
  if (leakage.size() == 1) {
    return transient::integrate(s, transient::OneTerm{leakage.terms()[0]}, startC, dtS, toleranceK,
                                minStepS, factors);
  }
  const transient::Terms terms{leakage.terms(), leakage.size(), leakage.maxLambdaPerK()};
  return transient::integrate(s, terms, startC, dtS, toleranceK, minStepS, factors);
}

}  // namespace qeil::energy
