#pragma once

#include <cstdint>
#include <vector>

struct bufferevent;
struct event;
struct event_base;
struct evhttp;
struct evhttp_connection;

namespace qeil {

// Bounds on the control socket's connections that libevent 2.1's evhttp does not have: at most
// `maxConnections` open at once (a connection beyond that is answered 503 and closed at once),
// and each connection must complete a request within `requestTimeoutS` of being accepted or of
// its previous request being answered (a client trickling its headers or body a byte at a time
// keeps evhttp's per-read timeout alive; this bound does not reset on each byte).
//
// How it sees connections with evhttp's public API only: evhttp asks for each accepted
// connection's bufferevent (evhttp_set_bevcb) and then makes the evhttp_connection its
// callbacks' argument; once the loop comes back, bufferevent_getcb names that connection, and
// evhttp_connection_set_closecb reports when evhttp frees it.
class ConnectionGuard {
 public:
  struct Counts {
    uint64_t accepted = 0;
    uint64_t refused = 0;   // over the cap: 503 and closed
    uint64_t timedOut = 0;  // no complete request within requestTimeoutS
    uint32_t open = 0;
  };

  ConnectionGuard(int maxConnections, int requestTimeoutS)
      : maxConnections_(maxConnections), requestTimeoutS_(requestTimeoutS) {}
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  // Installs the hooks on `http` and starts the once-a-second sweep. False when libevent could
  // not allocate the events.
  bool attach(event_base* base, evhttp* http);
  // A request on `conn` was answered: its time to complete the next one starts now.
  void requestDone(evhttp_connection* conn);
  const Counts& counts() const { return counts_; }

 private:
  struct Slot {
    evhttp_connection* conn = nullptr;
    int64_t sinceNs = 0;
  };
  static bufferevent* newBufferevent(event_base* base, void* self);
  static void adoptPending(int fd, short what, void* self);
  static void onClose(evhttp_connection* conn, void* self);
  static void sweep(int fd, short what, void* self);
  void adopt(bufferevent* bev);
  Slot* find(const evhttp_connection* conn);

  int maxConnections_;
  int requestTimeoutS_;
  Counts counts_;
  std::vector<Slot> slots_;            // maxConnections_ entries, conn == nullptr: free
  std::vector<bufferevent*> pending_;  // accepted since the loop last came back
  event* adoptEvent_ = nullptr;
  event* sweepEvent_ = nullptr;
};

}  // namespace qeil
