#pragma once

#include <string>
#include <vector>

#include "hal/result.h"

namespace qeil {

// qeild's command line.
struct QeildOptions {
  std::vector<std::string> checkConfig;  // --check-config FILE...: validate and exit
  bool help = false;
  std::string board;
  std::string root;  // empty: "/" on a board, a temporary directory for the twin
  std::string socketPath = "/run/qeild.sock";
  std::string socketGroup;
  std::string journalPath;  // empty: the default for the mode
  bool twin = false;
  double speed = 1.0;
  double ambientC = 0.0;
  bool ambientSet = false;
  int tickMs = 100;
  int maxConnections = 64;  // --max-connections: open control connections at once
  std::string logLevels;
  std::string telemetryDir;      // --telemetry-dir: gzip telemetry files there; empty: none
  double telemetryMaxMiB = 8.0;  // --telemetry-max-mib: the files' total size bound
};

// Errors name the option and what was wrong with its value.
Result<QeildOptions> parseQeildOptions(int argc, const char* const* argv);

}  // namespace qeil
