#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "hal/result.h"

struct event_base;
struct event;

namespace qeil {

// The daemon's one loop (ARCHITECTURE.md "Conventions": one thread owns the loop and all state):
// a thin wrapper over a libevent event_base. Timers, descriptor watchers and signal watchers are
// registered on it at start-up; their callbacks run on the loop's thread, one at a time.
// Callbacks are std::function set once at start-up: firing one does not allocate.
class EventLoop {
 public:
  static Result<std::unique_ptr<EventLoop>> create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Runs until stop() (from a callback) or wake-up by requestStop() (from anywhere).
  Status run();
  // Runs the callbacks that are ready now, without waiting.
  Status runOnce();
  // From a callback on the loop's thread: leave run() after the current callback.
  void stop();
  // From any thread or a signal handler: run() returns soon. Async-signal-safe.
  void requestStop();
  bool stopRequested() const;

  event_base* base() { return base_; }

 private:
  EventLoop() = default;
  Status init();

  event_base* base_ = nullptr;
  int wakeRead_ = -1;
  int wakeWrite_ = -1;
  event* wakeEvent_ = nullptr;
  volatile int stopRequested_ = 0;
};

// A periodic timer on the loop. A period of 0 fires on every loop iteration (a test mode that
// steps simulated time without sleeping).
class Timer {
 public:
  Timer(EventLoop& loop, std::function<void()> callback);
  ~Timer();
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

  Status start(int64_t periodUs);
  void cancel();
  bool active() const { return active_; }

 private:
  static void fire(int fd, short what, void* self);
  bool arm();

  EventLoop& loop_;
  std::function<void()> callback_;
  event* event_ = nullptr;
  int64_t periodUs_ = 0;
  bool active_ = false;
};

// Calls back when a descriptor becomes readable.
class FdWatcher {
 public:
  FdWatcher(EventLoop& loop, int fd, std::function<void()> onReadable);
  ~FdWatcher();
  FdWatcher(const FdWatcher&) = delete;
  FdWatcher& operator=(const FdWatcher&) = delete;

  Status start();
  void cancel();

 private:
  static void fire(int fd, short what, void* self);

  EventLoop& loop_;
  int fd_;
  std::function<void()> callback_;
  event* event_ = nullptr;
};

// Delivers a signal (SIGTERM, SIGINT, SIGHUP) to the loop as a callback on its thread, not in
// the signal handler.
class SignalWatcher {
 public:
  SignalWatcher(EventLoop& loop, int signum, std::function<void()> onSignal);
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  Status start();

 private:
  static void fire(int fd, short what, void* self);

  EventLoop& loop_;
  int signum_;
  std::function<void()> callback_;
  event* event_ = nullptr;
};

}  // namespace qeil
