// Workloads: `run` on the twin through the API (the twin's simulated process in its own cgroup,
// tokens from the twin, stop), bad requests and the bounded table; the real launcher forking and
// executing /bin/sleep in a cgroup of a temporary tree (exit detection, SIGTERM on stop).
#include "agent/workloads.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "agent/api.h"
#include "hal/linux/cgroup.h"
#include "hal/linux/journal.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/emulation.h"
#include "tests/unit/agent/agent_fixture.h"
#include "tests/unit/agent/api_checks.h"

namespace qeil {
namespace {

using test::parse;

class TwinWorkloads : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(t_.start()); }
  ApiResponse request(const char* method, const char* path, const std::string& body = "") {
    return handleApiRequest(*t_.agent, method, path, body);
  }
  test::TwinAgent t_{"rk3588.cfg"};
};

// A run given its own model is named after it, not after the default model.
TEST_F(TwinWorkloads, AModelGivenByItsSizeIsNamedByIt) {
  ApiResponse r = request("POST", "/v1/workloads",
                          R"({"run": ["a"], "model": {"params": 3.2e9, "bits_per_weight": 4.5}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_STREQ(parse(r)["model"].GetString(), "3.2B-4.5bit");
  r = request("POST", "/v1/workloads",
              R"({"run": ["b"], "model": {"name": "mine", "params": 1e9}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_STREQ(parse(r)["model"].GetString(), "mine");
}

TEST_F(TwinWorkloads, RunListsTokensAndStops) {
  ApiResponse r =
      request("POST", "/v1/workloads",
              R"({"run": ["llama-cli", "-m", "tiny.gguf"], "model": {"output_tokens": 100000,
          "threads": 2}})");
  ASSERT_EQ(r.status, 201) << r.body;
  rapidjson::Document d = parse(r);
  const int id = d["id"].GetInt();
  EXPECT_GT(d["pid"].GetInt(), 0);
  EXPECT_STREQ(d["device"].GetString(), "cpu");
  EXPECT_STREQ(d["state"].GetString(), "running");
  for (int i = 0; i < 300; ++i)  // 30 s of simulated time: the prefill, then decoding
    t_.agent->tick();
  d = parse(request("GET", "/v1/workloads"));
  ASSERT_EQ(d["workloads"].Size(), 1u);
  const rapidjson::Value& w = d["workloads"][0];
  EXPECT_EQ(w["id"].GetInt(), id);
  EXPECT_GT(w["tokens"].GetUint64(), 0u);
  EXPECT_GT(w["tokens_per_s"].GetDouble(), 0.0);
  // The twin runs it (on the device the plan chose: a move ends one simulated process and
  // starts another), and only that process runs.
  const int twinId = t_.agent->workloads().find(id)->launcherId;
  EXPECT_EQ(t_.twin->workloadPid(twinId), static_cast<pid_t>(w["pid"].GetInt()));
  const int pd = indexByName(t_.board.devices, std::string(w["planned_device"].GetString()));
  ASSERT_GE(pd, 0);
  const BoardDevice& planned = t_.board.devices[static_cast<size_t>(pd)];
  EXPECT_EQ(std::string(w["device"].GetString()),
            planned.kind == HwDeviceKind::Cpu ? "cpu" : planned.name);
  for (size_t i = 0; i < t_.twin->workloadCount(); ++i) {
    EXPECT_EQ(t_.twin->workload(static_cast<int>(i)).state == WorkloadState::Running,
              static_cast<int>(i) == twinId);
  }
  const std::string path = "/v1/workloads/" + std::to_string(id);
  r = request("DELETE", path.c_str());
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(t_.twin->workload(twinId).state, WorkloadState::Running);
  EXPECT_EQ(request("GET", path.c_str()).status, 404);
  EXPECT_EQ(request("DELETE", path.c_str()).status, 404);
  EXPECT_EQ(parse(request("GET", "/v1/workloads"))["workloads"].Size(), 0u);
}

