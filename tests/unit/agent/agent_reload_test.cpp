// SIGHUP reload of the board file (Agent::reloadBoardFile) on the rk3588 twin: a bad file keeps
// the board as loaded and names the file and line; a good one rebuilds the agent's state, the
// running workload resumes under its id, and the settings are journaled and restored as before.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent/agent.h"
#include "tests/unit/agent/agent_fixture.h"

namespace qeil {
namespace {

std::string shippedText() {
  std::ifstream in(std::string(QEIL_SOURCE_DIR) + "/board-configs/rk3588.cfg");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// The shipped file with the input rail's base power changed to `value` (text as written).
std::string withBaseW(const std::string& value) {
  std::string text = shippedText();
  const std::string from =
      "base_w = 2.0;                 # all of the board's base power (the input rail)";
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos);
  if (at != std::string::npos) text.replace(at, from.size(), "base_w = " + value + ";");
  return text;
}

TEST(AgentReload, ABadFileKeepsTheBoardAGoodOneRebuildsAndResumes) {
  test::TwinAgent t("rk3588.cfg");
  ASSERT_TRUE(t.twin);
  const std::string file = t.dir.file("board.cfg");
  writeFile(file, shippedText());
  t.board.sourceFile = file;
  const std::string maxFreq =
      t.twin->rootDir() + "/sys/devices/system/cpu/cpufreq/policy4/scaling_max_freq";
  const std::string before = test::readFile(maxFreq);
  AgentOptions o;
  o.speed = 0.0;
  o.journalPath = t.dir.file("settings.journal");
  ASSERT_TRUE(t.start(o));
  Agent& a = *t.agent;
  LlmWorkloadSpec m = defaultLlmDescriptor();
  m.outputTokens = 1000000;
  auto id = a.workloads().run({"llm"}, m, "", a.clock().nowNs());
  ASSERT_TRUE(id.ok()) << id.error().message();
  for (int i = 0; i < 30; ++i)
    a.tick();
  const uint64_t tokens = a.workloads().find(id.value())->tokens;
  ASSERT_GT(tokens, 0u);
  const double baseW = a.board().rails[0].baseW;

  // A syntax error: refused at its line, nothing changes.
  writeFile(file, withBaseW(""));
  Status bad = a.reloadBoardFile();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.error().message()).find("board.cfg:"), std::string::npos)
      << bad.error().message();
  EXPECT_EQ(a.board().rails[0].baseW, baseW);
  EXPECT_EQ(a.workloads().find(id.value())->state, WorkloadState::Running);
  a.tick();

  // A valid file that is out of range is refused too (as --check-config refuses it).
  writeFile(file, withBaseW("-3.0"));
  EXPECT_FALSE(a.reloadBoardFile().ok());
  EXPECT_EQ(a.board().rails[0].baseW, baseW);

  // A good one: rebuilt from it, the workload resumed under its id, re-planned next tick.
  writeFile(file, withBaseW("1.5"));
  Status good = a.reloadBoardFile();
  ASSERT_TRUE(good.ok()) << good.error().message();
  EXPECT_DOUBLE_EQ(a.board().rails[0].baseW, 1.5);
  const WorkloadEntry* e = a.workloads().find(id.value());
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->state, WorkloadState::Running);
  EXPECT_GE(e->tokens, tokens);
  const uint64_t replans = a.planner()->replans();
  for (int i = 0; i < 10; ++i)
    a.tick();
  EXPECT_GT(a.planner()->replans(), replans);
  EXPECT_GT(a.workloads().find(id.value())->tokens, tokens);
  EXPECT_GT(a.journal().size(), 0u);
  // The settings are restored as they were before the agent started.
  ASSERT_TRUE(a.restore().ok());
  EXPECT_EQ(test::readFile(maxFreq), before);
}

}  // namespace
}  // namespace qeil
