#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace qeil::verify {

// MODEL.md §9 EAC: an answer in canonical form, so that spellings of the same answer fall into
// one class. Fixed size (no allocation): long free-text answers keep a prefix for display and are
// compared by a 64-bit hash of their whole canonical text plus its length.
enum class AnswerKind : uint8_t {
  kNone,    // nothing was extracted (empty, "NA")
  kNumber,  // "1,000", "$18", "18.0", "18 dollars", "3/4", "1 1/2", "-0", "25%"
  kOption,  // a multiple-choice letter: "(B)", "b", "Answer: B", "option C", "(D) 42"
  kText,    // anything else: lower case, whitespace collapsed, trailing punctuation removed
};

struct Answer {
  static constexpr size_t kTextBytes = 40;  // displayed prefix of a text answer, with its NUL

  AnswerKind kind = AnswerKind::kNone;
  char option = 0;      // kOption: 'A'..'Z'
  double number = 0.0;  // kNumber (never -0)
  uint64_t textHash = 0;
  uint32_t textLength = 0;     // kText: length of the whole canonical text
  char text[kTextBytes] = {};  // kText: its prefix, NUL-terminated
};

// Canonicalises a raw answer: either an extracted answer ("18.0", "B") or the end of a response
// ("... The answer is $1,000.", "#### 18", "\boxed{3/4}", "Answer: (B)"). The extraction markers
// taken (the last one wins) are "####", "\boxed{...}", "answer is" and "answer:"; "NA", "N/A",
// "none" and empty text give kNone. Never allocates.
Answer canonicalise(std::string_view raw);
inline Answer noAnswer() {
  return Answer{};
}
Answer numberAnswer(double value);
Answer optionAnswer(char letter);

// Same class: same kind and equal option, equal text, or numbers within
// relTolerance * max(1, |x|, |y|).
bool sameAnswer(const Answer& x, const Answer& y, double relTolerance);

// Writes a readable form ("18", "0.75", "(B)", the text prefix, "-" for none) into out; returns
// out.
const char* formatAnswer(const Answer& answer, char* out, size_t outBytes);

}  // namespace qeil::verify
