#include "verify/answer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qeil::verify {
namespace {

bool isSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
char upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool equalCaseless(std::string_view s, std::string_view lowerWord) {
  if (s.size() != lowerWord.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (lower(s[i]) != lowerWord[i]) return false;
  }
  return true;
}

bool startsCaseless(std::string_view s, std::string_view lowerWord) {
  return s.size() >= lowerWord.size() && equalCaseless(s.substr(0, lowerWord.size()), lowerWord);
}

// Position of the last occurrence of lowerNeedle in s ignoring case, or npos.
size_t findLastCaseless(std::string_view s, std::string_view lowerNeedle) {
  if (s.size() < lowerNeedle.size()) return std::string_view::npos;
  for (size_t i = s.size() - lowerNeedle.size() + 1; i-- > 0;) {
    if (equalCaseless(s.substr(i, lowerNeedle.size()), lowerNeedle)) return i;
  }
  return std::string_view::npos;
}

std::string_view trimSpace(std::string_view s) {
  while (!s.empty() && isSpace(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back()))
    s.remove_suffix(1);
  return s;
}

// Whitespace, trailing sentence punctuation, markdown emphasis and enclosing quotes, repeatedly.
std::string_view clean(std::string_view s) {
  for (;;) {
    const size_t before = s.size();
    s = trimSpace(s);
    while (!s.empty() && std::strchr(".,;:!?", s.back()) != nullptr)
      s.remove_suffix(1);
    while (!s.empty() && (s.front() == '*' || s.front() == '_'))
      s.remove_prefix(1);
    while (!s.empty() && (s.back() == '*' || s.back() == '_'))
      s.remove_suffix(1);
    if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'' || s.front() == '`') &&
        s.back() == s.front()) {
      s = s.substr(1, s.size() - 2);
    }
    if (s.size() == before) return s;
  }
}

// The answer part of a response: after the last "####", inside the last "\boxed{...}", or after
// the last "answer is" / "answer:".
std::string_view extract(std::string_view s) {
  const size_t hashes = s.rfind("####");
  if (hashes != std::string_view::npos) return s.substr(hashes + 4);
  const size_t boxed = s.rfind("\\boxed{");
  if (boxed != std::string_view::npos) {
    const size_t open = boxed + 7;
    int depth = 1;
    for (size_t i = open; i < s.size(); ++i) {
      if (s[i] == '{') ++depth;
      if (s[i] == '}' && --depth == 0) return s.substr(open, i - open);
    }
    return s.substr(open);
  }
  const size_t is = findLastCaseless(s, "answer is");
  const size_t colon = findLastCaseless(s, "answer:");
  size_t at = std::string_view::npos;
  size_t skip = 0;
  if (is != std::string_view::npos) {
    at = is;
    skip = 9;
  }
  if (colon != std::string_view::npos && (at == std::string_view::npos || colon > at)) {
    at = colon;
    skip = 7;
  }
  if (at == std::string_view::npos) return s;
  std::string_view rest = trimSpace(s.substr(at + skip));
  if (!rest.empty() && rest.front() == ':') rest.remove_prefix(1);
  return rest;
}

// "(B)", "[b]", "B", "B)", "(B) text", "option B", "choice (c)".
bool parseOption(std::string_view s, char* letter) {
  if (startsCaseless(s, "option ")) s = trimSpace(s.substr(7));
  if (startsCaseless(s, "choice ")) s = trimSpace(s.substr(7));
  if (s.empty()) return false;
  size_t i = 0;
  char close = 0;
  if (s[0] == '(') close = ')';
  if (s[0] == '[') close = ']';
  if (close != 0) ++i;
  if (i >= s.size() || !isAlpha(s[i])) return false;
  const char c = s[i++];
  if (close != 0) {
    if (i >= s.size() || s[i] != close) return false;
    ++i;
  } else if (i < s.size() && s[i] == ')') {
    ++i;
  } else if (i < s.size()) {
    return false;  // "a dog", "Bob": a word, not a letter
  }
  if (i < s.size() && !isSpace(s[i])) return false;
  *letter = upper(c);
  return true;
}

