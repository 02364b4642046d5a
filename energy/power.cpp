#include "energy/power.h"

#include <cmath>

namespace qeil::energy {

double leakagePowerW(const LeakageParams& leak, double voltV, double tempC) {
  return leak.refW * (voltV / leak.refVoltV) * std::exp(leak.lambdaPerK * (tempC - leak.refTempC));
}

double thermalYield(double dynamicW, double leakageW) {
  const double total = dynamicW + leakageW;
  return total > 0.0 ? dynamicW / total : 0.0;
}

}  // namespace qeil::energy
