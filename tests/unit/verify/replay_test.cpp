#include "verify/replay.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace qeil::verify {
namespace {

const char* kHeader = "question,gold,sample,answer,output_tokens\n";

// Parses text that must fail; the error's line.
int failingLine(const std::string& text, std::string* message = nullptr) {
  std::vector<ReplayQuestion> questions;
  ReplayError error;
  EXPECT_FALSE(parseReplayCsv(text, &questions, &error)) << text;
  if (message != nullptr) *message = error.message;
  return error.line;
}

TEST(ReplayCsv, ParsesQuestionsInStoredOrder) {
  const std::string text = std::string(kHeader) +
                           "7,18,0,18.0,107\n"
                           "9,3,0,NA,40\n"
                           "7,18,1,\"1,800\",99\n"
                           "7,18.0,2,18,120\r\n";
  std::vector<ReplayQuestion> qs;
  ReplayError error;
  ASSERT_TRUE(parseReplayCsv(text, &qs, &error)) << error.message;
  ASSERT_EQ(qs.size(), 2u);
  EXPECT_EQ(qs[0].id, "7");
  ASSERT_EQ(qs[0].samples.size(), 3u);
  EXPECT_EQ(qs[0].samples[1].answer.number, 1800.0);
  EXPECT_EQ(qs[0].samples[2].outputTokens, 120);
  EXPECT_EQ(qs[1].samples[0].answer.kind, AnswerKind::kNone);
  EXPECT_FALSE(qs[0].samples[0].hasConfidence);
}

TEST(ReplayCsv, OptionalConfidenceColumn) {
  const std::string text =
      "output_tokens,answer,confidence,sample,gold,question\n"
      "10,B,-0.2,0,(B),q1\n"
      "10,C,NA,1,(B),q1\n";
  std::vector<ReplayQuestion> qs;
  ReplayError error;
  ASSERT_TRUE(parseReplayCsv(text, &qs, &error)) << error.message;
  ASSERT_EQ(qs[0].samples.size(), 2u);
  EXPECT_TRUE(qs[0].samples[0].hasConfidence);
  EXPECT_DOUBLE_EQ(qs[0].samples[0].confidenceLogProb, -0.2);
  EXPECT_FALSE(qs[0].samples[1].hasConfidence);
  EXPECT_EQ(qs[0].gold.option, 'B');
}

TEST(ReplayCsv, MalformedInputIsRejectedWithItsLine) {
  const std::string ok = "1,5,0,5,10\n";
  std::string message;
  EXPECT_EQ(failingLine(std::string(kHeader) + ok + "1,5,1,5\n", &message), 3);
  EXPECT_NE(message.find("line 3"), std::string::npos) << message;
  EXPECT_EQ(failingLine(std::string(kHeader) + ok + ok + "1,5,2,5,-3\n", &message), 4);
  EXPECT_NE(message.find("-3"), std::string::npos) << message;
  EXPECT_EQ(failingLine(std::string(kHeader) + "1,5,0,5,ten\n"), 2);
  EXPECT_EQ(failingLine(std::string(kHeader) + "1,5,0,5,1.5\n"), 2);
  EXPECT_EQ(failingLine(std::string(kHeader) + ",5,0,5,10\n"), 2);
  EXPECT_EQ(failingLine(std::string(kHeader) + ok + "1,6,1,5,10\n", &message), 3);
  EXPECT_NE(message.find("gold"), std::string::npos) << message;
  const std::string confHeader = "question,gold,sample,answer,output_tokens,confidence\n";
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "0.5", "x"}) {
    EXPECT_EQ(failingLine(confHeader + "1,5,0,5,10,-0.1\n1,5,1,5,10," + bad + "\n", &message), 3)
        << bad;
    EXPECT_NE(message.find("confidence"), std::string::npos) << message;
  }
  EXPECT_EQ(failingLine("question,gold,sample,answer\n1,5,0,5\n", &message), 1);
  EXPECT_NE(message.find("output_tokens"), std::string::npos) << message;
  EXPECT_EQ(failingLine(""), 1);
}

TEST(ReplayCsv, MissingFileNamesThePath) {
  std::vector<ReplayQuestion> qs;
  ReplayError error;
  EXPECT_FALSE(loadReplayCsv("/nonexistent/replay.csv", &qs, &error));
  EXPECT_NE(error.message.find("/nonexistent/replay.csv"), std::string::npos);
}

TEST(Replay, FeedsSamplesInTheGivenOrder) {
  ReplayQuestion q;
  q.gold = canonicalise("5");
  for (const char* a : {"4", "4", "5", "5", "5"}) {
    ReplaySample s;
    s.answer = canonicalise(a);
    s.outputTokens = 10;
    q.samples.push_back(s);
  }
  SessionConfig c;
  c.rule = Rule::kSprt;
  c.kMax = 5;
  ReplayOutcome stored = replayQuestion(q, c, nullptr);
  EXPECT_EQ(stored.samples, 5);  // margin 1 at the end: the budget
  EXPECT_EQ(stored.reason, StopReason::kBudget);
  EXPECT_TRUE(stored.correct);
  EXPECT_EQ(stored.outputTokens, 50.0);
  const int order[] = {2, 3, 4, 0, 1};
  ReplayOutcome reordered = replayQuestion(q, c, order);
  EXPECT_EQ(reordered.samples, 3);
  EXPECT_EQ(reordered.reason, StopReason::kMargin);
  EXPECT_TRUE(reordered.correct);
  c.rule = Rule::kMajority;
  const int wrongFirst[] = {0, 1, 2, 3, 4};
  c.kMax = 2;
  EXPECT_FALSE(replayQuestion(q, c, wrongFirst).correct);
}

}  // namespace
}  // namespace qeil::verify
