// qeild, the qeil agent: samples the board's rails, zones and frequency domains on one event
// loop and serves the control API on a UNIX socket; with --twin it runs on the board's twin.
// qeild --check-config validates board files.
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "agent/agent.h"
#include "agent/board_config.h"
#include "agent/control_server.h"
#include "agent/event_loop.h"
#include "agent/qeild_options.h"
#include "agent/sd_notify.h"
#include "energy/board_soc.h"
#include "hal/log.h"

namespace {

constexpr const char* kUsage =
    "usage: qeild --board FILE [--root DIR] [--socket PATH] [--socket-group GROUP]\n"
    "             [--journal FILE] [--tick-ms N] [--max-connections N] [--log LEVELS]\n"
    "             [--telemetry-dir DIR [--telemetry-max-mib N]]\n"
    "             [--twin [--speed N] [--ambient-c T]]\n"
    "       qeild --check-config FILE...\n"
    "       qeild --help\n"
    "\n"
    "  --board FILE            the board file (board-configs/*.cfg)\n"
    "  --root DIR              root of the system paths (default /); with --twin, where the\n"
    "                          twin writes its tree (default: a new temporary directory)\n"
    "  --socket PATH           the control API's UNIX socket (default /run/qeild.sock), mode 0660\n"
    "  --socket-group GROUP    the socket's group (default: qeild's)\n"
    "  --journal FILE          the settings journal (default /var/lib/qeil/settings.journal;\n"
    "                          with --twin, qeild.journal in the twin's root)\n"
    "  --tick-ms N             sampling period (default 100)\n"
    "  --max-connections N     control connections open at once (default 64); more are\n"
    "                          answered 503 and closed. Each connection must complete a\n"
    "                          request within 10 s of opening or of its last answer.\n"
    "  --log LEVELS            'info', 'debug', 'agent=debug,api=trace', ...\n"
    "  --telemetry-dir DIR     write every sample to rotating gzip CSV files there\n"
    "                          (qeil-telemetry-<seq>.csv.gz; 'qeilctl telemetry export')\n"
    "  --telemetry-max-mib N   their total size bound in MiB, 8 files (default 8)\n"
    "  --twin                  run on the board's twin (real backends over a simulated board)\n"
    "  --speed N               twin: N simulated seconds per wall second (default 1;\n"
    "                          0: as fast as the host can step)\n"
    "  --ambient-c T           twin: hold the ambient temperature at T C\n"
    "  --check-config FILE...  validate board files (syntax: board-configs/README.md). Prints\n"
    "                          'FILE: ok' for a valid file, otherwise every problem on stderr,\n"
    "                          one per line: FILE:LINE: SETTING: MESSAGE.\n"
    "                          Exit status: 0 every file valid, 1 a file has problems, 2 usage.\n"
    "  --help                  show this text\n"
    "\n"
    "SIGTERM and SIGINT stop qeild after restoring every setting it changed (exit status 0).\n"
    "Under systemd (Type=notify) it reports READY=1 once the socket is bound, WATCHDOG=1 at\n"
    "half of $WATCHDOG_USEC, and STOPPING=1; packaging/qeild.service is the unit.\n";

constexpr const char* kDefaultJournal = "/var/lib/qeil/settings.journal";

// A file is valid when it loads and the energy model can hold the board.
qeil::Result<qeil::BoardSpec> loadValid(const char* path, bool quiet) {
  qeil::BoardErrors errors;
  qeil::Result<qeil::BoardSpec> board = qeil::loadBoardFile(path, &errors);
  if (!board.ok()) {
    for (const qeil::BoardError& e : errors)
      fprintf(stderr, "%s\n", e.text().c_str());
    return board.error();
  }
  qeil::Result<qeil::energy::SocSpec> soc = qeil::energy::socFromBoard(board.value());
  if (!soc.ok()) {
    fprintf(stderr, "%s: %s\n", path, soc.error().message());
    return soc.error();
  }
  if (!quiet) printf("%s: ok\n", path);
  return board;
}

int checkConfig(const std::vector<std::string>& files) {
  bool allValid = true;
  for (const std::string& f : files)
    allValid = loadValid(f.c_str(), false).ok() && allValid;
  return allValid ? 0 : 1;
}

int usageError(const char* what) {
  fprintf(stderr, "qeild: %s\nTry 'qeild --help'.\n", what);
  return 2;
}

int removeEntry(const char* path, const struct stat*, int, struct FTW*) {
  return remove(path);
}

// The twin's tree: --root, or a temporary directory removed on exit.
class TwinRoot {
 public:
  bool make(const std::string& given) {
    if (!given.empty()) {
      path_ = given;
      return mkdir(path_.c_str(), 0755) == 0 || errno == EEXIST;
    }
    char tmpl[] = "/tmp/qeild-twin-XXXXXX";
    if (!mkdtemp(tmpl)) return false;
    path_ = tmpl;
    owned_ = true;
    return true;
  }
  ~TwinRoot() {
    if (owned_) nftw(path_.c_str(), removeEntry, 16, FTW_DEPTH | FTW_PHYS);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

qeil::AgentOptions agentOptions(const qeil::QeildOptions& o, const std::string& twinRoot) {
  qeil::AgentOptions a;
  a.twin = o.twin;
  a.root = o.twin ? twinRoot : (o.root.empty() ? "/" : o.root);
  a.speed = o.speed;
  if (o.ambientSet) a.ambientC = o.ambientC;
  a.tickMs = o.tickMs;
  a.planBudgetOnWallClock = true;
  a.journalPath = o.journalPath;
  if (a.journalPath.empty()) a.journalPath = o.twin ? twinRoot + "/qeild.journal" : kDefaultJournal;
  a.telemetryFiles.dir = o.telemetryDir;
  a.telemetryFiles.maxFileBytes =
      static_cast<uint64_t>(o.telemetryMaxMiB * 1024 * 1024) / a.telemetryFiles.maxFiles;
  return a;
}

void makeParentDir(const std::string& file) {
  size_t slash = file.rfind('/');
  if (slash == std::string::npos || slash == 0) return;
  std::string dir = file.substr(0, slash);
  for (size_t p = 1; p != std::string::npos; p = dir.find('/', p + 1))
    mkdir(dir.substr(0, p).c_str(), 0755);
  mkdir(dir.c_str(), 0755);
}

int serve(const qeil::QeildOptions& o) {
  auto board = loadValid(o.board.c_str(), true);
  if (!board.ok()) return 1;
  TwinRoot twinRoot;
  if (o.twin && !twinRoot.make(o.root)) {
    fprintf(stderr, "qeild: cannot create the twin's root %s: %s\n", o.root.c_str(),
            strerror(errno));
    return 1;
  }
  qeil::AgentOptions ao = agentOptions(o, twinRoot.path());
  makeParentDir(ao.journalPath);
  if (!ao.telemetryFiles.dir.empty()) makeParentDir(ao.telemetryFiles.dir + "/");
  auto agent = qeil::Agent::create(board.value(), ao);
  if (!agent.ok()) {
    fprintf(stderr, "qeild: %s\n", agent.error().message());
    return 1;
  }
  for (const std::string& w : agent.value()->warnings())
    fprintf(stderr, "qeild: warning: %s\n", w.c_str());
  qeil::ControlServerOptions so;
  so.socketPath = o.socketPath;
  so.socketGroup = o.socketGroup;
  so.maxConnections = o.maxConnections;
  auto server = qeil::ControlServer::create(agent.value()->loop(), *agent.value(), so);
  if (!server.ok()) {
    fprintf(stderr, "qeild: %s\n", server.error().message());
    (void)agent.value()->restore();  // logs its own failure
    return 1;
  }
  fprintf(stderr, "qeild: %s%s, %zu rails, %zu zones; control API on %s\n",
          board.value().name.c_str(), o.twin ? " (twin)" : "", board.value().rails.size(),
          board.value().zones.size(), o.socketPath.c_str());
  // systemd (Type=notify): ready once the socket is bound, the watchdog fed from the loop.
  auto notifier = qeil::SdNotifier::fromEnvironment();
  if (!notifier.ok()) fprintf(stderr, "qeild: warning: %s\n", notifier.error().message());
  qeil::SdNotifier notify = notifier.ok() ? std::move(notifier.value()) : qeil::SdNotifier();
  qeil::Status sent = notify.send("READY=1\nSTATUS=serving the control API");
  if (!sent.ok()) fprintf(stderr, "qeild: warning: %s\n", sent.error().message());
  qeil::Timer watchdog(agent.value()->loop(), [&notify] { (void)notify.send("WATCHDOG=1"); });
  if (notify.watchdogPeriodUs() > 0) (void)watchdog.start(notify.watchdogPeriodUs());
  qeil::Status s = agent.value()->run();
  (void)notify.send("STOPPING=1");
  watchdog.cancel();
  server.value().reset();
  if (!s.ok()) {
    fprintf(stderr, "qeild: %s\n", s.error().message());
    return 1;
  }
  fprintf(stderr, "qeild: stopped; every setting restored\n");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usageError("no option given");
  auto options = qeil::parseQeildOptions(argc, argv);
  if (!options.ok()) return usageError(options.error().message());
  const qeil::QeildOptions& o = options.value();
  if (o.help) {
    fputs(kUsage, stdout);
    return 0;
  }
  if (!o.checkConfig.empty()) return checkConfig(o.checkConfig);
  if (!o.logLevels.empty() && !qeil::setLogLevels(o.logLevels.c_str()))
    return usageError("--log: unknown module or level");
  signal(SIGPIPE, SIG_IGN);
  return serve(o);
}
