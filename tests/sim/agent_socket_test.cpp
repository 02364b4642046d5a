// The real agent on the rk3588 twin, in process, driven through its UNIX socket as qeilctl
// drives it: the loop runs on its own thread and steps the twin without sleeping until 5 s of
// simulated time, then holds still and keeps serving. Rails match the twin's truth within the
// INA226's resolution; malformed, oversized and misdirected requests get 4xx and the daemon
// keeps serving; stopping it (as SIGTERM does) restores every setting, compared file by file
// with the tree before the agent started.
#include <ftw.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "agent/agent.h"
#include "agent/control_server.h"
#include "agent/http_client.h"
#include "tests/sim/sim_support.h"
#include "tests/unit/agent/agent_fixture.h"

namespace qeil {
namespace {

using test::getJson;
using test::snapshot;
using test::TreeSnapshot;
using test::waitForUptime;

int rawStatus(const std::string& socket, const std::string& raw) {
  auto r = unixHttpRaw(socket, raw);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value().status : 0;
}

class AgentOverSocket : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(t_.twin);
    ASSERT_TRUE(t_.twin->addWorkload(test::decodeOn(CpuSet::range(4, 7), 4)).ok());
    before_ = snapshot(t_.twin->rootDir());
    AgentOptions o;
    o.speed = 0.0;  // step without sleeping
    o.simLimitNs = 5 * kNsPerS;
    o.journalPath = t_.dir.file("settings.journal");
    ASSERT_TRUE(t_.start(o));
    // Something to restore besides the cgroup controllers: a lower cap on the A55 cluster.
    FreqDomain& a55 = *t_.agent->hal().domains[0];
    ASSERT_TRUE(a55.setMaxLimitHz(a55.availableHz()[2]).ok());
    ControlServerOptions so;
    so.socketPath = socket_;
    so.socketMode = socketMode_;
    auto server = ControlServer::create(t_.agent->loop(), *t_.agent, so);
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server.value());
    loop_ = std::thread([this] { runStatus_ = t_.agent->run(); });
    ASSERT_TRUE(waitForUptime(socket_, 5.0));
  }
  void TearDown() override {
    if (loop_.joinable()) {
      t_.agent->requestStop();
      loop_.join();
    }
  }
  // Stops the loop as SIGTERM does and waits for run() to return.
  void stop() {
    t_.agent->requestStop();
    loop_.join();
  }

  test::TwinAgent t_{"rk3588.cfg"};
  std::string socket_ = t_.dir.file("qeild.sock");
  mode_t socketMode_ = 0660;
  TreeSnapshot before_;
  std::unique_ptr<ControlServer> server_;
  std::thread loop_;
  Status runStatus_;
};

TEST_F(AgentOverSocket, RailsMatchTheTwinWithinInaResolution) {
  int status = 0;
  rapidjson::Document d = getJson(socket_, "/v1/rails", &status);
  ASSERT_EQ(status, 200);
  const rapidjson::Value& rail = d["rails"][0];
  ASSERT_TRUE(rail["valid"].GetBool());
  // The loop holds still: the twin's truth is the state the last sample saw. INA226: power LSB
  // = 25 x current LSB (max_current_a / 2^15); a few LSBs cover quantisation and the averaged
  // noise of the conversion window.
  const BoardRail& spec = t_.board.rails[0];
  const double powerLsbW = 25.0 * spec.maxCurrentA / 32768.0;
  const double truthW = t_.twin->railPowerW(0);
  EXPECT_GT(truthW, 3.0);
  EXPECT_NEAR(rail["power_w"].GetDouble(), truthW, 3 * powerLsbW);
  EXPECT_NEAR(rail["bus_v"].GetDouble(), spec.busV, 0.01);
  EXPECT_NEAR(d["power_w"].GetDouble(), rail["power_w"].GetDouble(), 1e-12);
  struct stat st;
  ASSERT_EQ(stat(socket_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
}

TEST_F(AgentOverSocket, BadRequestsGet4xxAndServingGoesOn) {
  EXPECT_EQ(rawStatus(socket_, "NONSENSE\r\n\r\n"), 400);
  EXPECT_EQ(rawStatus(socket_, "GET /v1/status HTTP/9.9\r\nHost: q\r\n\r\n") / 100, 4);
  std::string bigHeader =
      "GET /v1/status HTTP/1.1\r\nHost: q\r\nX-Pad: " + std::string(16 * 1024, 'a') +
      "\r\nConnection: close\r\n\r\n";
  EXPECT_EQ(rawStatus(socket_, bigHeader) / 100, 4);
  std::string bigBody(128 * 1024, '{');
  auto r = unixHttpRequest(socket_, "POST", "/v1/status", bigBody);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value().status, 413);
  r = unixHttpRequest(socket_, "DELETE", "/v1/rails");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().status, 405);
  rapidjson::Document e;
  e.Parse(r.value().body.c_str());
  ASSERT_FALSE(e.HasParseError());
  EXPECT_EQ(e["error"]["code"].GetInt(), 405);
  r = unixHttpRequest(socket_, "GET", "/v2/anything");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value().status, 404);
  int status = 0;
  rapidjson::Document d = getJson(socket_, "/v1/status", &status);
  EXPECT_EQ(status, 200);
  EXPECT_STREQ(d["board"].GetString(), "rk3588");
}

