#include "hal/sim/twin.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>

#include "hal/linux/ina_common.h"

namespace qeil {
namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int64_t kMinStepUs = 10;
constexpr int64_t kMaxStepUs = 100000;

template <class T, class Pred>
int findIndex(const std::vector<T>& items, Pred pred) {
  auto it = std::find_if(items.begin(), items.end(), pred);
  return it == items.end() ? -1 : static_cast<int>(it - items.begin());
}

int codeIndex(const int* table, int value) {
  for (int i = 0; i < 8; ++i) {
    if (table[i] == value) return i;
  }
  return -1;
}

Result<InaChip> chipOf(const std::string& name) {
  if (name == "ina219") return InaChip::Ina219;
  if (name == "ina226" || name == "ina2xx" || name == "ina230" || name == "ina231")
    return InaChip::Ina226;
  if (name == "ina260") return InaChip::Ina260;
  if (name == "ina3221") return InaChip::Ina3221;
  return Error::make(EINVAL, "'%s' is not an INA chip the twin models", name.c_str());
}

// The ADC setup a rail asks for: AVG and conversion-time codes (INA226/260/3221 layout).
struct AdcCodes {
  int avg = 0;
  int conv = 4;  // 1100 us
};
Result<AdcCodes> adcCodes(const BoardRail& rail) {
  AdcCodes c;
  c.avg = codeIndex(kInaAverages, std::max(rail.averages, 1));
  c.conv = codeIndex(kInaConvUs, rail.convUs > 0 ? rail.convUs : 1100);
  if (c.avg < 0 || c.conv < 0) {
    return Error::make(EINVAL, "rail '%s': averages %d / conversion %d us not an INA setting",
                       rail.name.c_str(), rail.averages, rail.convUs);
  }
  return c;
}

// The kernel driver's update interval for a chip it owns: one averaging cycle, ms.
int hwmonUpdateMs(const BoardSpec& spec, const twin::HwmonChipLayout& chip) {
  int channels = 0;
  int64_t pairUs = int64_t{2} * 1100;
  int averages = 1;
  for (int r : chip.channelRail) {
    if (r < 0) continue;
    const BoardRail& rail = spec.rails[static_cast<size_t>(r)];
    ++channels;
    pairUs = 2 * static_cast<int64_t>(rail.convUs > 0 ? rail.convUs : 1100);
    averages = std::max(rail.averages, 1);
  }
  int64_t us = pairUs * averages * std::max(channels, 1);
  return static_cast<int>(std::max<int64_t>(1, (us + 999) / 1000));
}

}  // namespace

// ---- creation ----

BoardTwin::BoardTwin(const BoardSpec& spec, SimClock& clock, const TwinOptions& options)
    : spec_(spec), clock_(clock), options_(options) {}

BoardTwin::~BoardTwin() = default;

Result<std::unique_ptr<BoardTwin>> BoardTwin::create(const BoardSpec& spec,
                                                     const std::string& rootDir, SimClock& clock,
                                                     const TwinOptions& options) {
  if (options.stepUs < kMinStepUs || options.stepUs > kMaxStepUs) {
    return Error::make(EINVAL, "twin: step %lld us outside %lld..%lld us",
                       static_cast<long long>(options.stepUs), static_cast<long long>(kMinStepUs),
                       static_cast<long long>(kMaxStepUs));
  }
  if (options.sensorPeriodMs < 1) {
    return Error::make(EINVAL, "twin: sensor period %lld ms is not positive",
                       static_cast<long long>(options.sensorPeriodMs));
  }
  std::unique_ptr<BoardTwin> twin(new BoardTwin(spec, clock, options));
  twin::TwinTreeOptions tree;
  tree.cgroupVersion = options.cgroupVersion;
  tree.cpuGovernor = options.cpuGovernor;
  tree.devfreqGovernor = options.devfreqGovernor;
  tree.initialMaxHz.assign(spec.devices.size(), 0);
  for (const PowerMode& mode : spec.powerModes) {
    if (mode.name != spec.powerMode) continue;
    for (const PowerModeCap& cap : mode.caps) {
      int d = findIndex(spec.devices, [&](const BoardDevice& x) { return x.name == cap.device; });
      if (d >= 0) tree.initialMaxHz[static_cast<size_t>(d)] = cap.maxFreqHz;
    }
  }
  for (const twin::HwmonChipLayout& chip : twin::hwmonChips(spec))
    tree.hwmonUpdateMs.push_back(hwmonUpdateMs(spec, chip));
  auto built = twin::TwinTree::create(spec, rootDir, tree);
  if (!built.ok()) return built.error();
  twin->tree_ = std::move(built.value());
  Status st = twin->init();
  if (!st.ok()) return st.error().prefix("twin of '%s'", spec.name.c_str());
  return twin;
}

