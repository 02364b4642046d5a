// The agent's fault handling on the rk3588 twin, tick by tick (no threads): a rail whose INA
// NACKs is estimated by the model and measured again when it answers; a frozen zone sensor is
// estimated; a CPU cluster going offline and a lost accelerator leave the plan in the tick that
// sees them; a crashed twin workload restarts in that tick for the tokens it had left.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "agent/agent.h"
#include "tests/support/alloc_counter.h"
#include "tests/unit/agent/agent_fixture.h"

namespace qeil {
namespace {

class AgentFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    AgentOptions o;
    o.speed = 0.0;
    ASSERT_TRUE(t_.start(o));
  }
  Agent& agent() { return *t_.agent; }
  void ticks(int n) {
    for (int i = 0; i < n; ++i)
      agent().tick();
  }
  int run(const char* name, int threads, const char* device = "") {
    LlmWorkloadSpec m = defaultLlmDescriptor();
    m.outputTokens = 1000000;
    m.threads = threads;
    auto id = agent().workloads().run({name}, m, device, agent().clock().nowNs());
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().message());
    return id.ok() ? id.value() : -1;
  }
  const WorkloadEntry& entry(int id) { return *agent().workloads().find(id); }
  int deviceIndex(const std::string& name) { return indexByName(t_.board.devices, name); }

  test::TwinAgent t_{"rk3588.cfg"};
};

TEST_F(AgentFaults, ANackingRailIsEstimatedThenMeasuredAgain) {
  run("llm", 4);
  ticks(50);
  ASSERT_FALSE(agent().rails()[0].estimated);
  const double measuredW = agent().rails()[0].powerW;
  const uint64_t faults = agent().faultEvents();
  ASSERT_TRUE(t_.twin->setRailNack("VIN_5V", true).ok());
  agent().tick();
  const RailState& r = agent().rails()[0];
  EXPECT_TRUE(r.estimated);
  EXPECT_TRUE(r.valid);
  // The model's estimate of the same board, same load: within 40 % of what was measured (no
  // VRM loss or DRAM traffic in the estimate).
  EXPECT_NEAR(r.powerW, measuredW, 0.4 * measuredW);
  EXPECT_GT(agent().faultEvents(), faults);
  EXPECT_EQ(agent().lastTrigger(), ReplanTrigger::Fault);
  EXPECT_GT(agent().boardEnergyJ(), 0.0);
  // Re-probed with backoff: 30 s of NACKs cost far fewer probes than 300 ticks.
  const PowerMonitor& monitor = *agent().hal().monitors[0];
  const uint64_t probes = monitor.health().probes;
  ticks(300);
  EXPECT_TRUE(agent().rails()[0].estimated);
  EXPECT_LT(monitor.health().probes - probes, 15u);
  ASSERT_TRUE(t_.twin->setRailNack("VIN_5V", false).ok());
  int back = 0;
  while (agent().rails()[0].estimated && back < 400) {  // the backoff is at most 30 s
    agent().tick();
    ++back;
  }
  EXPECT_FALSE(agent().rails()[0].estimated);
  EXPECT_LE(back, 310);
  EXPECT_NEAR(agent().rails()[0].powerW, t_.twin->railPowerW(0), 0.5);
}

// The board draws more than the model says (regulator losses, DRAM): a lasting offset re-plans
// once, not every 10 s. Load the model does not know of (a process qeild does not manage) is
// drift again.
TEST_F(AgentFaults, DriftFiresOnChangeNotOnALastingOffset) {
  run("llm", 2);
  run("llm", 4);
  ticks(300);
  const uint64_t settled = agent().triggerCount(ReplanTrigger::Drift);
  EXPECT_LE(settled, 2u);
  ticks(600);  // a minute of steady state
  EXPECT_EQ(agent().triggerCount(ReplanTrigger::Drift), settled);
  ASSERT_TRUE(t_.twin->addWorkload(test::decodeOn(CpuSet::range(0, 3), 4)).ok());
  ticks(150);
  EXPECT_EQ(agent().triggerCount(ReplanTrigger::Drift), settled + 1);
}

