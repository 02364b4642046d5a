#pragma once

#include "energy/soc.h"
#include "hal/board_spec.h"
#include "hal/result.h"

namespace qeil::energy {

// The energy model's view of a validated board (agent/board_config): its devices with the OPPs
// and cores the active power mode allows, its zones with their passive and critical trips, its
// rails with the devices they feed. A zone without a passive trip is constrained by its critical
// one; a zone without either by kNoTripC. Errors name the fixed capacity (soc.h) the board
// exceeds, or the reference that does not resolve.
constexpr double kNoTripC = 150.0;  // the top of the temperatures a board file may give
Result<SocSpec> socFromBoard(const BoardSpec& board);

}  // namespace qeil::energy