Status BoardTwin::init() {
  int cpus = tree_->cpuCount();
  cpuDevice_.assign(static_cast<size_t>(cpus), -1);
  cpuBusyS_.assign(static_cast<size_t>(cpus), 0.0);
  online_ = CpuSet::range(0, cpus - 1);
  ambientBaseC_ = ambientC_ = spec_.ambientC;
  dramBandwidthBps_ =
      spec_.twin.dramBandwidthBps > 0.0 ? spec_.twin.dramBandwidthBps : spec_.dramBandwidthBps;
  sensorRng_.reseed(twin::mixSeed(spec_.twin.seed, 1));
  Status st = initDevices();
  if (st.ok()) st = initZones();
  if (st.ok()) st = initRails();
  if (!st.ok()) return st;
  applyPowerMode();
  rates_.resize(devices_.size());
  solver_.configure(static_cast<size_t>(cpus), devices_.size());
  workloads_.reserve(twin::kMaxWorkloads);
  startNs_ = clock_.nowNs();
  nextSensorNs_ = startNs_ + options_.sensorPeriodMs * kNsPerMs;
  readBack();
  for (size_t i = 0; i < devices_.size(); ++i) {
    Device& d = devices_[i];
    d.cur = targetOpp(d);
    tree_->publishCurFreq(static_cast<int>(i), static_cast<size_t>(d.cur));
    tree_->publishStats(static_cast<int>(i));
  }
  for (size_t z = 0; z < zones_.size(); ++z)
    tree_->publishTempC(static_cast<int>(z), zones_[z].temps.dieC);
  return {};
}

Status BoardTwin::initDevices() {
  devices_.resize(spec_.devices.size());
  for (size_t i = 0; i < spec_.devices.size(); ++i) {
    const BoardDevice& b = spec_.devices[i];
    Device& d = devices_[i];
    if (b.opps.empty()) return Error::make(EINVAL, "device '%s' has no OPP", b.name.c_str());
    for (size_t k = 1; k < b.opps.size(); ++k) {
      if (b.opps[k].freqHz <= b.opps[k - 1].freqHz) {
        return Error::make(EINVAL, "device '%s': OPP table not ascending", b.name.c_str());
      }
    }
    // The twin's own physics; what its entry leaves at 0 comes from the board file.
    int t = findIndex(spec_.twin.devices, [&](const TwinDevice& x) { return x.device == b.name; });
    if (t >= 0) d.phys = spec_.twin.devices[static_cast<size_t>(t)];
    d.phys.device = b.name;
    if (d.phys.dynCoeff <= 0.0) d.phys.dynCoeff = b.dynCoeff;
    if (d.phys.idleW <= 0.0) d.phys.idleW = b.idleW;
    if (d.phys.leakI0A <= 0.0) d.phys.leakI0A = twin::leakI0ForReference(d.phys, b.leakage);
    d.zone = findIndex(spec_.zones, [&](const BoardZone& z) { return z.name == b.thermalZone; });
    d.cpu = b.kind == HwDeviceKind::Cpu;
    if (d.cpu) {
      for (int c = 0; c < CpuSet::kMaxCpus; ++c) {
        if (!b.cpus.contains(c)) continue;
        if (cpuDevice_[static_cast<size_t>(c)] >= 0) {
          return Error::make(EINVAL, "CPU %d belongs to two devices", c);
        }
        d.cpus.push_back(c);
        cpuDevice_[static_cast<size_t>(c)] = static_cast<int>(i);
        deviceCpus_.add(c);
      }
      if (d.cpus.empty()) return Error::make(EINVAL, "CPU device '%s' has no CPUs", b.name.c_str());
      d.onlineCores = static_cast<int>(d.cpus.size());
    } else {
      d.onlineCores = std::max(b.cores, 1);
    }
    int top = static_cast<int>(b.opps.size()) - 1;
    d.userMax = d.thermalCap = d.modeCap = top;
    bool domain = tree_->hasDomain(static_cast<int>(i));
    d.governor = !domain ? twin::Governor::Performance
                 : d.cpu ? twin::governorFromName(options_.cpuGovernor.c_str())
                         : twin::governorFromName(options_.devfreqGovernor.c_str());
    d.powered = b.alwaysPowered;
  }
  return {};
}

Status BoardTwin::initZones() {
  zones_.resize(spec_.zones.size());
  for (size_t z = 0; z < spec_.zones.size(); ++z) {
    const BoardZone& b = spec_.zones[z];
    Zone& zone = zones_[z];
    int t = findIndex(spec_.twin.zones, [&](const TwinZone& x) { return x.zone == b.name; });
    if (t >= 0) {
      zone.phys = spec_.twin.zones[static_cast<size_t>(t)];
    } else {
      // No twin entry: the board file's single node split into a fast die (a quarter of the
      // resistance, a tenth of the capacity) and a slow package.
      zone.phys.zone = b.name;
      zone.phys.dieRKPerW = 0.25 * b.rThKPerW;
      zone.phys.sinkRKPerW = 0.75 * b.rThKPerW;
      zone.phys.dieCJPerK = 0.1 * b.cThJPerK;
      zone.phys.sinkCJPerK = 0.9 * b.cThJPerK;
    }
    zone.temps = {spec_.ambientC, spec_.ambientC};
    zone.sensedC = spec_.ambientC;
    for (const BoardTrip& trip : b.trips) {
      if (trip.type == TripType::Passive && !zone.hasPassive) {
        zone.hasPassive = true;
        zone.passiveC = trip.tempC;
        zone.hystC = trip.hystC;
      } else if (trip.type == TripType::Critical && !zone.hasCritical) {
        zone.hasCritical = true;
        zone.criticalC = trip.tempC;
      }
    }
    for (const std::string& name : b.cooledDevices) {
      int d = deviceIndex(name);
      if (d < 0) {
        return Error::make(EINVAL, "zone '%s' cools unknown '%s'", b.name.c_str(), name.c_str());
      }
      zone.cooled.push_back(d);
      int steps = static_cast<int>(spec_.devices[static_cast<size_t>(d)].opps.size()) - 1;
      zone.governor.maxState = std::max(zone.governor.maxState, steps);
    }
    for (size_t d = 0; d < devices_.size(); ++d) {
      if (devices_[d].zone == static_cast<int>(z)) zone.devices.push_back(static_cast<int>(d));
    }
  }
  return {};
}

