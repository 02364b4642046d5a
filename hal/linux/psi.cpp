#include "hal/linux/psi.h"

#include <cctype>
#include <cerrno>
#include <cstring>

namespace qeil {
namespace {

// Pressure files are two lines of about 60 bytes.
constexpr size_t kPsiBytes = 256;

bool isDigit(char c) {
  return isdigit(static_cast<unsigned char>(c)) != 0;
}

// "12.34" as the kernel prints averages (LOAD_INT.LOAD_FRAC); advances p.
bool parseFixed(const char*& p, double* out) {
  if (!isDigit(*p)) return false;
  double v = 0.0;
  for (; isDigit(*p); ++p)
    v = v * 10.0 + (*p - '0');
  if (*p == '.') {
    ++p;
    double scale = 0.1;
    if (!isDigit(*p)) return false;
    for (; isDigit(*p); ++p, scale /= 10.0)
      v += (*p - '0') * scale;
  }
  *out = v;
  return true;
}

bool parseTotal(const char*& p, uint64_t* out) {
  if (!isDigit(*p)) return false;
  uint64_t v = 0;
  for (; isDigit(*p); ++p) {
    uint64_t d = static_cast<uint64_t>(*p - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

bool expect(const char*& p, const char* word) {
  size_t len = strlen(word);
  if (strncmp(p, word, len) != 0) return false;
  p += len;
  return true;
}

// " avg10=0.00 avg60=0.00 avg300=0.00 total=0" after the line's first word.
bool parseFields(const char*& p, PsiLine* out) {
  return expect(p, " avg10=") && parseFixed(p, &out->avg10) && expect(p, " avg60=") &&
         parseFixed(p, &out->avg60) && expect(p, " avg300=") && parseFixed(p, &out->avg300) &&
         expect(p, " total=") && parseTotal(p, &out->totalUs);
}

bool inPercentRange(const PsiLine& l) {
  return l.avg10 <= 100.0 && l.avg60 <= 100.0 && l.avg300 <= 100.0;
}

}  // namespace

const char* psiResourceName(PsiResource resource) {
  switch (resource) {
    case PsiResource::Cpu:
      return "cpu";
    case PsiResource::Memory:
      return "memory";
    case PsiResource::Io:
      return "io";
  }
  return "?";
}

Status parsePsi(const char* text, const char* where, PsiStats* out) {
  if (*text == '\0') return Error::make(ENODATA, "%s: empty", where);
  PsiStats stats;
  const char* p = text;
  if (!expect(p, "some") || !parseFields(p, &stats.some)) {
    return Error::make(EINVAL, "%s: not a pressure 'some' line: '%.60s'", where, text);
  }
  while (*p == ' ')
    ++p;
  if (*p == '\n') {
    ++p;
    if (!expect(p, "full") || !parseFields(p, &stats.full)) {
      return Error::make(EINVAL, "%s: not a pressure 'full' line: '%.60s'", where, text);
    }
    stats.hasFull = true;
    while (*p == ' ' || *p == '\n')
      ++p;
  }
  if (*p != '\0') return Error::make(EINVAL, "%s: unexpected text: '%.40s'", where, p);
  if (!inPercentRange(stats.some) || !inPercentRange(stats.full)) {
    return Error::make(ERANGE, "%s: an average is outside 0..100 %%", where);
  }
  *out = stats;
  return {};
}

Result<std::unique_ptr<PsiReader>> PsiReader::openPath(std::string path, PsiResource resource) {
  std::unique_ptr<PsiReader> reader(new PsiReader(resource));
  Status st = reader->file_.open(std::move(path));
  if (st.ok()) {
    PsiStats probe;
    st = reader->read(&probe);
  }
  if (!st.ok()) {
    int err = st.error().errnum();
    if (err == ENOENT || err == EOPNOTSUPP) {
      return Error::make(ENOTSUP,
                         "%s: PSI is not available (kernel built without CONFIG_PSI, or "
                         "booted with psi=0)",
                         reader->file_.path().c_str());
    }
    return st.error();
  }
  return reader;
}

Result<std::unique_ptr<PsiReader>> PsiReader::create(const SysRoot& root, PsiResource resource) {
  return openPath(root.path(std::string(syspath::kPressure) + "/" + psiResourceName(resource)),
                  resource);
}

Result<std::unique_ptr<PsiReader>> PsiReader::createForCgroup(const SysRoot& root,
                                                              const std::string& cgroup,
                                                              PsiResource resource) {
  std::string dir = root.path(syspath::kCgroup);
  if (!cgroup.empty()) dir += "/" + cgroup;
  return openPath(dir + "/" + psiResourceName(resource) + ".pressure", resource);
}

Status PsiReader::read(PsiStats* out) {
  char buf[kPsiBytes];
  Result<size_t> r = file_.readText(buf, sizeof buf);
  if (!r.ok()) return r.error();
  return parsePsi(buf, file_.path().c_str(), out);
}

}  // namespace qeil
