// The fault-handling pieces of agent/faults.h on their own: the frozen-sensor rule, the thermal
// margin watch and the drift watch.
#include "agent/faults.h"

#include <gtest/gtest.h>

#include <cmath>

#include "hal/clock.h"

namespace qeil {
namespace {

energy::ZoneSpec zone() {
  energy::ZoneSpec z;
  z.rThKPerW = 9.0;
  z.cThJPerK = 4.0;
  return z;
}

TEST(FrozenSensor, AQuietSensorAtSteadyPowerIsNotStuck) {
  FrozenSensorDetector d;
  d.init(zone());
  bool est = true;
  for (int i = 0; i < 200; ++i) {
    const double c = d.update(50.0, true, 3.0, 0.1, &est);
    EXPECT_EQ(c, 50.0);
    EXPECT_FALSE(est) << i;
  }
}

TEST(FrozenSensor, AFrozenReadingUnderAPowerStepIsStuckAndEstimated) {
  FrozenSensorDetector d;
  d.init(zone());
  bool est = false;
  double t = 40.0;
  for (int i = 0; i < 20; ++i) {  // a moving, trusted reading at 1 W
    t += 0.01 * ((i % 2) ? 1 : -1);
    d.update(t, true, 1.0, 0.1, &est);
    EXPECT_FALSE(est);
  }
  // Frozen while the zone's power goes from 1 W to 4 W: the RC node (R 9 K/W, tau 36 s) says
  // +27 K at steady state, 1 K within about 1.4 s.
  int stuckAt = -1;
  double c = t;
  for (int i = 0; i < 100; ++i) {
    c = d.update(t, true, 4.0, 0.1, &est);
    if (est && stuckAt < 0) stuckAt = i;
  }
  ASSERT_GE(stuckAt, FrozenSensorDetector::kMinSamples - 1);
  EXPECT_LT(stuckAt, 30);
  EXPECT_TRUE(d.stuck());
  const double expectC = t + 9.0 * 3.0 * (1.0 - std::exp(-10.0 / 36.0));
  EXPECT_NEAR(c, expectC, 0.5);
  // It moves again: trusted at once.
  c = d.update(t + 3.0, true, 4.0, 0.1, &est);
  EXPECT_FALSE(est);
  EXPECT_EQ(c, t + 3.0);
}

TEST(FrozenSensor, AnUnreadableSensorIsEstimated) {
  FrozenSensorDetector d;
  d.init(zone());
  bool est = false;
  d.update(45.0, true, 2.0, 0.1, &est);
  d.update(45.0, false, 2.0, 0.1, &est);
  EXPECT_TRUE(est);
}

energy::SocSpec twoDeviceSoc() {
  energy::SocSpec soc;
  for (int d = 0; d < 2; ++d) {
    energy::DeviceSpec dev;
    for (int k = 0; k < 4; ++k)
      dev.opps.push_back(energy::Opp{1e9 * (k + 1), 0.8 + 0.1 * k});
    dev.zone = d;
    soc.devices.push_back(dev);
    soc.zones.push_back(energy::ZoneSpec());
  }
  return soc;
}

TEST(ThermalMargin, CapsStepDownInsideTheMarginAndComeBackBelowItsHysteresis) {
  ThermalMarginWatch w;
  std::array<uint32_t, energy::kMaxZones> zoneDevices{};
  zoneDevices[0] = 1u;  // zone 0 cools device 0
  zoneDevices[1] = 2u;
  std::array<double, energy::kMaxZones> passive{};
  passive.fill(NAN);
  passive[0] = 85.0;  // zone 1 has no passive trip
  w.init(twoDeviceSoc(), zoneDevices, passive);
  std::array<int, energy::kMaxDevices> top{};
  top.fill(3);
  double temps[2] = {70.0, 99.0};
  int64_t now = 0;
  EXPECT_FALSE(w.update(temps, 2, top, now));
  EXPECT_EQ(w.cap(0), -1);
  EXPECT_EQ(w.cap(1), -1);  // no passive trip: never capped
  temps[0] = 80.5;          // 85 - 5 K margin crossed
  EXPECT_TRUE(w.update(temps, 2, top, now += 100 * kNsPerMs));
  EXPECT_TRUE(w.inMargin(0));
  EXPECT_EQ(w.cap(0), 2);
  // Still warming: one more step only after kStepMs.
  temps[0] = 81.0;
  EXPECT_FALSE(w.update(temps, 2, top, now += 100 * kNsPerMs));
  EXPECT_TRUE(w.update(temps, 2, top, now += ThermalMarginWatch::kStepMs * kNsPerMs));
  EXPECT_EQ(w.cap(0), 1);
  // Cooling inside the margin: held.
  temps[0] = 80.2;
  EXPECT_FALSE(w.update(temps, 2, top, now += ThermalMarginWatch::kStepMs * kNsPerMs));
  EXPECT_EQ(w.cap(0), 1);
  // Below the margin but within its hysteresis: held; below that, back one step at a time.
  temps[0] = 79.0;
  EXPECT_FALSE(w.update(temps, 2, top, now += ThermalMarginWatch::kStepMs * kNsPerMs));
  temps[0] = 77.0;
  EXPECT_TRUE(w.update(temps, 2, top, now += 100 * kNsPerMs));
  EXPECT_FALSE(w.inMargin(0));
  EXPECT_EQ(w.cap(0), 2);
  EXPECT_TRUE(w.update(temps, 2, top, now += ThermalMarginWatch::kStepMs * kNsPerMs));
  EXPECT_EQ(w.cap(0), -1);  // the top OPP again: no cap
  EXPECT_EQ(w.crossings(), 2u);
}

TEST(DriftWatch, FiresOnceOnALastingOffsetAndAgainWhenItChanges) {
  DriftWatch d;
  int64_t now = 0;
  auto feed = [&](int ticks, double measuredW, double estimatedW) {
    int fired = 0;
    for (int i = 0; i < ticks; ++i)
      fired += d.update(measuredW, estimatedW, now += 100 * kNsPerMs) ? 1 : 0;
    return fired;
  };
  EXPECT_EQ(feed(100, 5.1, 5.0), 0);  // within 25 %
  EXPECT_EQ(feed(DriftWatch::kTicks - 1, 8.0, 5.0), 0);
  EXPECT_EQ(feed(1, 8.0, 5.0), 1);  // 10 ticks 3 W over
  EXPECT_NEAR(d.residualW(), 3.0, 1e-12);
  EXPECT_NEAR(d.acknowledgedOffsetW(), 3.0, 1e-12);
  EXPECT_EQ(feed(600, 8.0, 5.0), 0);  // a lasting offset: a minute, no more re-plans
  EXPECT_EQ(feed(600, 8.5, 6.0), 0);  // another plan, the same offset
  EXPECT_EQ(feed(DriftWatch::kTicks, 11.0, 5.0), 1);  // the offset grew by 3 W
  EXPECT_EQ(feed(DriftWatch::kTicks, 5.0, 5.0), 0);   // back, but within kRepeatMs
  EXPECT_EQ(feed(100, 5.0, 5.0), 1);                  // then it fires on the new agreement
  EXPECT_NEAR(d.acknowledgedOffsetW(), 0.0, 1e-12);
}

}  // namespace
}  // namespace qeil
