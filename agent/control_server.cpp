#include "agent/control_server.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "agent/api.h"
#include "agent/event_loop.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule logApi("api");

sockaddr_un unixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// Removes a socket file nothing listens on; refuses to touch a live one or a non-socket.
Status removeStaleSocket(const std::string& path) {
  struct stat st;
  if (lstat(path.c_str(), &st) != 0) return Status();
  if (!S_ISSOCK(st.st_mode))
    return Error::make(EEXIST, "%s exists and is not a socket: not replacing it", path.c_str());
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::make(errno, "socket: %s", strerror(errno));
  sockaddr_un addr = unixAddress(path);
  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  close(fd);
  if (rc == 0) return Error::make(EADDRINUSE, "%s: another qeild is serving on it", path.c_str());
  if (err != ECONNREFUSED && err != ENOENT)
    return Error::make(err, "%s: cannot tell whether it is stale: %s", path.c_str(), strerror(err));
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    return Error::make(errno, "%s: cannot remove the stale socket: %s", path.c_str(),
                       strerror(errno));
  return Status();
}

Status applyOwnership(const ControlServerOptions& o) {
  if (!o.socketGroup.empty()) {
    group* g = getgrnam(o.socketGroup.c_str());
    if (!g) return Error::make(ENOENT, "socket group '%s': no such group", o.socketGroup.c_str());
    if (chown(o.socketPath.c_str(), static_cast<uid_t>(-1), g->gr_gid) != 0)
      return Error::make(errno, "%s: chown to group %s: %s", o.socketPath.c_str(),
                         o.socketGroup.c_str(), strerror(errno));
  }
  if (chmod(o.socketPath.c_str(), o.socketMode) != 0)
    return Error::make(errno, "%s: chmod %o: %s", o.socketPath.c_str(), o.socketMode,
                       strerror(errno));
  return Status();
}

}  // namespace

Result<PeerCred> socketPeer(int fd) {
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
    return Error::make(errno, "SO_PEERCRED on fd %d: %s", fd, strerror(errno));
  PeerCred peer;
  peer.pid = cred.pid;
  peer.uid = cred.uid;
  peer.gid = cred.gid;
  return peer;
}

bool peerAuthorised(const PeerCred& peer, gid_t group) {
  if (peer.uid == 0 || peer.gid == group) return true;
  passwd pw;
  passwd* found = nullptr;
  char buf[4096];
  if (getpwuid_r(peer.uid, &pw, buf, sizeof buf, &found) != 0 || !found) return false;
  int count = 64;
  std::vector<gid_t> groups(static_cast<size_t>(count));
  if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count) < 0) {
    groups.resize(static_cast<size_t>(count));
    if (getgrouplist(pw.pw_name, pw.pw_gid, groups.data(), &count) < 0) return false;
  }
  for (int i = 0; i < count; ++i) {
    if (groups[static_cast<size_t>(i)] == group) return true;
  }
  return false;
}

Status checkSocketPath(const std::string& path) {
  if (path.empty()) return Error::make(EINVAL, "socket path: empty");
  if (path.size() >= sizeof(sockaddr_un::sun_path))
    return Error::make(ENAMETOOLONG,
                       "socket path %s: %zu bytes, a UNIX socket path holds at most %zu",
                       path.c_str(), path.size(), sizeof(sockaddr_un::sun_path) - 1);
  return Status();
}

Result<std::unique_ptr<ControlServer>> ControlServer::create(EventLoop& loop, Agent& agent,
                                                             const ControlServerOptions& options) {
  std::unique_ptr<ControlServer> server(new ControlServer(agent, options));
  Status s = server->init(loop);
  if (!s.ok()) return s.error();
  return server;
}

