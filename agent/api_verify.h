#pragma once

#include <string>

#include "agent/api.h"

namespace qeil {

class Agent;

// The verification routes of the control API (MODEL.md §9 over agent/verify_sessions.h):
//   GET /v1/verify/sessions        every session's state, the capacity and the idle timeout
//   POST /v1/verify/sessions       {"rule": "csvet"|"majority"|"beta"|"esc"|"sprt",
//                                  "max_samples": n, "delta": d, "beta_threshold": b,
//                                  "esc_window": w, "sprt_margin": m} (all optional; the default
//                                  is CSVET with verify::SessionConfig's parameters): 201 with
//                                  the state; 429 when every slot is in use
//   GET, DELETE /v1/verify/sessions/{id}
//   POST /v1/verify/sessions/{id}/samples
//                                  {"answer": "..."|null, "tokens": n, "logprob": lp} or an array
//                                  of them (answer: the raw text, canonicalised as verify/answer.h
//                                  does; null: nothing extracted; logprob optional, <= 0): fed in
//                                  order until the session stops; the state with "taken" (how
//                                  many were used). Every sample is checked before any is fed.
// A session's state: id, rule, stop, reason, answer (the leading class, or null), posterior,
// mode_posterior, entropy_nats, diversity, samples, max_samples, classes, tokens, idle_s.
// Errors: 400 naming the field, 404 unknown session, 405 with Allow, 413 more than
// VerifySessionTable::kMaxSamples samples in one request. False when `path` is none of these.
bool handleVerifyRequest(Agent& agent, const char* method, const char* path,
                         const std::string& body, ApiResponse* out);

}  // namespace qeil
