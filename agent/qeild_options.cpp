#include "agent/qeild_options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>

namespace qeil {
namespace {

Result<double> number(const char* option, const char* text, double lo, double hi) {
  char* end = nullptr;
  errno = 0;
  double v = strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !std::isfinite(v))
    return Error::make(EINVAL, "%s: '%s' is not a number", option, text);
  if (v < lo || v > hi) return Error::make(ERANGE, "%s: %g is outside %g..%g", option, v, lo, hi);
  return v;
}

// Options that take a value; `next` is that value (already checked to exist).
Status valueOption(QeildOptions& o, const char* opt, const char* next) {
  if (strcmp(opt, "--board") == 0) {
    o.board = next;
  } else if (strcmp(opt, "--root") == 0) {
    o.root = next;
  } else if (strcmp(opt, "--socket") == 0) {
    o.socketPath = next;
  } else if (strcmp(opt, "--socket-group") == 0) {
    o.socketGroup = next;
  } else if (strcmp(opt, "--journal") == 0) {
    o.journalPath = next;
  } else if (strcmp(opt, "--log") == 0) {
    o.logLevels = next;
  } else if (strcmp(opt, "--telemetry-dir") == 0) {
    o.telemetryDir = next;
  } else if (strcmp(opt, "--telemetry-max-mib") == 0) {
    auto v = number(opt, next, 0.0625, 65536.0);
    if (!v.ok()) return v.error();
    o.telemetryMaxMiB = v.value();
  } else if (strcmp(opt, "--speed") == 0) {
    auto v = number(opt, next, 0.0, 1e6);
    if (!v.ok()) return v.error();
    o.speed = v.value();
  } else if (strcmp(opt, "--ambient-c") == 0) {
    auto v = number(opt, next, -40.0, 85.0);
    if (!v.ok()) return v.error();
    o.ambientC = v.value();
    o.ambientSet = true;
  } else if (strcmp(opt, "--max-connections") == 0) {
    auto v = number(opt, next, 1.0, 4096.0);
    if (!v.ok()) return v.error();
    o.maxConnections = static_cast<int>(v.value());
  } else {
    auto v = number(opt, next, 1.0, 10000.0);  // --tick-ms
    if (!v.ok()) return v.error();
    o.tickMs = static_cast<int>(v.value());
  }
  return Status();
}

bool takesValue(const char* opt) {
  static const char* const kWithValue[] = {"--board",
                                           "--root",
                                           "--socket",
                                           "--socket-group",
                                           "--journal",
                                           "--log",
                                           "--speed",
                                           "--ambient-c",
                                           "--tick-ms",
                                           "--telemetry-dir",
                                           "--telemetry-max-mib",
                                           "--max-connections"};
  for (const char* o : kWithValue) {
    if (strcmp(opt, o) == 0) return true;
  }
  return false;
}

Status checkCombination(const QeildOptions& o) {
  if (!o.checkConfig.empty() || o.help) return Status();
  if (o.board.empty()) return Error::make(EINVAL, "--board FILE is required");
  if (!o.twin && (o.speed != 1.0 || o.ambientSet))
    return Error::make(EINVAL, "--speed and --ambient-c need --twin");
  return Status();
}

}  // namespace

Result<QeildOptions> parseQeildOptions(int argc, const char* const* argv) {
  QeildOptions o;
  for (int i = 1; i < argc; ++i) {
    const char* opt = argv[i];
    if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
      o.help = true;
    } else if (strcmp(opt, "--twin") == 0) {
      o.twin = true;
    } else if (strcmp(opt, "--check-config") == 0) {
      while (i + 1 < argc && argv[i + 1][0] != '-')
        o.checkConfig.push_back(argv[++i]);
      if (o.checkConfig.empty())
        return Error::make(EINVAL, "--check-config needs at least one FILE");
    } else if (takesValue(opt)) {
      if (i + 1 >= argc) return Error::make(EINVAL, "%s needs a value", opt);
      Status s = valueOption(o, opt, argv[++i]);
      if (!s.ok()) return s.error();
    } else {
      return Error::make(EINVAL, "%s: unknown option", opt);
    }
  }
  Status s = checkCombination(o);
  if (!s.ok()) return s.error();
  return o;
}

}  // namespace qeil
