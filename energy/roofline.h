#pragma once

#include "energy/soc.h"

namespace qeil::energy {

// MODEL.md §1: pi_d(f) = n * w_d * f, for the cores a phase uses. (Inline: the evaluator works
// it out for every phase it places.)
inline double peakFlops(const DeviceSpec& device, const Opp& opp, int cores, DataType dtype) {
  return cores * device.flopsPerCycle[static_cast<size_t>(dtype)] * opp.freqHz;
}

// MODEL.md §3 DASI: A = min(pi, I * beta_eff).
double attainableFlops(double peakFlops, double intensity, double bandwidthBps);
// DASI = A / pi in (0, 1]: the fraction of the compute units kept busy.
double dasi(double peakFlops, double intensity, double bandwidthBps);
// t = F / (eta * A) * (1 + CPQ).
double phaseTimeS(double flops, double eta, double attainableFlops, double cpq);

// MODEL.md §3 shared-DRAM contention, processor sharing: `n` concurrently running phases, each
// able to use at most capBps[i] (its device's beta_d, and no more than it needs to become
// compute-bound, pi / I), share `totalBps` (beta_soc) max-min fairly: equal shares, with what a
// capped phase leaves spread over the others. Writes each phase's beta_eff to outBps.
void shareBandwidth(const double* capBps, int n, double totalBps, double* outBps);

}  // namespace qeil::energy