TEST_F(TwinWorkloads, ExitIsDetected) {
  ApiResponse r =
      request("POST", "/v1/workloads", R"({"run": ["x"], "model": {"output_tokens": 4}})");
  ASSERT_EQ(r.status, 201) << r.body;
  for (int i = 0; i < 100; ++i)
    t_.agent->tick();
  rapidjson::Document d = parse(request("GET", "/v1/workloads"));
  EXPECT_STREQ(d["workloads"][0]["state"].GetString(), "done");
  EXPECT_EQ(d["workloads"][0]["tokens"].GetUint64(), 4u);
}

TEST_F(TwinWorkloads, BadRequestsGet4xx) {
  EXPECT_EQ(request("POST", "/v1/workloads", "not json").status, 400);
  EXPECT_EQ(request("POST", "/v1/workloads", "[]").status, 400);
  EXPECT_EQ(request("POST", "/v1/workloads", "{}").status, 400);
  EXPECT_EQ(request("POST", "/v1/workloads", R"({"run": "sh"})").status, 400);
  EXPECT_EQ(request("POST", "/v1/workloads", R"({"run": [1]})").status, 400);
  EXPECT_EQ(request("POST", "/v1/workloads", R"({"run": ["a"], "model": {"layers": -1}})").status,
            400);
  // Beyond an int, beyond any edge model, and not whole: each named in the error (the first
  // was a libFuzzer find: the cast to int overflowed).
  ApiResponse r = request("POST", "/v1/workloads", R"({"run": ["a"], "model": {"context": 5e89}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("model.context"), std::string::npos) << r.body;
  r = request("POST", "/v1/workloads", R"({"run": ["a"], "model": {"params": 1e300}})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("model.params"), std::string::npos) << r.body;
  EXPECT_EQ(request("POST", "/v1/workloads", R"({"run": ["a"], "model": {"layers": 2.5}})").status,
            400);
  EXPECT_EQ(request("POST", "/v1/workloads", R"({"run": ["a"], "device": "tpu9"})").status, 400);
  EXPECT_EQ(request("POST", "/v1/workloads", R"({"attach": "1"})").status, 400);
  EXPECT_EQ(request("POST", "/v1/workloads", R"({"attach": 1, "run": ["a"]})").status, 400);
  EXPECT_EQ(request("PUT", "/v1/workloads").status, 405);
  EXPECT_EQ(request("GET", "/v1/workloads/abc").status, 404);
  EXPECT_EQ(request("POST", "/v1/workloads/7/progress", R"({"tokens": 3})").status, 404);
  EXPECT_EQ(request("GET", "/v1/status").status, 200);
}

TEST_F(TwinWorkloads, TableIsBounded) {
  for (size_t i = 0; i < WorkloadTable::kMaxWorkloads; ++i) {
    ApiResponse r =
        request("POST", "/v1/workloads", R"({"run": ["x"], "model": {"output_tokens": 1000000}})");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  ApiResponse r = request("POST", "/v1/workloads", R"({"run": ["x"]})");
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(t_.agent->workloads().count(), WorkloadTable::kMaxWorkloads);
}

TEST_F(TwinWorkloads, ProgressOfAnAttachedProcess) {
  // A process the agent did not start: this one, listed in the twin tree's procfs.
  ASSERT_TRUE(t_.twin->cgroupTree().addProcess(getpid(), "/").ok());
  const std::string attach = "{\"attach\": " + std::to_string(getpid()) + "}";
  ApiResponse r = request("POST", "/v1/workloads", attach);
  ASSERT_EQ(r.status, 201) << r.body;
  const int id = parse(r)["id"].GetInt();
  EXPECT_EQ(request("POST", "/v1/workloads", attach).status, 409);
  for (int i = 0; i < 10; ++i)  // 1 s
    t_.agent->tick();
  const std::string path = "/v1/workloads/" + std::to_string(id) + "/progress";
  r = request("POST", path.c_str(), R"({"tokens": 20})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NEAR(parse(r)["tokens_per_s"].GetDouble(), 20.0, 1e-9);
  EXPECT_EQ(request("POST", path.c_str(), R"({"tokens": 5})").status, 400);  // backwards
  EXPECT_EQ(request("POST", path.c_str(), R"({"tokens": -5})").status, 400);
}

// The temporary tree's procfs knows only the twin's processes: list a real child there (in the
// root group, as a fresh process is) before it is moved.
class ProcfsListing : public CpuPlacement {
 public:
  ProcfsListing(CpuPlacement& inner, FakeCgroupTree& tree) : inner_(inner), tree_(tree) {}
  const char* backendName() const override { return inner_.backendName(); }
  Status createGroup(const char* g) override { return inner_.createGroup(g); }
  Status removeGroup(const char* g) override { return inner_.removeGroup(g); }
  Status setCpus(const char* g, CpuSet c) override { return inner_.setCpus(g, c); }
  Result<CpuSet> cpus(const char* g) override { return inner_.cpus(g); }
  Status setCpuWeight(const char* g, int w) override { return inner_.setCpuWeight(g, w); }
  Status setCpuMax(const char* g, int64_t q, int64_t p) override {
    return inner_.setCpuMax(g, q, p);
  }
  Status movePid(const char* g, pid_t pid) override {
    Status s = tree_.addProcess(pid, "/");
    return s.ok() ? inner_.movePid(g, pid) : s;
  }

 private:
  CpuPlacement& inner_;
  FakeCgroupTree& tree_;
};

// The real launcher: a real child process, its cgroup in a temporary (twin) tree.
class ProcessWorkloads : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test::underQemuUser()) GTEST_SKIP() << "qemu-user: fork and exec of host binaries hang";
    ASSERT_TRUE(t_.twin);
    t_.twin->cgroupTree().attach(journal_);
    auto p = createCpuPlacement(t_.twin->sysRoot(), journal_, "qeil");
    ASSERT_TRUE(p.ok()) << p.error().message();
    inner_ = std::move(p.value());
    placement_ = std::make_unique<ProcfsListing>(*inner_, t_.twin->cgroupTree());
    launcher_ = makeProcessLauncher(*placement_, t_.board, 500);
    table_ = std::make_unique<WorkloadTable>(*launcher_, placement_.get());
  }
  void TearDown() override { EXPECT_TRUE(journal_.restoreAll().ok()); }
  test::TwinAgent t_{"rk3588.cfg"};
  SettingsJournal journal_;
  std::unique_ptr<CpuPlacement> inner_;
  std::unique_ptr<CpuPlacement> placement_;
  std::unique_ptr<WorkloadLauncher> launcher_;
  std::unique_ptr<WorkloadTable> table_;
};

TEST_F(ProcessWorkloads, ExitDetectedAndStopReaps) {
  auto quick = table_->run({"/bin/sleep", "0"}, defaultLlmDescriptor(), "", 0);
  ASSERT_TRUE(quick.ok()) << quick.error().message();
  auto slow = table_->run({"/bin/sleep", "30"}, defaultLlmDescriptor(), "", 0);
  ASSERT_TRUE(slow.ok()) << slow.error().message();
  const pid_t slowPid = table_->find(slow.value())->pid;
  EXPECT_GT(slowPid, 0);
  // Its cgroup lists it (the child waited to be moved there before exec).
  const std::string procs = t_.twin->rootDir() + "/sys/fs/cgroup/qeil/" +
                            table_->find(slow.value())->group + "/cgroup.procs";
  EXPECT_NE(test::readFile(procs).find(std::to_string(slowPid)), std::string::npos) << procs;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (table_->find(quick.value())->state == WorkloadState::Running &&
         std::chrono::steady_clock::now() < deadline) {
    table_->poll(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(table_->find(quick.value())->state, WorkloadState::Done);
  EXPECT_EQ(table_->find(slow.value())->state, WorkloadState::Running);
  EXPECT_EQ(kill(slowPid, 0), 0);
  // Stopping does not wait: SIGTERM now, the entry is `stopping` until a poll reaps it.
  const auto before = std::chrono::steady_clock::now();
  ASSERT_TRUE(table_->stop(slow.value()).ok());
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(100));
  EXPECT_TRUE(table_->stopping(slow.value()));
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (table_->find(slow.value()) && std::chrono::steady_clock::now() < deadline) {
    table_->poll(0);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_NE(kill(slowPid, 0), 0);  // reaped: gone
  EXPECT_EQ(table_->find(slow.value()), nullptr);
}

// A child that ignores SIGTERM: the poll after the kill delay sends SIGKILL and reaps it; the
// loop never blocks on it.
TEST_F(ProcessWorkloads, StopEscalatesToSigkillWithoutBlocking) {
  auto stubborn =
      table_->run({"/bin/sh", "-c", "trap '' TERM; exec sleep 30"}, defaultLlmDescriptor(), "", 0);
  ASSERT_TRUE(stubborn.ok()) << stubborn.error().message();
  const pid_t pid = table_->find(stubborn.value())->pid;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the trap is set
  table_->poll(0);
  ASSERT_TRUE(table_->stop(stubborn.value()).ok());
  // Before the kill delay (500 ms here) it is still there: TERM is ignored.
  table_->poll(200 * kNsPerMs);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  table_->poll(300 * kNsPerMs);
  EXPECT_EQ(kill(pid, 0), 0);
  EXPECT_TRUE(table_->stopping(stubborn.value()));
  table_->poll(600 * kNsPerMs);  // SIGKILL
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (table_->find(stubborn.value()) && std::chrono::steady_clock::now() < deadline) {
    table_->poll(2200 * kNsPerMs);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(table_->find(stubborn.value()), nullptr);
  EXPECT_NE(kill(pid, 0), 0);
}

// A run process that dies by a signal restarts with its command; restarts stop after
// kMaxRestarts.
TEST_F(ProcessWorkloads, CrashedRunRestartsAtMostKMaxRestartsTimes) {
  auto run = table_->run({"/bin/sleep", "30"}, defaultLlmDescriptor(), "", 0);
  ASSERT_TRUE(run.ok()) << run.error().message();
  int64_t nowNs = 0;
  for (int crash = 0; crash <= WorkloadTable::kMaxRestarts; ++crash) {
    const pid_t pid = table_->find(run.value())->pid;
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (table_->find(run.value())->state == WorkloadState::Running &&
           std::chrono::steady_clock::now() < deadline) {
      table_->poll(nowNs);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(table_->find(run.value())->state, WorkloadState::Crashed);
    nowNs += 60 * kNsPerS;  // past any backoff
    const int restarted =
        table_->restartCrashed(nowNs, [](const WorkloadEntry&) { return std::string("cpu"); });
    if (crash < WorkloadTable::kMaxRestarts) {
      EXPECT_EQ(restarted, 1);
      EXPECT_EQ(table_->find(run.value())->state, WorkloadState::Running);
      EXPECT_NE(table_->find(run.value())->pid, pid);
    } else {
      EXPECT_EQ(restarted, 0);  // the bound
      EXPECT_EQ(table_->find(run.value())->state, WorkloadState::Crashed);
    }
  }
  EXPECT_EQ(table_->restartsDone(), static_cast<uint64_t>(WorkloadTable::kMaxRestarts));
}

TEST_F(ProcessWorkloads, AMissingCommandIsAnError) {
  auto r = table_->run({"/nonexistent/qeil-command"}, defaultLlmDescriptor(), "", 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.error().message()).find("qeil-command"), std::string::npos);
  EXPECT_EQ(table_->count(), 0u);
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// Two workloads on the rk3588 twin: the plan is written into the tree (each workload's cpuset
// is its planned cluster's CPUs, each used cluster's scaling_max_freq the OPP PGSAM chose), the
// twin's processes run where it says, and restore() puts every file back.
TEST_F(TwinWorkloads, PlanIsEnforcedAndRestored) {
  ASSERT_NE(t_.agent->planner(), nullptr) << t_.agent->warnings().size();
  BoardHal& hal = t_.agent->hal();
  std::vector<uint64_t> limitsBefore;
  for (auto& d : hal.domains)
    limitsBefore.push_back(d ? d->maxLimitHz().valueOr(0) : 0);
  for (int i = 0; i < 2; ++i) {
    ApiResponse r =
        request("POST", "/v1/workloads", R"({"run": ["llm"], "model": {"output_tokens": 100000}})");
    ASSERT_EQ(r.status, 201) << r.body;
  }
  for (int i = 0; i < 30; ++i)
    t_.agent->tick();
  rapidjson::Document plan = parse(request("GET", "/v1/plan"));
  ASSERT_EQ(plan["workloads"].GetInt(), 2) << plan["error"].IsString();
  ASSERT_EQ(plan["phases"].Size(), 4u);
  EXPECT_GT(std::string(plan["explanation"].GetString()).size(), 0u);
  const WorkloadTable& table = t_.agent->workloads();
  for (int w = 0; w < 2; ++w) {
    const rapidjson::Value& decode = plan["phases"][2 * w + 1];
    EXPECT_STREQ(decode["kind"].GetString(), "decode");
    const int id = decode["workload_id"].GetInt();
    const int d = indexByName(t_.board.devices, std::string(decode["device"].GetString()));
    ASSERT_GE(d, 0);
    const BoardDevice& dev = t_.board.devices[static_cast<size_t>(d)];
    EXPECT_EQ(table.find(id)->plannedDevice, dev.name);
    // The twin's process runs on the planned device.
    EXPECT_EQ(table.find(id)->device, dev.kind == HwDeviceKind::Cpu ? "cpu" : dev.name);
    if (dev.kind != HwDeviceKind::Cpu) continue;
    // The cgroup's cpuset in the tree, and where the twin runs the process.
    const std::string cpusFile =
        t_.twin->rootDir() + "/sys/fs/cgroup/qeil/" + table.find(id)->group + "/cpuset.cpus";
    auto written = CpuSet::parse(test::readFile(cpusFile).c_str(), cpusFile.c_str());
    ASSERT_TRUE(written.ok());
    EXPECT_EQ(written.value(), dev.cpus) << cpusFile;
    const WorkloadStatus st = t_.twin->workload(table.find(id)->launcherId);
    EXPECT_FALSE(st.cpus.empty());
    for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
      if (st.cpus.contains(c)) {
        EXPECT_TRUE(dev.cpus.contains(c)) << "cpu " << c;
      }
    }
    // The cluster's limit is at or above this workload's OPP (the highest on that cluster).
    const uint64_t limitHz = hal.domains[static_cast<size_t>(d)]->maxLimitHz().valueOr(0);
    EXPECT_GE(static_cast<double>(limitHz) + 1.0, decode["freq_hz"].GetDouble());
    EXPECT_TRUE(std::any_of(dev.opps.begin(), dev.opps.end(), [&](const OppSpec& o) {
      return o.freqHz == limitHz;
    })) << limitHz;
  }
  ASSERT_TRUE(t_.agent->restore().ok());
  for (size_t d = 0; d < hal.domains.size(); ++d) {
    if (hal.domains[d]) {
      EXPECT_EQ(hal.domains[d]->maxLimitHz().valueOr(0), limitsBefore[d]);
    }
  }
}

// A priority is the workload's weight in the plan's latency and its cgroup's CPU weight, written
// into the tree; out of 1..10 it is refused.
TEST_F(TwinWorkloads, PriorityIsTheCgroupsCpuWeight) {
  ApiResponse r = request("POST", "/v1/workloads", R"({"run": ["llm"], "priority": 3})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse(r)["priority"].GetInt(), 3);
  const WorkloadEntry& high = *t_.agent->workloads().find(parse(r)["id"].GetInt());
  r = request("POST", "/v1/workloads", R"({"run": ["llm"]})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(parse(r)["priority"].GetInt(), 1);
  const WorkloadEntry& normal = *t_.agent->workloads().find(parse(r)["id"].GetInt());
  const std::string dir = t_.twin->rootDir() + "/sys/fs/cgroup/qeil/";
  EXPECT_EQ(test::readFile(dir + high.group + "/cpu.weight"), "300");
  EXPECT_EQ(test::readFile(dir + normal.group + "/cpu.weight"), "100");
  EXPECT_EQ(high.priority, 3);
  for (const char* bad :
       {R"({"run": ["llm"], "priority": 0})", R"({"run": ["llm"], "priority": 11})",
        R"({"run": ["llm"], "priority": "2"})", R"({"run": ["llm"], "priority": 2.5})"}) {
    r = request("POST", "/v1/workloads", bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_NE(r.body.find("priority: must be an integer from 1 to 10"), std::string::npos)
        << r.body;
  }
  // restore() takes back the weights with the groups that carried them.
  const std::string highGroup = high.group;
  ASSERT_TRUE(t_.agent->restore().ok());
  EXPECT_NE(access((dir + highGroup).c_str(), F_OK), 0);
}

TEST_F(TwinWorkloads, PolicyAndCap) {
  rapidjson::Document d = parse(request("GET", "/v1/policy"));
  EXPECT_STREQ(d["policy"].GetString(), "balanced");
  EXPECT_TRUE(d["power_cap_w"].IsNull());
  ApiResponse r = request("PUT", "/v1/policy", R"({"policy": "energy-first", "power_cap_w": 4.5})");
  ASSERT_EQ(r.status, 200) << r.body;
  d = parse(request("GET", "/v1/policy"));
  EXPECT_STREQ(d["policy"].GetString(), "energy-first");
  EXPECT_DOUBLE_EQ(d["power_cap_w"].GetDouble(), 4.5);
  EXPECT_EQ(request("PUT", "/v1/policy", R"({"policy": "fastest"})").status, 400);
  EXPECT_EQ(request("PUT", "/v1/policy", R"({"power_cap_w": -1})").status, 400);
  EXPECT_EQ(request("PUT", "/v1/policy", "nope").status, 400);
  EXPECT_EQ(request("POST", "/v1/plan").status, 405);
  EXPECT_EQ(parse(request("GET", "/v1/plan"))["workloads"].GetInt(), 0);
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// With workloads planned, the ticks (sampling, exit detection, the 5 s re-plans that keep the
// plan) allocate nothing.
TEST_F(TwinWorkloads, PlannedSteadyStateDoesNotAllocate) {
  for (int i = 0; i < 2; ++i) {
    ASSERT_EQ(
        request("POST", "/v1/workloads", R"({"run": ["llm"], "model": {"output_tokens": 1000000}})")
            .status,
        201);
  }
  for (int i = 0; i < 200; ++i)  // the arrivals' plans, then a few slow re-plans
    t_.agent->tick();
  ASSERT_EQ(t_.agent->planner()->planned(), 2);
  const uint64_t replans = t_.agent->planner()->replans();
  test::AllocationScope scope;
  for (int i = 0; i < 200; ++i)  // 20 s: four slow re-plans
    t_.agent->tick();
  EXPECT_EQ(scope.count(), 0u);
  EXPECT_GE(t_.agent->planner()->replans(), replans + 3);
}

}  // namespace
}  // namespace qeil
