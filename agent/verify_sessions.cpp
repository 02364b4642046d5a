#include "agent/verify_sessions.h"

#include <cerrno>

namespace qeil {

Result<int> VerifySessionTable::create(const verify::SessionConfig& config) {
  if (config.kMax > kMaxSamples)
    return Error::make(EINVAL, "max_samples %d: at most %d", config.kMax, kMaxSamples);
  verify::Session session;
  if (!verify::Session::create(config, &session))
    return Error::make(EINVAL, "the session's parameters are out of range");
  expire();
  for (VerifySessionEntry& e : entries_) {
    if (e.used) continue;
    const int64_t now = clock_->nowNs();
    e.used = true;
    e.id = nextId_++;
    e.session = session;
    e.createdNs = now;
    e.lastUseNs = now;
    return e.id;
  }
  return Error::make(EAGAIN,
                     "%d verification sessions in use: delete one or wait %lld s for idle "
                     "ones to expire",
                     kMaxSessions, static_cast<long long>(idleTimeoutNs_ / kNsPerS));
}

VerifySessionEntry* VerifySessionTable::find(int id) {
  expire();
  for (VerifySessionEntry& e : entries_) {
    if (e.used && e.id == id) {
      e.lastUseNs = clock_->nowNs();
      return &e;
    }
  }
  return nullptr;
}

bool VerifySessionTable::remove(int id) {
  VerifySessionEntry* e = find(id);
  if (!e) return false;
  *e = VerifySessionEntry();
  return true;
}

int VerifySessionTable::expire() {
  const int64_t now = clock_->nowNs();
  int dropped = 0;
  for (VerifySessionEntry& e : entries_) {
    if (e.used && now - e.lastUseNs >= idleTimeoutNs_) {
      e = VerifySessionEntry();
      ++dropped;
    }
  }
  expiredTotal_ += static_cast<uint64_t>(dropped);
  return dropped;
}

int VerifySessionTable::active() const {
  int n = 0;
  for (const VerifySessionEntry& e : entries_)
    n += e.used ? 1 : 0;
  return n;
}

}  // namespace qeil
