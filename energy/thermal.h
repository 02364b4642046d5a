#pragma once

#include "energy/soc.h"
#include "hal/fixed_vector.h"

namespace qeil::energy {

// MODEL.md §5: the leakage of every device in one thermal zone, at their present voltages:
// L(T) = sum_i a_i * exp(lambda_i * (T - T0_i)), a_i = P_leak0_i * V_i / V_nom_i. Devices with
// the same lambda and T0 share a term (one exponential for all of them). The exponentials are
// fastExp's (energy/fast_exp.h, within an ulp of e^x).
class ZoneLeakage {
 public:
  void clear() {
    terms_.clear();
    maxLambdaPerK_ = 0.0;
  }
  void add(const LeakageParams& leak, double voltV);
  int size() const { return static_cast<int>(terms_.size()); }
  double powerW(double tempC) const;
  double slopeWPerK(double tempC) const;  // dL/dT
  // Both at once, one exp per term: the same values as powerW() and slopeWPerK().
  double powerW(double tempC, double* slopeWPerK) const;
  double maxLambdaPerK() const { return maxLambdaPerK_; }  // 0 with no term

  // The factors exp(lambda_i * (T - T0_i)), one per term: what L(T) is made of, whatever the
  // voltages. From them, power and slope cost no exponential; the transient carries them from
  // one stretch of a zone to the next.
  void factors(double tempC, double* factors) const;
  double powerW(const double* factors, double* slopeWPerK) const;
  // Moves factors taken at T to T + dTK.
  void shiftFactors(double dTK, double* factors) const;

  struct Term {
    double coeffW;  // a_i
    double lambdaPerK;
    double refTempC;
  };
  const Term* terms() const { return terms_.data(); }

 private:
  FixedVector<Term, kMaxDevices> terms_;
  double maxLambdaPerK_ = 0.0;
};

struct SteadyState {
  bool runaway = false;  // no stable fixed point below the critical trip
  double tempC = 0.0;    // the stable fixed point (when not runaway)
};

// MODEL.md §5 thermal fixed point: T = T_amb + R_th * (P + L(T)), P being the zone's power other
// than leakage. The stable root is the one where R_th * dL/dT < 1; when that never holds before
// the root, or the root lies above the critical trip, the zone runs away.
SteadyState steadyState(const ZoneSpec& zone, double ambientC, double otherW,
                        const ZoneLeakage& leakage);

struct ThermalStep {
  double endC = 0.0;
  double peakC = 0.0;     // the highest temperature during the step
  double leakageJ = 0.0;  // leakage energy over the step
  int substeps = 0;       // accepted steps of the integrator (1 unless a hot transient)
};

// MODEL.md §5 transient: C_th dT/dt = P + L(T) - (T - T_amb) / R_th over `dtS` with P constant.
// A zone's temperature is monotone over such a stretch (the equation is autonomous and first
// order), so the peak is at one end. Each step solves the equation exactly with L linearised at
// the step's start, then corrects for L's curvature: the residual L(T) - linearisation, fitted
// as c (T - T_start)^2 through the predicted end, is carried through the same exponential
// response. The size of that correction bounds the step's remaining error; a step whose bound
// exceeds `toleranceK` is shortened, so a stretch takes one step unless it is a hot transient.
// The leakage energy is as accurate as the temperatures: within toleranceK * (C + dtS / R)
// joules per step. A zone that runs away to infinity within the stretch ends at +infinity with
// infinite leakage energy.
// `factors`, when given, holds leakage.factors(startC) on entry and leakage.factors(endC) on
// return, so a caller integrating a zone stretch after stretch (same terms, voltages free to
// change) spares an exponential per stretch.
ThermalStep stepTemperature(const ZoneSpec& zone, double ambientC, double startC, double otherW,
                            const ZoneLeakage& leakage, double dtS, double toleranceK,
                            double* factors = nullptr);

}  // namespace qeil::energy
