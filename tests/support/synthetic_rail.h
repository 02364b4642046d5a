#pragma once

// A synthetic joint power rail for MODEL.md §7's calibration: known "true" coefficients, a board
// file that is 20-60 % off, varied operation that heats each device's zone, and the readings an
// INA226 would give. Shared by tests/unit/energy/calibration_test.cpp and bench/calibration_fit.

#include <array>
#include <cstdint>
#include <initializer_list>
#include <random>

#include "energy/calibration.h"
#include "energy/soc.h"

namespace qeil::energy::synthetic {

double relErr(double fitted, double truth);
double quantise(double v, double lsb);
DeviceSpec device(const char* name, int cores, double dynCoeff, LeakageParams leak, double idleW,
                  std::initializer_list<Opp> opps);

// An INA226 on a 10 mOhm shunt of a 5 V rail, 1.1 ms conversions averaged 16 times. Per
// conversion we assume 5 uV (shunt) and 1 mV (bus) of Gaussian noise, so the averaged result
// carries a quarter of it; then the register LSBs: 2.5 uV shunt, 1.25 mV bus. The driver
// computes P = V_bus * V_shunt / R: steps of 1.25 mW at 5 V.
class Ina226 {
 public:
  explicit Ina226(uint64_t seed) : rng_(seed) {}
  double powerW(double trueW);

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<double> gauss_{0.0, 1.0};
};

// A Jetson Orin Nano-like VDD_CPU_GPU_CV rail: a 6-core CPU cluster and an 8-SM GPU. `truth`
// holds the real coefficients; `board` the board file's, each off by 20-60 %.
struct JetsonRail {
  SocSpec truth;
  SocSpec board;
  double idleW = 0.45;  // true rail constant; the board says 0.3 + 0.3
  JetsonRail();
  double powerW(const std::array<RailDeviceSample, 2>& s) const;
};

// Varied operation: every 10 samples each device takes a random OPP, core count and activity
// (with jitter per sample). Each device heats its own zone through an RC node (tau 40 samples,
// 12 K/W for the CPU, 8 K/W for the GPU, from its board dynamic power plus 0.5 W), over an
// ambient swinging 25..35 C: temperatures range about 30..75 C and move within every window.
class Workload {
 public:
  explicit Workload(uint64_t seed) : rng_(seed) {}
  std::array<RailDeviceSample, 2> next(const SocSpec& soc);

 private:
  std::mt19937_64 rng_;
  std::normal_distribution<double> jitter_{0.0, 0.03};
  long k_ = 0;
  std::array<size_t, 2> opp_{};
  std::array<int, 2> cores_{};
  std::array<double, 2> u_{};
  std::array<double, 2> tempC_{40.0, 40.0};
};

// The largest relative error seen so far per fitted coefficient of a JetsonRail fit.
struct RailErrors {
  double cpuDyn = 0, cpuLeak = 0, gpuDyn = 0, gpuLeak = 0, idle = 0;
  double max() const;
  void take(const RailFit& fit, const JetsonRail& rail);
};

}  // namespace qeil::energy::synthetic
