// libFuzzer target: any text given to the board file loader either loads into a board the
// energy model accepts or refuses, and is reported, without crashing, leaking or undefined
// behaviour (built with ASan and UBSan; scripts/test.sh runs it on a corpus of board-configs/).
#include <cstddef>
#include <cstdint>
#include <string>

#include "agent/board_config.h"
#include "energy/board_soc.h"

// The entry point libFuzzer calls, by its fixed name.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {  // NOLINT
  const std::string text(reinterpret_cast<const char*>(data), size);
  // @include reads other files: the filesystem is not what this target explores.
  if (text.find("@include") != std::string::npos) return -1;
  qeil::BoardErrors errors;
  qeil::Result<qeil::BoardSpec> board = qeil::loadBoardText(text, "fuzz.cfg", &errors);
  if (board.ok() != errors.empty()) __builtin_trap();
  if (board.ok()) (void)qeil::energy::socFromBoard(board.value());
  for (const qeil::BoardError& e : errors) {
    if (e.text().empty()) __builtin_trap();
  }
  return 0;
}
