#include "energy/roofline.h"

#include <algorithm>
#include <cassert>

namespace qeil::energy {

double attainableFlops(double peakFlops, double intensity, double bandwidthBps) {
  return std::min(peakFlops, intensity * bandwidthBps);
}

double dasi(double peakFlops, double intensity, double bandwidthBps) {
  if (peakFlops <= 0.0) return 0.0;
  return attainableFlops(peakFlops, intensity, bandwidthBps) / peakFlops;
}

double phaseTimeS(double flops, double eta, double attainableFlops, double cpq) {
  assert(eta > 0.0 && attainableFlops > 0.0);
  return flops / (eta * attainableFlops) * (1.0 + cpq);
}

void shareBandwidth(const double* capBps, int n, double totalBps, double* outBps) {
  // Water-filling: visit phases by rising cap; each takes min(cap, fair share of what is left).
  // n is small (one phase per device), so an insertion sort of the indices is enough.
  int order[kMaxDevices * 4];
  assert(n <= static_cast<int>(sizeof order / sizeof order[0]));
  for (int i = 0; i < n; ++i) {
    int k = i;
    for (; k > 0 && capBps[order[k - 1]] > capBps[i]; --k)
      order[k] = order[k - 1];
    order[k] = i;
  }
  double left = totalBps;
  for (int k = 0; k < n; ++k) {
    const int i = order[k];
    const double fair = left / (n - k);
    outBps[i] = std::min(capBps[i], fair);
    left -= outBps[i];
  }
}

}  // namespace qeil::energy
