#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "agent/board_diagnostics.h"
#include "hal/cpu_set.h"

namespace libconfig {
class Setting;
}

namespace qeil {

// Accepted range of a number, in the file's unit.
struct Limits {
  double lo;
  double hi;
  bool loOpen = false;  // (lo, hi] instead of [lo, hi]
};

class BoardItem;

// One key of a group: its name, whether the file must give it, and how it is read into T.
template <class T>
struct BoardField {
  const char* key;
  bool required;
  void (*read)(BoardItem&, T&);
};
constexpr bool kRequired = true;
constexpr bool kOptional = false;

// A string a setting may take and the value it stands for.
template <class T>
struct BoardChoice {
  const char* name;
  T value;
};

// One setting being read. Each get() checks the setting's type and range, reports what is wrong
// at the setting's line, and returns whether `out` was written. Where a float is wanted an
// integer is accepted; where an integer is wanted a float is an error.
class BoardItem {
 public:
  BoardItem(BoardDiagnostics& diag, const libconfig::Setting& s) : diag_(diag), s_(s) {}

  bool get(std::string& out);
  bool get(bool& out);
  bool get(int& out, long long lo, long long hi);
  bool get(unsigned& out, long long lo, long long hi);
  bool get(uint64_t& out);  // any non-negative integer
  // The file's value times `scale` (MHz to Hz, GB/s to B/s, ...).
  bool get(double& out, Limits limits, double scale = 1.0);
  bool get(std::vector<std::string>& out);  // [ "a", "b" ] or ( "a", "b" )
  bool get(std::vector<double>& out, Limits limits, double scale = 1.0);  // at least one
  bool get(CpuSet& out);                                                  // "0-3,6"

  template <class T, size_t N>
  bool choose(T& out, const BoardChoice<T> (&choices)[N]);
  // A group { key = value; ... } read by the table: unknown and missing keys are reported.
  template <class T, size_t N>
  void group(T& out, const BoardField<T> (&fields)[N]);
  // A list ( { ... }, { ... } ), each element read as a group into a copy of `prototype`.
  template <class T, size_t N>
  void list(std::vector<T>& out, const BoardField<T> (&fields)[N], const T& prototype = T());

  void error(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

 private:
  bool isGroup();
  bool isList();
  bool isNumber(const libconfig::Setting& s) const;
  bool number(const libconfig::Setting& s, Limits limits, double* out);
  bool integer(long long lo, long long hi, long long* out);
  size_t childCount() const;
  const libconfig::Setting& child(size_t i) const;
  const char* childName(size_t i) const;
  const char* typeName(const libconfig::Setting& s) const;
  std::string path() const;

  BoardDiagnostics& diag_;
  const libconfig::Setting& s_;
};

template <class T, size_t N>
bool BoardItem::choose(T& out, const BoardChoice<T> (&choices)[N]) {
  std::string name;
  if (!get(name)) return false;
  std::string known;
  for (const BoardChoice<T>& c : choices) {
    if (name == c.name) {
      out = c.value;
      return true;
    }
    known += (known.empty() ? "" : ", ") + std::string(c.name);
  }
  error("'%s' is not one of %s", name.c_str(), known.c_str());
  return false;
}

template <class T, size_t N>
void BoardItem::group(T& out, const BoardField<T> (&fields)[N]) {
  if (!isGroup()) return;
  bool seen[N] = {};
  for (size_t i = 0; i < childCount(); ++i) {
    BoardItem item(diag_, child(i));
    diag_.record(child(i));
    size_t k = 0;
    while (k < N && std::string(fields[k].key) != childName(i))
      ++k;
    if (k == N) {
      std::string known;
      for (const BoardField<T>& f : fields)
        known += (known.empty() ? "" : ", ") + std::string(f.key);
      item.error("unknown setting (known here: %s)", known.c_str());
      continue;
    }
    seen[k] = true;
    fields[k].read(item, out);
  }
  for (size_t k = 0; k < N; ++k) {
    if (fields[k].required && !seen[k]) {
      const std::string base = path();
      diag_.report(base.empty() ? fields[k].key : base + "." + fields[k].key, "missing (required)");
    }
  }
}

template <class T, size_t N>
void BoardItem::list(std::vector<T>& out, const BoardField<T> (&fields)[N], const T& prototype) {
  if (!isList()) return;
  for (size_t i = 0; i < childCount(); ++i) {
    diag_.record(child(i));
    BoardItem element(diag_, child(i));
    if (!element.isGroup()) continue;
    out.push_back(prototype);
    element.group(out.back(), fields);
  }
}

}  // namespace qeil
