#pragma once

// What the sim tests share: a snapshot of the twin's tree (the files the agent may write, with
// their contents, and every path), JSON GETs over the socket, and waiting for simulated uptime.
#include <ftw.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>

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
#include "tests/unit/agent/agent_fixture.h"

namespace qeil::test {

// Files of the tree the agent may write (cgroups, frequency limits and governors, CPU online),
// with their contents, and every path of the tree.
struct TreeSnapshot {
  std::map<std::string, std::string> controls;
  std::set<std::string> paths;
};

inline TreeSnapshot* gSnapshot = nullptr;
inline size_t gRootLen = 0;

inline bool isControl(const std::string& rel) {
  static const char* const kNames[] = {"scaling_governor",
                                       "scaling_max_freq",
                                       "scaling_min_freq",
                                       "governor",
                                       "max_freq",
                                       "min_freq",
                                       "online"};
  if (rel.find("/sys/fs/cgroup/") == 0) return true;
  const std::string base = rel.substr(rel.rfind('/') + 1);
  for (const char* n : kNames) {
    if (base == n) return true;
  }
  return false;
}

inline int visit(const char* path, const struct stat*, int type, struct FTW*) {
  const std::string rel = std::string(path).substr(gRootLen);
  gSnapshot->paths.insert(rel);
  if (type == FTW_F && isControl(rel)) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    // A sysfs read ends in a newline whatever was written; plain files keep what was written.
    std::string text = ss.str();
    while (!text.empty() && isspace(static_cast<unsigned char>(text.back())))
      text.pop_back();
    gSnapshot->controls[rel] = text;
  }
  return 0;
}

inline TreeSnapshot snapshot(const std::string& root) {
  TreeSnapshot s;
  gSnapshot = &s;
  gRootLen = root.size();
  EXPECT_EQ(nftw(root.c_str(), visit, 16, FTW_PHYS), 0);
  gSnapshot = nullptr;
  return s;
}

inline rapidjson::Document getJson(const std::string& socket, const char* path, int* status) {
  rapidjson::Document d;
  auto r = unixHttpRequest(socket, "GET", path);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message());
  if (!r.ok()) return d;
  *status = r.value().status;
  d.Parse(r.value().body.c_str());
  EXPECT_FALSE(d.HasParseError()) << r.value().body;
  return d;
}

// Polls /v1/status until the agent's simulated uptime reaches `uptimeS`.
inline bool waitForUptime(const std::string& socket, double uptimeS) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    rapidjson::Document d = getJson(socket, "/v1/status", &status);
    if (status == 200 && d["uptime_s"].GetDouble() >= uptimeS - 1e-9) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The agent on its loop thread with a control socket; the test talks to it only through the
// socket (and, on the loop's thread, through the beforeTick hook).
class SocketAgentTest : public ::testing::Test {
 protected:
  void startAgent(AgentOptions o) {
    ASSERT_TRUE(t_.twin);
    o.speed = 0.0;
    o.journalPath = t_.dir.file("settings.journal");
    ASSERT_TRUE(t_.start(o));
    ControlServerOptions so;
    so.socketPath = socket_;
    auto server = ControlServer::create(t_.agent->loop(), *t_.agent, so);
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server.value());
    loop_ = std::thread([this] { runStatus_ = t_.agent->run(); });
  }
  void TearDown() override {
    if (loop_.joinable()) {
      t_.agent->requestStop();
      loop_.join();
    }
  }
  void post(const char* path, const std::string& body, int want) {
    auto r = unixHttpRequest(socket_, "POST", path, body);
    ASSERT_TRUE(r.ok()) << r.error().message();
    ASSERT_EQ(r.value().status, want) << r.value().body;
  }
  void waitForSocket() {
    int status = 0;
    for (int i = 0; i < 400 && status != 200; ++i) {
      auto r = unixHttpRequest(socket_, "GET", "/v1/status");
      status = r.ok() ? r.value().status : 0;
      if (status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ASSERT_EQ(status, 200);
  }

  TwinAgent t_{"rk3588.cfg"};
  std::string socket_ = t_.dir.file("qeild.sock");
  std::unique_ptr<ControlServer> server_;
  std::thread loop_;
  Status runStatus_;
};

}  // namespace qeil::test