TEST_F(AgentOverSocket, StopRestoresTheTreeFileByFile) {
  int status = 0;
  getJson(socket_, "/v1/status", &status);
  ASSERT_EQ(status, 200);
  const TreeSnapshot during = snapshot(t_.twin->rootDir());
  EXPECT_NE(during.controls, before_.controls);  // the cap and the controllers are written
  stop();
  ASSERT_TRUE(runStatus_.ok()) << runStatus_.error().message();
  server_.reset();
  const TreeSnapshot after = snapshot(t_.twin->rootDir());
  for (const auto& [path, content] : before_.controls) {
    auto it = after.controls.find(path);
    ASSERT_NE(it, after.controls.end()) << path;
    EXPECT_EQ(it->second, content) << path;
  }
  EXPECT_EQ(after.controls.size(), before_.controls.size());
  EXPECT_EQ(after.paths, before_.paths);
  struct stat st;
  EXPECT_NE(stat(socket_.c_str(), &st), 0);  // the socket file is gone
}

// The socket open to everyone (0666), so that only SO_PEERCRED stands between a caller and the
// mutating requests.
class AgentOverOpenSocket : public AgentOverSocket {
 protected:
  AgentOverOpenSocket() { socketMode_ = 0666; }
};

// In a forked child that dropped to nobody: the status of GET /v1/status, then of POST
// /v1/workloads and POST /v1/verify/sessions, written to `out` (0 when a request failed).
[[noreturn]] void asNobody(const std::string& socket, int out) {
  int statuses[3] = {0, 0, 0};
  if (setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0) {
    auto get = unixHttpRequest(socket, "GET", "/v1/status");
    statuses[0] = get.ok() ? get.value().status : 0;
    auto post = unixHttpRequest(socket, "POST", "/v1/workloads", "{\"attach\": 1}");
    statuses[1] = post.ok() ? post.value().status : 0;
    auto verify = unixHttpRequest(socket, "POST", "/v1/verify/sessions", "{}");
    statuses[2] = verify.ok() ? verify.value().status : 0;
  }
  ssize_t n = write(out, statuses, sizeof statuses);
  _exit(n == static_cast<ssize_t>(sizeof statuses) ? 0 : 1);
}

TEST_F(AgentOverOpenSocket, NobodyMayReadButNotChange) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop a child to nobody (uid 65534)";
  EXPECT_EQ(server_->authorisedGroup(), getegid());
  ASSERT_EQ(chmod(t_.dir.path().c_str(), 0711), 0);  // nobody may reach the socket
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) asNobody(socket_, fds[1]);
  close(fds[1]);
  int statuses[3] = {0, 0, 0};
  EXPECT_EQ(read(fds[0], statuses, sizeof statuses), static_cast<ssize_t>(sizeof statuses));
  close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
  EXPECT_EQ(statuses[0], 200);
  EXPECT_EQ(statuses[1], 403);
  EXPECT_EQ(statuses[2], 403);
  // Root (this process) passes the check: the same POST reaches the handlers.
  auto r = unixHttpRequest(socket_, "POST", "/v1/workloads", "{\"attach\": 1}");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_NE(r.value().status, 403);
}

TEST(PeerAuthorisation, RootAndTheGroupOnly) {
  PeerCred root;
  root.uid = 0;
  root.gid = 12345;
  EXPECT_TRUE(peerAuthorised(root, 4242));
  PeerCred member;
  member.uid = 65534;
  member.gid = 4242;
  EXPECT_TRUE(peerAuthorised(member, 4242));
  PeerCred other = member;
  other.gid = 65534;
  EXPECT_FALSE(peerAuthorised(other, 4242));
  // This process, through a socket pair: SO_PEERCRED names it.
  int sv[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  auto peer = socketPeer(sv[0]);
  close(sv[0]);
  close(sv[1]);
  ASSERT_TRUE(peer.ok()) << peer.error().message();
  EXPECT_EQ(peer.value().pid, getpid());
  EXPECT_EQ(peer.value().uid, geteuid());
  EXPECT_TRUE(peerAuthorised(peer.value(), getegid()));
  EXPECT_FALSE(socketPeer(-1).ok());
}

}  // namespace
}  // namespace qeil