Result<int> ControlServer::listenUnix() {
  Status s = checkSocketPath(options_.socketPath);
  if (s.ok()) s = removeStaleSocket(options_.socketPath);
  if (!s.ok()) return s.error();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return Error::make(errno, "socket: %s", strerror(errno));
  sockaddr_un addr = unixAddress(options_.socketPath);
  // Not reachable by anyone else between bind and chmod.
  mode_t old = umask(0177);
  int rc = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  int err = errno;
  umask(old);
  if (rc != 0) {
    close(fd);
    return Error::make(err, "%s: bind: %s", options_.socketPath.c_str(), strerror(err));
  }
  s = applyOwnership(options_);
  if (s.ok() && listen(fd, options_.backlog) != 0)
    s = Error::make(errno, "%s: listen: %s", options_.socketPath.c_str(), strerror(errno));
  if (!s.ok()) {
    close(fd);
    unlink(options_.socketPath.c_str());
    return s.error();
  }
  return fd;
}

Status ControlServer::init(EventLoop& loop) {
  authGid_ = getegid();
  if (!options_.socketGroup.empty()) {
    group* g = getgrnam(options_.socketGroup.c_str());
    if (!g)
      return Error::make(ENOENT, "socket group '%s': no such group", options_.socketGroup.c_str());
    authGid_ = g->gr_gid;
  }
  auto fd = listenUnix();
  if (!fd.ok()) return fd.error();
  bound_ = true;
  listener_ = evconnlistener_new(loop.base(), nullptr, nullptr,
                                 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, -1, fd.value());
  if (!listener_) {
    close(fd.value());
    return Error::make(ENOMEM, "%s: evconnlistener_new failed", options_.socketPath.c_str());
  }
  http_ = evhttp_new(loop.base());
  if (!http_) return Error::make(ENOMEM, "evhttp_new failed");
  if (!evhttp_bind_listener(http_, listener_)) {
    evconnlistener_free(listener_);
    listener_ = nullptr;
    return Error::make(EIO, "%s: evhttp_bind_listener failed", options_.socketPath.c_str());
  }
  evhttp_set_max_body_size(http_, options_.maxBodyBytes);
  evhttp_set_max_headers_size(http_, options_.maxHeaderBytes);
  evhttp_set_timeout(http_, options_.timeoutS);
  // Every method reaches the handler, which answers 405 with JSON (libevent would say 501).
  evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
                                        EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
                                        EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
  evhttp_set_gencb(http_, &ControlServer::onRequest, this);
  if (!guard_.attach(loop.base(), http_))
    return Error::make(ENOMEM, "%s: cannot set up the connection bounds",
                       options_.socketPath.c_str());
  QEIL_LOG(logApi, Info, "control API on %s (mode %o, at most %d connections)",
           options_.socketPath.c_str(), options_.socketMode, options_.maxConnections);
  return Status();
}

ControlServer::~ControlServer() {
  if (http_) {
    evhttp_free(http_);  // frees the bound listener and closes the socket
  } else if (listener_) {
    evconnlistener_free(listener_);
  }
  if (bound_) unlink(options_.socketPath.c_str());
}

void ControlServer::onRequest(evhttp_request* req, void* self) {
  static_cast<ControlServer*>(self)->handle(req);
}

namespace {

const char* methodName(evhttp_cmd_type cmd) {
  switch (cmd) {
    case EVHTTP_REQ_GET:
      return "GET";
    case EVHTTP_REQ_POST:
      return "POST";
    case EVHTTP_REQ_HEAD:
      return "HEAD";
    case EVHTTP_REQ_PUT:
      return "PUT";
    case EVHTTP_REQ_DELETE:
      return "DELETE";
    case EVHTTP_REQ_OPTIONS:
      return "OPTIONS";
    case EVHTTP_REQ_TRACE:
      return "TRACE";
    case EVHTTP_REQ_CONNECT:
      return "CONNECT";
    case EVHTTP_REQ_PATCH:
      return "PATCH";
  }
  return "UNKNOWN";
}

bool mutating(evhttp_cmd_type cmd) {
  return cmd == EVHTTP_REQ_POST || cmd == EVHTTP_REQ_PUT || cmd == EVHTTP_REQ_DELETE ||
         cmd == EVHTTP_REQ_PATCH;
}

}  // namespace

