#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "hal/result.h"

struct evhttp;
struct evhttp_request;
struct evconnlistener;

namespace qeil {

class Agent;
class EventLoop;

struct ControlServerOptions {
  std::string socketPath = "/run/qeild.sock";
  mode_t socketMode = 0660;
  std::string socketGroup;            // empty: the daemon's group
  int64_t maxBodyBytes = 64 * 1024;   // larger requests get 413
  int64_t maxHeaderBytes = 8 * 1024;  // larger headers get 431 (libevent answers 400)
  int timeoutS = 10;                  // idle connection time
  int backlog = 32;
};

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
  uint64_t requests() const { return requests_; }

 private:
  ControlServer(Agent& agent, const ControlServerOptions& options)
      : agent_(agent), options_(options) {}
  Status init(EventLoop& loop);
  Result<int> listenUnix();
  static void onRequest(evhttp_request* req, void* self);
  void handle(evhttp_request* req);

  Agent& agent_;
  ControlServerOptions options_;
  evhttp* http_ = nullptr;
  evconnlistener* listener_ = nullptr;  // owned by http_ once bound
  bool bound_ = false;
  uint64_t requests_ = 0;
};

// The path of a UNIX socket fits sockaddr_un::sun_path (107 bytes and the NUL on Linux).
Status checkSocketPath(const std::string& path);

}  // namespace qeil
