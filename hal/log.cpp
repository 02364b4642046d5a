#include "hal/log.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace qeil {
namespace {

constexpr int kMaxModules = 32;
LogModule* gModules[kMaxModules];
int gModuleCount = 0;

const char* const kLevelNames[] = {"error", "warn", "info", "debug", "trace"};

void stderrSink(const LogModule& module, LogLevel level, const char* line) {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  fprintf(stderr, "%5ld.%03ld %-5s %-9s %s\n", static_cast<long>(ts.tv_sec), ts.tv_nsec / 1000000,
          kLevelNames[static_cast<int>(level)], module.name(), line);
}

LogSink gSink = stderrSink;

bool parseLevel(const char* text, size_t len, LogLevel* out) {
  for (int i = 0; i < 5; ++i) {
    if (strlen(kLevelNames[i]) == len && strncmp(kLevelNames[i], text, len) == 0) {
      *out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

LogModule* findModule(const char* name, size_t len) {
  for (int i = 0; i < gModuleCount; ++i) {
    if (strlen(gModules[i]->name()) == len && strncmp(gModules[i]->name(), name, len) == 0) {
      return gModules[i];
    }
  }
  return nullptr;
}

}  // namespace

LogModule::LogModule(const char* name, LogLevel level)
    : name_(name), level_(static_cast<int>(level)) {
  if (gModuleCount < kMaxModules) gModules[gModuleCount++] = this;
}

void logWrite(const LogModule& module, LogLevel level, const char* fmt, ...) {
  char line[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  gSink(module, level, line);
}

bool setLogLevels(const char* spec) {
  struct Change {
    LogModule* module;  // nullptr: every module
    LogLevel level;
  };
  Change changes[kMaxModules + 1];
  int count = 0;
  for (const char* p = spec; *p != '\0';) {
    const char* end = strchr(p, ',');
    size_t len = end ? static_cast<size_t>(end - p) : strlen(p);
    const char* eq = static_cast<const char*>(memchr(p, '=', len));
    Change c{nullptr, LogLevel::Info};
    if (eq) {
      c.module = findModule(p, static_cast<size_t>(eq - p));
      if (!c.module || !parseLevel(eq + 1, len - static_cast<size_t>(eq - p) - 1, &c.level)) {
        return false;
      }
    } else if (!parseLevel(p, len, &c.level)) {
      return false;
    }
    if (count == kMaxModules + 1) return false;
    changes[count++] = c;
    p += len;
    if (*p == ',') ++p;
  }
  for (int i = 0; i < count; ++i) {
    if (changes[i].module) {
      changes[i].module->setLevel(changes[i].level);
    } else {
      for (int m = 0; m < gModuleCount; ++m)
        gModules[m]->setLevel(changes[i].level);
    }
  }
  return true;
}

void setLogSink(LogSink sink) {
  gSink = sink ? sink : stderrSink;
}

}  // namespace qeil