// Skips a currency sign ("$", "€", "£") at s[*i].
void skipCurrency(std::string_view s, size_t* i) {
  if (*i < s.size() && s[*i] == '$') {
    ++*i;
  } else if (s.substr(*i, 3) == "\xE2\x82\xAC") {
    *i += 3;
  } else if (s.substr(*i, 2) == "\xC2\xA3") {
    *i += 2;
  }
}

// Digits with optional thousands separators ("1,000,000"), a decimal part and an exponent,
// appended to buf (without the separators). False if there is no digit or a separator is
// misplaced ("1,00").
bool readDecimal(std::string_view s, size_t* i, char* buf, size_t* len, size_t bufBytes) {
  auto put = [&](char c) {
    if (*len + 1 >= bufBytes) return false;
    buf[(*len)++] = c;
    return true;
  };
  size_t group = 0;
  bool separated = false;
  bool any = false;
  while (*i < s.size()) {
    const char c = s[*i];
    if (isDigit(c)) {
      if (!put(c)) return false;
      ++group;
      any = true;
      ++*i;
    } else if (c == ',' && any && *i + 3 < s.size() + 0 && isDigit(s[*i + 1]) &&
               isDigit(s[*i + 2]) && isDigit(s[*i + 3]) &&
               (*i + 4 >= s.size() || !isDigit(s[*i + 4]))) {
      if ((!separated && group > 3) || (separated && group != 3)) return false;
      separated = true;
      group = 0;
      ++*i;
    } else {
      break;
    }
  }
  if (separated && group != 3) return false;
  if (*i < s.size() && s[*i] == '.' && *i + 1 < s.size() && isDigit(s[*i + 1])) {
    if (!put('.')) return false;
    ++*i;
    while (*i < s.size() && isDigit(s[*i])) {
      if (!put(s[(*i)++])) return false;
    }
    any = true;
  }
  if (!any) return false;
  if (*i + 1 < s.size() && (s[*i] == 'e' || s[*i] == 'E')) {
    size_t j = *i + 1;
    if (s[j] == '+' || s[j] == '-') ++j;
    if (j < s.size() && isDigit(s[j])) {
      if (!put('e')) return false;
      if (s[*i + 1] == '-' && !put('-')) return false;
      *i = j;
      while (*i < s.size() && isDigit(s[*i])) {
        if (!put(s[(*i)++])) return false;
      }
    }
  }
  buf[*len] = '\0';
  return true;
}

bool readUnsigned(std::string_view s, size_t* i, double* value) {
  char buf[64];
  size_t len = 0;
  if (!readDecimal(s, i, buf, &len, sizeof buf)) return false;
  *value = std::strtod(buf, nullptr);
  return std::isfinite(*value);
}

// After the number: nothing, a percent sign, or unit words ("dollars", "km per hour"), never
// another digit ("18 and 20" is not the number 18).
bool onlyUnitsFollow(std::string_view rest) {
  rest = trimSpace(rest);
  if (!rest.empty() && rest.front() == '%') rest = trimSpace(rest.substr(1));
  if (rest.empty()) return true;
  if (!isAlpha(rest.front())) return false;
  for (char c : rest) {
    if (isDigit(c)) return false;
  }
  return true;
}

bool parseNumber(std::string_view s, double* out) {
  size_t i = 0;
  skipCurrency(s, &i);
  bool negative = false;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) {
    negative = s[i] == '-';
    ++i;
  } else if (s.substr(i, 3) == "\xE2\x88\x92") {  // U+2212 minus sign
    negative = true;
    i += 3;
  }
  skipCurrency(s, &i);
  double value = 0.0;
  if (!readUnsigned(s, &i, &value)) return false;
  // A fraction "3/4", or a mixed number "1 1/2".
  size_t j = i;
  if (j < s.size() && s[j] == ' ') {
    size_t k = j + 1;
    double numerator = 0.0;
    if (readUnsigned(s, &k, &numerator) && k < s.size() && s[k] == '/') {
      ++k;
      double denominator = 0.0;
      if (readUnsigned(s, &k, &denominator) && denominator != 0.0) {
        value += numerator / denominator;
        i = k;
      }
    }
  } else if (j < s.size() && s[j] == '/') {
    ++j;
    double denominator = 0.0;
    if (!readUnsigned(s, &j, &denominator) || denominator == 0.0) return false;
    value /= denominator;
    i = j;
  }
  if (!onlyUnitsFollow(s.substr(i))) return false;
  value = negative ? -value : value;
  *out = value == 0.0 ? 0.0 : value;  // -0 is 0
  return true;
}

