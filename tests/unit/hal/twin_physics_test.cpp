// Board twin physics pinned on worked examples: power laws, the two-node thermal step, the
// step_wise governor, the random numbers, and the workload costs and rates.
#include "hal/sim/twin_physics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "hal/sim/twin_workload.h"
#include "tests/unit/hal/twin_rig.h"

namespace qeil {
namespace {

using test::TwinRig;

TEST(TwinPhysics, DynamicPowerIsTheEnergyModelConvention) {
  // 416 uW/MHz/V^2 * 2400 MHz * 1 V^2 = 998.4 mW per fully busy A76 core.
  EXPECT_DOUBLE_EQ(twin::dynamicPowerW(416, 2.4e9, 1.0, 1.0), 0.9984);
  EXPECT_DOUBLE_EQ(twin::dynamicPowerW(416, 2.4e9, 1.0, 0.25), 0.2496);
  EXPECT_NEAR(twin::dynamicPowerW(228, 1.8e9, 0.95, 1.0), 228e-6 * 1800 * 0.9025, 1e-15);
}

TEST(TwinPhysics, BsimLeakageWorkedExample) {
  TwinDevice d;
  d.leakI0A = 200.0;
  d.leakVthV = 0.3;
  d.leakN = 1.5;
  d.leakVthTempCoeffVPerK = 0.001;
  // At T0 (25 C): 1 V * 200 A * exp(-0.3 / (1.5 * 8.617333262e-5 * 298.15)).
  double thermalV = 1.5 * 8.617333262e-5 * 298.15;
  EXPECT_NEAR(twin::bsimLeakageW(d, 1.0, 25.0), 200.0 * std::exp(-0.3 / thermalV), 1e-12);
  // At 85 C: (358.15/298.15)^2 and Vth 60 mV lower.
  double hotV = 1.5 * 8.617333262e-5 * 358.15;
  double hot = 0.9 * 200.0 * std::pow(358.15 / 298.15, 2) * std::exp(-(0.3 - 0.06) / hotV);
  EXPECT_NEAR(twin::bsimLeakageW(d, 0.9, 85.0), hot, 1e-12);
  // Not the model's exponential: the growth per kelvin is not constant.
  double low = std::log(twin::bsimLeakageW(d, 1.0, 35.0) / twin::bsimLeakageW(d, 1.0, 25.0));
  double high = std::log(twin::bsimLeakageW(d, 1.0, 95.0) / twin::bsimLeakageW(d, 1.0, 85.0));
  EXPECT_GT(std::abs(low - high), 0.01);
}

TEST(TwinPhysics, LeakageScaledToTheBoardFilesReference) {
  TwinDevice shape;
  LeakageSpec ref{0.1, 1.0, 25.0, 0.03};
  shape.leakI0A = twin::leakI0ForReference(shape, ref);
  EXPECT_NEAR(twin::bsimLeakageW(shape, 1.0, 25.0), 0.1, 1e-12);
  LeakageSpec hot{0.3, 0.85, 60.0, 0.03};
  shape.leakI0A = twin::leakI0ForReference(shape, hot);
  EXPECT_NEAR(twin::bsimLeakageW(shape, 0.85, 60.0), 0.3, 1e-12);
  EXPECT_EQ(twin::leakI0ForReference(shape, LeakageSpec{0.0, 1.0, 25.0, 0.03}), 0.0);
}

TEST(TwinPhysics, ZoneSettlesAtItsSteadyStateFromAnyStep) {
  TwinZone z;
  z.dieRKPerW = 2.0;
  z.dieCJPerK = 0.5;
  z.sinkRKPerW = 14.0;
  z.sinkCJPerK = 2.0;
  twin::ZoneTemps steady = twin::steadyZone(z, 3.0, 45.0);
  EXPECT_DOUBLE_EQ(steady.sinkC, 45.0 + 3.0 * 14.0);
  EXPECT_DOUBLE_EQ(steady.dieC, 45.0 + 3.0 * 16.0);
  for (double dt : {0.001, 0.1, 10.0}) {  // backward Euler is stable at any step
    twin::ZoneTemps t{45.0, 45.0};
    for (int i = 0; i < static_cast<int>(600.0 / dt); ++i)
      twin::stepZone(z, 3.0, 45.0, dt, &t);
    EXPECT_NEAR(t.dieC, steady.dieC, 1e-3) << dt;
    EXPECT_NEAR(t.sinkC, steady.sinkC, 1e-3) << dt;
  }
  // A fine step follows the fast die node first: after 1 s the die has risen by much more
  // than the package.
  twin::ZoneTemps t{45.0, 45.0};
  for (int i = 0; i < 1000; ++i)
    twin::stepZone(z, 3.0, 45.0, 0.001, &t);
  EXPECT_GT(t.dieC - t.sinkC, 3.0);
  EXPECT_LT(t.sinkC - 45.0, 2.0);
}

TEST(TwinPhysics, LumpedAndPinnedZones) {
  TwinZone lumped;  // no die resistance: one node of C = 1 + 4 J/K behind 10 K/W
  lumped.dieCJPerK = 1.0;
  lumped.sinkRKPerW = 10.0;
  lumped.sinkCJPerK = 4.0;
  twin::ZoneTemps t{25.0, 25.0};
  const double tau = 10.0 * 5.0;
  for (int i = 0; i < 50000; ++i)
    twin::stepZone(lumped, 2.0, 25.0, 0.001, &t);  // one time constant
  EXPECT_NEAR(t.dieC, 25.0 + 20.0 * (1.0 - std::exp(-50.0 / tau)), 0.01);
  EXPECT_DOUBLE_EQ(t.dieC, t.sinkC);
  TwinZone pinned;  // package held at ambient
  pinned.dieRKPerW = 5.0;
  pinned.dieCJPerK = 1.0;
  twin::ZoneTemps p{25.0, 25.0};
  for (int i = 0; i < 100; ++i)
    twin::stepZone(pinned, 2.0, 30.0, 1.0, &p);
  EXPECT_NEAR(p.dieC, 40.0, 1e-6);
  EXPECT_DOUBLE_EQ(p.sinkC, 30.0);
}

TEST(TwinPhysics, StepWiseStepsOncePerPollAndCountsEntries) {
  twin::StepWise g;
  g.maxState = 3;
  EXPECT_FALSE(g.poll(84.9, 85.0, 2.0));
  EXPECT_TRUE(g.poll(85.5, 85.0, 2.0));
  EXPECT_EQ(g.state, 1);
  EXPECT_EQ(g.events, 1u);
  EXPECT_TRUE(g.poll(86.0, 85.0, 2.0));
  EXPECT_TRUE(g.poll(86.0, 85.0, 2.0));
  EXPECT_FALSE(g.poll(90.0, 85.0, 2.0));  // at the deepest state
  EXPECT_EQ(g.state, 3);
  EXPECT_FALSE(g.poll(84.0, 85.0, 2.0));  // inside the hysteresis: hold
  EXPECT_EQ(g.state, 3);
  for (int i = 0; i < 3; ++i)
    EXPECT_TRUE(g.poll(82.0, 85.0, 2.0));
  EXPECT_EQ(g.state, 0);
  EXPECT_EQ(g.events, 1u);  // still one throttling episode
  EXPECT_TRUE(g.poll(86.0, 85.0, 2.0));
  EXPECT_EQ(g.events, 2u);
}

TEST(TwinPhysics, RngIsDeterministicAndNormal) {
  twin::Rng a(42);
  twin::Rng b(42);
  twin::Rng c(43);
  double sum = 0.0;
  double sumSq = 0.0;
  bool differs = false;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    double x = a.gauss();
    ASSERT_EQ(x, b.gauss());
    differs = differs || x != c.gauss();
    sum += x;
    sumSq += x * x;
  }
  EXPECT_TRUE(differs);
  EXPECT_NEAR(sum / n, 0.0, 0.03);
  EXPECT_NEAR(sumSq / n, 1.0, 0.05);
  EXPECT_NE(twin::mixSeed(1, 0), twin::mixSeed(1, 1));
}

// The ambient swings as a sine of the spec's amplitude and period around its base.
TEST(TwinPhysics, AmbientDrifts) {
  BoardSpec spec = test::rk3588TwinSpec();
  spec.twin.ambientDriftC = 2.0;
  spec.twin.ambientPeriodS = 40.0;
  TwinOptions o;
  o.stepUs = 10000;
  TwinRig rig(spec, o);
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  rig.twin->step(10.01);  // the last step starts at 10 s: a quarter period
  EXPECT_NEAR(rig.twin->ambientC(), 27.0, 1e-6);
  rig.twin->step(20.0);
  EXPECT_NEAR(rig.twin->ambientC(), 23.0, 1e-6);
  rig.twin->setAmbientC(45.0);
  rig.twin->step(10.0);
  EXPECT_NEAR(rig.twin->ambientC(), 45.0, 1e-6);
}

// MODEL.md §2 on TinyLlama: decode streams the weights and the KV cache read so far.
TEST(TwinPhysics, PassCostsFollowModelSection2) {
  twin::Workload w;
  w.spec = test::tinyLlama(4, CpuSet());
  const LlmWorkloadSpec& s = w.spec;
  double weights = 1.1e9 * 4.5 / 8.0;
  twin::PassCost prefill = twin::currentPassCost(w);
  EXPECT_DOUBLE_EQ(prefill.flops, 2.0 * 1.1e9 * 64 + 2.0 * 22 * 64.0 * 64 * 256);
  EXPECT_DOUBLE_EQ(prefill.bytes, weights + 2.0 * 22 * 64 * 256 * 2.0);
  w.prefillDone = true;
  w.tokens = 10;
  twin::PassCost decode = twin::currentPassCost(w);
  double ctx = 64 + 10;
  EXPECT_DOUBLE_EQ(decode.flops, 2.0 * 1.1e9 + 4.0 * 22 * ctx * 256);
  EXPECT_DOUBLE_EQ(decode.bytes, weights + 2.0 * 22 * ctx * 256 * 2.0);
  w.tokens = 5000;  // attention spans the KV window at most
  EXPECT_DOUBLE_EQ(twin::currentPassCost(w).bytes, weights + 2.0 * 22 * 2048 * 256 * 2.0);
  EXPECT_EQ(twin::defaultWorkType(s.bitsPerWeight), WorkType::Int8);
  EXPECT_EQ(twin::defaultWorkType(4.0), WorkType::Int4);
  EXPECT_EQ(twin::defaultWorkType(16.0), WorkType::Fp16);
  EXPECT_EQ(twin::defaultWorkType(32.0), WorkType::Fp32);
}

}  // namespace
}  // namespace qeil