Status BoardTwin::initRails() {
  hwmonLayout_ = twin::hwmonChips(spec_);
  for (const twin::HwmonChipLayout& layout : hwmonLayout_) {
    Result<InaChip> chip = chipOf(layout.name);
    if (!chip.ok()) return chip.error();
    hwmonModels_.push_back(InaChipModel::create(chip.value(), clock_));
  }
  rails_.resize(spec_.rails.size());
  const TwinParams& tp = spec_.twin;
  for (size_t r = 0; r < spec_.rails.size(); ++r) {
    const BoardRail& b = spec_.rails[r];
    Rail& rail = rails_[r];
    rail.busV = b.busV > 0.0 ? b.busV : 5.0;
    rail.baseW = b.baseW;
    rail.dram = b.carriesDram;
    auto addFeeds = [&](const BoardRail& from) -> Status {
      for (const std::string& name : from.feeds) {
        int d = deviceIndex(name);
        if (d < 0) {
          return Error::make(EINVAL, "rail '%s' feeds unknown '%s'", from.name.c_str(),
                             name.c_str());
        }
        if (std::find(rail.devices.begin(), rail.devices.end(), d) == rail.devices.end())
          rail.devices.push_back(d);
      }
      return {};
    };
    Status st = addFeeds(b);
    for (const BoardRail& child : spec_.rails) {
      if (st.ok() && child.parent == b.name) {
        st = addFeeds(child);
        rail.baseW += child.baseW;
        rail.dram = rail.dram || child.carriesDram;
      }
    }
    if (!st.ok()) return st;
    Result<AdcCodes> codes = adcCodes(b);
    if (!codes.ok()) return codes.error();
    uint16_t adc = static_cast<uint16_t>(codes.value().avg << 9 | codes.value().conv << 6 |
                                         codes.value().conv << 3 | 0x7);
    uint64_t seed = twin::mixSeed(tp.seed, 100 + r);
    if (b.backend == "hwmon") {
      rail.hwmonChip = findIndex(hwmonLayout_, [&](const twin::HwmonChipLayout& c) {
        return c.i2cBus == b.i2cBus && c.address == b.address;
      });
      const twin::HwmonChipLayout& layout = hwmonLayout_[static_cast<size_t>(rail.hwmonChip)];
      auto ch =
          std::find(layout.channelRail.begin(), layout.channelRail.end(), static_cast<int>(r));
      if (ch == layout.channelRail.end()) {
        return Error::make(EINVAL, "rail '%s': channel %d of hwmon %s at %d-%04x taken",
                           b.name.c_str(), b.channel, layout.name.c_str(), b.i2cBus, b.address);
      }
      rail.channel = static_cast<int>(ch - layout.channelRail.begin());
      InaChipModel* model = hwmonModels_[static_cast<size_t>(rail.hwmonChip)].get();
      rail.chip = model;
      // The kernel driver programs the chip: averaging, conversion times, enabled channels.
      if (model->chip() == InaChip::Ina3221) {
        uint16_t enables = 0;
        for (size_t c = 0; c < layout.channelRail.size(); ++c) {
          if (layout.channelRail[c] >= 0) enables |= static_cast<uint16_t>(1 << (14 - c));
        }
        model->writeRegister(0x00, enables | adc);
      } else if (model->chip() != InaChip::Ina219) {
        model->writeRegister(0x00, adc);
      }
    } else {
      Result<InaChip> type = chipOf(b.backend);
      if (!type.ok()) return type.error().prefix("rail '%s'", b.name.c_str());
      if (b.i2cBus < 0 || b.address <= 0 || b.address > 0x7F) {
        return Error::make(EINVAL, "rail '%s': I2C bus %d address 0x%x", b.name.c_str(), b.i2cBus,
                           b.address);
      }
      rail.i2cBus = b.i2cBus;
      rail.address = static_cast<uint8_t>(b.address);
      rail.channel = type.value() == InaChip::Ina3221 ? b.channel : 0;
      if (rail.channel < 0 || rail.channel >= InaChipModel::kMaxChannels) {
        return Error::make(EINVAL, "rail '%s': channel %d", b.name.c_str(), b.channel);
      }
      // Rails at the same address are channels of one chip.
      int same = -1;
      for (size_t o = 0; o < r; ++o) {
        if (rails_[o].i2cBus == b.i2cBus && rails_[o].address == rail.address)
          same = static_cast<int>(o);
      }
      if (same >= 0) {
        rail.chip = rails_[static_cast<size_t>(same)].chip;
        if (rail.chip->chip() != type.value()) {
          return Error::make(EINVAL, "rail '%s': bus %d 0x%02x is already a %s", b.name.c_str(),
                             b.i2cBus, b.address, inaChipName(rail.chip->chip()));
        }
      } else {
        auto& bus = buses_[b.i2cBus];
        if (!bus) {
          char name[32];
          snprintf(name, sizeof name, "/dev/i2c-%d", b.i2cBus);
          bus = std::make_unique<SimI2cBus>(name);
        }
        chips_.push_back(InaChipModel::create(type.value(), clock_));
        rail.chip = chips_.back().get();
        if (!bus->attach(rail.address, *rail.chip)) {
          return Error::make(EBUSY, "rail '%s': cannot attach at bus %d 0x%02x", b.name.c_str(),
                             b.i2cBus, b.address);
        }
      }
    }
    rail.chip->setShuntOhm(rail.channel, b.shuntOhm > 0.0 ? b.shuntOhm : 0.1);
    rail.chip->setNoise(tp.inaShuntNoiseV, tp.inaBusNoiseV, seed);
  }
  return {};
}

