#pragma once

#include "agent/board_diagnostics.h"
#include "hal/backends.h"
#include "hal/board_spec.h"

namespace qeil {

// The checks that span settings, made on the parsed board: names unique, every reference
// resolves (zones, devices, GPIOs, rails, power modes, twin entries), OPP tables and trips in
// order, rails that the HAL can build, CPU sets that do not overlap. Single values were range-
// checked while reading. Problems go to `diag` at the setting they concern.
void checkBoard(const BoardSpec& board, BoardDiagnostics& diag);

// The power monitor of one rail on its own, as the HAL builds it from the board file (the
// other channels of an INA3221 disabled).
PowerMonitorSpec railMonitorSpec(const BoardRail& rail);

}  // namespace qeil
