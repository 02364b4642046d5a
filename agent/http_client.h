#pragma once

#include <string>

#include "hal/result.h"

namespace qeil {

struct HttpReply {
  int status = 0;
  std::string contentType;
  std::string body;
};

// One HTTP/1.1 request over a UNIX socket, blocking, one request per connection (qeilctl and
// the tests). Errors say what happened in user terms: no socket at the path, nothing listening
// (the daemon is not running), permission denied, a timeout, a malformed reply.
Result<HttpReply> unixHttpRequest(const std::string& socketPath, const char* method,
                                  const char* path, const std::string& body = std::string(),
                                  int timeoutMs = 5000);

// Sends `raw` bytes as they are and reads the reply (tests of malformed requests).
Result<HttpReply> unixHttpRaw(const std::string& socketPath, const std::string& raw,
                              int timeoutMs = 5000);

// Parses "HTTP/1.1 200 OK\r\n...\r\n\r\nbody" (Content-Length or up to the end).
Result<HttpReply> parseHttpReply(const std::string& raw);

}  // namespace qeil