// The active power mode: frequency caps and cores left online (nvpmodel's part).
void BoardTwin::applyPowerMode() {
  for (const PowerMode& mode : spec_.powerModes) {
    if (mode.name != spec_.powerMode) continue;
    for (const PowerModeCap& cap : mode.caps) {
      int i = deviceIndex(cap.device);
      if (i < 0) continue;
      Device& d = devices_[static_cast<size_t>(i)];
      if (cap.maxFreqHz > 0) d.modeCap = oppAtMost(d, cap.maxFreqHz);
      if (cap.onlineCores < 0) continue;
      if (!d.cpu) {  // SMs or NPU cores gated: fewer units compute, switch and leak
        d.onlineCores = std::clamp(cap.onlineCores, 1, d.onlineCores);
        continue;
      }
      for (size_t k = static_cast<size_t>(cap.onlineCores); k < d.cpus.size(); ++k) {
        if (d.cpus[k] == 0) continue;  // cpu0 cannot go offline
        tree_->writeCpuOnline(d.cpus[k], false);
        setCoreOnline(d.cpus[k], false);
      }
    }
  }
}

// ---- lookups ----

int BoardTwin::deviceIndex(const std::string& name) const {
  return findIndex(spec_.devices, [&](const BoardDevice& d) { return d.name == name; });
}

int BoardTwin::zoneIndex(const std::string& name) const {
  return findIndex(spec_.zones, [&](const BoardZone& z) { return z.name == name; });
}

int BoardTwin::railIndex(const std::string& name) const {
  return findIndex(spec_.rails, [&](const BoardRail& r) { return r.name == name; });
}

uint64_t BoardTwin::curFreqHz(int device) const {
  const Device& d = devices_[static_cast<size_t>(device)];
  return spec_.devices[static_cast<size_t>(device)].opps[static_cast<size_t>(d.cur)].freqHz;
}

int BoardTwin::oppAtMost(const Device& d, uint64_t hz) const {
  const std::vector<OppSpec>& opps = spec_.devices[index(d)].opps;
  int k = 0;
  for (size_t i = 0; i < opps.size(); ++i) {
    if (opps[i].freqHz <= hz) k = static_cast<int>(i);
  }
  return k;
}

int BoardTwin::oppAtLeast(const Device& d, uint64_t hz) const {
  const std::vector<OppSpec>& opps = spec_.devices[index(d)].opps;
  for (size_t i = 0; i < opps.size(); ++i) {
    if (opps[i].freqHz >= hz) return static_cast<int>(i);
  }
  return static_cast<int>(opps.size()) - 1;
}

SimI2cBus* BoardTwin::i2cBus(int number) {
  auto it = buses_.find(number);
  return it == buses_.end() ? nullptr : it->second.get();
}

Result<I2cBus*> BoardTwin::bus(int number) {
  SimI2cBus* b = i2cBus(number);
  if (!b) return Error::make(ENODEV, "twin: no rail on I2C bus %d", number);
  return static_cast<I2cBus*>(b);
}

InaChipModel* BoardTwin::railChip(const std::string& rail) {
  int r = railIndex(rail);
  return r < 0 ? nullptr : rails_[static_cast<size_t>(r)].chip;
}

uint64_t BoardTwin::throttleEvents() const {
  uint64_t n = 0;
  for (const Zone& z : zones_)
    n += z.governor.events;
  return n;
}

const std::string& BoardTwin::shutdownZone() const {
  static const std::string kNone;
  return shutdownZone_ < 0 ? kNone : spec_.zones[static_cast<size_t>(shutdownZone_)].name;
}

double BoardTwin::throttledS(int zone) const {
  return static_cast<double>(zones_[static_cast<size_t>(zone)].throttledNs) * 1e-9;
}

double BoardTwin::ambientAt(int64_t ns) const {
  const TwinParams& tp = spec_.twin;
  if (tp.ambientDriftC == 0.0 || tp.ambientPeriodS <= 0.0) return ambientBaseC_;
  double t = static_cast<double>(ns - startNs_) * 1e-9;
  return ambientBaseC_ + tp.ambientDriftC * std::sin(2.0 * kPi * t / tp.ambientPeriodS);
}

