#pragma once

// The zone transient's integrator (MODEL.md §5), header-only so that the evaluator's loop over a
// zone's stretches inlines it: stepTemperature() (thermal.h) is its public face. Not part of the
// model's interface.

#include <algorithm>
#include <cmath>
#include <limits>

#include "energy/fast_exp.h"
#include "energy/soc.h"
#include "energy/thermal.h"

namespace qeil::energy::transient {

// e^x and e^x - 1 - x: a leakage term's growth over a step, and its departure from the tangent.
// Below |x| = 1/8 the latter is x^2 times its Taylor series to x^8 (truncation below 4e-16,
// relative), in Estrin's form: cheaper than fastExp, shorter on the temperature's chain of
// dependent operations, and free of the cancellation of e^x - 1 - x. The bench's stretches land
// there nine times in ten.
struct Growth {
  double factor;  // e^x
  double excess;  // e^x - 1 - x
};

inline Growth growth(double x) {
  if (std::fabs(x) < 0.125) {
    const double x2 = x * x;
    const double x4 = x2 * x2;
    const double low = (1.0 / 2 + x * (1.0 / 6)) + x2 * (1.0 / 24 + x * (1.0 / 120));
    const double high = (1.0 / 720 + x * (1.0 / 5040)) + x2 * (1.0 / 40320 + x * (1.0 / 362880));
    const double excess = x2 * (low + x4 * (high + x4 * (1.0 / 3628800)));
    return {1.0 + x + excess, excess};
  }
  const double factor = fastExp(x);
  return {factor, factor - 1.0 - x};
}

// e^x for the small |x| by which a step's correction moves the leakage factors: below 1e-3 four
// Taylor terms are within 1e-17 (relative).
inline double expNearZero(double x) {
  if (std::fabs(x) < 1e-3) return 1.0 + x * (1.0 + x * (0.5 + x * (1.0 / 6 + x * (1.0 / 24))));
  return growth(x).factor;
}

// The shortest step the transient integrator takes, a hundredth of R*C: bounds the work of a
// zone that runs away (its error estimate then never settles).
inline double minStepS(const ZoneSpec& zone) {
  return 0.01 * zone.rThKPerW * zone.cThJPerK;
}

// The exponential integrals of one step of a linear zone, C du/dt = g - b u, as functions of
// z = -b h / C (b the net conductance 1/R - dL/dT, h the step length), with q = e^z:
//   phi1 = (q - 1) / z                          u(h) = g h / C * phi1
//   phi2 = (q - 1 - z) / z^2                    integral of u = g h^2 / C * phi2
//   psi  = (q^2 - 1 - 2 z q) / z^3              the response to an input c u(t)^2
//   chi  = (q^2 / 2 + 2 q - 2 z q - z - 5/2) / z^4   its time integral
// (all four are 1/1!, 1/2!, 1/3, 1/12 at z = 0), and 1 / phi1. The closed forms cancel near
// z = 0, so below |z| = kSeriesBelow their Taylor series take over: the phi to 1e-14, psi and chi
// (which only size the curvature correction) to 1e-12; the closed forms are within 4e-13 and
// 3e-9 there.
constexpr double kSeriesBelow = 0.05;

struct ExpIntegrals {
  double phi1;
  double phi2;
  double psi;
  double chi;
  double invPhi1;
};

inline ExpIntegrals seriesIntegrals(double z) {
  // psi_m = (2^(m+3) - 2 m - 6) / (m+3)!, chi_m = psi_m / (m + 4).
  const double phi1 =
      1 + z * (1. / 2 +
               z * (1. / 6 +
                    z * (1. / 24 +
                         z * (1. / 120 + z * (1. / 720 + z * (1. / 5040 + z * (1. / 40320)))))));
  return {
      phi1,
      1. / 2 +
          z * (1. / 6 + z * (1. / 24 +
                             z * (1. / 120 + z * (1. / 720 + z * (1. / 5040 + z * (1. / 40320)))))),
      1. / 3 + z * (1. / 3 +
                    z * (11. / 60 +
                         z * (13. / 180 + z * (19. / 840 + z * (1. / 168 + z * (247. / 181440)))))),
      1. / 12 +
          z * (1. / 15 +
               z * (11. / 360 +
                    z * (13. / 1260 + z * (19. / 6720 + z * (1. / 1512 + z * (247. / 1814400)))))),
      1.0 / phi1,
  };
}

inline ExpIntegrals closedIntegrals(double z, double q) {  // q = e^z
  const double q2 = q * q;
  const double inv = 1.0 / z;
  const double inv2 = inv * inv;
  return {(q - 1.0) * inv, (q - 1.0 - z) * inv2, (q2 - 1.0 - 2.0 * z * q) * inv2 * inv,
          (0.5 * q2 + 2.0 * q - 2.0 * z * q - z - 2.5) * inv2 * inv2, z / (q - 1.0)};
}

// A stretch's constant inputs (MODEL.md §5).
struct Stretch {
  double invRWPerK;
  double cThJPerK;
  double invCKPerJ;
  double ambientC;
  double otherW;
};

// The leakage as the integrator sees it, L(T) = sum_i a_i f_i(T), f_i = exp(lambda_i (T - T0_i))
// the factors (ZoneLeakage::factors): OneTerm is the common zone (one device, or devices sharing
// lambda and T0), without loops; Terms any list of terms.
struct OneTerm {
  ZoneLeakage::Term term;
  int terms() const { return 1; }
  double maxLambdaPerK() const { return std::fabs(term.lambdaPerK); }
  void factors(double tempC, double* f) const {
    f[0] = fastExp(term.lambdaPerK * (tempC - term.refTempC));
  }
  double powerW(const double* f, double* slopeWPerK) const {
    const double w = term.coeffW * f[0];
    *slopeWPerK = term.lambdaPerK * w;
    return w;
  }
  // L(T + u) minus its tangent at T, from the factors at T; the factors at T + u go to `end`.
  double excessW(const double* f, double riseK, double* end) const {
    const Growth g = growth(term.lambdaPerK * riseK);
    end[0] = f[0] * g.factor;
    return term.coeffW * f[0] * g.excess;
  }
  void shiftFactors(double dTK, double* f) const { f[0] *= expNearZero(term.lambdaPerK * dTK); }
};

struct Terms {
  const ZoneLeakage::Term* term;
  int n;
  double maxLambda;
  int terms() const { return n; }
  double maxLambdaPerK() const { return maxLambda; }
  void factors(double tempC, double* f) const {
    for (int i = 0; i < n; ++i)
      f[i] = fastExp(term[i].lambdaPerK * (tempC - term[i].refTempC));
  }
  double powerW(const double* f, double* slopeWPerK) const {
    double sum = 0.0;
    double slope = 0.0;
    for (int i = 0; i < n; ++i) {
      const double w = term[i].coeffW * f[i];
      sum += w;
      slope += term[i].lambdaPerK * w;
    }
    *slopeWPerK = slope;
    return sum;
  }
  double excessW(const double* f, double riseK, double* end) const {
    double sum = 0.0;
    for (int i = 0; i < n; ++i) {
      const Growth g = growth(term[i].lambdaPerK * riseK);
      end[i] = f[i] * g.factor;
      sum += term[i].coeffW * f[i] * g.excess;
    }
    return sum;
  }
  void shiftFactors(double dTK, double* f) const {
    for (int i = 0; i < n; ++i)
      f[i] *= expNearZero(term[i].lambdaPerK * dTK);
  }
};

struct Trial {
  double endC;
  double leakageJ;
  double errorK;       // bound on the error left after the curvature correction
  double correctionK;  // endC minus the predicted end, where `endFactors` were taken
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
// Leaves the leakage factors at the predicted end in endFactors. Always inlined: a call here
// costs spills of the live doubles around it.
template <class Leakage>
[[gnu::always_inline]] inline Trial trialStep(const Stretch& s, const Leakage& leakage, double t0,
                                              const double* factors, double l0W, double slope0WPerK,
                                              double h, double* endFactors) {
  const double hOverC = h * s.invCKPerJ;
  const double netW = s.otherW + l0W - (t0 - s.ambientC) * s.invRWPerK;
  const double netWPerK = s.invRWPerK - slope0WPerK;
  const double z = -netWPerK * hOverC;
  const ExpIntegrals f =
      std::fabs(z) < kSeriesBelow ? seriesIntegrals(z) : closedIntegrals(z, fastExp(z));
  const double riseK = netW * hOverC * f.phi1;
  const double riseKs = netW * hOverC * h * f.phi2;
  const double residualW = leakage.excessW(factors, riseK, endFactors);
  const double responseKPerW = residualW * hOverC * f.invPhi1 * f.invPhi1;
  const double correctionK = responseKPerW * f.psi;
  const double correctionKs = responseKPerW * h * f.chi;
  // Leakage energy: L(t0) h + L'(t0) integral(u) + integral(c u_lin^2), the last being
  // C v(h) + b integral(v) by v's own equation; L'(t0) + b = 1/R.
  const double leakageJ =
      l0W * h + slope0WPerK * riseKs + s.cThJPerK * correctionK + s.invRWPerK * correctionKs;
  // |v| (lambda |u1| / 4 + 3 |v / u1|); v is 0 where u1 is.
  const double absRiseK = std::fabs(riseK);
  const double errorK = std::fabs(correctionK) * (0.25 * leakage.maxLambdaPerK() * absRiseK) +
                        3.0 * correctionK * correctionK / std::max(absRiseK, 1e-300);
  return {t0 + riseK + correctionK, leakageJ, errorK, correctionK};
}

// Step-size control: a rejected step shrinks by the cube root of tolerance over error (the error
// of a short step grows at least as its cube), by 0.2 at most; after an accepted step the next may
// grow by the same rule, up to 5 times.
inline double stepFactor(double errorK, double toleranceK) {
  if (!(errorK > 0.0)) return 5.0;  // also NaN: handled by the caller's minimum step
  return std::clamp(0.9 * std::cbrt(toleranceK / errorK), 0.2, 5.0);
}

// The whole stretch in one step, when its error bound allows: then `out` and the factors (at
// startC on entry) are those of the end, and it returns true. Otherwise nothing changes and the
// stretch needs integrateInSteps(). Most stretches take one step, so this is the inlined path.
template <class Leakage>
[[gnu::always_inline]] inline bool integrateInOneStep(const Stretch& s, const Leakage& leakage,
                                                      double startC, double dtS, double toleranceK,
                                                      double* factors, ThermalStep* out) {
  double slopeWPerK;
  const double leakW = leakage.powerW(factors, &slopeWPerK);
  double endFactors[kMaxDevices];
  const Trial whole = trialStep(s, leakage, startC, factors, leakW, slopeWPerK, dtS, endFactors);
  if (!(whole.errorK <= toleranceK) || !std::isfinite(whole.endC)) return false;
  leakage.shiftFactors(whole.correctionK, endFactors);
  for (int i = 0; i < leakage.terms(); ++i)
    factors[i] = endFactors[i];
  *out = {whole.endC, std::max(startC, whole.endC), whole.leakageJ, 1};
  return true;
}

// Integrates one stretch (stepTemperature()'s contract) in steps sized by stepFactor(), with
// `factors` the leakage factors at startC on entry, at the end on return.
template <class Leakage>
ThermalStep integrateInSteps(const Stretch& s, const Leakage& leakage, double startC, double dtS,
                             double toleranceK, double minStepS, double* factors) {
  constexpr double kInf = std::numeric_limits<double>::infinity();
  ThermalStep out{startC, startC, 0.0, 0};
  double t = startC;
  double leftS = dtS;
  double stepS = dtS;
  for (;;) {
    double slopeWPerK;
    const double leakW = leakage.powerW(factors, &slopeWPerK);
    double endFactors[kMaxDevices];
    Trial trial = trialStep(s, leakage, t, factors, leakW, slopeWPerK, stepS, endFactors);
    while (!(trial.errorK <= toleranceK) && stepS > minStepS) {
      stepS = std::max(minStepS, stepS * std::min(0.9, stepFactor(trial.errorK, toleranceK)));
      trial = trialStep(s, leakage, t, factors, leakW, slopeWPerK, stepS, endFactors);
    }
    t = trial.endC;
    ++out.substeps;
    if (!std::isfinite(t)) {  // ran away: no finite temperature or energy describes it
      out.endC = out.peakC = out.leakageJ = kInf;
      for (int i = 0; i < leakage.terms(); ++i)
        factors[i] = kInf;
      return out;
    }
    leakage.shiftFactors(trial.correctionK, endFactors);
    for (int i = 0; i < leakage.terms(); ++i)
      factors[i] = endFactors[i];
    out.leakageJ += trial.leakageJ;
    out.peakC = std::max(out.peakC, t);
    leftS = stepS < leftS ? leftS - stepS : 0.0;
    if (!(leftS > 0.0)) break;
    stepS = std::min(leftS, stepS * stepFactor(trial.errorK, toleranceK));
  }
  out.endC = t;
  return out;
}

// Both: one step when it will do, steps otherwise.
template <class Leakage>
ThermalStep integrate(const Stretch& s, const Leakage& leakage, double startC, double dtS,
                      double toleranceK, double minStepS, double* factors) {
  ThermalStep out;
  if (integrateInOneStep(s, leakage, startC, dtS, toleranceK, factors, &out)) return out;
  return integrateInSteps(s, leakage, startC, dtS, toleranceK, minStepS, factors);
}

}  // namespace qeil::energy::transient
