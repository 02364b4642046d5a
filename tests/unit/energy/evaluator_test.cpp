// MODEL.md §3-6 for whole placements: worked examples computed by hand in the comments, the
// infeasibility reasons with their culprits, and properties of the energy equation.
#include "energy/evaluator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "energy/power.h"
#include "energy/thermal.h"
#include "tests/support/alloc_counter.h"

namespace qeil::energy {
namespace {

// A device with round numbers: 2 cores x 4 FP32 FLOP/cycle, so pi = 4 GFLOP/s at 0.5 GHz and
// 8 GFLOP/s at 1 GHz. Dynamic power per core at full activity (C = 500 uW/MHz/V^2):
// 1 GHz, 1.0 V: 500 * 1 * 1000 uW = 0.5 W; 0.5 GHz, 0.8 V: 500 * 0.64 * 500 uW = 0.16 W.
// Leakage 0.2 W at 1.0 V with lambda 0 (temperature-independent, so it integrates by hand):
// 0.16 W at 0.8 V. Idle 0.3 W. It can draw 10 GB/s.
DeviceSpec cpu(int zone) {
  DeviceSpec d;
  d.cores = 2;
  d.flopsPerCycle[static_cast<size_t>(DataType::Fp32)] = 4;
  d.opps.push_back({0.5e9, 0.8});
  d.opps.push_back({1e9, 1.0});
  d.dynCoeff = 500;
  d.leakage = {0.2, 1.0, 0.0, 25.0};
  d.idleW = 0.3;
  d.maxBandwidthBps = 10e9;
  d.zone = zone;
  return d;
}

ZoneSpec zone(double rKPerW, double cJPerK) {
  ZoneSpec z;
  z.rThKPerW = rKPerW;
  z.cThJPerK = cJPerK;
  z.passiveTripC = 85;
  z.criticalTripC = 115;
  return z;
}

// One or two such devices, each in its own zone (R 10 K/W, C 2 J/K: tau 20 s), sharing
// 10 GB/s of DRAM; 8 GB of memory; base 1 W; CPQ off unless a test turns it on.
SocSpec soc(int devices) {
  SocSpec s;
  for (int d = 0; d < devices; ++d) {
    s.devices.push_back(cpu(d));
    s.zones.push_back(zone(10, 2));
  }
  s.dramBandwidthBps = 10e9;
  s.memCapacityBytes = 8e9;
  s.memReservedBytes = 0;
  s.dramJPerByte = 30e-12;
  s.baseW = 1.0;
  s.ambientC = 25;
  s.kappaM = 0;
  return s;
}

// Compute-bound: 8 GFLOP over 0.1 GB (I = 80 FLOP/byte, far above the 0.8 ridge at 8 GFLOP/s
// and 10 GB/s): 1 s at 1 GHz with eta 1. It needs only pi / I = 0.1 GB/s.
Phase prefill(int workload, double footprintBytes = 1e9) {
  Phase p;
  p.workload = workload;
  p.kind = PhaseKind::Prefill;
  p.dtype = DataType::Fp32;
  p.flops = 8e9;
  p.bytes = 1e8;
  p.footprintBytes = footprintBytes;
  return p;
}

// Memory-bound: I = 0.5 FLOP/byte. At 1 GHz it needs pi / I = 16 GB/s, more than the 10 GB/s
// its device can draw: alone A = 0.5 * 10e9 = 5 GFLOP/s, DASI 5 / 8 = 0.625, t = 0.2 s.
Phase decode(int workload, double flops = 1e9, double footprintBytes = 1e9) {
  Phase p = prefill(workload, footprintBytes);
  p.kind = PhaseKind::Decode;
  p.flops = flops;
  p.bytes = 2 * flops;
  return p;
}

struct Case {
  PhaseList phases;
  Placement placement;
  void add(const Phase& p, int device, int opp = 1, int cores = 0) {
    phases.push_back(p);
    placement.push_back({device, opp, cores});
  }
};

Evaluation evaluate(const EnergyModel& model, const Case& c, double horizonS = 0.0) {
  Evaluation e;
  model.evaluate(c.phases, c.placement, horizonS, &e);
  return e;
}

TEST(Evaluator, ComputeBoundPhaseAloneOnOneDevice) {
  EnergyModel model(soc(1));
  model.setEta(0, 0, 0.5);
  Case c;
  c.add(prefill(0), 0);
  const Evaluation e = evaluate(model, c);
  ASSERT_TRUE(e.feasible) << infeasibilityName(e.reason);
  // t = F / (eta * pi) = 8e9 / (0.5 * 8e9) = 2 s.
  EXPECT_NEAR(e.phases[0].startS, 0.0, 1e-12);
  EXPECT_NEAR(e.phases[0].endS, 2.0, 1e-12);
  EXPECT_NEAR(e.makespanS, 2.0, 1e-12);
  EXPECT_NEAR(e.horizonS, 2.0, 1e-12);
  EXPECT_NEAR(e.latencyS[0], 2.0, 1e-12);
  EXPECT_EQ(e.segments, 1);
  EXPECT_NEAR(e.phases[0].dasi, 1.0, 1e-12);
  EXPECT_NEAR(e.phases[0].bandwidthBps, 1e8, 1.0);  // all it asks for: pi / I
  // dyn 2 cores * 0.5 W * DASI 1 = 1 W, leak 0.2 W, idle 0.3 W, for 2 s: 2 + 0.4 + 0.6 J;
  // DRAM 1e8 B * 30 pJ = 0.003 J; base 1 W * 2 s = 2 J. E = 5.003 J.
  EXPECT_NEAR(e.dynamicJ, 2.0, 1e-9);
  EXPECT_NEAR(e.leakageJ, 0.4, 1e-9);
  EXPECT_NEAR(e.idleJ, 0.6, 1e-9);
  EXPECT_NEAR(e.dramJ, 0.003, 1e-12);
  EXPECT_NEAR(e.baseJ, 2.0, 1e-12);
  EXPECT_NEAR(e.energyJ, 5.003, 1e-9);
  EXPECT_NEAR(e.phases[0].energyJ, 2.003, 1e-9);
  // 1.5 W into R 10 K/W, C 2 J/K for 2 s: 25 + 15 (1 - e^-0.1) = 26.427439 C.
  EXPECT_NEAR(e.peakTempC[0], 26.427439, 1e-6);
  EXPECT_NEAR(e.endTempC[0], 26.427439, 1e-6);
  EXPECT_NEAR(e.rho, 0.125, 1e-12);  // 1 GB of 8 GB
  EXPECT_NEAR(e.underUtilisation, 0.0, 1e-12);
}

TEST(Evaluator, MemoryBoundPhasesOnTwoDevicesShareTheDram) {
  EnergyModel model(soc(2));
  Case alone;
  alone.add(decode(0), 0);
  const Evaluation one = evaluate(model, alone);
  ASSERT_TRUE(one.feasible);
  // Alone: 10 GB/s, A = 5 GFLOP/s, 1e9 / 5e9 = 0.2 s.
  EXPECT_NEAR(one.phases[0].endS, 0.2, 1e-12);
  EXPECT_NEAR(one.phases[0].bandwidthBps, 10e9, 1.0);
  EXPECT_NEAR(one.phases[0].dasi, 0.625, 1e-12);

  Case both;
  both.add(decode(0), 0);
  both.add(decode(1), 1);
  const Evaluation two = evaluate(model, both);
  ASSERT_TRUE(two.feasible);
  // Each gets half of 10 GB/s: A = 2.5 GFLOP/s, DASI 0.3125, t = 0.4 s, twice the time alone.
  for (int i = 0; i < 2; ++i) {
    EXPECT_NEAR(two.phases[i].startS, 0.0, 1e-12);
    EXPECT_NEAR(two.phases[i].endS, 0.4, 1e-12);
    EXPECT_NEAR(two.phases[i].bandwidthBps, 5e9, 1.0);
    EXPECT_NEAR(two.phases[i].dasi, 0.3125, 1e-12);
    // Dynamic power follows the activity: 1 W * 0.3125 for 0.4 s = 0.125 J, the same as
    // alone (0.625 W for 0.2 s); plus 2e9 B * 30 pJ = 0.06 J of DRAM.
    EXPECT_NEAR(two.phases[i].energyJ, 0.185, 1e-9);
  }
  EXPECT_NEAR(one.phases[0].energyJ, 0.185, 1e-9);
  EXPECT_EQ(two.segments, 1);
}

TEST(Evaluator, SharesAreReplannedWhenAPhaseEnds) {
  EnergyModel model(soc(2));
  Case c;
  c.add(decode(0, 0.5e9), 0);  // half the work
  c.add(decode(1, 1e9), 1);
  const Evaluation e = evaluate(model, c);
  ASSERT_TRUE(e.feasible);
  // Together each runs at 2.5 GFLOP/s: the short one ends at 0.5e9 / 2.5e9 = 0.2 s, when the
  // long one has 0.5e9 FLOP left; alone it runs at 5 GFLOP/s: 0.1 s more, ending at 0.3 s.
  EXPECT_NEAR(e.phases[0].endS, 0.2, 1e-12);
  EXPECT_NEAR(e.phases[1].endS, 0.3, 1e-12);
  EXPECT_EQ(e.segments, 2);
  // Its means over 0.3 s: beta (5 GB/s * 0.2 + 10 GB/s * 0.1) / 0.3 = 6.6667 GB/s,
  // DASI (0.3125 * 0.2 + 0.625 * 0.1) / 0.3 = 0.416667.
  EXPECT_NEAR(e.phases[1].bandwidthBps, 2e9 / 0.3, 1.0);
  EXPECT_NEAR(e.phases[1].dasi, 0.125 / 0.3, 1e-12);
}

TEST(Evaluator, DecodeWaitsForItsPrefillOnAnotherDevice) {
  EnergyModel model(soc(2));
  Case c;
  c.add(prefill(0), 0);
  c.add(decode(0), 1);
  const Evaluation e = evaluate(model, c);
  ASSERT_TRUE(e.feasible);
  // Prefill [0, 1] on device 0; the decode on the idle device 1 waits, then runs alone 0.2 s.
  EXPECT_NEAR(e.phases[0].endS, 1.0, 1e-12);
  EXPECT_NEAR(e.phases[1].startS, 1.0, 1e-12);
  EXPECT_NEAR(e.phases[1].endS, 1.2, 1e-12);
  EXPECT_NEAR(e.latencyS[0], 1.2, 1e-12);
  EXPECT_EQ(e.segments, 2);
  // Device 0: dyn 1 W * 1 s; leak 0.2 W * 1 s at 1.0 V, then 0.16 W * 0.2 s idle at 0.8 V.
  // Device 1: leak 0.16 W * 1 s idle; then dyn 1 W * 0.625 * 0.2 s = 0.125 J, leak 0.2 * 0.2.
  // dyn 1.125 J; leak 0.2 + 0.032 + 0.16 + 0.04 = 0.432 J; idle 2 * 0.3 W * 1.2 s = 0.72 J;
  // DRAM (1e8 + 2e9) B * 30 pJ = 0.063 J; base 1.2 J. E = 3.54 J.
  EXPECT_NEAR(e.dynamicJ, 1.125, 1e-9);
  EXPECT_NEAR(e.leakageJ, 0.432, 1e-9);
  EXPECT_NEAR(e.idleJ, 0.72, 1e-9);
  EXPECT_NEAR(e.dramJ, 0.063, 1e-12);
  EXPECT_NEAR(e.energyJ, 3.54, 1e-9);
}

TEST(Evaluator, PhasesOnOneDeviceQueueInListOrder) {
  EnergyModel model(soc(2));
  Case c;
  c.add(prefill(0), 0);
  c.add(prefill(1), 0);  // queued behind workload 0's prefill
  c.add(decode(0), 1);   // waits for workload 0's prefill
  c.add(decode(2), 1);   // ready at once, but queued behind that decode on device 1
  const Evaluation e = evaluate(model, c);
  ASSERT_TRUE(e.feasible);
  EXPECT_NEAR(e.phases[0].endS, 1.0, 1e-12);
  EXPECT_NEAR(e.phases[1].startS, 1.0, 1e-12);
  EXPECT_NEAR(e.phases[1].endS, 2.0, 1e-12);
  // From 1 s the decode shares DRAM with the second prefill, which takes only the 0.1 GB/s it
  // needs: caps 0.1 and 10 GB/s of 10 GB/s -> 0.1 and 9.9 GB/s. A = 0.5 * 9.9e9 = 4.95e9,
  // t = 1e9 / 4.95e9 = 0.2020202 s.
  EXPECT_NEAR(e.phases[2].startS, 1.0, 1e-12);
  EXPECT_NEAR(e.phases[2].endS, 1.0 + 1.0 / 4.95, 1e-12);
  EXPECT_NEAR(e.phases[2].bandwidthBps, 9.9e9, 1.0);
  // Then workload 2's decode shares with the prefill until 2 s: again 9.9 GB/s, so its 1e9
  // FLOP take another 0.2020202 s.
  EXPECT_NEAR(e.phases[3].startS, e.phases[2].endS, 1e-12);
  EXPECT_NEAR(e.phases[3].endS, 1.0 + 2.0 / 4.95, 1e-12);
  EXPECT_NEAR(e.latencyS[0], e.phases[2].endS, 1e-12);
  EXPECT_NEAR(e.latencyS[1], 2.0, 1e-12);
  EXPECT_NEAR(e.latencyS[2], e.phases[3].endS, 1e-12);
  EXPECT_LE(e.segments, 4);
}

TEST(Evaluator, MemoryPressureSlowsEveryPhase) {
  SocSpec s = soc(2);
  s.kappaM = 0.05;
  s.memReservedBytes = 2e9;
  EnergyModel model(s);
  Case c;
  c.add(prefill(0, 4e9), 0);
  c.add(decode(0, 1e9, 4e9), 1);
  const Evaluation e = evaluate(model, c);
  ASSERT_TRUE(e.feasible) << infeasibilityName(e.reason);
  // The workload's 4 GB count once: rho = (4 + 2) / 8 = 0.75 (twice would be 1.25, infeasible).
  // CPQ = 0.05 * 0.75 / 0.25 = 0.15: the prefill takes 1.15 s, the decode 0.2 * 1.15 = 0.23 s.
  EXPECT_NEAR(e.rho, 0.75, 1e-12);
  EXPECT_NEAR(e.cpq, 0.15, 1e-12);
  EXPECT_NEAR(e.phases[0].endS, 1.15, 1e-12);
  EXPECT_NEAR(e.phases[1].endS, 1.38, 1e-12);
  // Slower, not busier: the decode's DASI is still 0.625.
  EXPECT_NEAR(e.phases[1].dasi, 0.625, 1e-12);
}

TEST(Evaluator, MemoryAtOrAboveRhoMaxIsInfeasible) {
  SocSpec s = soc(2);
  s.kappaM = 0.05;
  s.memReservedBytes = 1.5e9;
  EnergyModel model(s);
  Case c;
  c.add(prefill(0, 3e9), 0);
  c.add(prefill(1, 3e9), 1);
  // rho = (3 + 3 + 1.5) / 8 = 0.9375 >= 0.92. The numbers are still there: CPQ =
  // 0.05 * 0.9375 / 0.0625 = 0.75, so each prefill takes 1.75 s.
  const Evaluation e = evaluate(model, c);
  EXPECT_FALSE(e.feasible);
  EXPECT_EQ(e.reason, Infeasibility::Memory);
  EXPECT_EQ(e.culprit, -1);
  EXPECT_NEAR(e.rho, 0.9375, 1e-12);
  EXPECT_NEAR(e.makespanS, 1.75, 1e-12);
  EXPECT_GT(e.energyJ, 0.0);
  // Past the pool (rho = 9.5 / 8): no phase can finish, nothing is walked.
  s.memReservedBytes = 3.5e9;
  const Evaluation full = evaluate(EnergyModel(s), c);
  EXPECT_EQ(full.reason, Infeasibility::Memory);
  EXPECT_NEAR(full.rho, 1.1875, 1e-12);
  EXPECT_EQ(full.makespanS, 0.0);
}

TEST(Evaluator, BadPlacementNamesThePhase) {
  EnergyModel model(soc(2));
  auto reasonFor = [&model](PhasePlacement bad, Phase second = decode(0)) {
    Case c;
    c.add(prefill(0), 0);
    c.phases.push_back(second);
    c.placement.push_back(bad);
    return evaluate(model, c);
  };
  for (PhasePlacement bad :
       {PhasePlacement{2, 1, 0}, PhasePlacement{-1, 1, 0}, PhasePlacement{1, 2, 0},
        PhasePlacement{1, -1, 0}, PhasePlacement{1, 1, 3}, PhasePlacement{1, 1, -1}}) {
    const Evaluation e = reasonFor(bad);
    EXPECT_FALSE(e.feasible);
    EXPECT_EQ(e.reason, Infeasibility::BadPlacement);
    EXPECT_EQ(e.culprit, 1) << bad.device << " " << bad.opp << " " << bad.cores;
  }
  Phase int8 = decode(0);
  int8.dtype = DataType::Int8;  // the device declares no INT8 rate
  const Evaluation e = reasonFor({1, 1, 0}, int8);
  EXPECT_EQ(e.reason, Infeasibility::BadPlacement);
  EXPECT_EQ(e.culprit, 1);
  // A placement list shorter than the phases: the first phase without a place is at fault.
  Case c;
  c.add(prefill(0), 0);
  c.phases.push_back(decode(0));
  const Evaluation shortList = evaluate(model, c);
  EXPECT_EQ(shortList.reason, Infeasibility::BadPlacement);
  EXPECT_EQ(shortList.culprit, 1);
  EXPECT_STREQ(infeasibilityName(Infeasibility::BadPlacement), "bad-placement");
}

TEST(Evaluator, PeakAboveThePassiveTripMinusTheMarginIsInfeasible) {
  // The device sits in zone 1 (zone 0 is empty), R 40 K/W, C 0.5 J/K (tau 20 s). Running,
  // it puts 1 + 0.3 + 0.2 = 1.5 W into the zone: T_inf = 25 + 40 * 1.5 = 85 C.
  SocSpec s = soc(1);
  s.devices[0].zone = 1;
  s.zones.push_back(zone(40, 0.5));
  EnergyModel model(s);
  model.setEta(0, 0, 0.5);  // 2 s
  Case c;
  c.add(prefill(0), 0);
  // From 79.8 C: 85 - 5.2 e^-0.1 = 80.295 C > 85 - 5 = 80 C.
  model.setZoneTempC(1, 79.8);
  const Evaluation hot = evaluate(model, c);
  EXPECT_NEAR(hot.peakTempC[1], 85 - 5.2 * std::exp(-0.1), 1e-6);
  EXPECT_FALSE(hot.feasible);
  EXPECT_EQ(hot.reason, Infeasibility::ThermalMargin);
  EXPECT_EQ(hot.culprit, 1);
  EXPECT_NEAR(hot.energyJ, 5.003, 1e-9);  // the numbers are still there (first test's)
  // From 79 C: 85 - 6 e^-0.1 = 79.571 C: within the margin. Its steady state, 85 C, is below
  // the critical trip: no runaway either.
  model.setZoneTempC(1, 79.0);
  const Evaluation ok = evaluate(model, c);
  EXPECT_NEAR(ok.peakTempC[1], 85 - 6 * std::exp(-0.1), 1e-6);
  EXPECT_TRUE(ok.feasible) << infeasibilityName(ok.reason);
  EXPECT_DOUBLE_EQ(ok.peakTempC[0], 25.0);  // nothing in zone 0
}

TEST(Evaluator, ThermalRunawayIsInfeasibleEvenWhenThePeakIsFine) {
  // Zone 1 with a huge capacity (C 1000 J/K): 2 s heat it by hundredths of a kelvin. But its
  // device leaks 1 W * exp(0.05 (T - 25)): at the running segment's 1.3 W, g(T) = T - 25 -
  // 10 (1.3 + exp(0.05 (T - 25))) peaks where 10 * 0.05 * L = 1 (L = 2 W, T = 38.86 C) at
  // 13.86 - 33 = -19.1 < 0: no fixed point, runaway.
  SocSpec s = soc(1);
  s.devices[0].zone = 1;
  s.devices[0].leakage = {1.0, 1.0, 0.05, 25.0};
  s.zones.push_back(zone(10, 1000));
  EnergyModel model(s);
  Case c;
  c.add(prefill(0), 0);
  const Evaluation e = evaluate(model, c);
  EXPECT_LT(e.peakTempC[1], 25.1);
  EXPECT_FALSE(e.feasible);
  EXPECT_EQ(e.reason, Infeasibility::ThermalRunaway);
  EXPECT_EQ(e.culprit, 1);
  EXPECT_GT(e.leakageJ, 1.0);  // about 1 W for 1 s: the numbers are filled in
  // A tenth of the leakage: g peaks where L = 2 W, T = 25 + ln(20) / 0.05 = 84.9 C, at
  // 59.9 - 33 = 26.9 > 0, so a stable fixed point lies below it.
  s.devices[0].leakage.refW = 0.1;
  EXPECT_TRUE(evaluate(EnergyModel(s), c).feasible);
}

// The evaluator skips the Newton solve when g(T_crit) > 0 proves a stable fixed point: its
// verdict must be steadyState's on the zone's worst stretch, either way.
TEST(Evaluator, RunawayVerdictIsSteadyStates) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> refW(0.0, 2.0), lambda(0.01, 0.06), r(2, 30),
      coeff(100, 1500);
  int runaways = 0;
  for (int trial = 0; trial < 300; ++trial) {
    SocSpec s = soc(1);
    s.devices[0].leakage = {refW(rng), 1.0, lambda(rng), 25.0};
    s.devices[0].dynCoeff = coeff(rng);
    s.zones[0] = zone(r(rng), 1e6);  // barely warms over the walk: no margin violation
    Case c;
    c.add(prefill(0), 0);
    const Evaluation e = evaluate(EnergyModel(s), c);
    ASSERT_NE(e.reason, Infeasibility::ThermalMargin);
    // The worst stretch is the running one: dyn (2 cores at DASI 1) + idle, leakage at 1.0 V.
    ZoneLeakage leak;
    leak.add(s.devices[0].leakage, 1.0);
    const double runningW = dynamicPowerW(s.devices[0].dynCoeff, {1e9, 1.0}, 2, 1.0) + 0.3;
    const bool expected = steadyState(s.zones[0], 25.0, runningW, leak).runaway;
    EXPECT_EQ(e.reason == Infeasibility::ThermalRunaway, expected) << trial;
    runaways += expected;
  }
  EXPECT_GT(runaways, 30);  // both verdicts are exercised
  EXPECT_LT(runaways, 270);
}

TEST(Evaluator, AZoneRunningAwayWithinTheHorizonIsReported) {
  // The runaway zone of the test above with a small capacity (C 2 J/K) and an hour of
  // horizon: its temperature leaves every bound. The walk must still end with a verdict.
  SocSpec s = soc(1);
  s.devices[0].leakage = {1.0, 1.0, 0.05, 25.0};
  EnergyModel model(s);
  Case c;
  c.add(prefill(0), 0);
  const Evaluation e = evaluate(model, c, 3600.0);
  EXPECT_FALSE(e.feasible);
  EXPECT_EQ(e.reason, Infeasibility::ThermalMargin);  // checked before runaway
  EXPECT_EQ(e.culprit, 0);
  EXPECT_GT(e.peakTempC[0], 80.0);
}

TEST(Evaluator, PowerGatedAcceleratorContributesNothingWhenUnused) {
  SocSpec s = soc(2);
  s.devices[1].alwaysPowered = false;  // an NPU-like device, gated while unused
  s.devices[1].idleW = 0.5;
  Case c;
  c.add(prefill(0), 0);
  const Evaluation gated = evaluate(EnergyModel(s), c);
  const Evaluation alone = evaluate(EnergyModel(soc(1)), c);
  ASSERT_TRUE(gated.feasible);
  EXPECT_NEAR(gated.energyJ, alone.energyJ, 1e-12);
  EXPECT_DOUBLE_EQ(gated.peakTempC[1], 25.0);
  EXPECT_DOUBLE_EQ(gated.endTempC[1], 25.0);
  EXPECT_NEAR(gated.underUtilisation, 0.0, 1e-12);  // only the busy device is powered
  // Kept powered, it idles for the 1 s at 0.5 W plus 0.16 W of leakage at its lowest OPP.
  s.devices[1].alwaysPowered = true;
  const Evaluation on = evaluate(EnergyModel(s), c);
  EXPECT_NEAR(on.energyJ - alone.energyJ, 0.66, 1e-9);
  // Two devices of equal peak, one busy all the makespan: U = 1 - 8 / 16 = 0.5.
  EXPECT_NEAR(on.underUtilisation, 0.5, 1e-12);
}

TEST(Evaluator, EnergyGrowsWithVoltageAtFixedWork) {
  SocSpec s = soc(1);
  s.devices[0].opps.clear();
  s.devices[0].opps.push_back({1e9, 0.9});
  s.devices[0].opps.push_back({1e9, 1.0});  // same clock, more voltage
  s.devices[0].leakage.lambdaPerK = 0.03;
  EnergyModel model(s);
  Case low, high;
  low.add(prefill(0), 0, 0);
  high.add(prefill(0), 0, 1);
  const Evaluation a = evaluate(model, low);
  const Evaluation b = evaluate(model, high);
  EXPECT_DOUBLE_EQ(a.makespanS, b.makespanS);
  EXPECT_NEAR(b.dynamicJ / a.dynamicJ, 1.0 / 0.81, 1e-12);  // V^2
  EXPECT_GT(b.leakageJ, a.leakageJ);
  EXPECT_GT(b.energyJ, a.energyJ);
  EXPECT_GT(b.peakTempC[0], a.peakTempC[0]);
}

TEST(Evaluator, MemoryBoundPhaseDoesNotSpeedUpPastTheRidgeButBurnsMore) {
  // OPPs 1 GHz / 0.8 V and 2 GHz / 1.0 V: pi 8 and 16 GFLOP/s, both past the decode's ridge
  // (I * beta = 0.5 * 10 GB/s = 5 GFLOP/s), so both run at 5 GFLOP/s: 0.2 s.
  SocSpec s = soc(1);
  s.devices[0].opps.clear();
  s.devices[0].opps.push_back({1e9, 0.8});
  s.devices[0].opps.push_back({2e9, 1.0});
  EnergyModel model(s);
  Case slow, fast;
  slow.add(decode(0), 0, 0);
  fast.add(decode(0), 0, 1);
  const Evaluation a = evaluate(model, slow);
  const Evaluation b = evaluate(model, fast);
  EXPECT_NEAR(a.makespanS, 0.2, 1e-12);
  EXPECT_NEAR(b.makespanS, 0.2, 1e-12);
  // Dynamic power C V^2 f cores u: f u is the same (u = A / pi), so it scales with V^2:
  // 2 * 0.32 W * 0.625 = 0.4 W against 2 * 1.0 W * 0.3125 = 0.625 W.
  EXPECT_NEAR(a.dynamicJ, 0.4 * 0.2, 1e-12);
  EXPECT_NEAR(b.dynamicJ, 0.625 * 0.2, 1e-12);
  EXPECT_GT(b.energyJ, a.energyJ);
}

TEST(Evaluator, LeakageRaisesThePeakTemperature) {
  SocSpec s = soc(1);
  s.devices[0].leakage = {0.0, 1.0, 0.04, 25.0};
  Case c;
  c.add(prefill(0), 0);
  const Evaluation none = evaluate(EnergyModel(s), c);
  s.devices[0].leakage.refW = 0.5;
  const Evaluation leaky = evaluate(EnergyModel(s), c);
  EXPECT_DOUBLE_EQ(none.leakageJ, 0.0);
  // Without leakage 1.3 W for 1 s: 25 + 13 (1 - e^-0.05) = 25.634 C.
  EXPECT_NEAR(none.peakTempC[0], 25 + 13 * (1 - std::exp(-0.05)), 1e-9);
  EXPECT_GT(leaky.peakTempC[0], none.peakTempC[0]);
  EXPECT_GT(leaky.leakageJ, 0.5);  // 0.5 W at 25 C, growing as it warms
}

TEST(Evaluator, HorizonPastTheMakespanAddsIdleAndBaseEnergy) {
  EnergyModel model(soc(1));
  Case c;
  c.add(prefill(0), 0);
  const Evaluation shortH = evaluate(model, c, 0.5);  // shorter than the makespan: 1 s
  const Evaluation longH = evaluate(model, c, 11.0);
  EXPECT_NEAR(shortH.horizonS, 1.0, 1e-12);
  EXPECT_NEAR(longH.horizonS, 11.0, 1e-12);
  EXPECT_NEAR(longH.makespanS, 1.0, 1e-12);
  // 10 s more of idle 0.3 W, leakage 0.16 W at the lowest OPP and base 1 W: 14.6 J.
  EXPECT_NEAR(longH.energyJ - shortH.energyJ, 14.6, 1e-9);
  EXPECT_NEAR(longH.dynamicJ, shortH.dynamicJ, 1e-12);
  EXPECT_NEAR(longH.baseJ, 11.0, 1e-12);
}

TEST(Evaluator, AZoneTemperatureDependsOnlyOnItsOwnPowerHistory) {
  SocSpec s = soc(2);
  s.devices[0].leakage.lambdaPerK = 0.03;
  EnergyModel model(s);
  Case alone;
  alone.add(prefill(0), 0);
  Case busy = alone;
  busy.add(decode(1), 1);  // ends at 0.2 s in the other zone, splitting the walk there
  const Evaluation a = evaluate(model, alone, 10.0);
  const Evaluation b = evaluate(model, busy, 10.0);
  ASSERT_EQ(b.segments, 2);
  // The prefill needs only 0.1 GB/s and gets it either way, so zone 0 sees the same power and
  // is integrated over the same stretches: [0, 1] running, [1, 10] idle.
  EXPECT_DOUBLE_EQ(a.peakTempC[0], b.peakTempC[0]);
  EXPECT_DOUBLE_EQ(a.endTempC[0], b.endTempC[0]);
  EXPECT_GT(b.peakTempC[1], a.peakTempC[1]);
}

// The zone transient bounds each step's error by 0.02 K: check a hot, leaky transient against a
// fine explicit integration of the same power history.
TEST(Evaluator, ZoneTransientMatchesAFineIntegration) {
  // Zone R 22 K/W, C 2.2 J/K (tau 48.4 s) from 40 C; leakage 0.25 W at 25 C and 1.0 V, lambda
  // 0.035/K. A 120 s compute-bound phase at 1 GHz (eta 1/120): dyn 1 W + idle 0.3 W; then idle
  // (0.3 W, leakage at 0.8 V) to a 300 s horizon. It peaks near 73.6 C, leakage near 1 W.
  SocSpec s = soc(1);
  s.zones[0] = zone(22, 2.2);
  s.devices[0].leakage = {0.25, 1.0, 0.035, 25.0};
  EnergyModel model(s);
  model.setEta(0, 0, 1.0 / 120);
  model.setZoneTempC(0, 40);
  Case c;
  c.add(prefill(0), 0);
  const Evaluation e = evaluate(model, c, 300.0);
  ASSERT_NEAR(e.makespanS, 120.0, 1e-9);
  // Reference: explicit Euler with 1 ms steps over the same history.
  double t = 40.0, peak = 40.0, leakJ = 0.0;
  for (int i = 0; i < 300000; ++i) {
    const bool running = i < 120000;
    const double leakW = 0.25 * (running ? 1.0 : 0.8) * std::exp(0.035 * (t - 25));
    leakJ += leakW * 1e-3;
    t += 1e-3 * ((running ? 1.3 : 0.3) + leakW - (t - 25) / 22) / 2.2;
    peak = std::max(peak, t);
  }
  EXPECT_GT(peak, 73.0);
  // Measured: 0.0003 K at the peak, 0.0001 K at the end, 0.002 % of the leakage energy (the
  // reference's own error is of the order of 1e-4 K).
  EXPECT_NEAR(e.peakTempC[0], peak, 0.005);
  EXPECT_NEAR(e.endTempC[0], t, 0.005);
  EXPECT_NEAR(e.leakageJ, leakJ, 0.0002 * leakJ);
}

TEST(Evaluator, ZoneStartTemperatureDefaultsToTheAmbientOfTheDay) {
  EnergyModel model(soc(1));
  model.setAmbientC(35);
  Case c;
  c.add(prefill(0), 0);
  // 35 + 15 (1 - e^-0.05) with 1.5 W for 1 s.
  EXPECT_NEAR(evaluate(model, c).peakTempC[0], 35 + 15 * (1 - std::exp(-0.05)), 1e-9);
}

TEST(Evaluator, EtaTableStartsFromTheBoardFile) {
  SocSpec s = soc(2);
  s.devices[1].defaultEta = 0.8;
  EnergyModel model(s);
  EXPECT_DOUBLE_EQ(model.eta(0, 3), 1.0);
  EXPECT_DOUBLE_EQ(model.eta(1, 15), 0.8);
  model.setEta(1, 15, 0.6);
  EXPECT_DOUBLE_EQ(model.eta(1, 15), 0.6);
  EXPECT_DOUBLE_EQ(model.eta(1, 14), 0.8);
}

// Random placements of random phases keep the walk's invariants.
TEST(Evaluator, RandomPlacementsKeepTheScheduleInvariants) {
  SocSpec s = soc(2);
  s.devices.push_back(cpu(0));
  s.devices.back().alwaysPowered = false;
  s.devices[0].leakage.lambdaPerK = 0.03;
  s.memCapacityBytes = 64e9;
  EnergyModel model(s);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> device(0, 2), opp(0, 1), cores(0, 2), workloads(1, 8);
  std::uniform_real_distribution<double> work(0.1e9, 4e9);
  for (int trial = 0; trial < 200; ++trial) {
    Case c;
    const int n = workloads(rng);
    for (int w = 0; w < n; ++w) {
      Phase p = prefill(w);
      p.flops = work(rng);
      c.add(p, device(rng), opp(rng), cores(rng));
      c.add(decode(w, work(rng)), device(rng), opp(rng), cores(rng));
    }
    const Evaluation e = evaluate(model, c);
    ASSERT_NE(e.reason, Infeasibility::BadPlacement);
    EXPECT_LE(e.segments, static_cast<int>(c.phases.size()));
    double makespan = 0.0;
    for (size_t i = 0; i < c.phases.size(); ++i) {
      const PhaseResult& r = e.phases[i];
      EXPECT_GT(r.endS, r.startS);
      makespan = std::max(makespan, r.endS);
      if (c.phases[i].kind == PhaseKind::Decode) {
        EXPECT_GE(r.startS, e.phases[i - 1].endS);
      }
      for (size_t j = 0; j < i; ++j) {  // one phase at a time per device, in list order
        if (c.placement[j].device == c.placement[i].device) {
          EXPECT_GE(r.startS, e.phases[j].endS);
        }
      }
    }
    EXPECT_NEAR(e.makespanS, makespan, 1e-12);
    EXPECT_NEAR(e.energyJ, e.dynamicJ + e.leakageJ + e.idleJ + e.dramJ + e.baseJ, 1e-9);
    EXPECT_GE(e.underUtilisation, 0.0);
    EXPECT_LE(e.underUtilisation, 1.0);
  }
}

TEST(Evaluator, EvaluateDoesNotAllocate) {
  SocSpec s = soc(2);
  s.devices[0].leakage.lambdaPerK = 0.03;
  s.memCapacityBytes = 64e9;
  EnergyModel model(s);
  Case c;
  for (int w = 0; w < 8; ++w) {
    c.add(prefill(w), w % 2);
    c.add(decode(w), (w + 1) % 2);
  }
  Evaluation e;
  test::AllocationScope scope;
  for (int i = 0; i < 10; ++i)
    model.evaluate(c.phases, c.placement, 30.0, &e);
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_TRUE(e.feasible) << infeasibilityName(e.reason);
}

}  // namespace
}  // namespace qeil::energy