// ---- stepping ----

void BoardTwin::step(double dtS) {
  stepNs(std::llround(dtS * 1e9));
}

void BoardTwin::stepNs(int64_t ns) {
  if (ns <= 0) return;
  readBack();
  const int64_t stepNs = options_.stepUs * kNsPerUs;
  while (ns > 0) {
    int64_t h = std::min(stepNs, ns);
    physicsStep(h);
    ns -= h;
  }
}

// What the agent (or a test) wrote in the tree since the last step.
void BoardTwin::readBack() {
  for (size_t i = 0; i < devices_.size(); ++i) {
    Device& d = devices_[i];
    twin::DomainLimits limits;
    if (d.lost || !tree_->readLimits(static_cast<int>(i), &limits)) continue;
    d.userMin = oppAtLeast(d, limits.minHz);
    d.userMax = oppAtMost(d, limits.maxHz);
    d.governor = limits.governor;
  }
  for (int c = 1; c < tree_->cpuCount(); ++c) {
    bool on = tree_->readCpuOnline(c, online_.contains(c));
    if (on != online_.contains(c)) setCoreOnline(c, on);
  }
  for (twin::Workload& w : workloads_)
    updateWorkloadCpus(w);
}

void BoardTwin::setCoreOnline(int cpu, bool online) {
  if (online == online_.contains(cpu)) return;
  if (online) {
    online_.add(cpu);
  } else {
    online_.remove(cpu);
  }
  int d = cpuDevice_[static_cast<size_t>(cpu)];
  if (d >= 0) devices_[static_cast<size_t>(d)].onlineCores += online ? 1 : -1;
  tree_->writeOnlineList(online_);
}

void BoardTwin::updateWorkloadCpus(twin::Workload& w) {
  if (w.device >= 0) return;
  w.allowed = twin::TwinTree::effectiveCpus(w.cpusetPaths, CpuSet::range(0, tree_->cpuCount() - 1));
  w.cpuWeight = twin::TwinTree::cpuWeight(w.cpuWeightPath);
  CpuSet running;
  CpuSet fallback;
  for (int c = 0; c < tree_->cpuCount(); ++c) {
    if (!online_.contains(c) || !deviceCpus_.contains(c)) continue;
    fallback.add(c);
    if (w.allowed.contains(c)) running.add(c);
  }
  // No allowed CPU online: the kernel moves the tasks up to an ancestor that has one.
  w.running = running.empty() ? fallback : running;
}

void BoardTwin::physicsStep(int64_t ns) {
  double dtS = static_cast<double>(ns) * 1e-9;
  int64_t nowNs = clock_.nowNs();
  ambientC_ = ambientAt(nowNs);
  updateFrequencies(nowNs);
  runWorkloads(dtS);
  updatePower(dtS);
  updateThermal(dtS);
  updateRails(dtS);  // the INA inputs hold from now to the end of the step
  clock_.advanceNs(ns);
  for (size_t i = 0; i < devices_.size(); ++i)
    tree_->addResidencyNs(static_cast<int>(i), static_cast<size_t>(devices_[i].cur), ns);
  applyTransitions(clock_.nowNs());
  for (Zone& z : zones_) {
    if (z.governor.state > 0) z.throttledNs += ns;
  }
  while (clock_.nowNs() >= nextSensorNs_) {
    sensorTick();
    nextSensorNs_ += options_.sensorPeriodMs * kNsPerMs;
  }
}

int BoardTwin::targetOpp(const Device& d) const {
  int hi = std::min({d.userMax, d.thermalCap, d.modeCap});
  int lo = std::min(d.userMin, hi);
  switch (d.governor) {
    case twin::Governor::Performance:
      return hi;
    case twin::Governor::Powersave:
      return lo;
    case twin::Governor::Userspace:
      return std::clamp(d.cur, lo, hi);
    case twin::Governor::Schedutil:
      break;
  }
  // schedutil: next_freq = 1.25 * util * current frequency (util measured at this frequency).
  const std::vector<OppSpec>& opps = spec_.devices[index(d)].opps;
  double need = 1.25 * d.util * static_cast<double>(opps[static_cast<size_t>(d.cur)].freqHz);
  int k = oppAtLeast(d, static_cast<uint64_t>(need));
  return std::clamp(k, lo, hi);
}

void BoardTwin::updateFrequencies(int64_t nowNs) {
  for (size_t i = 0; i < devices_.size(); ++i) {
    Device& d = devices_[i];
    if (d.lost) continue;
    int target = targetOpp(d);
    if (target == d.cur) {
      d.pending = -1;  // a change in flight is called off
    } else if (target != d.pending) {
      if (d.pending < 0) d.applyAtNs = nowNs + std::llround(d.phys.dvfsLatencyUs * 1e3);
      d.pending = target;  // a retarget keeps the transition already under way
    }
  }
}

// Transitions whose latency has run out land on this step boundary.
void BoardTwin::applyTransitions(int64_t nowNs) {
  for (size_t i = 0; i < devices_.size(); ++i) {
    Device& d = devices_[i];
    if (d.lost || d.pending < 0 || nowNs < d.applyAtNs) continue;
    d.cur = d.pending;
    d.pending = -1;
    tree_->publishCurFreq(static_cast<int>(i), static_cast<size_t>(d.cur));
  }
}

