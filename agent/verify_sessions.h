#pragma once

#include <array>
#include <cstdint>

#include "hal/clock.h"
#include "hal/result.h"
#include "verify/session.h"

namespace qeil {

// One verification session of the control API: a verify::Session (the CSVET cascade or an
// anchor rule over one question's samples) with its id and when it was last used.
struct VerifySessionEntry {
  bool used = false;
  int id = 0;
  verify::Session session;
  int64_t createdNs = 0;
  int64_t lastUseNs = 0;
};

// The agent's verification sessions (issue 7, /v1/verify/sessions): a fixed table of
// kMaxSessions, each bounded to kMaxSamples samples; a session unused for idleTimeoutNs is
// dropped (clients that vanish do not keep their slot). Ids are never reused. Time comes from
// the clock given (the daemon's monotonic clock; tests step a simulated one). Only create()
// and remove() change which sessions exist; nothing here allocates after construction.
class VerifySessionTable {
 public:
  static constexpr int kMaxSessions = 32;
  static constexpr int kMaxSamples = 1024;
  static constexpr int64_t kDefaultIdleTimeoutNs = 600 * kNsPerS;

  explicit VerifySessionTable(const Clock& clock, int64_t idleTimeoutNs = kDefaultIdleTimeoutNs)
      : clock_(&clock), idleTimeoutNs_(idleTimeoutNs) {}

  // A new session; EINVAL for a config verify::Session refuses or kMax beyond kMaxSamples,
  // EAGAIN when every slot is held by a session in use.
  Result<int> create(const verify::SessionConfig& config);
  // The session, marked used now; null when there is none (never was, deleted, or expired).
  VerifySessionEntry* find(int id);
  // False when there is no such session.
  bool remove(int id);
  // Drops the sessions idle for idleTimeoutNs or longer; how many.
  int expire();

  const std::array<VerifySessionEntry, kMaxSessions>& entries() const { return entries_; }
  int active() const;
  uint64_t expiredTotal() const { return expiredTotal_; }
  int64_t idleTimeoutNs() const { return idleTimeoutNs_; }
  int64_t nowNs() const { return clock_->nowNs(); }

 private:
  const Clock* clock_;
  int64_t idleTimeoutNs_;
  std::array<VerifySessionEntry, kMaxSessions> entries_{};
  int nextId_ = 1;
  uint64_t expiredTotal_ = 0;
};

}  // namespace qeil
