#pragma once

#include <cstdint>

namespace qeil {

enum class LogLevel : int { Error = 0, Warn = 1, Info = 2, Debug = 3, Trace = 4 };

// A named logging module ("hal", "energy", ...) with a level set at run time. Modules are
// defined once, at namespace scope, and register themselves so `setLogLevels` can find them.
class LogModule {
 public:
  explicit LogModule(const char* name, LogLevel level = LogLevel::Info);
  const char* name() const { return name_; }
  bool enabled(LogLevel level) const { return static_cast<int>(level) <= level_; }
  void setLevel(LogLevel level) { level_ = static_cast<int>(level); }

 private:
  const char* name_;
  int level_;
};

// Writes one line; use QEIL_LOG so that disabled messages are never formatted.
void logWrite(const LogModule& module, LogLevel level, const char* fmt, ...)
    __attribute__((format(printf, 3, 4)));

// Parses "info", "hal=debug,energy=warn" or "debug,hal=trace" and applies it. Returns false
// (and changes nothing) when a module or level name is unknown.
bool setLogLevels(const char* spec);

// Where lines go; the default writes to stderr. Tests capture lines with their own sink.
using LogSink = void (*)(const LogModule& module, LogLevel level, const char* line);
void setLogSink(LogSink sink);

}  // namespace qeil

#define QEIL_LOG(module, level, ...)                                    \
  do {                                                                  \
    if ((module).enabled(::qeil::LogLevel::level)) {                    \
      ::qeil::logWrite((module), ::qeil::LogLevel::level, __VA_ARGS__); \
    }                                                                   \
  } while (0)
