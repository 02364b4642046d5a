#pragma once

#include <cstdint>

#include "hal/board_spec.h"

// The board twin's physics as plain functions: what one device draws, how one thermal zone
// moves, how the kernel's step_wise governor reacts, and the twin's random numbers. The twin
// (hal/sim/twin.h) is the "real" board; these laws are its own and differ on purpose from the
// energy model's (MODEL.md §5), which has to learn the twin as it would learn hardware.
namespace qeil::twin {

constexpr double kT0K = 298.15;                     // the leakage law's reference temperature
constexpr double kZeroCK = 273.15;                  // 0 °C in kelvin
constexpr double kBoltzmannOverQ = 8.617333262e-5;  // k/q, V/K

// Per-core switching power, Linux Energy Model convention: C [uW / MHz / V^2] * f [MHz] * V^2,
// times the fraction of time the core switches (0..1). Watts.
inline double dynamicPowerW(double coeff, double freqHz, double voltV, double activity) {
  return coeff * 1e-6 * (freqHz * 1e-6) * voltV * voltV * activity;
}

// The twin's leakage (TwinDevice, BSIM-style subthreshold conduction), watts:
//   P = V * i0 * (T/T0)^2 * exp(-(Vth - k_vth (T - T0)) / (n k T / q)),  T in kelvin.
double bsimLeakageW(const TwinDevice& d, double voltV, double tempC);

// The i0 that makes the twin's law draw the model's reference leakage (LeakageSpec refW at
// refVoltV and refTempC), keeping the law's shape (Vth, n, k_vth) from `shape`. For devices
// whose twin entry gives no i0 of its own.
double leakI0ForReference(const TwinDevice& shape, const LeakageSpec& ref);

// Two thermal nodes of a zone, the die and the package with its heatsink:
//   C_die dT_die/dt = P - (T_die - T_sink) / R_die
//   C_sink dT_sink/dt = (T_die - T_sink) / R_die - (T_sink - T_amb) / R_sink
// One backward-Euler step of `dtS` with P and T_amb held: unconditionally stable, so the
// twin's step needs no relation to the die's time constant. A node with no heat capacity
// (C = 0) is taken as in equilibrium.
struct ZoneTemps {
  double dieC = 25.0;
  double sinkC = 25.0;
};
void stepZone(const TwinZone& z, double powerW, double ambientC, double dtS, ZoneTemps* t);
// Steady state for constant P and T_amb.
ZoneTemps steadyZone(const TwinZone& z, double powerW, double ambientC);

// The kernel's step_wise governor on one passive trip, simplified to what it does to a
// steadily loaded device: at each poll above the trip the cooling state rises by one (one OPP
// lower on the cooled devices), below trip - hysteresis it falls by one, in between it holds.
struct StepWise {
  int state = 0;  // cooling state: OPP steps below the top
  int maxState = 0;
  uint64_t events = 0;  // transitions from unthrottled into throttled
  // Returns true when the state changed.
  bool poll(double tempC, double tripC, double hystC);
};

// Small deterministic generator (splitmix64 seeding, xoshiro256**) with Gaussian draws
// (Marsaglia polar): identical sequences on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed = 1) { reseed(seed); }
  void reseed(uint64_t seed);
  uint64_t next();
  double uniform();  // [0, 1)
  double gauss();    // standard normal

 private:
  uint64_t s_[4] = {};
  double spare_ = 0.0;
  bool hasSpare_ = false;
};

// A 64-bit mix of a value (splitmix64's finaliser): derives independent seeds from one.
uint64_t mixSeed(uint64_t seed, uint64_t salt);

}  // namespace qeil::twin
