#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "agent/connection_guard.h"
#include "hal/result.h"

struct evhttp;
struct evhttp_request;
struct evconnlistener;

namespace qeil {

class Agent;
class EventLoop;
struct ApiResponse;

struct ControlServerOptions {
  std::string socketPath = "/run/qeild.sock";
  mode_t socketMode = 0660;
  std::string socketGroup;            // empty: the daemon's group
  int64_t maxBodyBytes = 64 * 1024;   // larger requests get 413
  int64_t maxHeaderBytes = 8 * 1024;  // larger headers get 431 (libevent answers 400)
  int timeoutS = 10;                  // idle connection time; also the time a connection has
                                      // to complete each request (ConnectionGuard)
  int maxConnections = 64;            // more at once are answered 503 and closed
  int backlog = 32;
};

// Who is on the other end of a UNIX socket (SO_PEERCRED: the connecting process's ids).
struct PeerCred {
  pid_t pid = 0;
  uid_t uid = static_cast<uid_t>(-1);
  gid_t gid = static_cast<gid_t>(-1);
};

Result<PeerCred> socketPeer(int fd);

// Whether `peer` may make mutating requests (POST, PUT, DELETE, PATCH): root, or a member of
// `group` by its primary group or by its user's supplementary groups (getgrouplist).
bool peerAuthorised(const PeerCred& peer, gid_t group);

// The control API's transport (ARCHITECTURE.md "Control API"): libevent's evhttp bound to an
// AF_UNIX listening socket, created with the configured mode and group. A stale socket file
// (nothing listening) is replaced; a live one is an error (another qeild). Requests go to
// handleApiRequest on the loop's thread. The socket file is removed when the server dies.
class ControlServer {
 public:
  static Result<std::unique_ptr<ControlServer>> create(EventLoop& loop, Agent& agent,
                                                       const ControlServerOptions& options);
  ~ControlServer();
  ControlServer(const ControlServer&) = delete;
  ControlServer& operator=(const ControlServer&) = delete;

  const std::string& socketPath() const { return options_.socketPath; }
  // The group whose members (and root) may make mutating requests.
  gid_t authorisedGroup() const { return authGid_; }
  uint64_t requests() const { return requests_; }
  const ConnectionGuard::Counts& connections() const { return guard_.counts(); }

 private:
  ControlServer(Agent& agent, const ControlServerOptions& options)
      : agent_(agent), options_(options), guard_(options.maxConnections, options.timeoutS) {}
  Status init(EventLoop& loop);
  Result<int> listenUnix();
  static void onRequest(evhttp_request* req, void* self);
  void handle(evhttp_request* req);
  // 403 (filled into `out`) when the caller of a mutating request is not authorised.
  bool refuse(evhttp_request* req, const char* method, const char* uri, ApiResponse* out) const;
  // /metrics: the transport's own counters after the agent's.
  void appendMetrics(std::string& out) const;

  Agent& agent_;
  ControlServerOptions options_;
  ConnectionGuard guard_;  // destroyed after http_, whose connections it tracks
  evhttp* http_ = nullptr;
  evconnlistener* listener_ = nullptr;  // owned by http_ once bound
  gid_t authGid_ = 0;
  bool bound_ = false;
  uint64_t requests_ = 0;
};

// The path of a UNIX socket fits sockaddr_un::sun_path (107 bytes and the NUL on Linux).
Status checkSocketPath(const std::string& path);

}  // namespace qeil
