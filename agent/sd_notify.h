#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "hal/result.h"

namespace qeil {

// systemd's service notification protocol (sd_notify(3)), spoken directly so that qeild needs
// no libsystemd: datagrams such as "READY=1" sent to the AF_UNIX socket named by $NOTIFY_SOCKET
// (a path, or "@name" for the abstract namespace). Without $NOTIFY_SOCKET (not started by
// systemd with Type=notify) every send does nothing and succeeds.
class SdNotifier {
 public:
  // Reads $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID from the environment. Errors: the
  // socket named cannot be addressed (too long, not absolute) or opened.
  static Result<SdNotifier> fromEnvironment();
  SdNotifier() = default;
  ~SdNotifier();
  SdNotifier(SdNotifier&& other) noexcept;
  SdNotifier& operator=(SdNotifier&& other) noexcept;
  SdNotifier(const SdNotifier&) = delete;
  SdNotifier& operator=(const SdNotifier&) = delete;

  bool enabled() const { return fd_ >= 0; }
  // One datagram: "READY=1", "WATCHDOG=1", "STOPPING=1", "STATUS=...", several lines allowed.
  Status send(const char* message) const;
  // How often to send WATCHDOG=1: half of $WATCHDOG_USEC, or 0 when systemd does not watch this
  // process ($WATCHDOG_USEC unset or invalid, or $WATCHDOG_PID names another process).
  int64_t watchdogPeriodUs() const { return watchdogPeriodUs_; }

 private:
  int fd_ = -1;
  std::string address_;  // sun_path bytes; a leading NUL for the abstract namespace
  int64_t watchdogPeriodUs_ = 0;
};

// Half of `watchdogUsec` when it is a positive number of microseconds and `watchdogPid` is
// empty or names `self`; otherwise 0 (the rules of sd_watchdog_enabled(3)).
int64_t watchdogPeriodUs(const char* watchdogUsec, const char* watchdogPid, pid_t self);

}  // namespace qeil