TEST_F(AgentFaults, AFrozenSensorUnderALoadChangeIsEstimated) {
  ticks(30);  // idle board
  // Every device zone's sensor freezes; then a workload arrives and the plan puts it somewhere:
  // that zone's power rises (the model's view), its sensor does not move.
  for (const BoardZone& bz : t_.board.zones)
    ASSERT_TRUE(t_.twin->setSensorStuck(bz.name, true).ok());
  PlanPolicy fast;
  fast.policy = scheduler::Policy::LatencyFirst;
  agent().planner()->setPolicy(fast);
  const int id = run("llm", 4);
  agent().tick();
  const int d = deviceIndex(entry(id).plannedDevice);
  ASSERT_GE(d, 0);
  const int z = indexByName(t_.board.zones, t_.board.devices[static_cast<size_t>(d)].thermalZone);
  ASSERT_GE(z, 0);
  const double frozenC = agent().zones()[static_cast<size_t>(z)].tempC;
  int n = 0;
  // A small accelerator warms its zone slowly (the NPU: a few hundred mW, R C = 40 s): the
  // model's 1 K takes tens of seconds there.
  while (!agent().zones()[static_cast<size_t>(z)].estimated && n < 900) {
    agent().tick();
    ++n;
  }
  ASSERT_TRUE(agent().zones()[static_cast<size_t>(z)].estimated)
      << "not detected in 90 s; planned on " << entry(id).plannedDevice << " " << frozenC << " "
      << agent().zones()[static_cast<size_t>(z)].tempC << " " << t_.twin->dieTempC(z);
  EXPECT_GE(n, FrozenSensorDetector::kMinSamples - 2);
  ticks(100);
  // The estimate follows the heat the sensor no longer shows, towards the twin's truth.
  const double estC = agent().zones()[static_cast<size_t>(z)].tempC;
  const double truthC = t_.twin->dieTempC(z);
  EXPECT_GT(estC, frozenC + 1.0);
  EXPECT_LT(std::fabs(estC - truthC), std::fabs(frozenC - truthC));
  for (const BoardZone& bz : t_.board.zones)
    ASSERT_TRUE(t_.twin->setSensorStuck(bz.name, false).ok());
  ticks(2);
  EXPECT_FALSE(agent().zones()[static_cast<size_t>(z)].estimated);
}

TEST_F(AgentFaults, ACpuClusterGoingOfflineIsLeftInTheSameTick) {
  const int a = run("llm-a", 2);
  const int b = run("llm-b", 2);
  ticks(20);
  ASSERT_TRUE(agent().planner() && agent().planner()->hasPlan());
  // Offline the cluster one of them is planned on (a CPU cluster, not cpu0's).
  int victim = -1;
  for (int id : {a, b}) {
    const int d = deviceIndex(entry(id).plannedDevice);
    if (d >= 0 && t_.board.devices[static_cast<size_t>(d)].kind == HwDeviceKind::Cpu &&
        !t_.board.devices[static_cast<size_t>(d)].cpus.contains(0))
      victim = d;
  }
  if (victim < 0) victim = deviceIndex("a76_1");
  const BoardDevice& dev = t_.board.devices[static_cast<size_t>(victim)];
  for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
    if (dev.cpus.contains(c)) {
      ASSERT_TRUE(t_.twin->setCpuOnline(c, false).ok());
    }
  }
  const uint64_t replans = agent().planner()->replans();
  agent().tick();
  EXPECT_EQ(agent().devices()[static_cast<size_t>(victim)].health,
            scheduler::DeviceHealth::Offline);
  EXPECT_GT(agent().planner()->replans(), replans);
  EXPECT_EQ(agent().lastTrigger(), ReplanTrigger::Fault);
  for (int id : {a, b}) {
    EXPECT_NE(entry(id).plannedDevice, dev.name);
    EXPECT_EQ(entry(id).state, WorkloadState::Running);
  }
  // Back online: available again.
  for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
    if (dev.cpus.contains(c)) {
      ASSERT_TRUE(t_.twin->setCpuOnline(c, true).ok());
    }
  }
  agent().tick();
  EXPECT_EQ(agent().devices()[static_cast<size_t>(victim)].health, scheduler::DeviceHealth::Ok);
}

TEST_F(AgentFaults, ALostAcceleratorsWorkloadRestartsElsewhereInTheSameTick) {
  const int id = run("llm-npu", 4, "npu");
  ticks(1);
  ASSERT_EQ(entry(id).device, std::string("npu"));
  // Wherever the plan keeps it, lose the accelerator it runs on now (if the plan moved it to
  // the CPU, lose the NPU anyway: it must not come back there).
  const std::string onNow = entry(id).device;
  const std::string lost = onNow == "cpu" ? "npu" : onNow;
  const uint64_t tokens = entry(id).tokens;
  ASSERT_TRUE(t_.twin->loseAccelerator(lost).ok());
  agent().tick();
  const int d = deviceIndex(lost);
  EXPECT_EQ(agent().devices()[static_cast<size_t>(d)].health, scheduler::DeviceHealth::Lost);
  EXPECT_EQ(entry(id).state, WorkloadState::Running);
  EXPECT_NE(entry(id).device, lost);
  EXPECT_NE(entry(id).plannedDevice, lost);
  ticks(10);
  EXPECT_EQ(entry(id).state, WorkloadState::Running);
  EXPECT_GT(entry(id).tokens, tokens);
}

