// The telemetry ring keeps the newest samples in order and overwrites the oldest.
#include "agent/telemetry_ring.h"

#include <gtest/gtest.h>

#include <random>

namespace qeil {
namespace {

TelemetrySample at(int64_t t) {
  TelemetrySample s;
  s.timeNs = t;
  s.railW[0] = static_cast<float>(t) * 0.5f;
  return s;
}

TEST(TelemetryRing, FillsThenWrapsKeepingOrder) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20; ++round) {
    const size_t cap = 1 + rng() % 17;
    const size_t n = rng() % 60;
    TelemetryRing ring(cap);
    for (size_t i = 0; i < n; ++i)
      ring.push(at(static_cast<int64_t>(i)));
    ASSERT_EQ(ring.size(), std::min(n, cap));
    ASSERT_EQ(ring.pushed(), n);
    const size_t first = n > cap ? n - cap : 0;
    for (size_t i = 0; i < ring.size(); ++i) {
      EXPECT_EQ(ring.at(i).timeNs, static_cast<int64_t>(first + i)) << cap << " " << n;
      EXPECT_FLOAT_EQ(ring.at(i).railW[0], static_cast<float>(first + i) * 0.5f);
    }
    if (n > 0) {
      EXPECT_EQ(ring.newest().timeNs, static_cast<int64_t>(n - 1));
    }
  }
}

TEST(TelemetryRing, ZeroCapacityHoldsOne) {
  TelemetryRing ring(0);
  ring.push(at(1));
  ring.push(at(2));
  EXPECT_EQ(ring.capacity(), 1u);
  EXPECT_EQ(ring.newest().timeNs, 2);
}

}  // namespace
}  // namespace qeil
