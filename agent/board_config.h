#pragma once

#include <string>
#include <vector>

#include "hal/board_spec.h"
#include "hal/result.h"

namespace qeil {

// One problem found in a board file: where it is and what is wrong.
struct BoardError {
  std::string file;
  int line = 0;         // 0: no line (the file could not be read)
  std::string setting;  // "devices.[1].opp_mhz"; empty for syntax errors
  std::string message;

  // "rk3588.cfg:97: devices.[1].opp_mhz: not ascending (2016 after 2208)"
  std::string text() const;
};
using BoardErrors = std::vector<BoardError>;

// Reads a board file (libconfig syntax; every key in board-configs/README.md) into a BoardSpec
// and validates it: syntax, unknown keys, types, required settings, physical ranges, and every
// cross-reference (zones, devices, rails, GPIOs, power modes, twin entries). On failure the
// Error carries the first problem and the count of the others; `errors`, when given, receives
// every problem found, in file and line order. On success twin.devices and twin.zones hold one
// entry per device and zone, in the board's order, with the board's values filled in where the
// file left them out (board-configs/README.md, "twin").
Result<BoardSpec> loadBoardFile(const std::string& path, BoardErrors* errors = nullptr);
// The same from text; `nameForErrors` stands for the file in messages.
Result<BoardSpec> loadBoardText(const std::string& text, const std::string& nameForErrors,
                                BoardErrors* errors = nullptr);

}  // namespace qeil
