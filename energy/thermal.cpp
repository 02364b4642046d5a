#include "energy/thermal.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "energy/fast_exp.h"

namespace qeil::energy {

void ZoneLeakage::add(const LeakageParams& leak, double voltV) {
  terms_.push_back({leak.refW * voltV / leak.refVoltV, leak.lambdaPerK, leak.refTempC});
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

namespace {

// The shortest step the transient integrator takes, as a fraction of R*C: bounds the work of a
// zone that runs away (its error estimate then never settles).
constexpr double kMinStepPerTimeConstant = 0.01;

// The exponential integrals of one step of a linear zone, C du/dt = g - b u, as functions of
// z = -b h / C (b the net conductance 1/R - dL/dT, h the step length), with q = e^z:
//   phi1 = (q - 1) / z                          u(h) = g h / C * phi1
//   phi2 = (q - 1 - z) / z^2                    integral of u = g h^2 / C * phi2
//   psi  = (q^2 - 1 - 2 z q) / z^3              the response to an input c u(t)^2
//   chi  = (q^2 / 2 + 2 q - 2 z q - z - 5/2) / z^4   its time integral
// (all four are 1/1!, 1/2!, 1/3, 1/12 at z = 0). The closed forms cancel near z = 0, so below
// |z| = 0.05 their Taylor series take over: the phi to 1e-14, psi and chi (which only size the
// curvature correction) to 1e-12; the closed forms are within 4e-13 and 3e-9 there.
struct ExpIntegrals {
  double phi1;
  double phi2;
  double psi;
  double chi;
};

ExpIntegrals expIntegrals(double z) {
  if (std::fabs(z) < 0.05) {
    // psi_m = (2^(m+3) - 2 m - 6) / (m+3)!, chi_m = psi_m / (m + 4).
    return {
        1 + z * (1. / 2 +
                 z * (1. / 6 +
                      z * (1. / 24 +
                           z * (1. / 120 + z * (1. / 720 + z * (1. / 5040 + z * (1. / 40320))))))),
        1. / 2 + z * (1. / 6 +
                      z * (1. / 24 +
                           z * (1. / 120 + z * (1. / 720 + z * (1. / 5040 + z * (1. / 40320)))))),
        1. / 3 + z * (1. / 3 + z * (11. / 60 +
                                    z * (13. / 180 +
                                         z * (19. / 840 + z * (1. / 168 + z * (247. / 181440)))))),
        1. / 12 +
            z * (1. / 15 +
                 z * (11. / 360 + z * (13. / 1260 +
                                       z * (19. / 6720 + z * (1. / 1512 + z * (247. / 1814400)))))),
    };
  }
  const double q = fastExp(z);
  const double q2 = q * q;
  const double inv = 1.0 / z;
  const double inv2 = inv * inv;
  return {(q - 1.0) * inv, (q - 1.0 - z) * inv2, (q2 - 1.0 - 2.0 * z * q) * inv2 * inv,
          (0.5 * q2 + 2.0 * q - 2.0 * z * q - z - 2.5) * inv2 * inv2};
}

// A stretch's constant inputs (MODEL.md §5).
struct Stretch {
  double invRWPerK;
  double cThJPerK;
  double ambientC;
  double otherW;
  const ZoneLeakage& leakage;
};

struct Trial {
  double endC;
  double leakageJ;
  double errorK;  // bound on the error left after the curvature correction
};

// One step of length h from t0, where leakage is l0W with slope slope0WPerK. With u = T - t0:
// C du/dt = g - b u + r(u), g the net heating at t0, b = 1/R - L'(t0), r(u) >= 0 the leakage's
// departure from its tangent. Without r the step is exact: u_lin(t). r is fitted as c u^2
// through the predicted end u1 = u_lin(h), and its effect v, C dv/dt = -b v + c u_lin^2, added
// to first order in c. What that leaves out is of relative size lambda |u1| (L is exponential,
// not quadratic; the fit is exact at both ends) plus 2 |v / u1| (r taken on u_lin instead of u,
// which is what remains of a long step's fixed point): |v| (lambda |u1| / 4 + 3 |v / u1|)
// bounds the step's error. Against fine integrations of random zones (R 2-30 K/W, C 0.5-10 J/K,
// one or two leakage terms, stretches of 0.05-500 s) a step's error stays below 0.6 of that
// bound, a whole stretch at 0.02 K within 0.007 K, and the leakage energy (which follows from
// the temperatures by the zone's energy balance) within a quarter of 0.02 K * (C + h / R).
Trial trialStep(const Stretch& s, double t0, double l0W, double slope0WPerK, double h) {
  const double c = s.cThJPerK;
  const double netW = s.otherW + l0W - (t0 - s.ambientC) * s.invRWPerK;
  const double netWPerK = s.invRWPerK - slope0WPerK;
  const ExpIntegrals f = expIntegrals(-netWPerK * h / c);
  const double riseK = netW * h / c * f.phi1;
  const double riseKs = riseK * h * f.phi2 / f.phi1;
  const double residualW = s.leakage.powerW(t0 + riseK) - l0W - slope0WPerK * riseK;
  const double responseKPerW = residualW * h / (c * f.phi1 * f.phi1);
  const double correctionK = responseKPerW * f.psi;
  const double correctionKs = responseKPerW * h * f.chi;
  // Leakage energy: L(t0) h + L'(t0) integral(u) + integral(c u_lin^2), the last being
  // C v(h) + b integral(v) by v's own equation; L'(t0) + b = 1/R.
  const double leakageJ =
      l0W * h + slope0WPerK * riseKs + c * correctionK + s.invRWPerK * correctionKs;
  const double relative = 0.25 * s.leakage.maxLambdaPerK() * std::fabs(riseK) +
                          (riseK != 0.0 ? 3.0 * std::fabs(correctionK / riseK) : 0.0);
  return {t0 + riseK + correctionK, leakageJ, std::fabs(correctionK) * relative};
}

// Step-size control: a rejected step shrinks by the cube root of tolerance over error (the error
// of a short step grows at least as its cube), by 0.2 at most; after an accepted step the next may
// grow by the same rule, up to 5 times.
double stepFactor(double errorK, double toleranceK) {
  if (!(errorK > 0.0)) return 5.0;  // also NaN: handled by the caller's minimum step
  return std::clamp(0.9 * std::cbrt(toleranceK / errorK), 0.2, 5.0);
}

}  // namespace

ThermalStep stepTemperature(const ZoneSpec& zone, double ambientC, double startC, double otherW,
                            const ZoneLeakage& leakage, double dtS, double toleranceK) {
  ThermalStep out{startC, startC, 0.0, 0};
  if (!(dtS > 0.0)) return out;
  const Stretch s{1.0 / zone.rThKPerW, zone.cThJPerK, ambientC, otherW, leakage};
  const double minStepS = kMinStepPerTimeConstant * zone.rThKPerW * zone.cThJPerK;
  double t = startC;
  double leftS = dtS;
  double stepS = dtS;
  while (leftS > 0.0) {
    double slopeWPerK;
    const double leakW = leakage.powerW(t, &slopeWPerK);
    stepS = std::min(stepS, leftS);
    Trial trial = trialStep(s, t, leakW, slopeWPerK, stepS);
    while (!(trial.errorK <= toleranceK) && stepS > minStepS) {
      stepS = std::max(minStepS, stepS * std::min(0.9, stepFactor(trial.errorK, toleranceK)));
      trial = trialStep(s, t, leakW, slopeWPerK, stepS);
    }
    t = trial.endC;
    ++out.substeps;
    if (!std::isfinite(t)) {  // ran away: no finite temperature or energy describes it
      out.endC = out.peakC = out.leakageJ = std::numeric_limits<double>::infinity();
      return out;
    }
    out.leakageJ += trial.leakageJ;
    out.peakC = std::max(out.peakC, t);
    leftS = stepS < leftS ? leftS - stepS : 0.0;
    if (leftS > 0.0) stepS *= stepFactor(trial.errorK, toleranceK);
  }
  out.endC = t;
  return out;
}

}  // namespace qeil::energy