void BoardTwin::runWorkloads(double dtS) {
  for (size_t i = 0; i < devices_.size(); ++i) {
    const BoardDevice& b = spec_.devices[i];
    const Device& d = devices_[i];
    twin::DeviceRate& r = rates_[i];
    r.cpu = d.cpu;
    r.available = !d.lost && !shutDown();
    double hz = static_cast<double>(curFreqHz(static_cast<int>(i)));
    double units = d.cpu ? 1.0 : d.onlineCores;
    for (size_t w = 0; w < kWorkTypes; ++w)
      r.flopsPerS[w] = b.flopsPerCycle[w] * hz * units * d.phys.computeEfficiency;
    double cap = b.maxBandwidthBps > 0.0 ? b.maxBandwidthBps : dramBandwidthBps_;
    r.bandwidthBps = cap * d.phys.memoryEfficiency;
  }
  twin::WorkloadSolver::Inputs in;
  in.devices = rates_.data();
  in.cpuDevice = cpuDevice_.data();
  in.dramBandwidthBps = dramBandwidthBps_;
  in.barrierS = spec_.twin.barrierUs * 1e-6;
  solver_.step(workloads_.data(), workloads_.size(), in, dtS);
}

void BoardTwin::updatePower(double dtS) {
  bool off = shutDown();
  dramW_ = off ? 0.0 : solver_.bytesMoved() / dtS * spec_.dramJPerByte;
  for (size_t i = 0; i < devices_.size(); ++i) {
    Device& d = devices_[i];
    const BoardDevice& b = spec_.devices[i];
    const OppSpec& opp = b.opps[static_cast<size_t>(d.cur)];
    double hz = static_cast<double>(opp.freqHz);
    double dyn = 0.0;
    d.util = 0.0;
    if (d.cpu) {
      for (int c : d.cpus) {
        if (!online_.contains(c)) continue;
        double act = std::min(1.0, solver_.cpuBusyS(static_cast<size_t>(c)) / dtS);
        d.util = std::max(d.util, act);
        dyn += twin::dynamicPowerW(d.phys.dynCoeff, hz, opp.voltV, act);
      }
      d.powered = b.alwaysPowered || d.onlineCores > 0;
    } else {
      double act = std::min(1.0, solver_.deviceBusyS(i) / dtS);
      d.util = act;
      dyn = d.onlineCores * twin::dynamicPowerW(d.phys.dynCoeff, hz, opp.voltV, act);
      bool used = false;
      for (const twin::Workload& w : workloads_)
        used = used || (w.device == static_cast<int>(i) && w.state == WorkloadState::Running);
      d.powered = b.alwaysPowered || used;
    }
    if (off || d.lost || !d.powered) {
      d.powerW = 0.0;
      continue;
    }
    double share = static_cast<double>(d.onlineCores) /
                   (d.cpu ? static_cast<double>(d.cpus.size()) : std::max(b.cores, 1));
    double tempC = d.zone >= 0 ? zones_[static_cast<size_t>(d.zone)].temps.dieC : ambientC_;
    double leak = twin::bsimLeakageW(d.phys, opp.voltV, tempC) * share;
    d.powerW = dyn + leak + d.phys.idleW * share;
    d.energyJ += d.powerW * dtS;
  }
}

void BoardTwin::updateThermal(double dtS) {
  double all = 0.0;
  for (const Device& d : devices_)
    all += d.powerW;
  for (Zone& z : zones_) {
    double p = z.devices.empty() ? all : 0.0;
    for (int d : z.devices)
      p += devices_[static_cast<size_t>(d)].powerW;
    z.powerW = p;
    twin::stepZone(z.phys, p, ambientC_, dtS, &z.temps);
  }
}

void BoardTwin::updateRails(double dtS) {
  bool off = shutDown();
  double vrm = spec_.twin.vrmEfficiency > 0.0 ? spec_.twin.vrmEfficiency : 1.0;
  for (Rail& r : rails_) {
    double p = 0.0;
    if (!off) {
      for (int d : r.devices)
        p += devices_[static_cast<size_t>(d)].powerW;
      if (r.dram) p += dramW_;
      p = p / vrm + r.baseW;
    }
    r.powerW = p;
    r.energyJ += p * dtS;
    r.chip->setInput(r.channel, r.busV, p / r.busV);
  }
  if (!off) {
    baseEnergyJ_ += spec_.baseW * dtS;
    dramEnergyJ_ += dramW_ * dtS;
  }
}

// ---- sensors and the kernel's thermal governor ----

