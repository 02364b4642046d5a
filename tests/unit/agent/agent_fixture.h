#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "agent/agent.h"
#include "agent/board_config.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/hal/twin_rig.h"

namespace qeil::test {

inline BoardSpec shippedBoard(const char* name) {
  Result<BoardSpec> b = loadBoardFile(std::string(QEIL_SOURCE_DIR) + "/board-configs/" + name);
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message());
  return b.ok() ? b.value() : BoardSpec();
}

// A long decode of TinyLlama on `cpus` (enough load to move the rails and temperatures).
inline LlmWorkloadSpec decodeOn(CpuSet cpus, int threads) {
  LlmWorkloadSpec w = tinyLlama(threads, cpus, "qeil/load");
  w.outputTokens = 100000;
  return w;
}

// A board twin in a temporary tree, and the agent built on it by start().
struct TwinAgent {
  TempDir dir;
  SimClock clock{0};
  BoardSpec board;
  std::unique_ptr<BoardTwin> twin;
  std::unique_ptr<Agent> agent;

  explicit TwinAgent(const char* boardFile) : board(shippedBoard(boardFile)) {
    auto made = BoardTwin::create(board, dir.file("root"), clock);
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message());
    if (made.ok()) twin = std::move(made.value());
  }
  // Builds the agent; returns false (with a test failure) when it cannot.
  bool start(AgentOptions options = AgentOptions()) {
    if (!twin) return false;
    auto made = Agent::createOnTwin(board, options, *twin, clock);
    EXPECT_TRUE(made.ok()) << (made.ok() ? "" : made.error().message());
    if (!made.ok()) return false;
    agent = std::move(made.value());
    return true;
  }
};

}  // namespace qeil::test
