// Board twin: heat, the kernel's step_wise governor and the critical trip, as the real
// thermal and cpufreq backends see them. The test spec's thermal numbers
// (test::rk3588TwinSpec) put four busy A76s at 2.4 GHz near 93 C at 45 C ambient, above the
// 85 C passive trip, and near 66 C at 25 C ambient.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

#include "hal/linux/cpufreq.h"
#include "hal/linux/thermal.h"
#include "tests/unit/hal/twin_rig.h"

namespace qeil {
namespace {

using test::TwinRig;

// Stock settings: the performance governor, 5 ms physics steps (time constants are seconds).
TwinOptions stock() {
  TwinOptions o;
  o.cpuGovernor = "performance";
  o.stepUs = 5000;
  return o;
}

struct ThermalRun {
  uint64_t events = 0;
  double throttledS = 0.0;
  double maxSensedC = 0.0;
  int coolingState = 0;
  double endFreqHz = 0.0;
};

// Four minutes of `threads` decode threads on the A76s at `ambientC`, read through the
// backends every half second.
ThermalRun sustained(double ambientC, int threads) {
  BoardSpec spec = test::rk3588TwinSpec();
  spec.ambientC = ambientC;
  TwinRig rig(spec, stock());
  ThermalRun run;
  EXPECT_TRUE(rig.ok()) << rig.error.message();
  if (!rig.ok()) return run;
  auto zone = SysfsThermalZone::find(rig.root(), "bigcore0-thermal", rig.clock);
  auto cooling = SysfsCoolingDevice::find(rig.root(), "cpufreq-cpu4", rig.journal);
  auto policy = CpufreqPolicy::find(rig.root(), "policy4", rig.journal, rig.clock);
  EXPECT_TRUE(zone.ok() && cooling.ok() && policy.ok());
  if (!zone.ok() || !cooling.ok() || !policy.ok()) return run;
  LlmWorkloadSpec w = test::tinyLlama(threads, CpuSet::range(4, 3 + threads));
  w.repeat = true;
  EXPECT_TRUE(rig.twin->addWorkload(w).ok());
  for (int i = 0; i < 480; ++i) {
    rig.twin->step(0.5);
    Reading t = zone.value()->readTempC();
    EXPECT_TRUE(t.valid);
    run.maxSensedC = std::max(run.maxSensedC, t.value);
  }
  int zi = rig.twin->zoneIndex("bigcore0-thermal");
  run.events = rig.twin->throttleEvents(zi);
  run.throttledS = rig.twin->throttledS(zi);
  run.coolingState = cooling.value()->curState().valueOr(-1);
  run.endFreqHz = policy.value()->readCurHz().value;
  EXPECT_FALSE(rig.twin->shutDown());
  printf(
      "ambient %.0f C, %d threads: max %.1f C, %llu throttle events, %.0f s throttled, "
      "state %d, %.0f MHz\n",
      ambientC, threads, run.maxSensedC, static_cast<unsigned long long>(run.events),
      run.throttledS, run.coolingState, run.endFreqHz * 1e-6);
  return run;
}

TEST(TwinThermal, SustainedLoadAt45CThrottles) {
  ThermalRun hot = sustained(45.0, 4);
  EXPECT_GE(hot.events, 1u);
  EXPECT_GT(hot.throttledS, 30.0);
  EXPECT_GT(hot.coolingState, 0);  // cpufreq-cpu4's cur_state, as the kernel shows it
  EXPECT_LT(hot.endFreqHz, 2.4e9);
  // The governor holds the zone near its trip instead of letting it run away (read every
  // half second: the poll that crossed the trip may fall between two reads).
  EXPECT_GT(hot.maxSensedC, 83.0);
  EXPECT_LT(hot.maxSensedC, 95.0);
}

TEST(TwinThermal, LightLoadAt25CNeverThrottles) {
  ThermalRun cool = sustained(25.0, 1);
  EXPECT_EQ(cool.events, 0u);
  EXPECT_EQ(cool.throttledS, 0.0);
  EXPECT_EQ(cool.coolingState, 0);
  EXPECT_DOUBLE_EQ(cool.endFreqHz, 2.4e9);
  EXPECT_LT(cool.maxSensedC, 60.0);
}

// The same sustained load at 25 C stays under the trip: the ambient makes the difference.
TEST(TwinThermal, SustainedLoadAt25CStaysBelowTheTrip) {
  ThermalRun mild = sustained(25.0, 4);
  EXPECT_EQ(mild.events, 0u);
  EXPECT_LT(mild.maxSensedC, 85.0);
  EXPECT_GT(mild.maxSensedC, 50.0);
}

// Without a passive trip nothing stops the heat: at the critical trip the board powers off,
// its rails read zero through the INA226 driver and the workload dies.
TEST(TwinThermal, CriticalTripShutsTheBoardDown) {
  BoardSpec spec = test::rk3588TwinSpec();
  spec.ambientC = 45.0;
  for (BoardZone& z : spec.zones) {
    z.trips.erase(std::remove_if(z.trips.begin(), z.trips.end(),
                                 [](const BoardTrip& t) { return t.type == TripType::Passive; }),
                  z.trips.end());
  }
  for (TwinZone& z : spec.twin.zones)
    z.sinkRKPerW *= 2.0;  // a heatsink that fell off
  TwinRig rig(spec, stock());
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto ina = rig.monitor("VIN_5V");
  ASSERT_TRUE(ina && ina->init().ok());
  LlmWorkloadSpec w = test::tinyLlama(4, CpuSet::range(4, 7));
  w.repeat = true;
  auto id = rig.twin->addWorkload(w);
  ASSERT_TRUE(id.ok());
  for (int i = 0; i < 480 && !rig.twin->shutDown(); ++i)
    rig.twin->step(0.5);
  ASSERT_TRUE(rig.twin->shutDown());
  EXPECT_TRUE(rig.twin->shutdownZone() == "bigcore0-thermal" ||
              rig.twin->shutdownZone() == "bigcore2-thermal")
      << rig.twin->shutdownZone();
  EXPECT_EQ(rig.twin->workload(id.value()).state, WorkloadState::Crashed);
  rig.twin->step(0.2);
  ina->sample();
  ASSERT_TRUE(ina->last(0).valid);
  EXPECT_NEAR(ina->last(0).powerW, 0.0, 0.01);
  EXPECT_EQ(rig.twin->throttleEvents(), 0u);
}

}  // namespace
}  // namespace qeil
