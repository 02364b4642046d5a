#include "verify/replay.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace qeil::verify {
namespace {

constexpr double kGoldTolerance = 1e-9;

// Splits one CSV line on commas (quoted fields may hold commas; "" is a quote).
void splitCsv(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields->push_back(field);
      field.clear();
    } else {
      field += c;
    }
  }
  fields->push_back(field);
}

bool fail(ReplayError* error, int line, const std::string& message) {
  error->line = line;
  error->message = "line " + std::to_string(line) + ": " + message;
  return false;
}

bool parseTokens(const std::string& s, int* out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(s.c_str(), &end, 10);
  if (errno != 0 || *end != '\0' || v < 0 || v > 100000000L) return false;
  *out = static_cast<int>(v);
  return true;
}

bool parseConfidence(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (*end != '\0' || !std::isfinite(v) || v > 0.0) return false;
  *out = v;
  return true;
}

struct Columns {
  int question = -1;
  int gold = -1;
  int sample = -1;
  int answer = -1;
  int tokens = -1;
  int confidence = -1;
};

bool readHeader(const std::vector<std::string>& fields, Columns* c, ReplayError* error) {
  for (size_t i = 0; i < fields.size(); ++i) {
    std::string name = fields[i];
    while (!name.empty() && (name.back() == '\r' || name.back() == ' '))
      name.pop_back();
    const int at = static_cast<int>(i);
    if (name == "question") c->question = at;
    if (name == "gold") c->gold = at;
    if (name == "sample") c->sample = at;
    if (name == "answer") c->answer = at;
    if (name == "output_tokens") c->tokens = at;
    if (name == "confidence") c->confidence = at;
  }
  const char* missing = c->question < 0 ? "question"
                        : c->gold < 0   ? "gold"
                        : c->sample < 0 ? "sample"
                        : c->answer < 0 ? "answer"
                        : c->tokens < 0 ? "output_tokens"
                                        : nullptr;
  if (missing != nullptr) {
    return fail(error, 1, std::string("the header has no column '") + missing + "'");
  }
  return true;
}

}  // namespace

bool parseReplayCsv(const std::string& text, std::vector<ReplayQuestion>* out, ReplayError* error) {
  out->clear();
  std::istringstream in(text);
  std::string line;
  std::vector<std::string> fields;
  Columns col;
  std::unordered_map<std::string, size_t> index;
  int lineNo = 0;
  size_t width = 0;
  while (std::getline(in, line)) {
    ++lineNo;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (lineNo == 1) {
      splitCsv(line, &fields);
      if (!readHeader(fields, &col, error)) return false;
      width = fields.size();
      continue;
    }
    if (line.empty()) continue;
    splitCsv(line, &fields);
    if (fields.size() != width) {
      return fail(
          error, lineNo,
          "expected " + std::to_string(width) + " fields, found " + std::to_string(fields.size()));
    }
    const std::string& id = fields[col.question];
    if (id.empty()) return fail(error, lineNo, "empty question");
    if (fields[col.gold].empty()) return fail(error, lineNo, "empty gold answer");
    if (fields[col.sample].empty()) return fail(error, lineNo, "empty sample");
    ReplaySample s;
    s.answer = canonicalise(fields[col.answer]);
    if (!parseTokens(fields[col.tokens], &s.outputTokens)) {
      return fail(error, lineNo,
                  "output_tokens '" + fields[col.tokens] + "' is not a non-negative integer");
    }
    if (col.confidence >= 0 && fields[col.confidence] != "NA" && !fields[col.confidence].empty()) {
      if (!parseConfidence(fields[col.confidence], &s.confidenceLogProb)) {
        return fail(
            error, lineNo,
            "confidence '" + fields[col.confidence] + "' is not a finite log-probability <= 0");
      }
      s.hasConfidence = true;
    }
    const Answer gold = canonicalise(fields[col.gold]);
    auto it = index.find(id);
    if (it == index.end()) {
      it = index.emplace(id, out->size()).first;
      out->push_back(ReplayQuestion{id, gold, {}});
    } else if (!sameAnswer((*out)[it->second].gold, gold, kGoldTolerance)) {
      return fail(error, lineNo, "gold answer of question " + id + " differs from earlier rows");
    }
    (*out)[it->second].samples.push_back(s);
  }
  if (lineNo == 0) return fail(error, 1, "empty file (no header)");
  return true;
}

bool loadReplayCsv(const std::string& path, std::vector<ReplayQuestion>* out, ReplayError* error) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    error->line = 0;
    error->message = path + ": cannot open";
    return false;
  }
  std::ostringstream text;
  text << f.rdbuf();
  if (!parseReplayCsv(text.str(), out, error)) {
    error->message = path + ": " + error->message;
    return false;
  }
  return true;
}

ReplayOutcome replayQuestion(const ReplayQuestion& question, const SessionConfig& config,
                             const int* order) {
  ReplayOutcome outcome;
  Session session;
  if (!Session::create(config, &session)) return outcome;
  Decision d;
  const int n = static_cast<int>(question.samples.size());
  for (int i = 0; i < n && !d.stop; ++i) {
    const ReplaySample& r = question.samples[order != nullptr ? order[i] : i];
    Sample s;
    s.answer = r.answer;
    s.outputTokens = r.outputTokens;
    s.hasConfidence = r.hasConfidence;
    s.confidenceLogProb = r.confidenceLogProb;
    d = session.add(s);
  }
  outcome.samples = d.samples;
  outcome.outputTokens = session.totalTokens();
  outcome.reason = d.reason;
  outcome.correct = d.selected.kind != AnswerKind::kNone &&
                    sameAnswer(d.selected, question.gold, config.numericRelTolerance);
  return outcome;
}

}  // namespace qeil::verify
