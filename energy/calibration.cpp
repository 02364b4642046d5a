#include "energy/calibration.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cmath>

#include "energy/power.h"

namespace qeil::energy {

namespace {

constexpr double kMinTempC = -60.0;
constexpr double kMaxTempC = 200.0;

bool finite(double v) {
  return std::isfinite(v);
}

Status checkTemp(double tempC, const char* what) {
  if (!finite(tempC) || tempC < kMinTempC || tempC > kMaxTempC)
    return Error::make(EDOM, "%s %g C not in [%g, %g]", what, tempC, kMinTempC, kMaxTempC);
  return {};
}

Status checkPower(double powerW, const char* what) {
  if (!finite(powerW)) return Error::make(EDOM, "%s not finite", what);
  if (powerW < 0.0) return Error::make(EDOM, "%s %g W is negative", what, powerW);
  return {};
}

double priorStd(double value, double relStd, double floor) {
  return std::max(relStd * std::fabs(value), floor);
}

// Relative variance of a quantity q(a, b) from the gradient g of ln q (delta method).
double relativeVariance(const Rls& rls, const std::array<double, 2>& g) {
  double v = 0.0;
  for (size_t i = 0; i < 2; ++i) {
    for (size_t j = 0; j < 2; ++j)
      v += g[i] * rls.covariance(i, j) * g[j];
  }
  return v;
}

}  // namespace

// ---- RailFit (MODEL.md §7) ----

Status RailFit::init(const SocSpec& soc, const int* devices, size_t count,
                     const RailFitConfig& config) {
  if (count == 0 || count > kMaxRailDevices)
    return Error::make(EINVAL, "rail with %zu devices (1..%zu)", count, kMaxRailDevices);
  std::array<double, Rls::kMaxDim> theta0{};
  std::array<double, Rls::kMaxDim> std0{};
  double boardIdleW = 0.0;
  for (size_t s = 0; s < count; ++s) {
    const int d = devices[s];
    if (d < 0 || static_cast<size_t>(d) >= soc.devices.size())
      return Error::make(EINVAL, "rail device index %d out of range", d);
    for (size_t t = 0; t < s; ++t)
      if (devices[t] == d) return Error::make(EINVAL, "rail lists device %d twice", d);
    const DeviceSpec& spec = soc.devices[d];
    if (!(spec.leakage.refVoltV > 0.0))
      return Error::make(EINVAL, "device '%s' leakage reference voltage not positive", spec.name);
    theta0[2 * s] = spec.dynCoeff;
    std0[2 * s] = priorStd(spec.dynCoeff, config.priorRelStd, config.minDynCoeffStd);
    theta0[2 * s + 1] = spec.leakage.refW;
    std0[2 * s + 1] = priorStd(spec.leakage.refW, config.priorRelStd, config.minPowerStdW);
    boardIdleW += spec.idleW;
  }
  const size_t dim = 2 * count + 1;
  theta0[dim - 1] = boardIdleW;
  std0[dim - 1] = priorStd(boardIdleW, config.priorRelStd, config.minPowerStdW);
  Status st = rls_.init(dim, theta0.data(), std0.data(), config.rls);
  if (!st.ok()) return st;

  config_ = config;
  count_ = count;
  for (size_t s = 0; s < count; ++s) {
    const DeviceSpec& spec = soc.devices[devices[s]];
    devices_[s] = devices[s];
    std::copy(std::begin(spec.name), std::end(spec.name), names_[s].begin());
    names_[s].back() = '\0';
    cores_[s] = spec.cores;
    boardLeak_[s] = spec.leakage;
    boardIdleW_[s] = spec.idleW;
    boardDyn_[s] = spec.dynCoeff;
    heldDyn_[s] = spec.dynCoeff;
    heldLeakW_[s] = spec.leakage.refW;
  }
  heldIdleW_ = boardIdleW;
  boardRailIdleW_ = boardIdleW;
  return {};
}

Status RailFit::checkSample(size_t slot, const RailDeviceSample& s) const {
  const char* name = names_[slot].data();
  if (!finite(s.opp.freqHz) || s.opp.freqHz <= 0.0 || !finite(s.opp.voltV) || s.opp.voltV <= 0.0) {
    return Error::make(EDOM, "device '%s' OPP (%g Hz, %g V) not positive", name, s.opp.freqHz,
                       s.opp.voltV);
  }
  if (!finite(s.activeCores) || s.activeCores < 0.0 || s.activeCores > cores_[slot]) {
    return Error::make(EDOM, "device '%s' active cores %g not in [0, %d]", name, s.activeCores,
                       cores_[slot]);
  }
  if (!finite(s.activity) || s.activity < 0.0 || s.activity > 1.0)
    return Error::make(EDOM, "device '%s' activity %g not in [0, 1]", name, s.activity);
  Status st = checkTemp(s.tempC, "temperature");
  if (!st.ok()) st.error().prefix("device '%s'", name);
  return st;
}

Status RailFit::update(double powerW, const RailDeviceSample* samples, size_t count) {
  if (!rls_.initialised()) return Error::make(EINVAL, "rail fit used before init");
  if (count != count_)
    return Error::make(EINVAL, "rail sample has %zu devices, the rail %zu", count, count_);
  Status st = checkPower(powerW, "rail power");
  if (!st.ok()) return st;
  std::array<double, Rls::kMaxDim> x{};
  for (size_t s = 0; s < count_; ++s) {
    st = checkSample(s, samples[s]);
    if (!st.ok()) return st;
    const RailDeviceSample& in = samples[s];
    if (!in.powered) continue;  // gated: no switching, no leakage
    // Unit coefficients: x . theta is then the model's power in W.
    x[2 * s] = dynamicPowerW(1.0, in.opp, in.activeCores, in.activity);
    LeakageParams unit = boardLeak_[s];
    unit.refW = 1.0;
    x[2 * s + 1] = leakagePowerW(unit, in.opp.voltV, in.tempC);
  }
  x[2 * count_] = 1.0;
  st = rls_.update(x.data(), powerW);
  if (!st.ok()) return st;
  holdConfident();
  return {};
}

bool RailFit::dynCoeffConfident(size_t slot) const {
  return rls_.confident(2 * slot) && rls_.theta(2 * slot) > 0.0;
}

bool RailFit::leakageConfident(size_t slot) const {
  return rls_.confident(2 * slot + 1, config_.absToleranceW) && rls_.theta(2 * slot + 1) >= 0.0;
}

bool RailFit::idleConfident() const {
  const size_t i = 2 * count_;
  return rls_.confident(i, config_.absToleranceW) && rls_.theta(i) >= 0.0;
}

bool RailFit::plausible(double fitted, double board) const {
  const double k = config_.maxRatioToBoard;
  return board <= 0.0 || (fitted >= board / k && fitted <= board * k);
}

void RailFit::holdConfident() {
  for (size_t s = 0; s < count_; ++s) {
    const double dyn = rls_.theta(2 * s);
    const double leakW = rls_.theta(2 * s + 1);
    if (dynCoeffConfident(s) && plausible(dyn, boardDyn_[s])) heldDyn_[s] = dyn;
    if (leakageConfident(s) && plausible(leakW, boardLeak_[s].refW)) heldLeakW_[s] = leakW;
  }
  const double idleW = rls_.theta(2 * count_);
  if (idleConfident() && plausible(idleW, boardRailIdleW_)) heldIdleW_ = idleW;
}

LeakageParams RailFit::leakage(size_t slot) const {
  LeakageParams leak = boardLeak_[slot];
  leak.refW = heldLeakW_[slot];
  return leak;
}

double RailFit::deviceIdleW(size_t slot) const {
  double boardSum = 0.0;
  for (size_t s = 0; s < count_; ++s)
    boardSum += boardIdleW_[s];
  const double share = boardSum > 0.0 ? boardIdleW_[slot] / boardSum : 1.0 / count_;
  return heldIdleW_ * share;
}

// ---- ThermalFit (MODEL.md §7, the RC node of §5) ----

Status ThermalFit::init(const ZoneSpec& board, double periodS, const ThermalFitConfig& config) {
  if (!(periodS > 0.0) || !finite(periodS))
    return Error::make(EINVAL, "thermal sample period %g s not positive", periodS);
  if (!(board.rThKPerW > 0.0) || !(board.cThJPerK > 0.0)) {
    return Error::make(EINVAL, "zone '%s' board R_th %g K/W or C_th %g J/K not positive",
                       board.name, board.rThKPerW, board.cThJPerK);
  }
  const double a0 = std::exp(-periodS / (board.rThKPerW * board.cThJPerK));
  const double b0 = board.rThKPerW * (1.0 - a0);
  // The time constant and R are trusted to about 100 %.
  const double theta0[2] = {a0, b0};
  const double std0[2] = {std::max(1.0 - a0, 1e-6), b0};
  Status st = rls_.init(2, theta0, std0, config.rls);
  if (!st.ok()) return st;
  periodS_ = periodS;
  heldR_ = board.rThKPerW;
  heldC_ = board.cThJPerK;
  havePrev_ = false;
  return {};
}

Status ThermalFit::update(double tempC, double powerW, double ambientC) {
  if (!rls_.initialised()) return Error::make(EINVAL, "thermal fit used before init");
  Status st = checkTemp(tempC, "zone temperature");
  if (st.ok()) st = checkPower(powerW, "zone power");
  if (st.ok()) st = checkTemp(ambientC, "ambient temperature");
  if (!st.ok()) {
    breakSequence();
    return st;
  }
  if (havePrev_) {
    const double x[2] = {prevExcessK_, prevPowerW_};
    st = rls_.update(x, tempC - prevAmbientC_);
  }
  havePrev_ = true;
  prevExcessK_ = tempC - ambientC;
  prevPowerW_ = powerW;
  prevAmbientC_ = ambientC;
  if (confident()) {
    heldR_ = fittedRThKPerW();
    heldC_ = fittedCThJPerK();
  }
  return st;
}

bool ThermalFit::physical() const {
  const double a = rls_.theta(0);
  return a > 0.0 && a < 1.0 && rls_.theta(1) > 0.0;
}

double ThermalFit::fittedRThKPerW() const {
  return rls_.theta(1) / (1.0 - rls_.theta(0));
}

double ThermalFit::fittedCThJPerK() const {
  return -periodS_ / (fittedRThKPerW() * std::log(rls_.theta(0)));
}

bool ThermalFit::confident() const {
  if (!rls_.initialised() || rls_.samples() < rls_.config().minSamples || !physical()) return false;
  const double a = rls_.theta(0);
  const double b = rls_.theta(1);
  // ln R = ln b - ln(1 - a); ln C = ln dt + ln(1 - a) - ln b - ln(-ln a).
  const std::array<double, 2> gR = {1.0 / (1.0 - a), 1.0 / b};
  const std::array<double, 2> gC = {-1.0 / (1.0 - a) - 1.0 / (a * std::log(a)), -1.0 / b};
  const double tol2 = rls_.config().relTolerance * rls_.config().relTolerance;
  return relativeVariance(rls_, gR) <= tol2 && relativeVariance(rls_, gC) <= tol2;
}

// ---- EfficiencyTracker (MODEL.md §3) ----

Status EfficiencyTracker::init(const SocSpec& soc, const EfficiencyConfig& config) {
  if (!(config.alpha > 0.0 && config.alpha <= 1.0))
    return Error::make(EINVAL, "efficiency EWMA weight %g not in (0, 1]", config.alpha);
  config_ = config;
  devices_ = soc.devices.size();
  for (size_t d = 0; d < devices_; ++d)
    defaultEta_[d] = soc.devices[d].defaultEta;
  cells_ = {};
  return {};
}

Status EfficiencyTracker::update(int device, int workload, double measuredRate,
                                 double predictedRateAtEta1) {
  if (device < 0 || static_cast<size_t>(device) >= devices_)
    return Error::make(EINVAL, "efficiency: device %d out of range", device);
  if (workload < 0 || static_cast<size_t>(workload) >= kMaxWorkloads)
    return Error::make(EINVAL, "efficiency: workload %d out of range", workload);
  if (!finite(measuredRate) || measuredRate < 0.0)
    return Error::make(EDOM, "efficiency: measured rate %g not finite and >= 0", measuredRate);
  if (!finite(predictedRateAtEta1) || predictedRateAtEta1 <= 0.0) {
    return Error::make(EDOM, "efficiency: predicted rate %g not finite and > 0",
                       predictedRateAtEta1);
  }
  if (measuredRate == 0.0) return {};  // no progress reported: no information
  const double ratio = std::clamp(measuredRate / predictedRateAtEta1, kEtaMin, kEtaMax);
  Cell& c = cells_[device][workload];
  c.sum = (1.0 - config_.alpha) * c.sum + config_.alpha * ratio;
  c.weight = (1.0 - config_.alpha) * c.weight + config_.alpha;
  if (c.count < UINT32_MAX) ++c.count;
  return {};
}

bool EfficiencyTracker::confident(int device, int workload) const {
  return cells_[device][workload].count >= config_.minSamples;
}

double EfficiencyTracker::eta(int device, int workload) const {
  assert(device >= 0 && static_cast<size_t>(device) < devices_);
  const Cell& c = cells_[device][workload];
  return confident(device, workload) ? c.sum / c.weight : defaultEta_[device];
}

void EfficiencyTracker::forgetWorkload(int workload) {
  for (auto& row : cells_)
    row[workload] = Cell{};
}

// ---- CpqScaleFit (MODEL.md §4, §7) ----

Status CpqScaleFit::init(double boardKappaM, const CpqScaleConfig& config) {
  if (!finite(boardKappaM) || boardKappaM < 0.0)
    return Error::make(EINVAL, "board kappa_m %g not finite and >= 0", boardKappaM);
  if (!(config.rhoFloor >= 0.0 && config.rhoFloor < config.rhoCeiling &&
        config.rhoCeiling <= 1.0)) {
    return Error::make(EINVAL, "CPQ rho window [%g, %g) not within [0, 1]", config.rhoFloor,
                       config.rhoCeiling);
  }
  const double std0 = priorStd(boardKappaM, config.priorRelStd, config.minKappaStd);
  Status st = rls_.init(1, &boardKappaM, &std0, config.rls);
  if (!st.ok()) return st;
  config_ = config;
  heldKappa_ = boardKappaM;
  return {};
}

Status CpqScaleFit::update(double someAvg10Pct, double rho) {
  if (!rls_.initialised()) return Error::make(EINVAL, "CPQ scale fit used before init");
  if (!finite(someAvg10Pct) || someAvg10Pct < 0.0 || someAvg10Pct > 100.0)
    return Error::make(EDOM, "PSI memory some avg10 %g%% not in [0, 100]", someAvg10Pct);
  if (!finite(rho) || rho < 0.0) return Error::make(EDOM, "memory pressure rho %g not >= 0", rho);
  const double stall = someAvg10Pct / 100.0;
  // Tiny rho predicts next to no stall; near 1 (or a saturated PSI) the ratio is meaningless.
  if (rho < config_.rhoFloor || rho >= config_.rhoCeiling || stall >= config_.stallCeiling)
    return {};
  const double x = rho / (1.0 - rho);
  Status st = rls_.update(&x, stall / (1.0 - stall));
  if (!st.ok()) return st;
  if (confident()) heldKappa_ = rls_.theta(0);
  return {};
}

bool CpqScaleFit::confident() const {
  return rls_.confident(0, config_.absTolerance) && rls_.theta(0) >= 0.0;
}

// ---- Calibration ----

Status Calibration::init(const SocSpec& soc, double zonePeriodS, const CalibrationConfig& config) {
  config_ = config;
  soc_ = soc;
  devices_ = soc.devices.size();
  railOf_.fill(-1);
  rails_.clear();
  zones_.clear();
  for (const ZoneSpec& spec : soc.zones) {
    ThermalFit fit;
    Status st = fit.init(spec, zonePeriodS, config.thermal);
    if (!st.ok()) return st;
    zones_.push_back(fit);
  }
  Status st = efficiency_.init(soc, config.efficiency);
  if (st.ok()) st = cpq_.init(soc.kappaM, config.cpq);
  return st;
}

Result<int> Calibration::addRail(const int* devices, size_t count) {
  if (rails_.full()) return Error::make(ENOSPC, "more than %zu rails", kMaxRails);
  for (size_t s = 0; s < count; ++s) {
    const int d = devices[s];
    if (d < 0 || static_cast<size_t>(d) >= devices_)
      return Error::make(EINVAL, "rail device index %d out of range", d);
    if (railOf_[d] >= 0) {
      return Error::make(EINVAL,
                         "device '%s' is already on rail %d: never add a sub-rail to its parent "
                         "(MODEL.md §7)",
                         soc_.devices[d].name, railOf_[d]);
    }
  }
  RailFit fit;
  Status st = fit.init(soc_, devices, count, config_.rail);
  if (!st.ok()) return st.error();
  const int index = static_cast<int>(rails_.size());
  rails_.push_back(fit);
  for (size_t s = 0; s < count; ++s)
    railOf_[devices[s]] = index;
  return index;
}

void Calibration::apply(EnergyModel& model) const {
  for (const RailFit& rail : rails_) {
    for (size_t s = 0; s < rail.deviceCount(); ++s) {
      const int d = rail.device(s);
      model.setDynCoeff(d, rail.dynCoeff(s));
      model.setLeakage(d, rail.leakage(s));
      model.setIdleW(d, rail.deviceIdleW(s));
    }
  }
  for (size_t z = 0; z < zones_.size(); ++z)
    model.setZoneRc(static_cast<int>(z), zones_[z].rThKPerW(), zones_[z].cThJPerK());
  for (size_t d = 0; d < devices_; ++d) {
    for (size_t w = 0; w < kMaxWorkloads; ++w) {
      model.setEta(static_cast<int>(d), static_cast<int>(w),
                   efficiency_.eta(static_cast<int>(d), static_cast<int>(w)));
    }
  }
  model.setKappaM(cpq_.kappaM());
}

}  // namespace qeil::energy