bool ControlServer::refuse(evhttp_request* req, const char* method, const char* uri,
                           ApiResponse* out) const {
  if (!mutating(evhttp_request_get_command(req))) return false;
  evhttp_connection* conn = evhttp_request_get_connection(req);
  bufferevent* bev = conn ? evhttp_connection_get_bufferevent(conn) : nullptr;
  Result<PeerCred> peer = socketPeer(bev ? bufferevent_getfd(bev) : -1);
  char msg[384];
  if (!peer.ok()) {
    snprintf(msg, sizeof msg, "%.16s %.200s: cannot identify the caller (%.120s)", method, uri,
             peer.error().message());
  } else if (peerAuthorised(peer.value(), authGid_)) {
    return false;
  } else {
    group* g = getgrgid(authGid_);
    snprintf(msg, sizeof msg,
             "%.16s %.200s: not authorised: uid %u is neither root nor in group %.64s (gid %u)",
             method, uri, static_cast<unsigned>(peer.value().uid), g ? g->gr_name : "?",
             static_cast<unsigned>(authGid_));
  }
  QEIL_LOG(logApi, Warn, "%s", msg);
  *out = apiError(403, msg);
  return true;
}

void ControlServer::handle(evhttp_request* req) {
  ++requests_;
  const char* method = methodName(evhttp_request_get_command(req));
  const char* uri = evhttp_request_get_uri(req);
  if (!uri) uri = "";
  ApiResponse r;
  if (!refuse(req, method, uri, &r)) {
    std::string body;
    evbuffer* in = evhttp_request_get_input_buffer(req);
    const size_t n = in ? evbuffer_get_length(in) : 0;
    if (n > 0) {
      body.resize(n);
      evbuffer_copyout(in, &body[0], n);
    }
    r = handleApiRequest(agent_, method, uri, body);
    if (r.status == 200 && strncmp(uri, "/metrics", 8) == 0 && (uri[8] == '\0' || uri[8] == '?'))
      appendMetrics(r.body);
  }
  QEIL_LOG(logApi, Debug, "%s %s -> %d", method, uri, r.status);
  evkeyvalq* headers = evhttp_request_get_output_headers(req);
  evhttp_add_header(headers, "Content-Type", r.contentType);
  if (r.allow) evhttp_add_header(headers, "Allow", r.allow);
  evbuffer* body = evbuffer_new();
  if (body) evbuffer_add(body, r.body.data(), r.body.size());
  guard_.requestDone(evhttp_request_get_connection(req));
  evhttp_send_reply(req, r.status, nullptr, body);
  if (body) evbuffer_free(body);
}

void ControlServer::appendMetrics(std::string& out) const {
  const ConnectionGuard::Counts& c = guard_.counts();
  char text[1024];
  snprintf(text, sizeof text,
           "# HELP qeil_api_requests_total Requests answered on the control socket.\n"
           "# TYPE qeil_api_requests_total counter\n"
           "qeil_api_requests_total %llu\n"
           "# HELP qeil_api_connections_open Connections open on the control socket.\n"
           "# TYPE qeil_api_connections_open gauge\n"
           "qeil_api_connections_open %u\n"
           "# HELP qeil_api_connections_refused_total Connections over the limit, answered 503.\n"
           "# TYPE qeil_api_connections_refused_total counter\n"
           "qeil_api_connections_refused_total %llu\n"
           "# HELP qeil_api_connections_timed_out_total Connections closed for not completing a "
           "request in time.\n"
           "# TYPE qeil_api_connections_timed_out_total counter\n"
           "qeil_api_connections_timed_out_total %llu\n",
           static_cast<unsigned long long>(requests_), c.open,
           static_cast<unsigned long long>(c.refused), static_cast<unsigned long long>(c.timedOut));
  out += text;
}

}  // namespace qeil