namespace qeil {
namespace {

// Workloads registered through the socket while the twin runs (fast, until 120 s of simulated
// time, then held): the plan is written into the fake tree (cpusets, scaling_max_freq), the
// twin's processes run where it says, and stopping the agent restores the tree file by file.
class WorkloadsOverSocket : public test::SocketAgentTest {
 protected:
  void SetUp() override {
    ASSERT_TRUE(t_.twin);
    before_ = snapshot(t_.twin->rootDir());
    AgentOptions o;
    o.simLimitNs = 120 * kNsPerS;
    startAgent(o);
  }
  TreeSnapshot before_;
};

std::string treeFile(const TreeSnapshot& s, const std::string& rel) {
  auto it = s.controls.find(rel);
  return it == s.controls.end() ? std::string("(missing)") : it->second;
}

TEST_F(WorkloadsOverSocket, PlanWrittenObeyedAndRestored) {
  // Wait for the socket to answer, then register two LLM runs.
  int status = 0;
  for (int i = 0; i < 200 && status != 200; ++i) {
    auto r = unixHttpRequest(socket_, "GET", "/v1/status");
    status = r.ok() ? r.value().status : 0;
    if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(status, 200);
  auto r = unixHttpRequest(socket_, "PUT", "/v1/policy", R"({"policy": "energy-first"})");
  ASSERT_TRUE(r.ok() && r.value().status == 200);
  for (const char* body :
       {R"({"run": ["llm-a"], "model": {"output_tokens": 1000000, "threads": 4}})",
        R"({"run": ["llm-b"], "model": {"output_tokens": 1000000, "threads": 2}})"}) {
    r = unixHttpRequest(socket_, "POST", "/v1/workloads", body);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r.value().status, 201) << r.value().body;
  }
  ASSERT_TRUE(waitForUptime(socket_, 120.0));  // held from here on
  rapidjson::Document plan = getJson(socket_, "/v1/plan", &status);
  ASSERT_EQ(status, 200);
  ASSERT_EQ(plan["workloads"].GetInt(), 2) << plan["explanation"].GetString();
  rapidjson::Document list = getJson(socket_, "/v1/workloads", &status);
  ASSERT_EQ(list["workloads"].Size(), 2u);
  const TreeSnapshot during = snapshot(t_.twin->rootDir());
  int onCpu = 0;
  for (const rapidjson::Value& w : list["workloads"].GetArray()) {
    EXPECT_STREQ(w["state"].GetString(), "running");
    EXPECT_GT(w["tokens"].GetUint64(), 0u);
    const int d = indexByName(t_.board.devices, std::string(w["planned_device"].GetString()));
    ASSERT_GE(d, 0);
    const BoardDevice& dev = t_.board.devices[static_cast<size_t>(d)];
    if (dev.kind != HwDeviceKind::Cpu) {
      EXPECT_STREQ(w["device"].GetString(), dev.name.c_str());  // the twin runs it there
      continue;
    }
    ++onCpu;
    EXPECT_STREQ(w["device"].GetString(), "cpu");
    char want[128] = {};
    ASSERT_TRUE(dev.cpus.format(want, sizeof want));
    const std::string group = w["group"].GetString();
    EXPECT_EQ(treeFile(during, "/sys/fs/cgroup/qeil/" + group + "/cpuset.cpus"), want);
    // The twin obeys: its threads run on the cluster's CPUs, and nowhere else.
    ASSERT_TRUE(w["cpus"].IsString());
    auto running = CpuSet::parse(w["cpus"].GetString(), "cpus");
    ASSERT_TRUE(running.ok());
    for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
      if (running.value().contains(c)) {
        EXPECT_TRUE(dev.cpus.contains(c)) << "cpu " << c;
      }
    }
    // The cluster's scaling_max_freq (kHz) is one of its OPPs, at or above the plan's choice.
    const std::string policy = t_.agent->hal().domains[static_cast<size_t>(d)]->name();
    const std::string maxKhz =
        treeFile(during, "/sys/devices/system/cpu/cpufreq/" + policy + "/scaling_max_freq");
    bool isOpp = false;
    for (const OppSpec& o : dev.opps)
      isOpp = isOpp || std::to_string(o.freqHz / 1000) == maxKhz;
    EXPECT_TRUE(isOpp) << policy << " scaling_max_freq " << maxKhz;
    EXPECT_NE(maxKhz,
              treeFile(before_, "/sys/devices/system/cpu/cpufreq/" + policy + "/scaling_max_freq"))
        << "the plan's OPP is below the top one here";
  }
  EXPECT_GE(onCpu, 1) << plan["explanation"].GetString();
  // Stop (as SIGTERM does): the workloads end and every file is as before.
  t_.agent->requestStop();
  loop_.join();
  ASSERT_TRUE(runStatus_.ok()) << runStatus_.error().message();
  server_.reset();
  const TreeSnapshot after = snapshot(t_.twin->rootDir());
  EXPECT_EQ(after.controls, before_.controls);
}

}  // namespace
}  // namespace qeil
