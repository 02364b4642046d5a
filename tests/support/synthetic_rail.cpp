#include "tests/support/synthetic_rail.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <initializer_list>

#include "energy/power.h"

namespace qeil::energy::synthetic {
double quantise(double v, double lsb) {
  return std::round(v / lsb) * lsb;
}

DeviceSpec device(const char* name, int cores, double dynCoeff, LeakageParams leak, double idleW,
                  std::initializer_list<Opp> opps) {
  DeviceSpec d;
  std::snprintf(d.name, sizeof d.name, "%s", name);
  d.cores = cores;
  d.dynCoeff = dynCoeff;
  d.leakage = leak;
  d.idleW = idleW;
  for (const Opp& o : opps)
    d.opps.push_back(o);
  return d;
}

double relErr(double fitted, double truth) {
  return std::fabs(fitted - truth) / std::fabs(truth);
}

double Ina226::powerW(double trueW) {
  constexpr double kShuntOhm = 0.010;
  constexpr double kBusV = 5.0;
  constexpr double kAveraging = 16;
  const double k = 1.0 / std::sqrt(kAveraging);
  const double shuntV = quantise(trueW / kBusV * kShuntOhm + 5e-6 * k * gauss_(rng_), 2.5e-6);
  const double busV = quantise(kBusV + 1e-3 * k * gauss_(rng_), 1.25e-3);
  return busV * shuntV / kShuntOhm;
}

JetsonRail::JetsonRail() {
  const auto cpuOpps = {Opp{0.73e9, 0.62}, Opp{1.11e9, 0.68}, Opp{1.51e9, 0.80}};
  const auto gpuOpps = {Opp{0.306e9, 0.60}, Opp{0.51e9, 0.68}, Opp{0.625e9, 0.75}};
  truth.devices.push_back(device("cpu", 6, 260, {0.25, 0.8, 0.03, 25}, 0.3, cpuOpps));
  truth.devices.push_back(device("gpu", 8, 1100, {0.35, 0.75, 0.025, 25}, 0.3, gpuOpps));
  board.devices.push_back(device("cpu", 6, 200, {0.40, 0.8, 0.03, 25}, 0.3, cpuOpps));
  board.devices.push_back(device("gpu", 8, 1500, {0.20, 0.75, 0.025, 25}, 0.3, gpuOpps));
}

double JetsonRail::powerW(const std::array<RailDeviceSample, 2>& s) const {
  double p = idleW;
  for (size_t d = 0; d < 2; ++d) {
    const DeviceSpec& t = truth.devices[d];
    p += dynamicPowerW(t.dynCoeff, s[d].opp, s[d].activeCores, s[d].activity);
    p += leakagePowerW(t.leakage, s[d].opp.voltV, s[d].tempC);
  }
  return p;
}

std::array<RailDeviceSample, 2> Workload::next(const SocSpec& soc) {
  if (k_ % 10 == 0) {
    for (size_t d = 0; d < 2; ++d) {
      const DeviceSpec& spec = soc.devices[d];
      opp_[d] = std::uniform_int_distribution<size_t>(0, spec.opps.size() - 1)(rng_);
      cores_[d] = std::uniform_int_distribution<int>(1, spec.cores)(rng_);
      u_[d] = std::uniform_real_distribution<double>(0.05, 0.95)(rng_);
    }
  }
  const double ambientC = 30.0 + 5.0 * std::sin(2 * M_PI * k_ / 3000.0);
  std::array<RailDeviceSample, 2> s;
  for (size_t d = 0; d < 2; ++d) {
    const DeviceSpec& spec = soc.devices[d];
    s[d].opp = spec.opps[opp_[d]];
    s[d].activeCores = cores_[d];
    s[d].activity = std::clamp(u_[d] + jitter_(rng_), 0.0, 1.0);
    s[d].tempC = tempC_[d];
    const double heatW = dynamicPowerW(spec.dynCoeff, s[d].opp, cores_[d], s[d].activity) + 0.5;
    const double rThKPerW = d == 0 ? 12.0 : 8.0;
    tempC_[d] += (ambientC + rThKPerW * heatW - tempC_[d]) / 40.0;
  }
  ++k_;
  return s;
}

double RailErrors::max() const {
  return std::max({cpuDyn, cpuLeak, gpuDyn, gpuLeak, idle});
}

void RailErrors::take(const RailFit& fit, const JetsonRail& rail) {
  const auto& t = rail.truth.devices;
  cpuDyn = std::max(cpuDyn, relErr(fit.rls().theta(0), t[0].dynCoeff));
  cpuLeak = std::max(cpuLeak, relErr(fit.rls().theta(1), t[0].leakage.refW));
  gpuDyn = std::max(gpuDyn, relErr(fit.rls().theta(2), t[1].dynCoeff));
  gpuLeak = std::max(gpuLeak, relErr(fit.rls().theta(3), t[1].leakage.refW));
  idle = std::max(idle, relErr(fit.rls().theta(4), rail.idleW));
}

}  // namespace qeil::energy::synthetic
