#include "bench/scenario_core.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "agent/board_config.h"
#include "bench/scenario_run.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"
#include "tests/support/temp_dir.h"

namespace qeil::bench::scenario {
namespace {

TEST(ScenarioArrivals, SeededIncreasingWithTheRatesMeanGap) {
  const std::vector<double> a = poissonArrivalsS(0.5, 20000, 7);
  ASSERT_EQ(a.size(), 20000u);
  EXPECT_EQ(a, poissonArrivalsS(0.5, 20000, 7));
  EXPECT_NE(a, poissonArrivalsS(0.5, 20000, 8));
  double sumSq = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double gap = a[i] - (i ? a[i - 1] : 0.0);
    ASSERT_GT(gap, 0.0);
    sumSq += gap * gap;
  }
  // Exponential gaps: mean 1 / rate = 2 s, second moment 2 / rate^2 = 8 s^2.
  EXPECT_NEAR(a.back() / a.size(), 2.0, 0.06);
  EXPECT_NEAR(sumSq / a.size(), 8.0, 0.5);
  EXPECT_TRUE(poissonArrivalsS(0.0, 5, 1).empty());
  EXPECT_TRUE(poissonArrivalsS(1.0, 0, 1).empty());
}

TEST(ScenarioArrivals, QuestionsDrawnWithoutRepeatUntilEveryOneWas) {
  const std::vector<int> q = drawQuestions(10, 25, 3);
  ASSERT_EQ(q.size(), 25u);
  EXPECT_EQ(q, drawQuestions(10, 25, 3));
  std::set<int> first(q.begin(), q.begin() + 10);
  EXPECT_EQ(first.size(), 10u);
  for (int v : q) {
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 10);
  }
}

std::vector<verify::ReplayQuestion> parse(const std::string& csv) {
  std::vector<verify::ReplayQuestion> out;
  verify::ReplayError err;
  EXPECT_TRUE(verify::parseReplayCsv(csv, &out, &err)) << err.line << ": " << err.message;
  return out;
}

verify::SessionConfig config(verify::Rule rule, int k) {
  verify::SessionConfig c;
  c.rule = rule;
  c.kMax = k;
  return c;
}

TEST(ScenarioReplay, SamplesFedAtTheirBoundariesUntilTheBudget) {
  const auto data = parse(
      "question,gold,sample,answer,output_tokens\n"
      "q,7,0,7,10\nq,7,1,8,20\nq,7,2,7,30\nq,7,3,7,40\n");
  QueryReplay r(data[0], config(verify::Rule::kMajority, 3));
  EXPECT_EQ(r.budgetTokens(), 60);
  EXPECT_EQ(r.maxSampleTokens(), 30);
  EXPECT_FALSE(r.advance(9));
  EXPECT_EQ(r.samplesUsed(), 0);
  EXPECT_FALSE(r.advance(10));
  EXPECT_EQ(r.samplesUsed(), 1);
  EXPECT_FALSE(r.advance(59));
  EXPECT_EQ(r.samplesUsed(), 2);
  EXPECT_EQ(r.tokensUsed(), 30u);
  EXPECT_TRUE(r.advance(1000));
  EXPECT_EQ(r.samplesUsed(), 3);  // the budget, not the question's 4 samples
  EXPECT_EQ(r.tokensUsed(), 60u);
  EXPECT_TRUE(r.correct());  // 7 twice, 8 once
}

TEST(ScenarioReplay, CsvetStopsEarlyOnAgreementAndWrongMajorityIsWrong) {
  std::string csv = "question,gold,sample,answer,output_tokens\n";
  for (int i = 0; i < 40; ++i)
    csv += "a,5," + std::to_string(i) + ",5,100\n";
  for (int i = 0; i < 40; ++i)
    csv += "b,5," + std::to_string(i) + "," + (i % 3 == 0 ? "5" : "6") + ",100\n";
  const auto data = parse(csv);
  QueryReplay early(data[0], config(verify::Rule::kCsvet, 40));
  EXPECT_TRUE(early.advance(40 * 100));
  EXPECT_LT(early.samplesUsed(), 40);
  EXPECT_EQ(early.tokensUsed(), 100u * early.samplesUsed());
  EXPECT_TRUE(early.correct());
  QueryReplay all(data[0], config(verify::Rule::kMajority, 40));
  EXPECT_TRUE(all.advance(40 * 100));
  EXPECT_EQ(all.samplesUsed(), 40);
  QueryReplay wrong(data[1], config(verify::Rule::kMajority, 40));
  EXPECT_TRUE(wrong.advance(40 * 100));
  EXPECT_FALSE(wrong.correct());
}

