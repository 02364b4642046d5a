// qeild, the qeil agent. This build checks board files (qeild --check-config); running the
// agent itself comes with its control loop.
#include <cstdio>
#include <cstring>

#include "agent/board_config.h"
#include "energy/board_soc.h"

namespace {

constexpr const char* kUsage =
    "usage: qeild --check-config FILE...\n"
    "       qeild --help\n"
    "\n"
    "  --check-config FILE...  validate board files (syntax: board-configs/README.md). Prints\n"
    "                          'FILE: ok' for a valid file, otherwise every problem on stderr,\n"
    "                          one per line: FILE:LINE: SETTING: MESSAGE.\n"
    "                          Exit status: 0 every file valid, 1 a file has problems, 2 usage.\n"
    "  --help                  show this text\n"
    "\n"
    "This build of qeild checks board files only: the agent's own options (--board, ...) are\n"
    "not available in it yet.\n";

// A file is valid when it loads and the energy model can hold the board.
bool checkFile(const char* path) {
  qeil::BoardErrors errors;
  qeil::Result<qeil::BoardSpec> board = qeil::loadBoardFile(path, &errors);
  if (!board.ok()) {
    for (const qeil::BoardError& e : errors)
      fprintf(stderr, "%s\n", e.text().c_str());
    return false;
  }
  qeil::Result<qeil::energy::SocSpec> soc = qeil::energy::socFromBoard(board.value());
  if (!soc.ok()) {
    fprintf(stderr, "%s: %s\n", path, soc.error().message());
    return false;
  }
  printf("%s: ok\n", path);
  return true;
}

int usageError(const char* what, const char* arg) {
  fprintf(stderr, "qeild: %s%s\nTry 'qeild --help'.\n", arg, what);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usageError("no option given", "");
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
    fputs(kUsage, stdout);
    return 0;
  }
  if (strcmp(argv[1], "--check-config") != 0)
    return usageError(" is not available in this build yet (it checks board files only)", argv[1]);
  if (argc < 3) return usageError("--check-config needs at least one FILE", "");
  for (int i = 2; i < argc; ++i) {
    if (argv[i][0] == '-') return usageError(": --check-config takes files, not options", argv[i]);
  }
  bool allValid = true;
  for (int i = 2; i < argc; ++i)
    allValid = checkFile(argv[i]) && allValid;
  return allValid ? 0 : 1;
}