void BoardTwin::sensorTick() {
  bool capsChanged = false;
  for (size_t z = 0; z < zones_.size(); ++z) {
    Zone& zone = zones_[z];
    if (!zone.stuck) {
      zone.sensedC = zone.temps.dieC + zone.phys.sensorNoiseC * sensorRng_.gauss();
      tree_->publishTempC(static_cast<int>(z), zone.sensedC);
    }
    if (zone.hasPassive && zone.governor.poll(zone.sensedC, zone.passiveC, zone.hystC))
      capsChanged = true;
    if (zone.hasCritical && !shutDown() && zone.sensedC >= zone.criticalC)
      shutdown(static_cast<int>(z));
  }
  if (capsChanged) {
    // A device cooled by several zones takes the deepest state (the kernel's max of targets).
    for (size_t i = 0; i < devices_.size(); ++i) {
      int state = 0;
      bool cooled = false;
      for (const Zone& zone : zones_) {
        if (std::find(zone.cooled.begin(), zone.cooled.end(), static_cast<int>(i)) ==
            zone.cooled.end())
          continue;
        cooled = true;
        state = std::max(state, zone.governor.state);
      }
      if (!cooled) continue;
      int top = static_cast<int>(spec_.devices[i].opps.size()) - 1;
      devices_[i].thermalCap = std::max(0, top - state);
      tree_->publishCoolingState(static_cast<int>(i), std::min(state, top));
    }
  }
  publishHwmon();
  for (size_t i = 0; i < devices_.size(); ++i)
    tree_->publishStats(static_cast<int>(i));
}

// What the kernel's INA drivers would report from the chip's registers.
void BoardTwin::publishHwmon() {
  for (const Rail& r : rails_) {
    if (r.hwmonChip < 0) continue;
    InaChipModel& chip = *r.chip;
    double ohm = chip.shuntOhm(r.channel);
    double shuntV = 0.0;
    double busV = 0.0;
    switch (chip.chip()) {
      case InaChip::Ina3221:
        shuntV =
            (static_cast<int16_t>(chip.peek(static_cast<uint8_t>(1 + 2 * r.channel))) >> 3) * 40e-6;
        busV =
            (static_cast<int16_t>(chip.peek(static_cast<uint8_t>(2 + 2 * r.channel))) >> 3) * 8e-3;
        break;
      case InaChip::Ina219:
        shuntV = static_cast<int16_t>(chip.peek(1)) * 10e-6;
        busV = (chip.peek(2) >> 3) * 4e-3;
        break;
      case InaChip::Ina226:
        shuntV = static_cast<int16_t>(chip.peek(1)) * 2.5e-6;
        busV = chip.peek(2) * 1.25e-3;
        break;
      case InaChip::Ina260:
        shuntV = static_cast<int16_t>(chip.peek(1)) * 1.25e-3 * ohm;
        busV = chip.peek(2) * 1.25e-3;
        break;
    }
    tree_->publishHwmon(static_cast<size_t>(r.hwmonChip), r.channel, busV, shuntV,
                        ohm > 0.0 ? shuntV / ohm : 0.0);
  }
}

void BoardTwin::shutdown(int zone) {
  shutdownNs_ = clock_.nowNs();
  shutdownZone_ = zone;
  for (twin::Workload& w : workloads_) {
    if (w.state == WorkloadState::Running) w.state = WorkloadState::Crashed;
  }
}

// ---- workloads ----

Result<int> BoardTwin::addWorkload(const LlmWorkloadSpec& spec) {
  const char* name = spec.name.c_str();
  // Full: the oldest finished workload's slot (and id) is reused.
  size_t reuse = workloads_.size();
  if (workloads_.size() >= twin::kMaxWorkloads) {
    for (size_t i = 0; i < workloads_.size() && reuse == workloads_.size(); ++i) {
      if (workloads_[i].state != WorkloadState::Running) reuse = i;
    }
    if (reuse == workloads_.size()) {
      return Error::make(ENOSPC, "workload '%s': the twin runs at most %zu", name,
                         twin::kMaxWorkloads);
    }
  }
  if (!(spec.params > 0.0) || !(spec.bitsPerWeight > 0.0) || spec.layers <= 0 ||
      spec.threads <= 0 || spec.promptTokens < 0 || spec.outputTokens < 0 || spec.kvWidth < 0 ||
      spec.contextTokens < 0 || spec.kvBytesPerElem < 0.0) {
    return Error::make(EINVAL,
                       "workload '%s': params, bits per weight, layers and threads must be "
                       "positive, the token counts and widths not negative",
                       name);
  }
  twin::Workload w;
  w.spec = spec;
  w.workType = spec.workType ? *spec.workType : twin::defaultWorkType(spec.bitsPerWeight);
  size_t type = static_cast<size_t>(w.workType);
  if (!spec.device.empty() && spec.device != "cpu") {
    w.device = deviceIndex(spec.device);
    if (w.device < 0 || devices_[static_cast<size_t>(w.device)].cpu) {
      return Error::make(EINVAL, "workload '%s': '%s' is not an accelerator of this board", name,
                         spec.device.c_str());
    }
    if (devices_[static_cast<size_t>(w.device)].lost) {
      return Error::make(ENODEV, "workload '%s': '%s' is gone", name, spec.device.c_str());
    }
    if (spec_.devices[static_cast<size_t>(w.device)].flopsPerCycle[type] <= 0.0) {
      return Error::make(ENOTSUP, "workload '%s': '%s' has no rate for its arithmetic", name,
                         spec.device.c_str());
    }
  } else {
    for (size_t i = 0; i < devices_.size(); ++i) {
      if (devices_[i].cpu && spec_.devices[i].flopsPerCycle[type] <= 0.0) {
        return Error::make(ENOTSUP, "workload '%s': CPU device '%s' has no rate for its arithmetic",
                           name, spec_.devices[i].name.c_str());
      }
    }
  }
  w.pid = nextPid_++;
  auto paths = tree_->addCgroupProcess(spec.cgroup, spec.cpus, w.pid);
  if (!paths.ok()) return paths.error().prefix("workload '%s'", name);
  w.cpusetPaths = std::move(paths.value());
  w.cpuWeightPath = tree_->cpuWeightFile(spec.cgroup);
  w.prefillDone = spec.promptTokens <= 0;
  updateWorkloadCpus(w);
  if (reuse < workloads_.size()) {
    tree_->removeProcess(workloads_[reuse].spec.cgroup, workloads_[reuse].pid);
    workloads_[reuse] = std::move(w);
    return static_cast<int>(reuse);
  }
  workloads_.push_back(std::move(w));
  return static_cast<int>(workloads_.size()) - 1;
}