TEST(ScenarioMetrics, HandComputedSmallRun) {
  std::vector<QueryRecord> q(4);
  q[0] = {0.0, 0.0, 2.0, true, 40, 100, 0};
  q[1] = {1.0, 2.0, 4.0, false, 40, 100, 0};
  q[2] = {2.0, 2.5, 3.0, true, 3, 10, 0};
  q[3] = {3.0, -1.0, -1.0, false, 0, 0, 0};  // lost
  const Metrics m = computeMetrics(q, 100.0, 10.0);
  EXPECT_EQ(m.queries, 4);
  EXPECT_EQ(m.answered, 3);
  EXPECT_EQ(m.correct, 2);
  EXPECT_DOUBLE_EQ(m.energyPerQueryJ, 25.0);
  EXPECT_DOUBLE_EQ(m.energyPerCorrectJ, 50.0);
  EXPECT_DOUBLE_EQ(m.avgPowerW, 10.0);
  EXPECT_DOUBLE_EQ(m.accuracy, 0.5);
  EXPECT_DOUBLE_EQ(m.ipw, 0.05);  // 0.5 / 10 W
  EXPECT_DOUBLE_EQ(m.ipj, 0.02);  // 0.5 / 25 J
  EXPECT_DOUBLE_EQ(m.p50S, 2.0);  // latencies 2, 3, 1
  EXPECT_DOUBLE_EQ(m.p95S, 3.0);
  EXPECT_DOUBLE_EQ(m.meanSamples, 83.0 / 3.0);
  EXPECT_TRUE(std::isinf(computeMetrics({q[1]}, 5.0, 1.0).energyPerCorrectJ));
}

TEST(ScenarioMetrics, NearestRankPercentiles) {
  std::vector<double> v;
  for (int i = 100; i >= 1; --i)
    v.push_back(i);
  EXPECT_DOUBLE_EQ(percentile(v, 50), 50.0);
  EXPECT_DOUBLE_EQ(percentile(v, 95), 95.0);
  EXPECT_DOUBLE_EQ(percentile(v, 99), 99.0);
  EXPECT_DOUBLE_EQ(percentile(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(percentile({}, 50), 0.0);
}

// Splits one CSV line (RFC 4180 quoting) into fields.
std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      out.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      out.emplace_back();
    } else if (c != '\n') {
      out.back() += c;
    }
  }
  return out;
}

TEST(ScenarioOutput, CsvFieldsRoundTrip) {
  const std::vector<std::string> fields = {"plain", "a,b", "say \"hi\"", "", "1.5"};
  const std::string line = csvLine(fields);
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(splitCsv(line), fields);
  EXPECT_EQ(csvField("a,b"), "\"a,b\"");
}

// Checks that every tag opened is closed in order (a minimal XML well-formedness check).
bool balancedTags(const std::string& xml, std::string* why) {
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = xml.find('<', i)) != std::string::npos) {
    size_t end = xml.find('>', i);
    if (end == std::string::npos) return *why = "unterminated tag", false;
    std::string tag = xml.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty() || tag[0] == '?') continue;
    if (tag.back() == '/') continue;
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name) return *why = "mismatched </" + name + ">", false;
      stack.pop_back();
      continue;
    }
    if (tag.find('<') != std::string::npos) return *why = "'<' inside a tag", false;
    stack.push_back(tag.substr(0, tag.find(' ')));
  }
  if (!stack.empty()) return *why = "unclosed <" + stack.back() + ">", false;
  return true;
}

