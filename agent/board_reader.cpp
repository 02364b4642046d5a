#include "agent/board_reader.h"

#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <libconfig.h++>
#include <limits>

namespace qeil {
namespace {

using libconfig::Setting;

std::string formatRange(Limits limits) {
  char text[96];
  snprintf(text, sizeof text, "%c%g, %g%c", limits.loOpen || std::isinf(limits.lo) ? '(' : '[',
           limits.lo, limits.hi, std::isinf(limits.hi) ? ')' : ']');
  return text;
}

bool inRange(double v, Limits limits) {
  return std::isfinite(v) && (limits.loOpen ? v > limits.lo : v >= limits.lo) && v <= limits.hi;
}

}  // namespace

const char* BoardItem::typeName(const Setting& s) const {
  switch (s.getType()) {
    case Setting::TypeInt:
    case Setting::TypeInt64:
      return "an integer";
    case Setting::TypeFloat:
      return "a float";
    case Setting::TypeString:
      return "a string";
    case Setting::TypeBoolean:
      return "a boolean";
    case Setting::TypeGroup:
      return "a group { }";
    case Setting::TypeArray:
      return "an array [ ]";
    case Setting::TypeList:
      return "a list ( )";
    default:
      return "nothing";
  }
}

std::string BoardItem::path() const {
  return s_.getPath();
}

size_t BoardItem::childCount() const {
  return s_.isAggregate() ? static_cast<size_t>(s_.getLength()) : 0;
}

const Setting& BoardItem::child(size_t i) const {
  return s_[static_cast<int>(i)];
}

const char* BoardItem::childName(size_t i) const {
  const char* name = child(i).getName();
  return name ? name : "";
}

void BoardItem::error(const char* fmt, ...) {
  char message[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(message, sizeof message, fmt, ap);
  va_end(ap);
  diag_.report(path(), "%s", message);
}

bool BoardItem::isGroup() {
  if (s_.getType() == Setting::TypeGroup) return true;
  error("expected a group { key = value; ... }, got %s", typeName(s_));
  return false;
}

bool BoardItem::isList() {
  // An empty [ ] is as good as an empty ( ).
  if (s_.getType() == Setting::TypeList || (s_.isArray() && s_.getLength() == 0)) return true;
  error("expected a list ( { ... }, { ... } ), got %s", typeName(s_));
  return false;
}

bool BoardItem::isNumber(const Setting& s) const {
  return s.getType() == Setting::TypeInt || s.getType() == Setting::TypeInt64 ||
         s.getType() == Setting::TypeFloat;
}

bool BoardItem::number(const Setting& s, Limits limits, double* out) {
  const std::string where = &s == &s_ ? "" : "element " + std::to_string(s.getIndex()) + ": ";
  if (!isNumber(s)) {
    error("%sexpected a number, got %s", where.c_str(), typeName(s));
    return false;
  }
  const double v = s.getType() == Setting::TypeFloat
                       ? static_cast<double>(s)
                       : static_cast<double>(static_cast<long long>(s));
  if (!inRange(v, limits)) {
    error("%s%g is outside %s", where.c_str(), v, formatRange(limits).c_str());
    return false;
  }
  *out = v;
  return true;
}

bool BoardItem::integer(long long lo, long long hi, long long* out) {
  if (s_.getType() != Setting::TypeInt && s_.getType() != Setting::TypeInt64) {
    const double f = s_.getType() == Setting::TypeFloat ? static_cast<double>(s_) : 0.5;
    if (f == std::trunc(f) && std::fabs(f) < 1e15) {
      error("expected an integer, got a float (write %.0f, not %.1f)", f, f);
    } else if (s_.getType() == Setting::TypeFloat) {
      error("expected an integer, got a float (%g)", f);
    } else {
      error("expected an integer, got %s", typeName(s_));
    }
    return false;
  }
  const long long v = s_;
  if (v < lo || v > hi) {
    error("%lld is outside %lld..%lld", v, lo, hi);
    return false;
  }
  *out = v;
  return true;
}

bool BoardItem::get(std::string& out) {
  if (s_.getType() != Setting::TypeString) {
    error("expected a string, got %s", typeName(s_));
    return false;
  }
  out = static_cast<const char*>(s_);
  return true;
}

bool BoardItem::get(bool& out) {
  if (s_.getType() != Setting::TypeBoolean) {
    error("expected true or false, got %s", typeName(s_));
    return false;
  }
  out = s_;
  return true;
}

bool BoardItem::get(int& out, long long lo, long long hi) {
  long long v = 0;
  if (!integer(lo, hi, &v)) return false;
  out = static_cast<int>(v);
  return true;
}

bool BoardItem::get(unsigned& out, long long lo, long long hi) {
  long long v = 0;
  if (!integer(lo, hi, &v)) return false;
  out = static_cast<unsigned>(v);
  return true;
}

bool BoardItem::get(uint64_t& out) {
  long long v = 0;
  if (!integer(0, std::numeric_limits<long long>::max(), &v)) return false;
  out = static_cast<uint64_t>(v);
  return true;
}

bool BoardItem::get(double& out, Limits limits, double scale) {
  double v = 0.0;
  if (!number(s_, limits, &v)) return false;
  out = v * scale;
  return true;
}

bool BoardItem::get(std::vector<std::string>& out) {
  if (!s_.isArray() && !s_.isList()) {
    error("expected an array of strings [ \"a\", \"b\" ], got %s", typeName(s_));
    return false;
  }
  std::vector<std::string> values;
  for (size_t i = 0; i < childCount(); ++i) {
    if (child(i).getType() != Setting::TypeString) {
      error("element %zu: expected a string, got %s", i, typeName(child(i)));
      return false;
    }
    values.emplace_back(static_cast<const char*>(child(i)));
  }
  out = std::move(values);
  return true;
}

bool BoardItem::get(std::vector<double>& out, Limits limits, double scale) {
  if (!s_.isArray() && !s_.isList()) {
    error("expected an array of numbers [ 1, 2 ], got %s", typeName(s_));
    return false;
  }
  if (childCount() == 0) {
    error("empty");
    return false;
  }
  std::vector<double> values(childCount());
  for (size_t i = 0; i < childCount(); ++i) {
    if (!number(child(i), limits, &values[i])) return false;
    values[i] *= scale;
  }
  out = std::move(values);
  return true;
}

bool BoardItem::get(CpuSet& out) {
  std::string text;
  if (!get(text)) return false;
  Result<CpuSet> cpus = CpuSet::parse(text.c_str(), path().c_str());
  if (!cpus.ok() || cpus.value().empty()) {
    error("'%s' is not a non-empty CPU list such as \"0-3,6\" (CPUs 0..%d)", text.c_str(),
          CpuSet::kMaxCpus - 1);
    return false;
  }
  out = cpus.value();
  return true;
}

}  // namespace qeil
