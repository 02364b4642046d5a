#include "hal/cpu_set.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace qeil {

CpuSet CpuSet::range(int first, int last) {
  CpuSet s;
  for (int c = first; c <= last; ++c)
    s.add(c);
  return s;
}

namespace {

bool parseCpu(const char*& p, int* out) {
  if (!isdigit(static_cast<unsigned char>(*p))) return false;
  char* end = nullptr;
  long v = strtol(p, &end, 10);
  if (v < 0 || v >= CpuSet::kMaxCpus) return false;
  *out = static_cast<int>(v);
  p = end;
  return true;
}

}  // namespace

Result<CpuSet> CpuSet::parse(const char* text, const char* where) {
  CpuSet s;
  const char* p = text;
  while (*p == ' ' || *p == '\t')
    ++p;
  while (*p != '\0' && *p != '\n') {
    int first = 0;
    int last = 0;
    if (!parseCpu(p, &first)) {
      return Error::make(EINVAL, "%s: not a CPU list (0-%d): '%s'", where, kMaxCpus - 1, text);
    }
    last = first;
    if (*p == '-') {
      ++p;
      if (!parseCpu(p, &last) || last < first) {
        return Error::make(EINVAL, "%s: bad CPU range in '%s'", where, text);
      }
    }
    for (int c = first; c <= last; ++c)
      s.add(c);
    if (*p == ',') {
      ++p;
    } else if (*p != '\0' && *p != '\n') {
      return Error::make(EINVAL, "%s: not a CPU list: '%s'", where, text);
    }
  }
  return s;
}

bool CpuSet::format(char* buf, size_t cap) const {
  size_t used = 0;
  buf[0] = '\0';
  for (int c = 0; c < kMaxCpus;) {
    if (!contains(c)) {
      ++c;
      continue;
    }
    int last = c;
    while (last + 1 < kMaxCpus && contains(last + 1))
      ++last;
    int n = last == c ? snprintf(buf + used, cap - used, "%s%d", used ? "," : "", c)
                      : snprintf(buf + used, cap - used, "%s%d-%d", used ? "," : "", c, last);
    if (n < 0 || static_cast<size_t>(n) >= cap - used) return false;
    used += static_cast<size_t>(n);
    c = last + 1;
  }
  return true;
}

}  // namespace qeil