WorkloadStatus BoardTwin::workload(int id) const {
  WorkloadStatus s;
  if (id < 0 || static_cast<size_t>(id) >= workloads_.size()) {
    s.state = WorkloadState::Crashed;
    return s;
  }
  const twin::Workload& w = workloads_[static_cast<size_t>(id)];
  s.state = w.state;
  s.prefillDone = w.prefillDone;
  s.tokensGenerated = w.tokens;
  s.totalTokens = w.totalTokens;
  s.runsCompleted = w.runs;
  s.prefillS = w.prefillS;
  s.decodeS = w.decodeS;
  bool current = w.tokens > 0 && w.decodeS > 0.0 && w.state == WorkloadState::Running;
  s.tokensPerS = current ? w.tokens / w.decodeS : w.lastRunTokensPerS;
  if (w.state != WorkloadState::Running && w.runs == 0 && w.decodeS > 0.0)
    s.tokensPerS = w.tokens / w.decodeS;  // crashed mid-run: what it reached
  s.promptTokensPerS = w.lastPromptTokensPerS;
  // Threads take the allowed CPUs in order, one each.
  for (int c = 0, n = 0; w.device < 0 && c < CpuSet::kMaxCpus && n < w.spec.threads; ++c) {
    if (!w.running.contains(c)) continue;
    s.cpus.add(c);
    ++n;
  }
  s.footprintBytes = twin::footprintBytes(w.spec);
  return s;
}

pid_t BoardTwin::workloadPid(int id) const {
  if (id < 0 || static_cast<size_t>(id) >= workloads_.size()) return -1;
  return workloads_[static_cast<size_t>(id)].pid;
}

// ---- faults ----

Status BoardTwin::crashWorkload(int id) {
  if (id < 0 || static_cast<size_t>(id) >= workloads_.size()) {
    return Error::make(ENOENT, "twin: no workload %d", id);
  }
  twin::Workload& w = workloads_[static_cast<size_t>(id)];
  if (w.state == WorkloadState::Running) w.state = WorkloadState::Crashed;
  tree_->removeProcess(w.spec.cgroup, w.pid);
  return {};
}

Status BoardTwin::setRailNack(const std::string& rail, bool nack) {
  int r = railIndex(rail);
  if (r < 0) return Error::make(ENOENT, "twin: no rail '%s'", rail.c_str());
  const Rail& rr = rails_[static_cast<size_t>(r)];
  SimI2cBus* b = i2cBus(rr.i2cBus);
  if (rr.hwmonChip >= 0 || !b) {
    return Error::make(ENOTSUP, "twin: rail '%s' is read through hwmon, not over I2C",
                       rail.c_str());
  }
  b->setNack(rr.address, nack);
  return {};
}

Status BoardTwin::setSensorStuck(const std::string& zone, bool stuck) {
  int z = zoneIndex(zone);
  if (z < 0) return Error::make(ENOENT, "twin: no zone '%s'", zone.c_str());
  zones_[static_cast<size_t>(z)].stuck = stuck;
  return {};
}

Status BoardTwin::setCpuOnline(int cpu, bool online) {
  if (cpu <= 0 || cpu >= tree_->cpuCount()) {
    return Error::make(EINVAL, "twin: cpu%d cannot go offline (1..%d can)", cpu,
                       tree_->cpuCount() - 1);
  }
  tree_->writeCpuOnline(cpu, online);
  setCoreOnline(cpu, online);
  for (twin::Workload& w : workloads_)
    updateWorkloadCpus(w);
  return {};
}

Status BoardTwin::loseAccelerator(const std::string& device) {
  int i = deviceIndex(device);
  if (i < 0 || devices_[static_cast<size_t>(i)].cpu) {
    return Error::make(EINVAL, "twin: '%s' is not an accelerator", device.c_str());
  }
  Device& d = devices_[static_cast<size_t>(i)];
  if (d.lost) return {};
  d.lost = true;
  d.pending = -1;
  if (tree_->hasDomain(i)) {
    Status st = tree_->removeDevfreq(i);
    if (!st.ok()) return st;
  }
  for (size_t w = 0; w < workloads_.size(); ++w) {
    if (workloads_[w].device == i && workloads_[w].state == WorkloadState::Running) {
      Status st = crashWorkload(static_cast<int>(w));
      if (!st.ok()) return st;
    }
  }
  return {};
}

}  // namespace qeil
