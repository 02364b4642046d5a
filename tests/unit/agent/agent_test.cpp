// The daemon core on the rk3588 twin (and the mini board's shared INA3221): one monitor per
// chip, rails and energy against the twin's truth, the telemetry ring, no allocation in the
// steady-state tick, journal restore on exit and recovery after a crash.
#include "agent/agent.h"

#include <gtest/gtest.h>

#include <cmath>

#include "agent/board_hal.h"
#include "tests/support/alloc_counter.h"
#include "tests/unit/agent/agent_fixture.h"
#include "tests/unit/agent/board_fixture.h"

namespace qeil {
namespace {

TEST(BoardHal, RailsOnOneChipShareAMonitor) {
  Result<BoardSpec> b = loadBoardText(test::miniBoard(), "mini.cfg");
  ASSERT_TRUE(b.ok()) << b.error().message();
  MonitorPlan plan = planMonitors(b.value());
  ASSERT_EQ(plan.rails.size(), 3u);
  ASSERT_EQ(plan.specs.size(), 2u);  // the INA3221 on I2C, the hwmon chip
  EXPECT_EQ(plan.rails[0].monitor, 0);
  EXPECT_EQ(plan.rails[0].channel, 0);
  EXPECT_EQ(plan.rails[1].monitor, 0);
  EXPECT_EQ(plan.rails[1].channel, 1);
  EXPECT_EQ(plan.rails[2].monitor, 1);
  EXPECT_EQ(plan.rails[2].channel, 0);
  EXPECT_TRUE(plan.specs[0].ina.channels[0].enabled);
  EXPECT_TRUE(plan.specs[0].ina.channels[1].enabled);
  EXPECT_FALSE(plan.specs[0].ina.channels[2].enabled);
  EXPECT_DOUBLE_EQ(plan.specs[0].ina.channels[1].shuntOhm, 0.02);
  ASSERT_EQ(plan.specs[1].hwmon.labels.size(), 1u);
  EXPECT_EQ(plan.specs[1].hwmon.labels[0], "VDD_CPU");
}

// Every rail of `board` read through the agent's monitors, against the twin's truth.
// `relTol` and `absTolW` from the chip: an INA3221 at 19 V without averaging resolves ~0.4 W.
void expectRailsMatchTheTwin(const BoardSpec& board, size_t rails, double relTol, double absTolW) {
  test::TempDir dir;
  SimClock clock{0};
  auto twin = BoardTwin::create(board, dir.path(), clock);
  ASSERT_TRUE(twin.ok()) << twin.error().message();
  auto agent = Agent::createOnTwin(board, AgentOptions(), *twin.value(), clock);
  ASSERT_TRUE(agent.ok()) << agent.error().message();
  for (int i = 0; i < 10; ++i)
    agent.value()->tick();
  BoardHal& hal = agent.value()->hal();
  for (size_t r = 0; r < rails; ++r) {
    SCOPED_TRACE(board.rails[r].name);
    const RailState& s = agent.value()->rails()[r];
    ASSERT_TRUE(s.valid) << hal.monitors[hal.rails[r].monitor]->lastError().message();
    double truthW = twin.value()->railPowerW(static_cast<int>(r));
    EXPECT_NEAR(s.powerW, truthW, relTol * truthW + absTolW);
  }
}

// The mini board's INA3221 carries two rails on one monitor; the AGX Orin's hwmon INA3221s
// carry their labelled rails.
TEST(BoardHal, EverySharedChannelReadsItsRail) {
  Result<BoardSpec> mini = loadBoardText(test::miniBoard(), "mini.cfg");
  ASSERT_TRUE(mini.ok()) << mini.error().message();
  // Its hwmon rail gives the twin no shunt value: the two I2C rails.
  expectRailsMatchTheTwin(mini.value(), 2, 0.05, 0.05);
  BoardSpec agx = test::shippedBoard("jetson-agx-orin.cfg");
  ASSERT_GE(agx.rails.size(), 3u);
  expectRailsMatchTheTwin(agx, agx.rails.size(), 0.15, 0.6);
  EXPECT_LT(planMonitors(agx).specs.size(), agx.rails.size());
}

TEST(Agent, RailsAndEnergyFollowTheTwin) {
  test::TwinAgent t("rk3588.cfg");
  ASSERT_TRUE(t.start());
  ASSERT_TRUE(t.twin->addWorkload(test::decodeOn(CpuSet::range(4, 7), 4)).ok());
  Agent& a = *t.agent;
  a.tick();
  ASSERT_TRUE(a.rails()[0].valid);
  const double twinStartJ = t.twin->railEnergyJ(0);
  for (int i = 0; i < 200; ++i)
    a.tick();
  ASSERT_TRUE(a.rails()[0].valid);
  // INA226 at 16 averages: a few power LSBs (25 x 6 A / 32768) and the conversion window.
  EXPECT_NEAR(a.rails()[0].powerW, t.twin->railPowerW(0), 0.02 * t.twin->railPowerW(0) + 0.02);
  EXPECT_GT(a.rails()[0].powerW, 3.0);  // the A76 cores decoding
  const double twinJ = t.twin->railEnergyJ(0) - twinStartJ;
  EXPECT_NEAR(a.rails()[0].energyJ, twinJ, 0.02 * twinJ);
  EXPECT_DOUBLE_EQ(a.boardEnergyJ(), a.rails()[0].energyJ);
  EXPECT_EQ(a.ticks(), 201u);
}

TEST(Agent, RingHoldsEveryTickInOrder) {
  test::TwinAgent t("rk3588.cfg");
  AgentOptions o;
  o.ringSamples = 50;
  o.tickMs = 20;
  ASSERT_TRUE(t.start(o));
  for (int i = 0; i < 80; ++i)
    t.agent->tick();
  const TelemetryRing& ring = t.agent->telemetry();
  ASSERT_EQ(ring.size(), 50u);
  for (size_t i = 1; i < ring.size(); ++i)
    EXPECT_EQ(ring.at(i).timeNs - ring.at(i - 1).timeNs, 20 * kNsPerMs);
  EXPECT_EQ(ring.newest().timeNs, t.clock.nowNs());
  const int big = indexByName(t.board.zones, std::string("bigcore0-thermal"));
  ASSERT_GE(big, 0);
  EXPECT_NEAR(ring.newest().zoneC[big], t.twin->dieTempC(big), 1.0);
  const int a76 = indexByName(t.board.devices, std::string("a76_0"));
  EXPECT_EQ(ring.newest().freqKHz[a76], t.twin->curFreqHz(a76) / 1000);
}

TEST(Agent, SteadyStateTickDoesNotAllocate) {
  test::TwinAgent t("rk3588.cfg");
  ASSERT_TRUE(t.start());
  ASSERT_TRUE(t.twin->addWorkload(test::decodeOn(CpuSet::range(0, 7), 8)).ok());
  for (int i = 0; i < 20; ++i)
    t.agent->tick();  // first conversions, sensors settled
  test::AllocationScope scope;
  for (int i = 0; i < 300; ++i)
    t.agent->tick();
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_EQ(t.agent->ticks(), 320u);
}

// qeild bounds a re-plan by PGSAM's time budget on the monotonic clock, also on a twin; tests
// and benches leave it on the twin's clock, which holds still during the solve (the iteration
// bound ends it, the same inputs give the same plan). 16 workloads: 2000 iterations take far
// longer than the 5 ms budget (about 25 ms on the x86-64 build host).
TEST(Agent, QeildBoundsAReplanByWallTime) {
  for (bool wall : {false, true}) {
    SCOPED_TRACE(wall ? "budget on the monotonic clock" : "budget on the twin's clock");
    test::TwinAgent t("rk3588.cfg");
    AgentOptions o;
    o.planBudgetOnWallClock = wall;
    ASSERT_TRUE(t.start(o));
    LlmWorkloadSpec m = defaultLlmDescriptor();
    m.outputTokens = 1000000;
    for (int i = 0; i < 16; ++i) {
      m.threads = 1 + i % 4;
      ASSERT_TRUE(t.agent->workloads().run({"llm"}, m, "", t.agent->clock().nowNs()).ok());
    }
    t.agent->tick();
    ASSERT_TRUE(t.agent->planner()->hasPlan());
    EXPECT_EQ(t.agent->planner()->plan().stats.timedOut, wall);
  }
}

TEST(Agent, SimLimitStopsTicks) {
  test::TwinAgent t("rk3588.cfg");
  AgentOptions o;
  o.simLimitNs = kNsPerS;
  ASSERT_TRUE(t.start(o));
  for (int i = 0; i < 30; ++i)
    t.agent->tick();
  EXPECT_EQ(t.clock.nowNs(), kNsPerS);
  EXPECT_EQ(t.agent->ticks(), 10u);
}

// The max limit of the first CPU domain, read from the tree.
uint64_t maxLimitHz(Agent& a) {
  return a.hal().domains[0]->maxLimitHz().valueOr(0);
}

TEST(Agent, RestoreUndoesWhatItWrote) {
  test::TwinAgent t("rk3588.cfg");
  ASSERT_TRUE(t.start());
  const uint64_t original = maxLimitHz(*t.agent);
  const FreqTable& table = t.agent->hal().domains[0]->availableHz();
  ASSERT_GT(table.size(), 2u);
  ASSERT_TRUE(t.agent->hal().domains[0]->setMaxLimitHz(table[1]).ok());
  EXPECT_EQ(maxLimitHz(*t.agent), table[1]);
  ASSERT_TRUE(t.agent->restore().ok());
  EXPECT_EQ(maxLimitHz(*t.agent), original);
  EXPECT_EQ(t.agent->journal().size(), 0u);
}

TEST(Agent, NextStartRecoversAfterACrash) {
  test::TwinAgent t("rk3588.cfg");
  AgentOptions o;
  o.journalPath = t.dir.file("settings.journal");
  ASSERT_TRUE(t.start(o));
  const uint64_t original = maxLimitHz(*t.agent);
  const uint64_t lowered = t.agent->hal().domains[0]->availableHz()[0];
  ASSERT_NE(lowered, original);
  ASSERT_TRUE(t.agent->hal().domains[0]->setMaxLimitHz(lowered).ok());
  t.agent.reset();  // killed: nothing restored
  auto again = Agent::createOnTwin(t.board, o, *t.twin, t.clock);
  ASSERT_TRUE(again.ok()) << again.error().message();
  EXPECT_EQ(maxLimitHz(*again.value()), original);
}

TEST(Agent, RefusesABadTickPeriod) {
  test::TwinAgent t("rk3588.cfg");
  AgentOptions o;
  o.tickMs = 0;
  auto made = Agent::createOnTwin(t.board, o, *t.twin, t.clock);
  ASSERT_FALSE(made.ok());
  EXPECT_NE(std::string(made.error().message()).find("tick period"), std::string::npos);
}

}  // namespace
}  // namespace qeil
