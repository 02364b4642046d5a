#include "hal/sensor_health.h"

#include <gtest/gtest.h>

namespace qeil {
namespace {

TEST(HealthTracker, RepeatedFailuresSendTheSensorBackToProbing) {
  HealthTracker h;  // 3 failures, then probing
  h.onProbe(true, 0);
  EXPECT_EQ(h.stats().state, SensorState::Ok);
  EXPECT_FALSE(h.onReadFailed(1));
  EXPECT_EQ(h.stats().state, SensorState::Failing);
  h.onReadOk();  // one good read clears the run
  EXPECT_FALSE(h.onReadFailed(2));
  EXPECT_FALSE(h.onReadFailed(3));
  EXPECT_TRUE(h.onReadFailed(4));
  EXPECT_EQ(h.stats().state, SensorState::Probing);
  EXPECT_TRUE(h.probeDue(4));
  EXPECT_EQ(h.stats().failures, 4u);
}

TEST(HealthTracker, FailedProbesBackOffDoublingUpToTheCap) {
  HealthTracker h({1, 1 * kNsPerS, 4 * kNsPerS});
  int64_t t = 0;
  h.onProbe(false, t);
  EXPECT_FALSE(h.probeDue(t + kNsPerS - 1));
  EXPECT_TRUE(h.probeDue(t + kNsPerS));
  t += kNsPerS;
  h.onProbe(false, t);  // 2 s
  EXPECT_FALSE(h.probeDue(t + 2 * kNsPerS - 1));
  t += 2 * kNsPerS;
  h.onProbe(false, t);  // 4 s
  t += 4 * kNsPerS;
  h.onProbe(false, t);  // capped at 4 s
  EXPECT_TRUE(h.probeDue(t + 4 * kNsPerS));
  h.onProbe(true, t + 4 * kNsPerS);
  EXPECT_EQ(h.stats().state, SensorState::Ok);
  EXPECT_EQ(h.stats().probes, 5u);
}

TEST(EnergyIntegrator, TrapezoidOverSamples) {
  EnergyIntegrator e;
  e.add(2.0, 0);
  e.add(4.0, 1 * kNsPerS);  // (2+4)/2 * 1 s = 3 J
  e.add(4.0, 3 * kNsPerS);  // 4 W * 2 s = 8 J
  EXPECT_DOUBLE_EQ(e.energyJ(), 11.0);
}

TEST(EnergyIntegrator, LongGapsAreCountedNotBridged) {
  EnergyIntegrator e(5 * kNsPerS);
  e.add(10.0, 0);
  e.add(10.0, 60 * kNsPerS);
  EXPECT_DOUBLE_EQ(e.energyJ(), 0.0);
  EXPECT_EQ(e.uncoveredNs(), 60 * kNsPerS);
}

}  // namespace
}  // namespace qeil
