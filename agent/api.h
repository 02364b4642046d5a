#pragma once

#include <string>

namespace qeil {

class Agent;

// What the control API answers to one request: an HTTP status, a content type and the body.
struct ApiResponse {
  int status = 200;
  const char* contentType = "application/json";
  const char* allow = nullptr;  // 405: the methods the path takes (the Allow header)
  std::string body;
};

// The control API's routes (ARCHITECTURE.md "Control API"), independent of the transport so the
// handlers can be tested (and fuzzed) without a socket:
//   GET /v1/status   board, mode, uptime, ticks, board power and energy, telemetry fill
//   GET /v1/devices  every device: kind, CPUs, frequency now and its limits, governor, zone
//   GET /v1/rails    every rail: power, bus voltage, current, energy, sensor health
//   GET /metrics     the same in the Prometheus text format (version 0.0.4)
// Errors are JSON {"error": {"code": N, "message": "..."}}: 404 for an unknown path, 405 (with
// the allowed method) for a known path and another method. `path` may carry a query string,
// which is ignored. Runs on the loop's thread: reads the agent's state directly.
// `body`: the request's body (POST, PUT); the workload routes are in api_workloads.h, the
// verification sessions in api_verify.h.
ApiResponse handleApiRequest(Agent& agent, const char* method, const char* path,
                             const std::string& body = std::string());

// {"error": {"code": status, "message": message}}
ApiResponse apiError(int status, const char* message);

}  // namespace qeil
