#pragma once

namespace qeil::energy {

// MODEL.md §4 CPQ: rho = (footprints placed on the pool + reserved) / capacity.
double memoryPressure(double placedBytes, double reservedBytes, double capacityBytes);
// CPQ = kappa_m * rho / (1 - rho): the M/M/1 waiting factor. Callers check feasibility first
// (rho < rho_max); at rho >= 1 this returns +infinity.
double cpq(double rho, double kappaM);
bool memoryFeasible(double rho, double rhoMax);

}  // namespace qeil::energy