uint64_t fnv1a(uint64_t hash, char c) {
  return (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
}

Answer textAnswer(std::string_view s) {
  Answer a;
  a.kind = AnswerKind::kText;
  uint64_t hash = 14695981039346656037ULL;
  uint32_t length = 0;
  bool pendingSpace = false;
  for (char c : s) {
    if (isSpace(c)) {
      pendingSpace = length > 0;
      continue;
    }
    if (pendingSpace) {
      hash = fnv1a(hash, ' ');
      if (length + 1 < Answer::kTextBytes) a.text[length] = ' ';
      ++length;
      pendingSpace = false;
    }
    const char l = lower(c);
    hash = fnv1a(hash, l);
    if (length + 1 < Answer::kTextBytes) a.text[length] = l;
    ++length;
  }
  a.textHash = hash;
  a.textLength = length;
  return a;
}

}  // namespace

Answer numberAnswer(double value) {
  Answer a;
  a.kind = AnswerKind::kNumber;
  a.number = value == 0.0 ? 0.0 : value;
  return a;
}

Answer optionAnswer(char letter) {
  Answer a;
  a.kind = AnswerKind::kOption;
  a.option = upper(letter);
  return a;
}

Answer canonicalise(std::string_view raw) {
  const std::string_view s = clean(extract(clean(raw)));
  if (s.empty() || equalCaseless(s, "na") || equalCaseless(s, "n/a") || equalCaseless(s, "none")) {
    return noAnswer();
  }
  char letter = 0;
  if (parseOption(s, &letter)) return optionAnswer(letter);
  double value = 0.0;
  if (parseNumber(s, &value)) return numberAnswer(value);
  // "(18)" or "[18]": a number in brackets.
  if (s.size() > 2 &&
      ((s.front() == '(' && s.back() == ')') || (s.front() == '[' && s.back() == ']'))) {
    if (parseNumber(clean(s.substr(1, s.size() - 2)), &value)) return numberAnswer(value);
  }
  return textAnswer(s);
}

bool sameAnswer(const Answer& x, const Answer& y, double relTolerance) {
  if (x.kind != y.kind) return false;
  switch (x.kind) {
    case AnswerKind::kNone:
      return true;
    case AnswerKind::kOption:
      return x.option == y.option;
    case AnswerKind::kNumber: {
      const double scale = std::fmax(1.0, std::fmax(std::fabs(x.number), std::fabs(y.number)));
      return std::fabs(x.number - y.number) <= relTolerance * scale;
    }
    case AnswerKind::kText:
      return x.textHash == y.textHash && x.textLength == y.textLength &&
             std::strcmp(x.text, y.text) == 0;
  }
  return false;
}

const char* formatAnswer(const Answer& answer, char* out, size_t outBytes) {
  if (outBytes == 0) return out;
  switch (answer.kind) {
    case AnswerKind::kNone:
      std::snprintf(out, outBytes, "-");
      break;
    case AnswerKind::kOption:
      std::snprintf(out, outBytes, "(%c)", answer.option);
      break;
    case AnswerKind::kNumber:
      std::snprintf(out, outBytes, "%.12g", answer.number);
      break;
    case AnswerKind::kText:
      std::snprintf(out, outBytes, "%s%s", answer.text,
                    answer.textLength + 1 > Answer::kTextBytes ? "..." : "");
      break;
  }
  return out;
}

}  // namespace qeil::verify
