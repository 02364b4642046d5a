// MODEL.md §1-5, each formula pinned on a worked example computed by hand in the comments.
#include <gtest/gtest.h>

#include <cmath>

#include "energy/cpq.h"
#include "energy/power.h"
#include "energy/roofline.h"
#include "energy/thermal.h"
#include "energy/workload.h"

namespace qeil::energy {
namespace {

// RK3588 A76 pair (board-data.json: 2 cores, DPC 416, 2.4 GHz at 1.0 V); 16 FP32 FLOP/cycle.
DeviceSpec a76Pair() {
  DeviceSpec d;
  d.cores = 2;
  d.flopsPerCycle[static_cast<size_t>(DataType::Fp32)] = 16;
  d.opps.push_back({1.2e9, 0.675});
  d.opps.push_back({2.4e9, 1.0});
  d.dynCoeff = 416;
  return d;
}

TEST(Power, A76CoreAt2400MHzAnd1VoltDissipatesAbout1W) {
  // 416 uW/MHz/V^2 * 1.0^2 V^2 * 2400 MHz = 998400 uW = 0.9984 W per core, fully active.
  EXPECT_NEAR(dynamicPowerW(416, {2.4e9, 1.0}, 1, 1.0), 0.9984, 1e-9);
  // Two cores at half activity: the same 0.9984 W.
  EXPECT_NEAR(dynamicPowerW(416, {2.4e9, 1.0}, 2, 0.5), 0.9984, 1e-9);
  // 1.2 GHz at 0.675 V: 416 * 0.455625 * 1200 uW = 0.22745 W.
  EXPECT_NEAR(dynamicPowerW(416, {1.2e9, 0.675}, 1, 1.0), 0.22745, 1e-5);
}

TEST(Power, LeakageScalesWithVoltageAndGrowsExponentiallyWithTemperature) {
  LeakageParams leak{0.2, 1.0, 0.03, 25.0};
  // 0.2 W * (0.9 / 1.0) * exp(0.03 * 35) = 0.18 * 2.857651 = 0.514377 W.
  EXPECT_NEAR(leakagePowerW(leak, 0.9, 60.0), 0.514377, 1e-6);
  EXPECT_NEAR(leakagePowerW(leak, 1.0, 25.0), 0.2, 1e-12);
  // Doubling every ln(2) / 0.03 = 23.1 K.
  EXPECT_NEAR(leakagePowerW(leak, 1.0, 25.0 + std::log(2.0) / 0.03), 0.4, 1e-9);
}

TEST(Power, ThermalYieldIsTheSwitchingShare) {
  // 1.0 W dynamic and 0.514377 W leakage: Phi = 1 / 1.514377 = 0.66033.
  EXPECT_NEAR(thermalYield(1.0, 0.514377), 0.66033, 1e-5);
  EXPECT_EQ(thermalYield(0.0, 0.0), 0.0);
}

TEST(Roofline, PeakAttainableAndDasi) {
  DeviceSpec d = a76Pair();
  // pi = 2 cores * 16 FLOP/cycle * 2.4e9 Hz = 76.8 GFLOP/s.
  const double pi = peakFlops(d, d.opps[1], 2, DataType::Fp32);
  EXPECT_DOUBLE_EQ(pi, 76.8e9);
  EXPECT_DOUBLE_EQ(peakFlops(d, d.opps[1], 2, DataType::Int8), 0.0);  // not declared
  // GEMV-like, I = 0.5 FLOP/byte at 10 GB/s: A = 5 GFLOP/s, DASI = 5 / 76.8 = 0.0651.
  EXPECT_DOUBLE_EQ(attainableFlops(pi, 0.5, 10e9), 5e9);
  EXPECT_NEAR(dasi(pi, 0.5, 10e9), 0.065104, 1e-6);
  // Ridge point I = pi / beta = 7.68 FLOP/byte: above it the device is compute-bound.
  EXPECT_DOUBLE_EQ(dasi(pi, 64, 10e9), 1.0);
}

TEST(Roofline, PhaseTimeIncludesEfficiencyAndMemoryPressure) {
  // 1 GFLOP at eta 0.5 of 1 GFLOP/s, CPQ 0.1: 1 / 0.5 * 1.1 = 2.2 s.
  EXPECT_NEAR(phaseTimeS(1e9, 0.5, 1e9, 0.1), 2.2, 1e-12);
}

TEST(Roofline, MemoryBoundPhaseDoesNotSpeedUpWithFrequencyPastTheRidge) {
  DeviceSpec d = a76Pair();
  const double intensity = 0.5;  // decode-like
  const double beta = 10e9;
  const double slow = phaseTimeS(
      1e9, 1.0, attainableFlops(peakFlops(d, d.opps[0], 2, DataType::Fp32), intensity, beta), 0.0);
  const double fast = phaseTimeS(
      1e9, 1.0, attainableFlops(peakFlops(d, d.opps[1], 2, DataType::Fp32), intensity, beta), 0.0);
  EXPECT_DOUBLE_EQ(slow, fast);  // both 0.2 s: bandwidth-limited at 1.2 and 2.4 GHz
  // A compute-bound phase (I = 64) halves its time when the clock doubles.
  const double slowC = phaseTimeS(
      1e9, 1.0, attainableFlops(peakFlops(d, d.opps[0], 2, DataType::Fp32), 64, beta), 0.0);
  const double fastC = phaseTimeS(
      1e9, 1.0, attainableFlops(peakFlops(d, d.opps[1], 2, DataType::Fp32), 64, beta), 0.0);
  EXPECT_NEAR(slowC / fastC, 2.0, 1e-12);
}

TEST(Contention, ProcessorSharingIsMaxMinFair) {
  // Caps 2, 10, 10 GB/s sharing 12 GB/s: the small one keeps 2, the others split 10 -> 5 + 5.
  const double caps[] = {2e9, 10e9, 10e9};
  double out[3];
  shareBandwidth(caps, 3, 12e9, out);
  EXPECT_DOUBLE_EQ(out[0], 2e9);
  EXPECT_DOUBLE_EQ(out[1], 5e9);
  EXPECT_DOUBLE_EQ(out[2], 5e9);
  // Enough for everyone: each gets its cap.
  shareBandwidth(caps, 3, 30e9, out);
  EXPECT_DOUBLE_EQ(out[0], 2e9);
  EXPECT_DOUBLE_EQ(out[1], 10e9);
  // Order does not matter: caps 10, 1, 4 of 9 -> 1 first, then 4, then 10 takes the 4 left.
  const double mixed[] = {10e9, 1e9, 4e9};
  shareBandwidth(mixed, 3, 9e9, out);
  EXPECT_DOUBLE_EQ(out[0], 4e9);
  EXPECT_DOUBLE_EQ(out[1], 1e9);
  EXPECT_DOUBLE_EQ(out[2], 4e9);
}

TEST(Cpq, WaitingFactorAndInfeasibilityBound) {
  // 6 GB placed + 1 GB reserved of 8 GB: rho = 0.875; CPQ = 0.05 * 0.875 / 0.125 = 0.35.
  const double rho = memoryPressure(6e9, 1e9, 8e9);
  EXPECT_DOUBLE_EQ(rho, 0.875);
  EXPECT_NEAR(cpq(rho, 0.05), 0.35, 1e-12);
  EXPECT_TRUE(memoryFeasible(rho, 0.92));
  EXPECT_FALSE(memoryFeasible(memoryPressure(6.5e9, 1e9, 8e9), 0.92));  // 0.9375
  EXPECT_TRUE(std::isinf(cpq(1.0, 0.05)));
}

TEST(Workload, PhasesOfATransformerRun) {
  // N = 1e9 at 4 bits: 0.5 GB of weights. KV(c=1024) = 2 * 16 * 1024 * 512 * 2 B = 33554432 B.
  TransformerDesc w;
  w.params = 1e9;
  w.bitsPerWeight = 4;
  w.layers = 16;
  w.kvWidth = 512;
  w.contextTokens = 1024;
  w.promptTokens = 128;
  w.outputTokens = 64;
  w.scratchBytes = 1e8;
  const Phase pre = prefillPhase(w, 3);
  EXPECT_EQ(pre.workload, 3);
  EXPECT_DOUBLE_EQ(pre.flops, 2.56e11);  // 2 * 1e9 * 128
  EXPECT_DOUBLE_EQ(pre.bytes, 5e8);
  EXPECT_DOUBLE_EQ(pre.arithmeticIntensity(), 512);
  EXPECT_DOUBLE_EQ(pre.footprintBytes, 5e8 + 33554432 + 1e8);
  const Phase dec = decodePhase(w, 3);
  // Per token F = 2e9 + 4 * 16 * 1024 * 512 = 2033554432, B = 5e8 + 33554432 = 533554432.
  EXPECT_DOUBLE_EQ(dec.flops, 64 * 2033554432.0);
  EXPECT_DOUBLE_EQ(dec.bytes, 64 * 533554432.0);
  EXPECT_NEAR(dec.arithmeticIntensity(), 3.8113, 1e-4);  // memory-bound on every board
}

ZoneSpec zone(double rKPerW, double cJPerK) {
  ZoneSpec z;
  z.rThKPerW = rKPerW;
  z.cThJPerK = cJPerK;
  z.criticalTripC = 115;
  return z;
}

TEST(Thermal, SteadyStateWithoutLeakageIsAmbientPlusRP) {
  ZoneLeakage none;
  SteadyState s = steadyState(zone(10, 5), 25, 2.0, none);  // 25 + 10 K/W * 2 W = 45 C
  EXPECT_FALSE(s.runaway);
  EXPECT_NEAR(s.tempC, 45.0, 1e-9);
}

TEST(Thermal, LeakageRaisesTheSteadyTemperatureToItsFixedPoint) {
  ZoneLeakage leak;
  leak.add({0.2, 1.0, 0.03, 25.0}, 1.0);
  SteadyState s = steadyState(zone(10, 5), 25, 2.0, leak);
  ASSERT_FALSE(s.runaway);
  EXPECT_GT(s.tempC, 45.0);
  // It is the fixed point of T = 25 + 10 (2 + 0.2 exp(0.03 (T - 25))): at T = 49.124,
  // exp(0.7237) = 2.0620, leakage 0.4124 W, 25 + 10 * 2.4124 = 49.124.
  EXPECT_NEAR(s.tempC, 25 + 10 * (2 + leak.powerW(s.tempC)), 1e-6);
  EXPECT_NEAR(s.tempC, 49.124, 0.001);
  EXPECT_LT(10 * leak.slopeWPerK(s.tempC), 1.0);  // the stable root
}

TEST(Thermal, LeakagePowerAndSlopeAtOnceEqualTheSeparateSums) {
  // Two devices in a zone: 0.2 * 0.9 exp(0.03 (60 - 25)) + 0.1 * 1.0 exp(0.05 (60 - 30))
  // = 0.514377 + 0.448169 W; slope 0.03 * 0.514377 + 0.05 * 0.448169 = 0.037840 W/K.
  ZoneLeakage leak;
  leak.add({0.2, 1.0, 0.03, 25.0}, 0.9);
  leak.add({0.1, 1.0, 0.05, 30.0}, 1.0);
  double slope = 0.0;
  const double power = leak.powerW(60.0, &slope);
  EXPECT_NEAR(power, 0.962546, 1e-6);
  EXPECT_NEAR(slope, 0.037840, 1e-6);
  EXPECT_DOUBLE_EQ(power, leak.powerW(60.0));
  EXPECT_DOUBLE_EQ(slope, leak.slopeWPerK(60.0));
}

TEST(Thermal, RunawayWhenRTimesLeakageSlopeReachesOne) {
  // refW 1 W, lambda 0.05/K, R 10 K/W, P 2 W: g(T) = T - 25 - 10 (2 + exp(0.05 (T - 25))) has
  // no root: its maximum, where R dL/dT = 10 * 0.05 * L = 1 (L = 2 W, T = 38.9 C), is
  // 38.9 - 25 - 10 * 4 = -26 < 0.
  ZoneLeakage leak;
  leak.add({1.0, 1.0, 0.05, 25.0}, 1.0);
  EXPECT_TRUE(steadyState(zone(10, 5), 25, 2.0, leak).runaway);
  // A tenth of the leakage: g(50) = 50 - 25 - 10 (2 + 0.1 exp(1.25)) = 1.5 > 0, so a stable
  // root lies below 50 C, where R dL/dT = 10 * 0.05 * 0.349 = 0.17 < 1.
  ZoneLeakage small;
  small.add({0.1, 1.0, 0.05, 25.0}, 1.0);
  SteadyState s = steadyState(zone(10, 5), 25, 2.0, small);
  ASSERT_FALSE(s.runaway);
  EXPECT_LT(s.tempC, 50.0);
  EXPECT_LT(10 * small.slopeWPerK(s.tempC), 1.0);
}

TEST(Thermal, RunawayWhenTheFixedPointIsAboveTheCriticalTrip) {
  ZoneLeakage none;
  EXPECT_TRUE(steadyState(zone(10, 5), 25, 10.0, none).runaway);  // 125 C > 115 C
}

TEST(Thermal, TransientFollowsTheRcCurve) {
  // No leakage, 2 W into R 10 K/W, C 5 J/K (tau 50 s) from 25 C for 50 s:
  // T = 25 + 20 (1 - e^-1) = 37.642 C.
  ZoneLeakage none;
  ThermalStep s = stepTemperature(zone(10, 5), 25, 25, 2.0, none, 50, 1e9);
  EXPECT_NEAR(s.endC, 25 + 20 * (1 - std::exp(-1.0)), 1e-9);
  EXPECT_DOUBLE_EQ(s.peakC, s.endC);
  EXPECT_DOUBLE_EQ(s.leakageJ, 0.0);
  // Cooling from 60 C with no power: the peak is the start.
  ThermalStep cool = stepTemperature(zone(10, 5), 25, 60, 0.0, none, 10, 1e9);
  EXPECT_DOUBLE_EQ(cool.peakC, 60);
  EXPECT_LT(cool.endC, 60);
}

TEST(Thermal, TransientWithLeakageMatchesAFineIntegration) {
  ZoneLeakage leak;
  leak.add({0.3, 1.0, 0.04, 25.0}, 1.0);
  const ZoneSpec z = zone(8, 6);
  // 30 C to 53.3 C over 120 s (2.5 time constants), leakage 0.3 W to 0.8 W.
  ThermalStep s = stepTemperature(z, 25, 30, 3.0, leak, 120, 0.02);
  // Reference: explicit Euler with 1 ms steps.
  double t = 30, leakJ = 0;
  for (int i = 0; i < 120000; ++i) {
    const double l = leak.powerW(t);
    leakJ += l * 1e-3;
    t += 1e-3 * (3.0 + l - (t - 25) / z.rThKPerW) / z.cThJPerK;
  }
  // Measured: 0.001 K and 0.04 %, in 3 steps. Each step's error is bounded by 0.02 K.
  EXPECT_NEAR(s.endC, t, 0.005);
  EXPECT_DOUBLE_EQ(s.peakC, s.endC);  // monotone
  EXPECT_NEAR(s.leakageJ, leakJ, 0.001 * leakJ);
  EXPECT_LE(s.substeps, 4);
}

// The curvature correction makes a stretch one step unless it is a hot transient: a zone like
// the RK3588's (R 12 K/W, C 4 J/K, 0.15 W of leakage at 25 C) heating for a minute takes one.
TEST(Thermal, TransientTakesOneStepUnlessHot) {
  ZoneLeakage leak;
  leak.add({0.15, 1.0, 0.03, 25.0}, 1.0);
  const ZoneSpec z = zone(12, 4);
  ThermalStep s = stepTemperature(z, 25, 40, 1.5, leak, 60, 0.02);
  EXPECT_EQ(s.substeps, 1);
  double t = 40;
  for (int i = 0; i < 60000; ++i)
    t += 1e-3 * (1.5 + leak.powerW(t) - (t - 25) / z.rThKPerW) / z.cThJPerK;
  EXPECT_NEAR(s.endC, t, 0.005);
  // Cooling back 19 K over five minutes (six time constants) takes a few.
  const ThermalStep cool = stepTemperature(z, 25, s.endC, 0.05, leak, 300, 0.02);
  EXPECT_LE(cool.substeps, 4);
  t = s.endC;
  for (int i = 0; i < 300000; ++i)
    t += 1e-3 * (0.05 + leak.powerW(t) - (t - 25) / z.rThKPerW) / z.cThJPerK;
  EXPECT_NEAR(cool.endC, t, 0.005);
}

// stepTemperature can hand the leakage factors exp(lambda (T - T0)) from one stretch of a zone
// to the next (the evaluator does): the same as working them out afresh, whatever the voltages.
TEST(Thermal, TransientCarriesLeakageFactorsAcrossStretches) {
  const ZoneSpec z = zone(12, 4);
  ZoneLeakage busy, idle;
  busy.add({0.15, 1.0, 0.03, 25.0}, 1.0);
  busy.add({0.1, 0.9, 0.03, 25.0}, 0.9);  // same lambda and T0: one term
  idle.add({0.15, 1.0, 0.03, 25.0}, 0.7);
  idle.add({0.1, 0.9, 0.03, 25.0}, 0.7);
  ASSERT_EQ(busy.size(), 1);
  double factors[kMaxDevices];
  busy.factors(40.0, factors);
  const ThermalStep a = stepTemperature(z, 25, 40, 2.0, busy, 30, 0.02, factors);
  const ThermalStep b = stepTemperature(z, 25, a.endC, 0.3, idle, 200, 0.02, factors);
  const ThermalStep aFresh = stepTemperature(z, 25, 40, 2.0, busy, 30, 0.02);
  const ThermalStep bFresh = stepTemperature(z, 25, aFresh.endC, 0.3, idle, 200, 0.02);
  EXPECT_NEAR(b.endC, bFresh.endC, 1e-12);
  EXPECT_NEAR(a.leakageJ + b.leakageJ, aFresh.leakageJ + bFresh.leakageJ, 1e-12);
  double fresh[kMaxDevices];
  idle.factors(b.endC, fresh);
  EXPECT_NEAR(factors[0], fresh[0], 1e-14 * fresh[0]);
}

TEST(Thermal, TransientOfARunawayZoneEndsAtInfinity) {
  // The runaway zone of RunawayWhenRTimesLeakageSlopeReachesOne, integrated for an hour.
  ZoneLeakage leak;
  leak.add({1.0, 1.0, 0.05, 25.0}, 1.0);
  ThermalStep s = stepTemperature(zone(10, 5), 25, 25, 2.0, leak, 3600, 0.02);
  EXPECT_TRUE(std::isinf(s.endC));
  EXPECT_TRUE(std::isinf(s.peakC));
  EXPECT_TRUE(std::isinf(s.leakageJ));
  EXPECT_LT(s.substeps, 10000);  // the minimum step (R C / 100) bounds the work
}

}  // namespace
}  // namespace qeil::energy
