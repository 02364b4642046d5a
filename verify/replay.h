#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "verify/answer.h"
#include "verify/session.h"

namespace qeil::verify {

// Replayed samples (MODEL.md §9): a CSV with a header naming at least the columns
// question,gold,sample,answer,output_tokens (any order; an optional confidence column holds a
// mean token log-probability). Rows of one question need not be adjacent; within a question the
// samples keep the file's order. `answer` may be NA (nothing extracted). Loading allocates; the
// replay of a question does not, beyond what the caller passes.
struct ReplaySample {
  Answer answer;
  int outputTokens = 0;
  bool hasConfidence = false;
  double confidenceLogProb = 0.0;
};

struct ReplayQuestion {
  std::string id;
  Answer gold;
  std::vector<ReplaySample> samples;
};

struct ReplayError {
  int line = 0;  // 1-based line of the CSV; 0: not about a line (the file itself)
  std::string message;
};

// Parses CSV text; on malformed input (missing header column, missing field, a token count that
// is not a non-negative integer, a confidence that is not a finite number <= 0, a gold answer
// that disagrees with an earlier row of the question) fails with the line number.
bool parseReplayCsv(const std::string& text, std::vector<ReplayQuestion>* out, ReplayError* error);
bool loadReplayCsv(const std::string& path, std::vector<ReplayQuestion>* out, ReplayError* error);

struct ReplayOutcome {
  bool correct = false;  // the selected answer is the gold one
  int samples = 0;
  double outputTokens = 0.0;
  StopReason reason = StopReason::kContinue;
};

// Feeds a question's samples to a fresh session in the given order (indices into samples; null:
// the stored order) until it stops or the samples run out. A question with fewer samples than
// kMax ends with what it has.
ReplayOutcome replayQuestion(const ReplayQuestion& question, const SessionConfig& config,
                             const int* order);

}  // namespace qeil::verify
