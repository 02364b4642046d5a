#include "agent/http_client.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <strings.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace qeil {
namespace {

Result<int> connectUnix(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path)
    return Error::make(ENAMETOOLONG, "socket path %s is too long", path.c_str());
  addr.sun_family = AF_UNIX;
  memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error::make(errno, "socket: %s", strerror(errno));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  int err = errno;
  close(fd);
  if (err == ENOENT) return Error::make(err, "qeild is not running: no socket at %s", path.c_str());
  if (err == ECONNREFUSED)
    return Error::make(err, "qeild is not running: nothing listens on %s", path.c_str());
  if (err == EACCES)
    return Error::make(err, "permission denied on %s (qeild's socket is for root and its group)",
                       path.c_str());
  return Error::make(err, "cannot connect to %s: %s", path.c_str(), strerror(err));
}

// Waits for `events` on fd until the deadline; ETIMEDOUT when it passes.
Status waitFor(int fd, short events, int timeoutMs) {
  pollfd p{fd, events, 0};
  int rc;
  do {
    rc = poll(&p, 1, timeoutMs);
  } while (rc < 0 && errno == EINTR);
  if (rc == 0) return Error::make(ETIMEDOUT, "no answer within %d ms", timeoutMs);
  if (rc < 0) return Error::make(errno, "poll: %s", strerror(errno));
  return Status();
}

Status sendAll(int fd, const std::string& data, int timeoutMs) {
  size_t done = 0;
  while (done < data.size()) {
    Status s = waitFor(fd, POLLOUT, timeoutMs);
    if (!s.ok()) return s;
    ssize_t n = send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error::make(errno, "send: %s", strerror(errno));
    done += static_cast<size_t>(n);
  }
  return Status();
}

// Reads until the peer closes (the server closes after a Connection: close reply).
Result<std::string> readAll(int fd, int timeoutMs) {
  std::string out;
  char buf[4096];
  for (;;) {
    Status s = waitFor(fd, POLLIN, timeoutMs);
    if (!s.ok()) return s.error();
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == ECONNRESET && !out.empty()) return out;
    if (n < 0) return Error::make(errno, "recv: %s", strerror(errno));
    if (n == 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string headerValue(const std::string& head, const char* name) {
  const size_t len = strlen(name);
  size_t pos = head.find("\r\n");
  while (pos != std::string::npos) {
    size_t start = pos + 2;
    size_t end = head.find("\r\n", start);
    std::string line = head.substr(start, end == std::string::npos ? end : end - start);
    if (line.size() > len && strncasecmp(line.c_str(), name, len) == 0 && line[len] == ':') {
      size_t v = line.find_first_not_of(" \t", len + 1);
      return v == std::string::npos ? std::string() : line.substr(v);
    }
    pos = end;
  }
  return std::string();
}

}  // namespace

Result<HttpReply> parseHttpReply(const std::string& raw) {
  size_t headEnd = raw.find("\r\n\r\n");
  if (raw.compare(0, 5, "HTTP/") != 0 || headEnd == std::string::npos)
    return Error::make(EPROTO, "malformed HTTP reply (%zu bytes)", raw.size());
  const std::string head = raw.substr(0, headEnd);
  size_t sp = head.find(' ');
  HttpReply reply;
  reply.status = sp == std::string::npos ? 0 : atoi(head.c_str() + sp + 1);
  if (reply.status < 100 || reply.status > 599)
    return Error::make(EPROTO, "malformed HTTP status line");
  reply.contentType = headerValue(head, "Content-Type");
  reply.body = raw.substr(headEnd + 4);
  const std::string length = headerValue(head, "Content-Length");
  if (!length.empty()) {
    size_t n = strtoul(length.c_str(), nullptr, 10);
    if (n > reply.body.size()) return Error::make(EPROTO, "truncated HTTP reply body");
    reply.body.resize(n);
  }
  return reply;
}

Result<HttpReply> unixHttpRaw(const std::string& socketPath, const std::string& raw,
                              int timeoutMs) {
  auto fd = connectUnix(socketPath);
  if (!fd.ok()) return fd.error();
  Status s = sendAll(fd.value(), raw, timeoutMs);
  // A server may answer before it read everything (413 for a body too large) and close: the
  // send fails with EPIPE, and its answer is still there to read.
  const bool closedEarly =
      !s.ok() && (s.error().errnum() == EPIPE || s.error().errnum() == ECONNRESET);
  Result<std::string> in =
      s.ok() || closedEarly ? readAll(fd.value(), timeoutMs) : Result<std::string>(s.error());
  if (closedEarly && (!in.ok() || in.value().empty())) in = s.error();
  close(fd.value());
  if (!in.ok()) return in.error().prefix("%s", socketPath.c_str());
  return parseHttpReply(in.value());
}

Result<HttpReply> unixHttpRequest(const std::string& socketPath, const char* method,
                                  const char* path, const std::string& body, int timeoutMs) {
  std::string req =
      std::string(method) + " " + path + " HTTP/1.1\r\nHost: qeil\r\n" + "Connection: close\r\n";
  if (!body.empty()) {
    req +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  return unixHttpRaw(socketPath, req, timeoutMs);
}

}  // namespace qeil
