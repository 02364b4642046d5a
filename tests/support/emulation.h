#pragma once

#include <cstdlib>

namespace qeil::test {

// scripts/test.sh runs the arm64 unit tests under qemu-user with QEIL_UNDER_QEMU=1. qemu-user
// does not emulate everything a test may need (fork and exec of host binaries, cross-thread
// wake-ups of a libevent loop); such tests skip there and say why.
inline bool underQemuUser() {
  const char* v = std::getenv("QEIL_UNDER_QEMU");
  return v && *v == '1';
}

}  // namespace qeil::test
