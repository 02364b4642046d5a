#include "agent/sd_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace qeil {

int64_t watchdogPeriodUs(const char* watchdogUsec, const char* watchdogPid, pid_t self) {
  if (!watchdogUsec || !*watchdogUsec) return 0;
  char* end = nullptr;
  errno = 0;
  const unsigned long long usec = strtoull(watchdogUsec, &end, 10);
  if (errno != 0 || *end != '\0' || usec == 0 || watchdogUsec[0] == '-') return 0;
  if (watchdogPid && *watchdogPid) {
    errno = 0;
    const long pid = strtol(watchdogPid, &end, 10);
    if (errno != 0 || *end != '\0' || pid != static_cast<long>(self)) return 0;
  }
  return static_cast<int64_t>(usec / 2);
}

Result<SdNotifier> SdNotifier::fromEnvironment() {
  SdNotifier n;
  n.watchdogPeriodUs_ =
      qeil::watchdogPeriodUs(getenv("WATCHDOG_USEC"), getenv("WATCHDOG_PID"), getpid());
  const char* socketName = getenv("NOTIFY_SOCKET");
  if (!socketName || !*socketName) return n;
  const size_t len = strlen(socketName);
  if (socketName[0] != '/' && socketName[0] != '@')
    return Error::make(EAFNOSUPPORT, "NOTIFY_SOCKET=%s: not a path or an abstract socket name",
                       socketName);
  if (len >= sizeof(sockaddr_un::sun_path))
    return Error::make(ENAMETOOLONG, "NOTIFY_SOCKET=%s: too long for a UNIX socket address",
                       socketName);
  n.address_.assign(socketName, len);
  if (socketName[0] == '@') n.address_[0] = '\0';
  n.fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (n.fd_ < 0) return Error::make(errno, "NOTIFY_SOCKET: socket: %s", strerror(errno));
  return n;
}

SdNotifier::~SdNotifier() {
  if (fd_ >= 0) close(fd_);
}

SdNotifier::SdNotifier(SdNotifier&& other) noexcept
    : fd_(other.fd_),
      address_(std::move(other.address_)),
      watchdogPeriodUs_(other.watchdogPeriodUs_) {
  other.fd_ = -1;
}

SdNotifier& SdNotifier::operator=(SdNotifier&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    address_ = std::move(other.address_);
    watchdogPeriodUs_ = other.watchdogPeriodUs_;
    other.fd_ = -1;
  }
  return *this;
}

Status SdNotifier::send(const char* message) const {
  if (fd_ < 0) return Status();
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, address_.data(), address_.size());
  const socklen_t addrLen =
      static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + address_.size());
  const ssize_t n = sendto(fd_, message, strlen(message), MSG_NOSIGNAL,
                           reinterpret_cast<const sockaddr*>(&addr), addrLen);
  if (n < 0) return Error::make(errno, "sd_notify %.40s: %s", message, strerror(errno));
  return Status();
}

}  // namespace qeil
