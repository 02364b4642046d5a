#pragma once

#include <string>

#include "agent/api.h"

namespace qeil {

class Agent;

// The workload routes of the control API:
//   GET /v1/workloads                 every workload: id, pid, device, state, tokens, tokens/s
//   POST /v1/workloads                {"attach": pid} or {"run": [argv...], "model": {...},
//                                     "device": "cpu"|accelerator}: 201 with the entry; 429
//                                     when the table is full
//   GET, DELETE /v1/workloads/{id}    one workload; stop it
//   POST /v1/workloads/{id}/progress  {"tokens": n}, the total decoded so far
// The model descriptor's fields: name, params, bits_per_weight, layers, hidden, kv_width,
// context, prompt_tokens, output_tokens, threads (defaults: defaultLlmDescriptor()).
// and the planner's:
//   GET, PUT /v1/policy   {"policy": "energy-first"|"latency-first"|"balanced",
//                         "power_cap_w": W|null}; PUT re-plans
//   GET /v1/plan          the plan's phases (device, OPP, time, energy, binding constraint),
//                         its objectives and scheduler/explain.h's explanation
// False when `path` (without its query) is none of these.
bool handleWorkloadRequest(Agent& agent, const char* method, const char* path,
                           const std::string& body, ApiResponse* out);

}  // namespace qeil