TEST_F(AgentFaults, ACrashedWorkloadRestartsInTheSameTickWithTheTokensLeft) {
  const int id = run("llm", 4);
  ticks(20);
  const uint64_t tokens = entry(id).tokens;
  ASSERT_GT(tokens, 0u);
  const std::string device = entry(id).device;
  ASSERT_TRUE(t_.twin->crashWorkload(entry(id).launcherId).ok());
  agent().tick();
  EXPECT_EQ(entry(id).state, WorkloadState::Running);
  EXPECT_EQ(entry(id).restarts, 1);
  EXPECT_EQ(entry(id).device, device);
  EXPECT_GE(entry(id).tokens, tokens);  // the tokens before the crash still count
  ticks(10);
  EXPECT_GT(entry(id).tokens, tokens);
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// Workloads arriving one by one: each arrival re-plans, and a new plan could bounce running
// workloads between the CPU and the accelerators. Each is started at most twice: where it was
// launched, and where the first plan put it. The twin counts every process it started. Returns
// the moves the hysteresis kept.
class AgentReplans : public AgentFaults {
 protected:
  uint64_t arrivalsOneByOne(scheduler::Policy policy) {
    PlanPolicy p = agent().planner()->policy();
    p.policy = policy;
    agent().planner()->setPolicy(p);
    const int n = 5;
    for (int i = 0; i < n; ++i) {
      run("llm", 2 + i % 2);
      ticks(50);
    }
    ticks(1200);  // 120 s more: 24 periodic re-plans at least
    EXPECT_LE(t_.twin->workloadCount(), static_cast<size_t>(2 * n));
    EXPECT_GE(agent().planner()->replans(), 24u + n);
    for (const WorkloadEntry& e : agent().workloads().entries()) {
      if (e.used) {
        EXPECT_EQ(e.state, WorkloadState::Running);
      }
    }
    return agent().planner()->movesKept();
  }
};

// Energy-first: without the move hysteresis this twin starts 13 processes for 5 workloads.
TEST_F(AgentReplans, EnergyFirstDoesNotFlapWorkloadsBetweenDevices) {
  EXPECT_GT(arrivalsOneByOne(scheduler::Policy::EnergyFirst), 0u);
}

TEST_F(AgentReplans, BalancedDoesNotFlapWorkloadsBetweenDevices) {
  arrivalsOneByOne(scheduler::Policy::Balanced);
}

TEST_F(AgentReplans, LatencyFirstDoesNotFlapWorkloadsBetweenDevices) {
  arrivalsOneByOne(scheduler::Policy::LatencyFirst);
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// Options with a journal file in the test's directory, stepping without sleeping.
AgentOptions journaled(test::TwinAgent& t) {
  AgentOptions o;
  o.speed = 0.0;
  o.journalPath = t.dir.file("settings.journal");
  return o;
}

// A long TinyLlama run (the default descriptor) named `name`.
Result<int> runLong(Agent& a, const char* name) {
  LlmWorkloadSpec m = defaultLlmDescriptor();
  m.outputTokens = 1000000;
  return a.workloads().run({name}, m, "", a.clock().nowNs());
}

// imx8mp's NPU has no devfreq node: the launcher finding it gone (ENODEV) is the only sign.
// The restart that found it uses no attempt; the next tick marks the NPU lost and the workload
// runs again elsewhere.
TEST(AgentLostAccelerator, WithoutDevfreqTheLauncherReportsItGone) {
  test::TwinAgent t("imx8mp.cfg");
  AgentOptions o;
  o.speed = 0.0;
  ASSERT_TRUE(t.start(o));
  LlmWorkloadSpec m = defaultLlmDescriptor();
  m.outputTokens = 1000000;
  auto id = t.agent->workloads().run({"llm"}, m, "npu", t.agent->clock().nowNs());
  ASSERT_TRUE(id.ok()) << id.error().message();
  for (int i = 0; i < 5; ++i)
    t.agent->tick();
  const WorkloadEntry* e = t.agent->workloads().find(id.value());
  ASSERT_EQ(e->device, std::string("npu")) << "the premise: it runs on the NPU";
  ASSERT_TRUE(t.twin->loseAccelerator("npu").ok());
  t.agent->tick();
  t.agent->tick();
  const int npu = t.twin->deviceIndex("npu");
  EXPECT_EQ(t.agent->devices()[static_cast<size_t>(npu)].health, scheduler::DeviceHealth::Lost);
  e = t.agent->workloads().find(id.value());
  EXPECT_EQ(e->state, WorkloadState::Running);
  EXPECT_NE(e->device, std::string("npu"));
  EXPECT_EQ(e->restarts, 1);
}

// A daemon that dies without restoring (as SIGKILL leaves it: the journal's state file and the
// workload record on disk, its twin processes orphaned): the next one on the same journal
// recovers the settings and resumes every accepted workload under its id for the tokens left;
// its restore then leaves the tree's settings as they were before the first one started.
TEST(AgentCrash, TheNextStartResumesEveryAcceptedWorkload) {
  test::TwinAgent t("rk3588.cfg");
  ASSERT_TRUE(t.twin);
  const std::string governorFile =
      t.twin->rootDir() + "/sys/devices/system/cpu/cpufreq/policy4/scaling_max_freq";
  const std::string before = test::readFile(governorFile);
  const AgentOptions o = journaled(t);
  ASSERT_TRUE(t.start(o));
  std::vector<int> ids;
  for (const char* name : {"llm-a", "llm-b"}) {
    auto id = runLong(*t.agent, name);
    ASSERT_TRUE(id.ok()) << id.error().message();
    ids.push_back(id.value());
  }
  for (int i = 0; i < 50; ++i)
    t.agent->tick();
  std::vector<uint64_t> tokens;
  for (int id : ids)
    tokens.push_back(t.agent->workloads().find(id)->tokens);
  EXPECT_GT(t.agent->journal().size(), 0u);
  t.agent.reset();  // killed: nothing restored, nothing stopped
  ASSERT_TRUE(t.start(o));
  for (size_t i = 0; i < ids.size(); ++i) {
    const WorkloadEntry* e = t.agent->workloads().find(ids[i]);
    std::string notes;
    for (const std::string& w : t.agent->warnings())
      notes += w + "; ";
    ASSERT_NE(e, nullptr) << "workload " << ids[i] << " lost: " << notes;
    EXPECT_EQ(e->state, WorkloadState::Running);
    EXPECT_GE(e->tokens, tokens[i]);
    EXPECT_EQ(e->argv.size(), 1u);
  }
  // The orphans of the first daemon ended: two running twin processes, the resumed ones.
  size_t running = 0;
  for (size_t w = 0; w < t.twin->workloadCount(); ++w)
    running += t.twin->workload(static_cast<int>(w)).state == WorkloadState::Running ? 1 : 0;
  EXPECT_EQ(running, ids.size());
  for (int i = 0; i < 20; ++i)
    t.agent->tick();
  for (size_t i = 0; i < ids.size(); ++i)
    EXPECT_GT(t.agent->workloads().find(ids[i])->tokens, tokens[i]);
  // A new workload gets a fresh id.
  auto next = runLong(*t.agent, "llm-c");
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next.value(), ids.back());
  // A clean stop: the workloads end, the settings are restored, nothing is resumed after it.
  ASSERT_TRUE(t.agent->restore().ok());
  EXPECT_EQ(test::readFile(governorFile), before);
  t.agent.reset();
  ASSERT_TRUE(t.start(o));
  EXPECT_EQ(t.agent->workloads().count(), 0u);
}

// The priority is recorded with the workload: the next start resumes it with its priority and
// writes its cgroup's CPU weight again.
TEST(AgentCrash, AResumedWorkloadKeepsItsPriority) {
  test::TwinAgent t("rk3588.cfg");
  const AgentOptions o = journaled(t);
  ASSERT_TRUE(t.start(o));
  auto id = runLong(*t.agent, "llm");
  ASSERT_TRUE(id.ok()) << id.error().message();
  ASSERT_TRUE(t.agent->workloads().setPriority(id.value(), 4).ok());
  EXPECT_FALSE(t.agent->workloads().setPriority(id.value(), 11).ok());
  EXPECT_FALSE(t.agent->workloads().setPriority(id.value() + 1, 2).ok());
  t.agent->tick();
  t.agent.reset();  // killed
  ASSERT_TRUE(t.start(o));
  const WorkloadEntry* e = t.agent->workloads().find(id.value());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->priority, 4);
  EXPECT_EQ(test::readFile(t.twin->rootDir() + "/sys/fs/cgroup/qeil/" + e->group + "/cpu.weight"),
            "400");
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// MODEL.md §7 fed every tick: the input rail's fit sees one sample per tick while it is
// measured (none while it NACKs), and each re-plan hands its values to the planner's model.
TEST_F(AgentFaults, MeasuredRailsFeedTheCalibrationThePlannerUses) {
  run("llm", 4);
  ticks(300);
  const int r = agent().calibrationRail(0);
  ASSERT_GE(r, 0);
  const energy::RailFit& fit = agent().calibration().rail(static_cast<size_t>(r));
  const uint64_t fed = fit.rls().samples();
  EXPECT_GE(fed, 290u);
  ASSERT_TRUE(t_.twin->setRailNack("VIN_5V", true).ok());
  ticks(20);
  EXPECT_LE(fit.rls().samples(), fed + 1);  // estimates are not fed back
  ASSERT_TRUE(t_.twin->setRailNack("VIN_5V", false).ok());
  ASSERT_TRUE(agent().replan().ok());
  const energy::SocSpec& model = agent().planner()->model().soc();
  for (size_t s = 0; s < fit.deviceCount(); ++s) {
    const size_t d = static_cast<size_t>(fit.device(s));
    EXPECT_DOUBLE_EQ(model.devices[d].dynCoeff, fit.dynCoeff(s)) << d;
    EXPECT_DOUBLE_EQ(model.devices[d].idleW, fit.deviceIdleW(s)) << d;
  }
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// The fault handling, the calibration feed and the workload record (rewritten every second
// with a journal file) cost no allocation in the steady-state tick with planned workloads.
TEST(AgentFaultsSteadyState, PlannedTicksWithAJournalDoNotAllocate) {
  test::TwinAgent t("rk3588.cfg");
  ASSERT_TRUE(t.start(journaled(t)));
  ASSERT_TRUE(runLong(*t.agent, "llm").ok());
  for (int i = 0; i < 100; ++i)
    t.agent->tick();  // planned, enforced, sensors settled
  test::AllocationScope scope;
  for (int i = 0; i < 200; ++i)  // 20 s: 4 periodic re-plans, 20 record rewrites
    t.agent->tick();
  EXPECT_EQ(scope.count(), 0u);
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// Four decodes on the A76 pairs under latency-first at 70 C ambient, the accelerators lost (the
// model's own ambient is the board's 25 C, so its plans run hot), for 10 minutes; `planner`
// solves. Returns the big cores' peak die temperature.
double runHotA76(test::TwinAgent& t, PlannerKind planner) {
  AgentOptions o;
  o.speed = 0.0;
  o.ambientC = 70.0;
  EXPECT_TRUE(t.start(o));
  EXPECT_TRUE(t.twin->loseAccelerator("npu").ok());
  EXPECT_TRUE(t.twin->loseAccelerator("gpu").ok());
  t.agent->tick();
  PlanPolicy fast;
  fast.policy = scheduler::Policy::LatencyFirst;
  t.agent->planner()->setPolicy(fast);
  t.agent->planner()->setPlanner(planner);
  for (int i = 0; i < 4; ++i)
    EXPECT_TRUE(runLong(*t.agent, "llm").ok());
  double peakC = 0.0;
  const int big = t.twin->zoneIndex("bigcore0-thermal");
  for (int i = 0; i < 6000; ++i) {
    t.agent->tick();
    peakC = std::max(peakC, t.twin->dieTempC(big));
  }
  return peakC;
}

// The thermal margin at work: the zones cross their passive trip minus the margin, the watch
// caps the big clusters' OPPs and re-plans, and the twin's step_wise governor never throttles.
TEST(AgentThermalMargin, CapsKeepTheKernelsTripFromFiring) {
  test::TwinAgent t("rk3588.cfg");
  const double peakC = runHotA76(t, PlannerKind::Pgsam);
  EXPECT_GE(t.agent->triggerCount(ReplanTrigger::ThermalMargin), 2u);
  EXPECT_EQ(t.twin->throttleEvents(), 0u);
  EXPECT_LT(peakC, 85.0);
  EXPECT_GE(peakC, 80.0);  // it did reach the margin
  for (const WorkloadEntry& e : t.agent->workloads().entries()) {
    if (e.used) {
      EXPECT_EQ(e.state, WorkloadState::Running);
    }
  }
}

// The margin guard is qeil's: under a baseline planner (the scenario bench's anchors) it stays
// out of the way and the kernel's governor throttles as it would without qeild.
TEST(AgentThermalMargin, BaselinePlannersRunWithoutTheGuard) {
  test::TwinAgent t("rk3588.cfg");
  runHotA76(t, PlannerKind::Stock);
  EXPECT_EQ(t.agent->triggerCount(ReplanTrigger::ThermalMargin), 0u);
  EXPECT_GT(t.twin->throttleEvents(), 0u);
}

}  // namespace
}  // namespace qeil
