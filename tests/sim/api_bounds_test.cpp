// The control socket's bounds and its robustness, over the real socket of the agent on the
// rk3588 twin: at most N connections at once (the rest answered 503 and closed, counted in
// /metrics, serving going on), a client that does not complete a request in time is dropped
// even when it trickles bytes, and every mutating route answers malformed, oversized,
// truncated, wrong-typed and misdirected requests with a 4xx JSON error and keeps serving.
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <rapidjson/document.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "agent/agent.h"
#include "agent/control_server.h"
#include "agent/http_client.h"
#include "agent/qeild_options.h"
#include "tests/unit/agent/agent_fixture.h"

namespace qeil {
namespace {

using Clock = std::chrono::steady_clock;

int connectUnix(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool sendAll(int fd, const std::string& bytes) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// Reads until the peer closes or `timeoutMs` passes; *closed tells which.
std::string readUntilClosed(int fd, int timeoutMs, bool* closed) {
  std::string out;
  *closed = false;
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeoutMs);
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (poll(&p, 1, static_cast<int>(left > 0 ? left : 0)) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      *closed = true;
      break;
    }
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// One reply read off a kept-alive connection: up to its Content-Length.
std::string readOneReply(int fd) {
  std::string out;
  char buf[4096];
  for (int i = 0; i < 200; ++i) {
    size_t head = out.find("\r\n\r\n");
    if (head != std::string::npos) {
      size_t cl = out.find("Content-Length: ");
      if (cl != std::string::npos && cl < head) {
        size_t len = strtoul(out.c_str() + cl + 16, nullptr, 10);
        if (out.size() >= head + 4 + len) return out;
      }
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// The value of an unlabelled metric in /metrics, -1 when absent.
double metric(const std::string& socket, const char* name) {
  auto r = unixHttpRequest(socket, "GET", "/metrics");
  if (!r.ok() || r.value().status != 200) return -1;
  const std::string line = std::string("\n") + name + " ";
  size_t at = r.value().body.find(line);
  if (at == std::string::npos) return -1;
  return strtod(r.value().body.c_str() + at + line.size(), nullptr);
}

int statusOf(const std::string& socket, const char* method, const char* path,
             const std::string& body = std::string()) {
  auto r = unixHttpRequest(socket, method, path, body);
  return r.ok() ? r.value().status : 0;
}

class BoundedSocket : public ::testing::Test {
 protected:
  void start(int maxConnections, int timeoutS) {
    ASSERT_TRUE(t_.twin);
    AgentOptions o;
    o.speed = 0.0;
    o.simLimitNs = 2 * kNsPerS;
    o.journalPath = t_.dir.file("settings.journal");
    ASSERT_TRUE(t_.start(o));
    ControlServerOptions so;
    so.socketPath = socket_;
    so.maxConnections = maxConnections;
    so.timeoutS = timeoutS;
    auto server = ControlServer::create(t_.agent->loop(), *t_.agent, so);
    ASSERT_TRUE(server.ok()) << server.error().message();
    server_ = std::move(server.value());
    loop_ = std::thread([this] { runStatus_ = t_.agent->run(); });
    for (int i = 0; i < 400 && statusOf(socket_, "GET", "/v1/status") != 200; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  void TearDown() override {
    for (int fd : open_)
      close(fd);
    if (loop_.joinable()) {
      t_.agent->requestStop();
      loop_.join();
    }
  }
  // Waits until /metrics reports `open` connections (its own included).
  bool waitForOpen(double open) {
    for (int i = 0; i < 200; ++i) {
      if (metric(socket_, "qeil_api_connections_open") == open) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  test::TwinAgent t_{"rk3588.cfg"};
  std::string socket_ = t_.dir.file("qeild.sock");
  std::unique_ptr<ControlServer> server_;
  std::thread loop_;
  Status runStatus_;
  std::vector<int> open_;
};

TEST_F(BoundedSocket, ConnectionsOverTheCapGet503AndServingGoesOn) {
  constexpr int kMax = 4;
  start(kMax, 10);
  // kMax - 1 idle connections, and the /metrics request makes kMax.
  for (int i = 0; i < kMax - 1; ++i) {
    open_.push_back(connectUnix(socket_));
    ASSERT_GE(open_.back(), 0);
  }
  ASSERT_TRUE(waitForOpen(kMax));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the /metrics one is closed
  open_.push_back(connectUnix(socket_));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Now kMax are open: one more is answered 503 with a JSON error and closed.
  open_.push_back(connectUnix(socket_));
  int extra = open_.back();
  ASSERT_GE(extra, 0);
  int idle = connectUnix(socket_);  // kMax + 2 while the 503 is pending: also refused
  ASSERT_GE(idle, 0);
  bool closed = false;
  // The 503 does not wait for a request: the server may have answered and closed already, so
  // the send may fail (EPIPE) while the answer still waits in this end's buffer.
  (void)sendAll(extra, "GET /v1/status HTTP/1.1\r\nHost: q\r\n\r\n");
  std::string reply = readUntilClosed(extra, 3000, &closed);
  EXPECT_TRUE(closed);
  EXPECT_EQ(reply.compare(0, 12, "HTTP/1.1 503"), 0) << reply;
  EXPECT_NE(reply.find("\"code\":503"), std::string::npos) << reply;
  readUntilClosed(idle, 3000, &closed);
  EXPECT_TRUE(closed);
  close(idle);
  // Closing one idle connection frees its place.
  close(open_[0]);
  open_.erase(open_.begin());
  ASSERT_TRUE(waitForOpen(kMax));
  EXPECT_GE(metric(socket_, "qeil_api_connections_refused_total"), 2.0);
  EXPECT_EQ(statusOf(socket_, "GET", "/v1/status"), 200);
  // Every kind of close gives its place back: none of the held ones, an answered one, one the
  // client dropped half-way.
  for (int fd : open_)
    close(fd);
  open_.clear();
  int half = connectUnix(socket_);
  ASSERT_TRUE(sendAll(half, "GET /v1/sta"));
  close(half);
  EXPECT_TRUE(waitForOpen(1));
  EXPECT_EQ(server_->requests() > 0, true);
}

TEST_F(BoundedSocket, KeptAliveConnectionServesSeveralRequests) {
  start(4, 2);
  int fd = connectUnix(socket_);
  open_.push_back(fd);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(sendAll(fd, "GET /v1/status HTTP/1.1\r\nHost: q\r\n\r\n"));
    std::string reply = readOneReply(fd);
    EXPECT_EQ(reply.compare(0, 12, "HTTP/1.1 200"), 0) << i << ": " << reply;
    // Each answer restarts the connection's time, so requests 1.2 s apart outlive 2 s.
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  }
}

TEST_F(BoundedSocket, SlowClientsAreDroppedAfterTheRequestTime) {
  constexpr int kTimeoutS = 2;
  start(8, kTimeoutS);
  int idle = connectUnix(socket_);
  int trickle = connectUnix(socket_);
  open_ = {idle, trickle};
  ASSERT_GE(idle, 0);
  ASSERT_GE(trickle, 0);
  const auto t0 = Clock::now();
  // A byte every 300 ms: libevent's per-read timeout (2 s) never expires.
  const std::string request =
      "GET /v1/status HTTP/1.1\r\nHost: q\r\nX-Slow: " + std::string(40, 'z') + "\r\n\r\n";
  bool trickleClosed = false;
  double trickleS = 0;
  for (size_t i = 0; i < request.size(); ++i) {
    if (send(trickle, &request[i], 1, MSG_NOSIGNAL) != 1) {
      trickleClosed = true;
      break;
    }
    bool closed = false;
    readUntilClosed(trickle, 300, &closed);
    if (closed) {
      trickleClosed = true;
      break;
    }
  }
  trickleS = std::chrono::duration<double>(Clock::now() - t0).count();
  EXPECT_TRUE(trickleClosed);
  EXPECT_GE(trickleS, kTimeoutS - 0.1);
  EXPECT_LE(trickleS, kTimeoutS + 2.0);
  bool idleClosed = false;
  readUntilClosed(idle, 3000, &idleClosed);
  EXPECT_TRUE(idleClosed);
  EXPECT_GE(metric(socket_, "qeil_api_connections_timed_out_total"), 1.0);
  EXPECT_EQ(statusOf(socket_, "GET", "/v1/status"), 200);
}

// A JSON error whose code is the reply's status, and a 4xx status.
void expectJson4xx(const std::string& socket, const char* method, const char* path,
                   const std::string& body, int want = 0) {
  auto r = unixHttpRequest(socket, method, path, body);
  ASSERT_TRUE(r.ok()) << method << " " << path << ": " << r.error().message();
  const int status = r.value().status;
  EXPECT_EQ(status / 100, 4) << method << " " << path << " " << body.substr(0, 40);
  if (want) {
    EXPECT_EQ(status, want) << method << " " << path << " " << body.substr(0, 40);
  }
  if (status == 413) return;  // libevent's own answer: no JSON body
  rapidjson::Document d;
  d.Parse(r.value().body.c_str());
  ASSERT_FALSE(d.HasParseError()) << r.value().body;
  ASSERT_TRUE(d.IsObject() && d.HasMember("error")) << r.value().body;
  EXPECT_EQ(d["error"]["code"].GetInt(), status);
}

class MutatingRoutes : public BoundedSocket {
 protected:
  void SetUp() override {
    start(64, 10);
    // A workload (the twin runs it), so the per-workload routes reach their body parsers.
    auto r = unixHttpRequest(socket_, "POST", "/v1/workloads",
                             R"({"run": ["llm-a"], "model": {"output_tokens": 1000000}})");
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r.value().status, 201) << r.value().body;
    rapidjson::Document d;
    d.Parse(r.value().body.c_str());
    ASSERT_TRUE(d.IsObject() && d.HasMember("id"));
    id_ = "/v1/workloads/" + std::to_string(d["id"].GetInt());
  }
  std::string id_;
};

TEST_F(MutatingRoutes, MalformedRequestsGet4xxJsonAndServingGoesOn) {
  const std::string progress = id_ + "/progress";
  struct Case {
    const char* method;
    std::string path;
    std::string body;
    int want;
  };
  const std::string big(128 * 1024, '[');
  const std::vector<Case> cases = {
      // not JSON, or not an object
      {"POST", "/v1/workloads", "run ls", 400},
      {"POST", "/v1/workloads", "", 400},
      {"POST", "/v1/workloads", "[1, 2]", 400},
      {"POST", progress, "{\"tokens\": ", 400},
      {"PUT", "/v1/policy", "energy-first", 400},
      // wrong-typed fields
      {"POST", "/v1/workloads", "{\"attach\": \"12\"}", 400},
      {"POST", "/v1/workloads", "{\"attach\": -4}", 400},
      {"POST", "/v1/workloads", "{\"run\": \"ls -l\"}", 400},
      {"POST", "/v1/workloads", "{\"run\": [1, 2]}", 400},
      {"POST", "/v1/workloads", "{\"run\": [\"ls\"], \"device\": 3}", 400},
      {"POST", "/v1/workloads", "{\"run\": [\"ls\"], \"model\": \"big\"}", 400},
      {"POST", progress, "{\"tokens\": -1}", 400},
      {"POST", progress, "{\"tokens\": \"many\"}", 400},
      {"PUT", "/v1/policy", "{\"policy\": 7}", 400},
      {"PUT", "/v1/policy", "{\"policy\": \"fastest\"}", 400},
      {"PUT", "/v1/policy", "{\"power_cap_w\": \"5\"}", 400},
      {"PUT", "/v1/policy", "{\"power_cap_w\": -2}", 400},
      // oversized bodies
      {"POST", "/v1/workloads", big, 413},
      {"POST", progress, big, 413},
      {"PUT", "/v1/policy", big, 413},
      // unknown routes and methods
      {"POST", "/v1/nothing", "{}", 404},
      {"POST", "/v1/workloads/999999/progress", "{\"tokens\": 1}", 404},
      {"DELETE", "/v1/workloads/999999", "", 404},
      {"PATCH", "/v1/workloads", "{}", 405},
      {"PUT", "/v1/workloads", "{}", 405},
      {"DELETE", "/v1/workloads", "", 405},
      {"PUT", progress, "{\"tokens\": 1}", 405},
      {"DELETE", progress, "", 405},
      {"POST", id_, "{}", 405},
      {"POST", "/v1/policy", "{}", 405},
      {"DELETE", "/v1/policy", "", 405},
      {"POST", "/v1/status", "{}", 405},
  };
  for (const Case& c : cases)
    expectJson4xx(socket_, c.method, c.path.c_str(), c.body, c.want);
  // Nothing above changed the workload or the policy.
  auto w = unixHttpRequest(socket_, "GET", id_.c_str());
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value().status, 200);
  EXPECT_EQ(statusOf(socket_, "GET", "/v1/status"), 200);
}

TEST_F(MutatingRoutes, OversizedHeadersAndTruncatedBodiesDoNotStopServing) {
  const std::string routes[] = {"POST /v1/workloads", "POST " + id_ + "/progress", "PUT /v1/policy",
                                "DELETE " + id_};
  for (const std::string& route : routes) {
    // Oversized headers: 4xx, and the connection closed.
    int fd = connectUnix(socket_);
    ASSERT_GE(fd, 0);
    sendAll(fd, route + " HTTP/1.1\r\nHost: q\r\nX-Pad: " + std::string(16 * 1024, 'a') +
                    "\r\nContent-Length: 2\r\n\r\n{}");
    bool closed = false;
    std::string reply = readUntilClosed(fd, 3000, &closed);
    close(fd);
    EXPECT_TRUE(closed) << route;
    EXPECT_EQ(reply.compare(0, 10, "HTTP/1.1 4"), 0) << route << ": " << reply.substr(0, 80);
    // A body shorter than its Content-Length, then the client stops writing: never handled
    // (no 2xx), at most a 4xx, and the connection ends.
    fd = connectUnix(socket_);
    ASSERT_GE(fd, 0);
    sendAll(fd, route + " HTTP/1.1\r\nHost: q\r\nContent-Length: 400\r\n\r\n{\"tokens\": 5, \"po");
    shutdown(fd, SHUT_WR);
    reply = readUntilClosed(fd, 3000, &closed);
    close(fd);
    EXPECT_TRUE(closed) << route;
    EXPECT_TRUE(reply.empty() || reply.compare(0, 10, "HTTP/1.1 4") == 0)
        << route << ": " << reply.substr(0, 80);
  }
  // The workload is still there (the DELETE never arrived whole) and the daemon serves.
  auto w = unixHttpRequest(socket_, "GET", id_.c_str());
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w.value().status, 200);
  EXPECT_EQ(statusOf(socket_, "GET", "/v1/status"), 200);
}

// In a forked child that dropped to nobody: the status of each mutating request.
[[noreturn]] void mutateAsNobody(const std::string& socket, const std::string& id, int out) {
  int statuses[5] = {0, 0, 0, 0, 0};
  if (setgroups(0, nullptr) == 0 && setgid(65534) == 0 && setuid(65534) == 0) {
    statuses[0] = statusOf(socket, "POST", "/v1/workloads", "{\"attach\": 1}");
    statuses[1] = statusOf(socket, "POST", (id + "/progress").c_str(), "{\"tokens\": 5}");
    statuses[2] = statusOf(socket, "PUT", "/v1/policy", "{\"policy\": \"latency-first\"}");
    statuses[3] = statusOf(socket, "DELETE", id.c_str());
    statuses[4] = statusOf(socket, "GET", id.c_str());
  }
  ssize_t n = write(out, statuses, sizeof statuses);
  _exit(n == static_cast<ssize_t>(sizeof statuses) ? 0 : 1);
}

TEST_F(MutatingRoutes, NobodyIsRefusedOnEveryMutatingRoute) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to drop a child to nobody (uid 65534)";
  ASSERT_EQ(chmod(t_.dir.path().c_str(), 0711), 0);
  ASSERT_EQ(chmod(socket_.c_str(), 0666), 0);  // only SO_PEERCRED stands in the way
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) mutateAsNobody(socket_, id_, fds[1]);
  close(fds[1]);
  int statuses[5] = {0, 0, 0, 0, 0};
  EXPECT_EQ(read(fds[0], statuses, sizeof statuses), static_cast<ssize_t>(sizeof statuses));
  close(fds[0]);
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  for (int i = 0; i < 4; ++i)
    EXPECT_EQ(statuses[i], 403) << "request " << i;
  EXPECT_EQ(statuses[4], 200);
  auto policy = unixHttpRequest(socket_, "GET", "/v1/policy");
  ASSERT_TRUE(policy.ok());
  EXPECT_EQ(policy.value().body.find("latency-first"), std::string::npos);
  EXPECT_EQ(statusOf(socket_, "GET", id_.c_str()), 200);  // not deleted
}

TEST(QeildOptions, MaxConnectionsIsBounded) {
  const char* given[] = {"qeild", "--board", "b.cfg", "--max-connections", "8"};
  auto o = parseQeildOptions(5, given);
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o.value().maxConnections, 8);
  const char* defaulted[] = {"qeild", "--board", "b.cfg"};
  EXPECT_EQ(parseQeildOptions(3, defaulted).value().maxConnections, 64);
  const char* zero[] = {"qeild", "--board", "b.cfg", "--max-connections", "0"};
  auto bad = parseQeildOptions(5, zero);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.error().message()).find("--max-connections"), std::string::npos);
}

}  // namespace
}  // namespace qeil
