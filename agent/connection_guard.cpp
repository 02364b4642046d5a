#include "agent/connection_guard.h"

#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <sys/socket.h>

#include <cstring>
#include <ctime>

#include "hal/log.h"

namespace qeil {
namespace {

LogModule logConn("api");

int64_t monotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// What a connection over the cap reads before it is closed.
constexpr char kBusyReply[] =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Connection: close\r\n"
    "Content-Length: 89\r\n"
    "\r\n"
    "{\"error\":{\"code\":503,\"message\":\"too many connections to qeild; try again shortly\"}}\n";

}  // namespace

ConnectionGuard::~ConnectionGuard() {
  if (adoptEvent_) event_free(adoptEvent_);
  if (sweepEvent_) event_free(sweepEvent_);
}

bool ConnectionGuard::attach(event_base* base, evhttp* http) {
  slots_.assign(static_cast<size_t>(maxConnections_), Slot());
  pending_.reserve(static_cast<size_t>(maxConnections_));
  adoptEvent_ = event_new(base, -1, 0, &ConnectionGuard::adoptPending, this);
  sweepEvent_ = event_new(base, -1, EV_PERSIST, &ConnectionGuard::sweep, this);
  if (!adoptEvent_ || !sweepEvent_) return false;
  const timeval second{1, 0};
  if (event_add(sweepEvent_, &second) != 0) return false;
  evhttp_set_bevcb(http, &ConnectionGuard::newBufferevent, this);
  return true;
}

// evhttp accepted a connection and wants its bufferevent; the connection object does not exist
// yet, so it is adopted when the loop comes back (before any of its bytes are read).
bufferevent* ConnectionGuard::newBufferevent(event_base* base, void* self) {
  auto* guard = static_cast<ConnectionGuard*>(self);
  bufferevent* bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
  if (bev) {
    guard->pending_.push_back(bev);
    event_active(guard->adoptEvent_, EV_TIMEOUT, 1);
  }
  return bev;
}

void ConnectionGuard::adoptPending(int, short, void* self) {
  auto* guard = static_cast<ConnectionGuard*>(self);
  for (bufferevent* bev : guard->pending_)
    guard->adopt(bev);
  guard->pending_.clear();
}

ConnectionGuard::Slot* ConnectionGuard::find(const evhttp_connection* conn) {
  for (Slot& s : slots_) {
    if (s.conn == conn) return &s;
  }
  return nullptr;
}

void ConnectionGuard::adopt(bufferevent* bev) {
  bufferevent_data_cb readCb = nullptr;
  bufferevent_data_cb writeCb = nullptr;
  bufferevent_event_cb eventCb = nullptr;
  void* arg = nullptr;
  bufferevent_getcb(bev, &readCb, &writeCb, &eventCb, &arg);
  auto* conn = static_cast<evhttp_connection*>(arg);
  if (!conn || evhttp_connection_get_bufferevent(conn) != bev) {
    QEIL_LOG(logConn, Warn, "an accepted connection has no evhttp connection: not tracked");
    return;
  }
  Slot* slot = find(nullptr);
  if (!slot) {
    ++counts_.refused;
    const int fd = bufferevent_getfd(bev);
    if (fd >= 0) (void)send(fd, kBusyReply, sizeof kBusyReply - 1, MSG_DONTWAIT | MSG_NOSIGNAL);
    QEIL_LOG(logConn, Warn, "connection refused: %d already open (the limit)", maxConnections_);
    evhttp_connection_free(conn);
    return;
  }
  ++counts_.accepted;
  ++counts_.open;
  slot->conn = conn;
  slot->sinceNs = monotonicNs();
  evhttp_connection_set_closecb(conn, &ConnectionGuard::onClose, this);
}

void ConnectionGuard::onClose(evhttp_connection* conn, void* self) {
  auto* guard = static_cast<ConnectionGuard*>(self);
  Slot* slot = guard->find(conn);
  if (!slot) return;
  slot->conn = nullptr;
  --guard->counts_.open;
}

void ConnectionGuard::requestDone(evhttp_connection* conn) {
  Slot* slot = conn ? find(conn) : nullptr;
  if (slot) slot->sinceNs = monotonicNs();
}

void ConnectionGuard::sweep(int, short, void* self) {
  auto* guard = static_cast<ConnectionGuard*>(self);
  const int64_t limitNs = static_cast<int64_t>(guard->requestTimeoutS_) * 1000000000;
  const int64_t now = monotonicNs();
  for (Slot& s : guard->slots_) {
    if (!s.conn || now - s.sinceNs < limitNs) continue;
    ++guard->counts_.timedOut;
    QEIL_LOG(logConn, Info, "connection dropped: no complete request within %d s",
             guard->requestTimeoutS_);
    evhttp_connection_free(s.conn);  // onClose frees the slot
    if (s.conn) {                    // evhttp did not report the close: free it here
      s.conn = nullptr;
      --guard->counts_.open;
    }
  }
}

}  // namespace qeil
