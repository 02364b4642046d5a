#pragma once

#include "energy/soc.h"

namespace qeil::energy {

// MODEL.md §5 Phi: the physics of one device's power.

// P_dyn = C * V^2 * f * active_cores * u, C in the Linux EM convention (uW / MHz / V^2). (Inline:
// the evaluator works it out for every phase it places.)
inline double dynamicPowerW(double dynCoeff, const Opp& opp, double activeCores, double activity) {
  constexpr double kWPerUw = 1e-6;
  const double freqMhz = opp.freqHz * 1e-6;
  return dynCoeff * opp.voltV * opp.voltV * freqMhz * kWPerUw * activeCores * activity;
}

// P_leak(T, V) = P_leak0 * (V / V_nom) * exp(lambda * (T - T_0)).
double leakagePowerW(const LeakageParams& leak, double voltV, double tempC);
// Phi = P_dyn / (P_dyn + P_leak): the share of power that does switching work.
double thermalYield(double dynamicW, double leakageW);

}  // namespace qeil::energy
