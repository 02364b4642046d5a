#include "verify/answer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace qeil::verify {
namespace {

constexpr double kTol = 1e-9;

struct NumberCase {
  const char* raw;
  double value;
};

TEST(Canonicalise, NumbersInTheirManySpellings) {
  const NumberCase cases[] = {
      {"18", 18},
      {"18.0", 18},
      {"18.000", 18},
      {"$18", 18},
      {"$18.00", 18},
      {"18 dollars", 18},
      {" 18 \n", 18},
      {"18.", 18},
      {"**18**", 18},
      {"1,000", 1000},
      {"1,234,567.5", 1234567.5},
      {"$1,000", 1000},
      {"-$5", -5},
      {"$-5", -5},
      {"\xE2\x88\x92"
       "7",
       -7},
      {"+3", 3},
      {"3/4", 0.75},
      {"-3/4", -0.75},
      {"1 1/2", 1.5},
      {"0.75", 0.75},
      {".5", 0.5},
      {"25%", 25},
      {"1e3", 1000},
      {"\xE2\x82\xAC"
       "20",
       20},
      {"(42)", 42},
      {"The answer is 18 dollars.", 18},
      {"so we get 5 + 13 = 18.\n#### 18", 18},
      {"x = \\boxed{3/4}", 0.75},
      {"Final Answer: $1,000.", 1000},
  };
  for (const NumberCase& c : cases) {
    const Answer a = canonicalise(c.raw);
    EXPECT_EQ(a.kind, AnswerKind::kNumber) << c.raw;
    EXPECT_NEAR(a.number, c.value, 1e-12) << c.raw;
  }
}

TEST(Canonicalise, MinusZeroIsZero) {
  const Answer a = canonicalise("-0");
  ASSERT_EQ(a.kind, AnswerKind::kNumber);
  EXPECT_FALSE(std::signbit(a.number));
  EXPECT_TRUE(sameAnswer(a, canonicalise("0.0"), kTol));
  EXPECT_TRUE(sameAnswer(numberAnswer(-0.0), canonicalise("0"), kTol));
}

TEST(Canonicalise, OptionLetters) {
  const char* bees[] = {"(B)",
                        "B",
                        "b",
                        "Answer: B",
                        "answer: (b).",
                        "[B]",
                        "B)",
                        "option B",
                        "The answer is (B) 42",
                        "  b  ",
                        "**(B)**"};
  for (const char* raw : bees) {
    const Answer a = canonicalise(raw);
    EXPECT_EQ(a.kind, AnswerKind::kOption) << raw;
    EXPECT_EQ(a.option, 'B') << raw;
  }
  EXPECT_FALSE(sameAnswer(canonicalise("(B)"), canonicalise("(C)"), kTol));
}

TEST(Canonicalise, TextCaseWhitespaceAndTrailingPunctuation) {
  const Answer a = canonicalise("Paris");
  ASSERT_EQ(a.kind, AnswerKind::kText);
  EXPECT_STREQ(a.text, "paris");
  EXPECT_TRUE(sameAnswer(a, canonicalise("  PARIS! "), kTol));
  EXPECT_TRUE(sameAnswer(canonicalise("New   York"), canonicalise("new york."), kTol));
  EXPECT_FALSE(sameAnswer(canonicalise("new york"), canonicalise("newyork"), kTol));
  // Words are not option letters, and numbers followed by more numbers are not one number.
  EXPECT_EQ(canonicalise("a dog").kind, AnswerKind::kText);
  EXPECT_EQ(canonicalise("18 and 20").kind, AnswerKind::kText);
  EXPECT_EQ(canonicalise("1,00").kind, AnswerKind::kText);
  EXPECT_EQ(canonicalise("3/0").kind, AnswerKind::kText);
}

TEST(Canonicalise, LongTextIsComparedWhole) {
  const std::string head(60, 'x');
  const Answer a = canonicalise(head + " one");
  const Answer b = canonicalise(head + " two");
  ASSERT_EQ(a.kind, AnswerKind::kText);
  EXPECT_EQ(std::string(a.text), std::string(b.text));  // same displayed prefix
  EXPECT_FALSE(sameAnswer(a, b, kTol));
  EXPECT_TRUE(sameAnswer(a, canonicalise(head + "   ONE."), kTol));
}

TEST(Canonicalise, NothingExtracted) {
  for (const char* raw : {"", "   ", "NA", "n/a", "None", "."}) {
    EXPECT_EQ(canonicalise(raw).kind, AnswerKind::kNone) << '"' << raw << '"';
  }
}

TEST(SameAnswer, NumbersWithinTheRelativeTolerance) {
  EXPECT_TRUE(sameAnswer(canonicalise("0.75"), canonicalise("3/4"), kTol));
  EXPECT_TRUE(sameAnswer(canonicalise("1000000"), canonicalise("1000000.0001"), 1e-9));
  EXPECT_FALSE(sameAnswer(canonicalise("1000000"), canonicalise("1000000.01"), 1e-9));
  EXPECT_FALSE(sameAnswer(canonicalise("6.67"), canonicalise("20/3"), kTol));
  EXPECT_TRUE(sameAnswer(canonicalise("(18)"), canonicalise("18 dollars"), kTol));
  EXPECT_FALSE(sameAnswer(canonicalise("2"), canonicalise("B"), kTol));
}

TEST(FormatAnswer, ReadableForms) {
  char buf[64];
  EXPECT_STREQ(formatAnswer(canonicalise("$1,000.50"), buf, sizeof buf), "1000.5");
  EXPECT_STREQ(formatAnswer(canonicalise("answer: b"), buf, sizeof buf), "(B)");
  EXPECT_STREQ(formatAnswer(canonicalise("NA"), buf, sizeof buf), "-");
  EXPECT_STREQ(formatAnswer(canonicalise("Blue  Whale"), buf, sizeof buf), "blue whale");
}

}  // namespace
}  // namespace qeil::verify