TEST(ScenarioOutput, SvgChartsAreWellFormedAndEscaped) {
  SvgSeries s{"stock & co", "#c00", {0, 1, 2, NAN}, {1, 3, 2, 5}};
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\">\n" +
                    svgLineChart("a<b", "t (s)", "W", {s}, 0, 0, 400, 200) +
                    svgBarChart("E", "J", {"x", "y"}, {1.0, INFINITY}, 0, 200, 400, 200) +
                    "</svg>\n";
  std::string why;
  EXPECT_TRUE(balancedTags(svg, &why)) << why;
  EXPECT_NE(svg.find("a&lt;b"), std::string::npos);
  EXPECT_NE(svg.find("stock &amp; co"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
  EXPECT_EQ(svg.find("inf"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
}

TEST(ScenarioModels, QuerySpecAndMemoryFit) {
  const ModelArch& m = defaultModel();
  EXPECT_NEAR(m.params, 3.2e9, 0.1e9);
  const LlmWorkloadSpec q4 = querySpec(m, 4, 128, 4000, 300, 4);
  EXPECT_DOUBLE_EQ(q4.bitsPerWeight, 4.5);
  EXPECT_EQ(q4.contextTokens, 428);
  EXPECT_EQ(q4.outputTokens, 4000);
  EXPECT_EQ(q4.threads, 4);
  BoardSpec small;
  small.memCapacityBytes = 8e9;
  small.memReservedBytes = 1e9;
  EXPECT_TRUE(fitsMemory(small, q4));
  EXPECT_FALSE(fitsMemory(small, querySpec(sweepModels().back(), 16, 128, 1, 300, 4)));
}

BoardSpec rk3588() {
  auto b = loadBoardFile(QEIL_SOURCE_DIR "/board-configs/rk3588.cfg");
  EXPECT_TRUE(b.ok()) << (b.ok() ? "" : b.error().message());
  return b.value();
}

TEST(ScenarioTwin, FinishedWorkloadSlotsAreReused) {
  test::TempDir dir;
  SimClock clock{0};
  BoardSpec board = rk3588();
  auto twin = BoardTwin::create(board, dir.path(), clock);
  ASSERT_TRUE(twin.ok());
  LlmWorkloadSpec w = querySpec(sweepModels().front(), 4, 8, 4, 8, 1);
  std::vector<pid_t> pids;
  for (size_t i = 0; i < twin::kMaxWorkloads; ++i) {
    auto id = twin.value()->addWorkload(w);
    ASSERT_TRUE(id.ok());
    pids.push_back(twin.value()->workloadPid(id.value()));
  }
  auto full = twin.value()->addWorkload(w);
  ASSERT_FALSE(full.ok());  // all 16 running
  EXPECT_EQ(full.error().errnum(), ENOSPC);
  ASSERT_TRUE(twin.value()->crashWorkload(5).ok());
  auto reused = twin.value()->addWorkload(w);
  ASSERT_TRUE(reused.ok());
  EXPECT_EQ(reused.value(), 5);
  EXPECT_NE(twin.value()->workloadPid(5), pids[5]);
  EXPECT_EQ(twin.value()->workload(5).state, WorkloadState::Running);
}

// The closed loop: more queries than the twin's 16 workload slots, the same arrivals under
// stock and qeil, every query answered.
TEST(ScenarioRun, ServesEveryQueryUnderStockAndQeil) {
  const BoardSpec board = rk3588();
  std::string csv = "question,gold,sample,answer,output_tokens\n";
  for (int i = 0; i < 4; ++i)
    csv += "q,3," + std::to_string(i) + ",3,6\n";
  const auto data = parse(csv);
  std::vector<Query> queries;
  for (double t : poissonArrivalsS(0.5, 20, 11))
    queries.push_back({t, 0});
  RunOptions opt;
  opt.model = sweepModels().front();
  opt.promptTokens = 16;
  opt.stepUs = 20000;
  for (const ConfigSpec& c : standardConfigs()) {
    if (c.name != "stock" && c.name != "qeil") continue;
    RunResult r = runScenario(board, c, queries, data, opt);
    ASSERT_TRUE(r.ok) << c.name << ": " << r.error;
    EXPECT_EQ(r.metrics.answered, 20) << c.name;
    EXPECT_EQ(r.metrics.correct, 20) << c.name;
    EXPECT_GT(r.metrics.energyJ, 0.0);
    EXPECT_GE(r.metrics.p50S, 0.0);
    for (size_t i = 0; i < queries.size(); ++i) {
      EXPECT_GE(r.queries[i].endS, queries[i].arrivalS);
      EXPECT_GE(r.queries[i].startS, queries[i].arrivalS);
    }
    if (c.name == "stock") {
      EXPECT_EQ(r.metrics.meanSamples, 4.0);
    } else {
      EXPECT_LT(r.metrics.meanSamples, 4.0);
    }
  }
}

}  // namespace
}  // namespace qeil::bench::scenario
