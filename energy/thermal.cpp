#include "energy/thermal.h"

#include <algorithm>
#include <cmath>

#include "energy/fast_exp.h"

namespace qeil::energy {

void ZoneLeakage::add(const LeakageParams& leak, double voltV) {
  terms_.push_back({leak.refW * voltV / leak.refVoltV, leak.lambdaPerK, leak.refTempC});
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
    sum += t.lambdaPerK * t.coeffW * fastExp(t.lambdaPerK * (tempC - t.refTempC));
  }
  return sum;
}

double ZoneLeakage::powerW(double tempC, double* slopeWPerK) const {
  double sum = 0.0;
  double slope = 0.0;
  for (const Term& t : terms_) {
    const double e = fastExp(t.lambdaPerK * (tempC - t.refTempC));
    sum += t.coeffW * e;
    slope += t.lambdaPerK * t.coeffW * e;
  }
  *slopeWPerK = slope;
  return sum;
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
                            const ZoneLeakage& leakage, double dtS, double maxSubstepS) {
  ThermalStep out{startC, startC, 0.0};
  const double c = zone.cThJPerK;
  const double invR = 1.0 / zone.rThKPerW;
  const int steps = std::max(1, static_cast<int>(std::ceil(dtS / maxSubstepS)));
  const double h = dtS / steps;
  double t0 = startC;
  for (int s = 0; s < steps; ++s) {
    // C dT/dt = a - b T with L(T) ~ Ls + Ls' (T - t0).
    double slope;
    const double ls = leakage.powerW(t0, &slope);
    const double a = otherW + ls - slope * t0 + ambientC * invR;
    const double b = invR - slope;
    double t1;
    double integralT;  // integral of T over the sub-step
    if (std::fabs(b) > 1e-12) {
      const double tInf = a / b;
      const double k = b / c;
      const double decay = fastExp(-k * h);
      t1 = tInf + (t0 - tInf) * decay;
      integralT = tInf * h + (t0 - tInf) * (1.0 - decay) / k;
    } else {  // leakage growth balances conduction: T rises linearly
      t1 = t0 + a / c * h;
      integralT = 0.5 * (t0 + t1) * h;
    }
    out.leakageJ += ls * h + slope * (integralT - t0 * h);
    out.peakC = std::max(out.peakC, t1);
    t0 = t1;
  }
  out.endC = t0;
  return out;
}

}  // namespace qeil::energy
