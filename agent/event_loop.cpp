#include "agent/event_loop.h"

#include <event2/event.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qeil {

Result<std::unique_ptr<EventLoop>> EventLoop::create() {
  std::unique_ptr<EventLoop> loop(new EventLoop());
  Status s = loop->init();
  if (!s.ok()) return s.error();
  return loop;
}

Status EventLoop::init() {
  base_ = event_base_new();
  if (!base_) return Error::make(ENOMEM, "event loop: event_base_new failed");
  int fds[2];
  if (pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0)
    return Error::make(errno, "event loop: wake-up pipe: %s", strerror(errno));
  wakeRead_ = fds[0];
  wakeWrite_ = fds[1];
  auto onWake = [](int fd, short, void* self) {
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {
    }
    event_base_loopbreak(static_cast<EventLoop*>(self)->base_);
  };
  wakeEvent_ = event_new(base_, wakeRead_, EV_READ | EV_PERSIST, onWake, this);
  if (!wakeEvent_ || event_add(wakeEvent_, nullptr) != 0)
    return Error::make(ENOMEM, "event loop: cannot watch the wake-up pipe");
  return Status();
}

EventLoop::~EventLoop() {
  if (wakeEvent_) event_free(wakeEvent_);
  if (base_) event_base_free(base_);
  if (wakeRead_ >= 0) close(wakeRead_);
  if (wakeWrite_ >= 0) close(wakeWrite_);
}

Status EventLoop::run() {
  while (!stopRequested()) {
    int rc = event_base_loop(base_, 0);
    if (rc < 0) return Error::make(EIO, "event loop: event_base_loop failed");
    if (rc == 1) return Status();  // nothing left to wait for
    if (event_base_got_break(base_) && !stopRequested()) return Status();  // stop()
  }
  return Status();
}

Status EventLoop::runOnce() {
  if (event_base_loop(base_, EVLOOP_NONBLOCK) < 0)
    return Error::make(EIO, "event loop: event_base_loop failed");
  return Status();
}

void EventLoop::stop() {
  event_base_loopbreak(base_);
}

void EventLoop::requestStop() {
  stopRequested_ = 1;
  const char one = 1;
  ssize_t n = write(wakeWrite_, &one, 1);
  (void)n;  // a full pipe already wakes the loop
}

bool EventLoop::stopRequested() const {
  return stopRequested_ != 0;
}

Timer::Timer(EventLoop& loop, std::function<void()> callback)
    : loop_(loop), callback_(std::move(callback)) {}

Timer::~Timer() {
  if (event_) event_free(event_);
}

Status Timer::start(int64_t periodUs) {
  if (periodUs < 0)
    return Error::make(EINVAL, "timer: negative period %lld us", (long long)periodUs);
  if (event_) event_free(event_);
  // libevent does not re-arm a persistent timer of zero timeout: a zero period re-adds its
  // one-shot timeout after each firing, so I/O is polled between firings.
  periodUs_ = periodUs;
  event_ = event_new(loop_.base(), -1, periodUs > 0 ? EV_PERSIST : 0, &Timer::fire, this);
  if (!event_) return Error::make(ENOMEM, "timer: event_new failed");
  active_ = true;
  if (!arm()) return Error::make(EIO, "timer: event_add failed");
  return Status();
}

bool Timer::arm() {
  timeval tv{static_cast<time_t>(periodUs_ / 1000000),
             static_cast<suseconds_t>(periodUs_ % 1000000)};
  return event_add(event_, &tv) == 0;
}

void Timer::cancel() {
  if (event_) event_del(event_);
  active_ = false;
}

void Timer::fire(int, short, void* self) {
  Timer* t = static_cast<Timer*>(self);
  t->callback_();
  if (t->periodUs_ == 0 && t->active_) t->arm();
}

FdWatcher::FdWatcher(EventLoop& loop, int fd, std::function<void()> onReadable)
    : loop_(loop), fd_(fd), callback_(std::move(onReadable)) {}

FdWatcher::~FdWatcher() {
  if (event_) event_free(event_);
}

Status FdWatcher::start() {
  if (!event_) event_ = event_new(loop_.base(), fd_, EV_READ | EV_PERSIST, &FdWatcher::fire, this);
  if (!event_ || event_add(event_, nullptr) != 0)
    return Error::make(EIO, "fd watcher: cannot watch descriptor %d", fd_);
  return Status();
}

void FdWatcher::cancel() {
  if (event_) event_del(event_);
}

void FdWatcher::fire(int, short, void* self) {
  static_cast<FdWatcher*>(self)->callback_();
}

SignalWatcher::SignalWatcher(EventLoop& loop, int signum, std::function<void()> onSignal)
    : loop_(loop), signum_(signum), callback_(std::move(onSignal)) {}

SignalWatcher::~SignalWatcher() {
  if (event_) event_free(event_);
}

Status SignalWatcher::start() {
  if (!event_) event_ = evsignal_new(loop_.base(), signum_, &SignalWatcher::fire, this);
  if (!event_) return Error::make(ENOMEM, "signal watcher: evsignal_new failed");
  // Persistent: evsignal_new events are EV_SIGNAL | EV_PERSIST.
  if (event_add(event_, nullptr) != 0)
    return Error::make(EIO, "signal watcher: cannot watch signal %d", signum_);
  return Status();
}

void SignalWatcher::fire(int, short, void* self) {
  static_cast<SignalWatcher*>(self)->callback_();
}

}  // namespace qeil
