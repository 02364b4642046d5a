#include "energy/cpq.h"

#include <limits>

namespace qeil::energy {

double memoryPressure(double placedBytes, double reservedBytes, double capacityBytes) {
  return (placedBytes + reservedBytes) / capacityBytes;
}

double cpq(double rho, double kappaM) {
  if (rho >= 1.0) return std::numeric_limits<double>::infinity();
  return kappaM * rho / (1.0 - rho);
}

bool memoryFeasible(double rho, double rhoMax) {
  return rho < rhoMax;
}

}  // namespace qeil::energy
