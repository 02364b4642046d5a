// The real agent on the rk3588 twin, driven through its UNIX socket, under faults and heat:
// - the fault matrix: a NACKing rail, frozen sensors, a CPU cluster offline, a lost
//   accelerator and a crashed workload, injected at chosen simulated times on the loop's thread
//   (AgentOptions::beforeTick): every workload is running again (and off an unavailable device)
//   within 200 ms of simulated time of the fault, and stopping the agent restores every setting,
//   compared file by file with the tree captured before it started;
// - hot ambient: 45 C and four LLM workloads for 10 simulated minutes: zero throttle events
//   (and no critical trip) under qeild, throttle events on the same twin and seed in the stock
//   configuration (performance governors, two decodes on the big cores and two on the GPU).
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "agent/control_server.h"
#include "agent/http_client.h"
#include "tests/sim/sim_support.h"
#include "tests/support/emulation.h"
#include "tests/unit/agent/agent_fixture.h"

namespace qeil {
namespace {

using test::getJson;
using test::snapshot;
using test::TreeSnapshot;
using test::waitForUptime;

constexpr int64_t kDeadlineNs = 200 * kNsPerMs;

using AgentUnderFaults = test::SocketAgentTest;

// One fault of the matrix: injected at `atS` (simulated seconds after both workloads run),
// then the time every workload was running again, off any unavailable device.
struct Fault {
  const char* name;
  double atS;
  int64_t injectedNs = -1;
  int64_t recoveredNs = -1;
};

// Every run workload running, none on (or planned on) an unavailable device.
bool allRecovered(Agent& a) {
  int running = 0;
  for (const WorkloadEntry& e : a.workloads().entries()) {
    if (!e.used) continue;
    if (e.state != WorkloadState::Running) return false;
    for (size_t d = 0; d < a.devices().size(); ++d) {
      if (a.devices()[d].health == scheduler::DeviceHealth::Ok) continue;
      const std::string& name = a.board().devices[d].name;
      if (e.plannedDevice == name || e.device == name) return false;
    }
    ++running;
  }
  return running == 2;
}

TEST_F(AgentUnderFaults, FaultMatrixRecoversWithinTheDeadlineAndRestoresTheTree) {
  if (test::underQemuUser()) GTEST_SKIP() << "qemu-user: the loop runs on a second thread";
  const TreeSnapshot before = snapshot(t_.twin->rootDir());
  std::vector<Fault> faults = {{"rail NACK", 5.0},
                               {"frozen sensors", 12.0},
                               {"cpu offline", 25.0},
                               {"accelerator lost", 35.0},
                               {"workload crash", 45.0}};
  int64_t t0 = -1;
  int offlineDevice = -1;
  std::string lostDevice;
  AgentOptions o;
  o.simLimitNs = 80 * kNsPerS;
  o.beforeTick = [&](Agent& a) {
    const int64_t now = a.clock().nowNs();
    BoardTwin& twin = *t_.twin;
    if (t0 < 0) {
      if (a.workloads().count() == 2 && a.planner() && a.planner()->hasPlan()) t0 = now;
      return;
    }
    for (Fault& f : faults) {
      if (f.injectedNs >= 0 && f.recoveredNs < 0 && allRecovered(a)) f.recoveredNs = now;
    }
    const double s = static_cast<double>(now - t0) / kNsPerS;
    auto due = [&](Fault& f) { return f.injectedNs < 0 && s >= f.atS; };
    if (due(faults[0])) {
      ASSERT_TRUE(twin.setRailNack("VIN_5V", true).ok());
      faults[0].injectedNs = now;
    }
    if (s >= 10.0) (void)twin.setRailNack("VIN_5V", false);
    if (due(faults[1])) {
      for (const BoardZone& z : t_.board.zones)
        ASSERT_TRUE(twin.setSensorStuck(z.name, true).ok());
      faults[1].injectedNs = now;
    }
    if (s >= 20.0) {
      for (const BoardZone& z : t_.board.zones)
        (void)twin.setSensorStuck(z.name, false);
    }
    if (due(faults[2])) {
      // The CPU cluster a workload is planned on (not cpu0's), else the second A76 pair.
      for (const WorkloadEntry& e : a.workloads().entries()) {
        const int d = indexByName(t_.board.devices, e.plannedDevice);
        if (e.used && d >= 0 && t_.board.devices[d].kind == HwDeviceKind::Cpu &&
            !t_.board.devices[d].cpus.contains(0))
          offlineDevice = d;
      }
      if (offlineDevice < 0) offlineDevice = indexByName(t_.board.devices, "a76_1");
      for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
        if (t_.board.devices[offlineDevice].cpus.contains(c)) {
          ASSERT_TRUE(twin.setCpuOnline(c, false).ok());
        }
      }
      faults[2].injectedNs = now;
    }
    if (s >= 30.0 && offlineDevice >= 0) {
      for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
        if (t_.board.devices[offlineDevice].cpus.contains(c)) (void)twin.setCpuOnline(c, true);
      }
      offlineDevice = -1;
    }
    if (due(faults[3])) {
      // The accelerator a workload runs on, else the NPU.
      for (const WorkloadEntry& e : a.workloads().entries()) {
        if (e.used && e.device != "cpu") lostDevice = e.device;
      }
      if (lostDevice.empty()) lostDevice = "npu";
      ASSERT_TRUE(twin.loseAccelerator(lostDevice).ok());
      faults[3].injectedNs = now;
    }
    if (due(faults[4])) {
      for (const WorkloadEntry& e : a.workloads().entries()) {
        if (e.used) {
          ASSERT_TRUE(twin.crashWorkload(e.launcherId).ok());
          break;
        }
      }
      faults[4].injectedNs = now;
    }
  };
  startAgent(o);
  waitForSocket();
  post("/v1/workloads", R"({"run": ["llm-a"], "model": {"output_tokens": 1000000, "threads": 4}})",
       201);
  post("/v1/workloads", R"({"run": ["llm-b"], "model": {"output_tokens": 1000000, "threads": 2}})",
       201);
  ASSERT_TRUE(waitForUptime(socket_, 80.0));
  for (const Fault& f : faults) {
    ASSERT_GE(f.injectedNs, 0) << f.name;
    ASSERT_GE(f.recoveredNs, 0) << f.name << ": not recovered";
    EXPECT_LE(f.recoveredNs - f.injectedNs, kDeadlineNs) << f.name;
  }
  int status = 0;
  rapidjson::Document list = getJson(socket_, "/v1/workloads", &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(list["workloads"].Size(), 2u);
  for (const rapidjson::Value& w : list["workloads"].GetArray()) {
    EXPECT_STREQ(w["state"].GetString(), "running");
    EXPECT_STRNE(w["device"].GetString(), lostDevice.c_str());
  }
  rapidjson::Document st = getJson(socket_, "/v1/status", &status);
  EXPECT_GE(st["fault_events"].GetUint64(), 5u);
  EXPECT_EQ(st["unavailable_devices"].Size(), 1u);  // the lost accelerator
  // Stop as SIGTERM does: every setting as before, file by file (the lost accelerator's devfreq
  // node is gone with the hardware: not a setting).
  t_.agent->requestStop();
  loop_.join();
  ASSERT_TRUE(runStatus_.ok()) << runStatus_.error().message();
  server_.reset();
  const TreeSnapshot after = snapshot(t_.twin->rootDir());
  const std::string lostNode = t_.board.devices[indexByName(t_.board.devices, lostDevice)].devfreq;
  size_t compared = 0;
  for (const auto& [path, content] : before.controls) {
    if (!lostNode.empty() && path.find(lostNode) != std::string::npos) continue;
    auto it = after.controls.find(path);
    ASSERT_NE(it, after.controls.end()) << path;
    EXPECT_EQ(it->second, content) << path;
    ++compared;
  }
  EXPECT_GT(compared, 20u);
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

constexpr double kHotAmbientC = 45.0;
constexpr int64_t kHotRunNs = 600 * kNsPerS;

// Four TinyLlama decodes (four threads each) for the whole run.
LlmWorkloadSpec hotLoad() {
  LlmWorkloadSpec m = tinyLlamaQ4();
  m.outputTokens = 10000000;
  m.threads = 4;
  return m;
}

// The stock configuration: performance governors on every CPU cluster and accelerator, two
// decodes on the A76s (the kernel's scheduler puts the busy threads on the big cores) and two
// on the GPU (the fastest device with a passive trip), no qeild.
TEST(HotAmbient, StockConfigurationThrottles) {
  test::TempDir dir;
  SimClock clock(0);
  const BoardSpec board = test::shippedBoard("rk3588.cfg");
  TwinOptions stock;
  stock.cpuGovernor = "performance";
  stock.devfreqGovernor = "performance";
  auto twin = BoardTwin::create(board, dir.file("root"), clock, stock);
  ASSERT_TRUE(twin.ok()) << twin.error().message();
  BoardTwin& t = *twin.value();
  t.setAmbientC(kHotAmbientC);
  for (int i = 0; i < 4; ++i) {
    LlmWorkloadSpec m = hotLoad();
    if (i < 2) {
      m.cpus = CpuSet::range(4, 7);
    } else {
      m.device = "gpu";
    }
    m.cgroup = "stock/w" + std::to_string(i);
    auto added = t.addWorkload(m);
    ASSERT_TRUE(added.ok()) << added.error().message();
  }
  t.stepNs(kHotRunNs);
  // Throttled, and on this twin it even reaches a critical trip (the board shuts down).
  EXPECT_GT(t.throttleEvents(), 0u);
}

using HotAmbientUnderQeild = test::SocketAgentTest;

TEST_F(HotAmbientUnderQeild, NoThrottleEvents) {
  if (test::underQemuUser()) GTEST_SKIP() << "qemu-user: the loop runs on a second thread";
  AgentOptions o;
  o.ambientC = kHotAmbientC;
  o.simLimitNs = kHotRunNs;
  startAgent(o);
  waitForSocket();
  for (int i = 0; i < 4; ++i) {
    post("/v1/workloads", R"({"run": ["llm"], "model": {"output_tokens": 10000000, "threads": 4}})",
         201);
  }
  ASSERT_TRUE(waitForUptime(socket_, 600.0));
  int status = 0;
  rapidjson::Document list = getJson(socket_, "/v1/workloads", &status);
  ASSERT_EQ(list["workloads"].Size(), 4u);
  for (const rapidjson::Value& w : list["workloads"].GetArray()) {
    EXPECT_STREQ(w["state"].GetString(), "running");
    EXPECT_GT(w["tokens"].GetUint64(), 0u);
  }
  // The loop holds still now: the twin's truth is safe to read.
  EXPECT_EQ(t_.twin->throttleEvents(), 0u);
  printf("thermal margin re-plans %llu, GPU die %.1f C\n",
         static_cast<unsigned long long>(t_.agent->triggerCount(ReplanTrigger::ThermalMargin)),
         t_.twin->dieTempC(t_.twin->zoneIndex("gpu-thermal")));
  EXPECT_FALSE(t_.twin->shutDown());
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

pid_t spawnQeild(const std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

bool socketAnswers(const std::string& socket) {
  for (int i = 0; i < 1000; ++i) {
    auto r = unixHttpRequest(socket, "GET", "/v1/status");
    if (r.ok() && r.value().status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// qeild itself (the binary, with --twin over a root kept between runs) killed with SIGKILL and
// started again on the same journal: every workload it had accepted runs again under its id,
// and a SIGTERM at the end leaves every setting of the tree as a fresh twin writes it.
TEST(QeildKilled, TheRestartedDaemonResumesEveryWorkloadAndRestoresTheTree) {
  if (test::underQemuUser()) GTEST_SKIP() << "qemu-user: fork and exec of host binaries hang";
  test::TempDir dir;
  const BoardSpec board = test::shippedBoard("rk3588.cfg");
  TreeSnapshot fresh;
  {
    SimClock clock(0);
    auto ref = BoardTwin::create(board, dir.file("ref"), clock);
    ASSERT_TRUE(ref.ok()) << ref.error().message();
    fresh = snapshot(dir.file("ref"));
  }
  const std::string root = dir.file("root");
  ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
  const std::string socket = dir.file("qeild.sock");
  const std::vector<std::string> args = {QEILD_PATH,
                                         "--board",
                                         std::string(QEIL_SOURCE_DIR) + "/board-configs/rk3588.cfg",
                                         "--twin",
                                         "--speed",
                                         "20",
                                         "--root",
                                         root,
                                         "--journal",
                                         dir.file("qeild.journal"),
                                         "--socket",
                                         socket};
  pid_t pid = spawnQeild(args);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(socketAnswers(socket));
  std::vector<int> ids;
  for (const char* body :
       {R"({"run": ["llm-a"], "model": {"output_tokens": 1000000, "threads": 4}})",
        R"({"run": ["llm-b"], "model": {"output_tokens": 1000000, "threads": 2}})"}) {
    auto r = unixHttpRequest(socket, "POST", "/v1/workloads", body);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r.value().status, 201) << r.value().body;
    rapidjson::Document d;
    d.Parse(r.value().body.c_str());
    ASSERT_TRUE(d.HasMember("id"));
    ids.push_back(d["id"].GetInt());
  }
  ASSERT_TRUE(waitForUptime(socket, 10.0));
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  pid = spawnQeild(args);
  ASSERT_GT(pid, 0);
  ASSERT_TRUE(socketAnswers(socket));
  ASSERT_TRUE(waitForUptime(socket, 2.0));
  int status = 0;
  rapidjson::Document list = getJson(socket, "/v1/workloads", &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(list["workloads"].Size(), ids.size());
  for (const rapidjson::Value& w : list["workloads"].GetArray()) {
    EXPECT_NE(std::find(ids.begin(), ids.end(), w["id"].GetInt()), ids.end());
    EXPECT_STREQ(w["state"].GetString(), "running");
    EXPECT_GT(w["tokens"].GetUint64(), 0u);
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  const TreeSnapshot after = snapshot(root);
  for (const auto& [path, content] : fresh.controls) {
    auto it = after.controls.find(path);
    ASSERT_NE(it, after.controls.end()) << path;
    EXPECT_EQ(it->second, content) << path;
  }
  EXPECT_EQ(after.controls.size(), fresh.controls.size());
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// An INA ALERT on the twin: the rail's over-power limit set below what two workloads draw, an
// edge injected into the alert line on the loop's thread; the agent reads the chip's flag,
// takes the limit as its power cap and re-plans before the next tick.
using PowerAlertOverSocket = test::SocketAgentTest;

TEST_F(PowerAlertOverSocket, AnAlertEdgeIsAPowerCapEventHandledWithinTheTick) {
  if (test::underQemuUser()) GTEST_SKIP() << "qemu-user: the loop runs on a second thread";
  const double limitW = 3.0;
  t_.board.rails[0].alertLimitW = limitW;  // the rig's ALERT is wired to "ina_alert"
  int64_t t0 = -1;
  int64_t injectedNs = -1;
  int64_t handledNs = -1;
  AgentOptions o;
  o.simLimitNs = 30 * kNsPerS;
  o.beforeTick = [&](Agent& a) {
    const int64_t now = a.clock().nowNs();
    if (t0 < 0) {
      if (a.workloads().count() == 2) t0 = now;
      return;
    }
    if (injectedNs >= 0 && handledNs < 0 && a.alertEvents() > 0 && a.lastReplanNs() >= injectedNs)
      handledNs = now;
    if (injectedNs < 0 && now - t0 >= 5 * kNsPerS) {
      ASSERT_GT(a.boardPowerW(), limitW);
      FakeGpioLine* line = a.twinAlertLine(0);
      ASSERT_NE(line, nullptr);
      ASSERT_TRUE(line->injectEdge(GpioEdge::Rising, now).ok());
      injectedNs = now;
    }
  };
  startAgent(o);
  waitForSocket();
  post("/v1/workloads", R"({"run": ["llm-a"], "model": {"output_tokens": 1000000, "threads": 4}})",
       201);
  post("/v1/workloads", R"({"run": ["llm-b"], "model": {"output_tokens": 1000000, "threads": 4}})",
       201);
  ASSERT_TRUE(waitForUptime(socket_, 30.0));
  ASSERT_GE(injectedNs, 0);
  ASSERT_GE(handledNs, 0) << "the alert was not handled";
  EXPECT_LE(handledNs - injectedNs, 100 * kNsPerMs);  // before the next tick's sampling
  int status = 0;
  rapidjson::Document policy = getJson(socket_, "/v1/policy", &status);
  ASSERT_EQ(status, 200);
  EXPECT_DOUBLE_EQ(policy["power_cap_w"].GetDouble(), limitW);
  EXPECT_EQ(t_.agent->alertEvents(), 1u);
}

}  // namespace
}  // namespace qeil
