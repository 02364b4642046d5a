#include "agent/board_check.h"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>

#include "hal/backends.h"
#include "hal/linux/monotonic_clock.h"

namespace qeil {
namespace {

template <class T>
std::string namesOf(const std::vector<T>& items) {
  std::string out;
  for (const T& t : items)
    out += (out.empty() ? "" : ", ") + t.name;
  return out.empty() ? "none" : out;
}

double mhz(uint64_t hz) {
  return static_cast<double>(hz) / 1e6;
}

// Stands in for every I2C adapter when a rail's monitor is built only to check its settings:
// create() validates the configuration and touches no hardware.
class NoI2cBus final : public I2cBusProvider, public I2cBus {
 public:
  Result<I2cBus*> bus(int number) override {
    snprintf(name_, sizeof name_, "i2c-%d", number);
    return static_cast<I2cBus*>(this);
  }
  const char* name() const override { return name_; }
  Result<uint16_t> readWordData(uint8_t, uint8_t) override { return Error::make(ENODEV, "none"); }
  Status writeWordData(uint8_t, uint8_t, uint16_t) override { return Error::make(ENODEV, "none"); }

 private:
  char name_[16] = {};
};

class Checker {
 public:
  Checker(const BoardSpec& board, BoardDiagnostics& diag) : b_(board), diag_(diag) {}

  void run() {
    memory();
    devices();
    zones();
    rails();
    gpios();
    powerModes();
    twin();
  }

 private:
  // The index of `name` in `items`; -1, reported at `path`, when it is not there. An empty
  // name is no reference (left out, or reported while reading).
  template <class T>
  int resolve(const std::vector<T>& items, const std::string& name, const std::string& path,
              const char* what) {
    if (name.empty()) return -1;
    const int i = indexByName(items, name);
    if (i < 0) {
      diag_.report(path, "no %s named '%s' (known: %s)", what, name.c_str(),
                   namesOf(items).c_str());
    }
    return i;
  }

  template <class T>
  void uniqueNames(const std::vector<T>& items, std::string T::*key, const std::string& list,
                   const char* keyName) {
    for (size_t i = 0; i < items.size(); ++i) {
      for (size_t j = 0; j < i; ++j) {
        if ((items[i].*key).empty() || items[i].*key != items[j].*key) continue;
        diag_.report(settingPath(list, i, keyName), "duplicate: '%s' is also %s",
                     (items[i].*key).c_str(), settingPath(list, j).c_str());
        break;
      }
    }
  }

  void memory();
  void devices();
  void opps(size_t i);
  void cpuDevice(size_t i);
  void zones();
  void trips(size_t z);
  void rails();
  void railShares();
  void railChip(size_t i);
  void sharedChip(size_t i, size_t j);
  bool isAncestor(int ancestor, int rail) const;
  void railParents();
  void railFeeds();
  void gpios();
  void powerModes();
  void twin();

  const BoardSpec& b_;
  BoardDiagnostics& diag_;
};

void Checker::memory() {
  if (b_.memCapacityBytes > 0.0 && b_.memReservedBytes >= b_.memCapacityBytes) {
    diag_.report("memory.reserved_mb", "%g is not below capacity_mb (%g)",
                 b_.memReservedBytes / 1048576.0, b_.memCapacityBytes / 1048576.0);
  }
  if (b_.cgroupParent.empty() || b_.cgroupParent.front() == '/' ||
      b_.cgroupParent.find("..") != std::string::npos) {
    diag_.report("cgroup.parent", "'%s' must be relative and without '..'",
                 b_.cgroupParent.c_str());
  }
}

void Checker::devices() {
  if (b_.devices.empty() && diag_.has("devices"))
    diag_.report("devices", "empty: a board has at least one device");
  uniqueNames(b_.devices, &BoardDevice::name, "devices", "name");
  for (size_t i = 0; i < b_.devices.size(); ++i) {
    const BoardDevice& d = b_.devices[i];
    const std::string at = settingPath("devices", i);
    opps(i);
    cpuDevice(i);
    resolve(b_.zones, d.thermalZone, at + ".thermal_zone", "thermal zone");
    const int g = resolve(b_.gpios, d.enableGpio, at + ".enable_gpio", "gpio");
    if (g >= 0 && !b_.gpios[g].output)
      diag_.report(at + ".enable_gpio", "gpio '%s' is an input", d.enableGpio.c_str());
    const bool none = std::all_of(d.flopsPerCycle.begin(), d.flopsPerCycle.end(),
                                  [](double f) { return f == 0.0; });
    if (none && diag_.has(at + ".flops_per_cycle"))
      diag_.report(at + ".flops_per_cycle", "every data type is 0: the device could run nothing");
  }
}

void Checker::opps(size_t i) {
  const std::vector<OppSpec>& o = b_.devices[i].opps;
  for (const OppSpec& p : o) {
    if (p.freqHz == 0 || p.voltV == 0.0) return;  // a column was wrong or missing: reported
  }
  for (size_t k = 1; k < o.size(); ++k) {
    if (o[k].freqHz <= o[k - 1].freqHz) {
      diag_.report(settingPath("devices", i, "opp_mhz"), "not ascending (%g after %g)",
                   mhz(o[k].freqHz), mhz(o[k - 1].freqHz));
      break;
    }
  }
  for (size_t k = 1; k < o.size(); ++k) {
    if (o[k].voltV < o[k - 1].voltV) {
      diag_.report(settingPath("devices", i, "opp_mv"),
                   "voltage decreasing (%g after %g) while the frequency rises", o[k].voltV * 1e3,
                   o[k - 1].voltV * 1e3);
      break;
    }
  }
}

void Checker::cpuDevice(size_t i) {
  const BoardDevice& d = b_.devices[i];
  const std::string at = settingPath("devices", i);
  if (d.kind != HwDeviceKind::Cpu) {
    if (!d.cpus.empty()) diag_.report(at + ".cpus", "only a cpu device has cpus");
    if (!d.cpufreqPolicy.empty())
      diag_.report(at + ".cpufreq_policy", "only a cpu device has one (a gpu or npu: devfreq)");
    return;
  }
  if (!d.devfreq.empty()) diag_.report(at + ".devfreq", "a cpu device uses cpufreq_policy");
  if (d.cpus.empty()) {
    if (!diag_.has(at + ".cpus")) diag_.report(at + ".cpus", "missing (required for a cpu device)");
    return;
  }
  if (d.cores != d.cpus.count())
    diag_.report(at + ".cores", "%d, but cpus lists %d CPUs", d.cores, d.cpus.count());
  for (size_t j = 0; j < i; ++j) {
    const BoardDevice& other = b_.devices[j];
    if (other.kind == HwDeviceKind::Cpu && (other.cpus.bits() & d.cpus.bits()) != 0) {
      diag_.report(at + ".cpus", "shares CPUs with %s (%s)", settingPath("devices", j).c_str(),
                   other.name.c_str());
    }
  }
}

void Checker::zones() {
  uniqueNames(b_.zones, &BoardZone::name, "thermal_zones", "name");
  for (size_t z = 0; z < b_.zones.size(); ++z) {
    for (const std::string& name : b_.zones[z].cooledDevices)
      resolve(b_.devices, name, settingPath("thermal_zones", z, "cooled_devices"), "device");
    trips(z);
  }
}

void Checker::trips(size_t z) {
  const std::vector<BoardTrip>& t = b_.zones[z].trips;
  const std::string base = settingPath("thermal_zones", z, "trips");
  size_t critical = t.size();
  for (size_t k = 0; k < t.size(); ++k) {
    if (k > 0 && t[k].tempC < t[k - 1].tempC) {
      diag_.report(settingPath(base, k, "temp_c"), "not ascending (%g after %g)", t[k].tempC,
                   t[k - 1].tempC);
    }
    if (t[k].type != TripType::Critical) continue;
    if (critical == t.size()) {
      critical = k;
    } else {
      diag_.report(settingPath(base, k, "type"), "a second critical trip (the first: %s)",
                   settingPath(base, critical).c_str());
    }
  }
  for (size_t k = 0; critical < t.size() && k < t.size(); ++k) {
    if (t[k].type != TripType::Critical && t[k].tempC > t[critical].tempC) {
      diag_.report(settingPath(base, k, "temp_c"), "%g is above the critical trip (%g)", t[k].tempC,
                   t[critical].tempC);
    }
  }
}

void Checker::rails() {
  uniqueNames(b_.rails, &BoardRail::name, "power_rails", "name");
  for (size_t i = 0; i < b_.rails.size(); ++i) {
    railChip(i);
    for (size_t j = 0; j < i; ++j)
      sharedChip(i, j);
    const BoardRail& r = b_.rails[i];
    const std::string at = settingPath("power_rails", i, "alert_gpio");
    const int g = resolve(b_.gpios, r.alertGpio, at, "gpio");
    if (g >= 0 && b_.gpios[g].output)
      diag_.report(at, "gpio '%s' is an output; an ALERT pin needs an input", r.alertGpio.c_str());
    if (r.alertLimitW > 0.0 && r.alertGpio.empty())
      diag_.report(settingPath("power_rails", i, "alert_limit_w"),
                   "an alert limit needs alert_gpio (the line the ALERT pin drives)");
  }
  railParents();
  railFeeds();
  railShares();
}

// Base power and DRAM power are each counted on one rail (and its ancestors) at most.
void Checker::railShares() {
  // Nothing to compare with when the board's own base_w is missing or already wrong.
  if (!diag_.has("base_w") || diag_.reportedUnder("base_w")) return;
  double sumW = 0.0;
  int dramRail = -1;
  for (size_t i = 0; i < b_.rails.size(); ++i) {
    const BoardRail& r = b_.rails[i];
    sumW += r.baseW;
    if (r.baseW > 0.0 && sumW > b_.baseW * (1.0 + 1e-9)) {
      diag_.report(settingPath("power_rails", i, "base_w"),
                   "rails up to here carry %g W of base power, more than the board's base_w %g",
                   sumW, b_.baseW);
    }
    if (!r.carriesDram) continue;
    if (dramRail >= 0) {
      diag_.report(settingPath("power_rails", i, "carries_dram"),
                   "%s already carries DRAM power (a parent rail includes it by itself)",
                   settingPath("power_rails", static_cast<size_t>(dramRail)).c_str());
    }
    dramRail = static_cast<int>(i);
  }
}

void Checker::railChip(size_t i) {
  const BoardRail& r = b_.rails[i];
  const std::string at = settingPath("power_rails", i);
  if (!isPowerMonitorBackend(r.backend)) {
    if (!r.backend.empty()) {
      diag_.report(at + ".backend", "unknown backend '%s' (known: %s)", r.backend.c_str(),
                   powerMonitorBackendNames());
    }
    return;
  }
  const bool hwmon = r.backend == "hwmon";
  const char* chip = hwmon && !r.hwmonChip.empty() ? r.hwmonChip.c_str() : r.backend.c_str();
  // The channel picks the chip's input, also behind hwmon (and the twin's model of it).
  const bool threeChannels = std::string(chip) == "ina3221";
  if (threeChannels && r.channel > 2)
    diag_.report(at + ".channel", "%d is outside 0..2 (the ina3221's three)", r.channel);
  if (!threeChannels && r.channel != 0)
    diag_.report(at + ".channel", "%d: the %s has one channel, 0", r.channel, chip);
  if (hwmon) {
    if (r.hwmonChip.empty()) {
      diag_.report(at + ".hwmon_chip", "missing (required for backend hwmon)");
    } else if (r.hwmonChip == "ina3221" && r.hwmonLabel.empty()) {
      diag_.report(at + ".hwmon_label", "missing (required for hwmon_chip ina3221)");
    }
  } else {
    if (r.i2cBus < 0 && !diag_.has(at + ".i2c_bus"))
      diag_.report(at + ".i2c_bus", "missing (required for %s)", chip);
    if (!diag_.has(at + ".address"))
      diag_.report(at + ".address", "missing (required for %s)", chip);
    if (r.backend == "ina260" && r.shuntOhm != 0.0)
      diag_.report(at + ".shunt_ohm", "the ina260's shunt is internal: leave shunt_ohm out");
    if (r.backend != "ina260" && !(r.shuntOhm > 0.0)) {
      diag_.report(at + ".shunt_ohm", "%g: the %s needs the shunt's resistance (> 0)", r.shuntOhm,
                   chip);
    }
    if (!(r.maxCurrentA > 0.0))
      diag_.report(at + ".max_current_a", "missing or 0 (required for %s)", chip);
  }
  if (diag_.reportedUnder(at)) return;
  // What the HAL itself refuses (averaging, conversion times, shunt voltage full scale).
  NoI2cBus noBus;
  MonotonicClock clock;
  SettingsJournal journal;
  HalContext hal{SysRoot(), clock, journal, noBus};
  auto monitor = createPowerMonitor(railMonitorSpec(r), hal);
  if (!monitor.ok()) diag_.report(at, "%s", monitor.error().message());
}

// Rails on one chip: the same backend, distinct channels, one ADC setup.
void Checker::sharedChip(size_t i, size_t j) {
  const BoardRail& a = b_.rails[i];
  const BoardRail& b = b_.rails[j];
  if (a.backend == "hwmon" || b.backend == "hwmon" || a.i2cBus != b.i2cBus ||
      a.address != b.address)
    return;
  const std::string at = settingPath("power_rails", i);
  const std::string other = settingPath("power_rails", j);
  if (a.backend != b.backend) {
    diag_.report(at + ".address", "the same bus and address as %s, another chip", other.c_str());
  } else if (a.channel == b.channel) {
    diag_.report(at + ".channel", "the same chip channel as %s", other.c_str());
  } else if (a.averages != b.averages || a.convUs != b.convUs) {
    diag_.report(at, "averages and conv_us differ from %s on the same chip", other.c_str());
  }
}

bool Checker::isAncestor(int ancestor, int rail) const {
  int cur = indexByName(b_.rails, b_.rails[rail].parent);
  for (size_t steps = 0; cur >= 0 && steps < b_.rails.size(); ++steps) {
    if (cur == ancestor) return true;
    cur = indexByName(b_.rails, b_.rails[cur].parent);
  }
  return false;
}

void Checker::railParents() {
  for (size_t i = 0; i < b_.rails.size(); ++i) {
    const std::string at = settingPath("power_rails", i, "parent");
    if (resolve(b_.rails, b_.rails[i].parent, at, "rail") < 0) continue;
    if (isAncestor(static_cast<int>(i), static_cast<int>(i))) {
      diag_.report(at, "the parent chain of '%s' loops back to it", b_.rails[i].name.c_str());
    }
  }
}

// A device may be fed by several rails only along one parent chain (a sub-rail and its parent).
void Checker::railFeeds() {
  for (size_t i = 0; i < b_.rails.size(); ++i) {
    const std::vector<std::string>& feeds = b_.rails[i].feeds;
    const std::string at = settingPath("power_rails", i, "feeds");
    for (size_t k = 0; k < feeds.size(); ++k) {
      resolve(b_.devices, feeds[k], at, "device");
      if (std::find(feeds.begin(), feeds.begin() + k, feeds[k]) != feeds.begin() + k)
        diag_.report(at, "lists '%s' twice", feeds[k].c_str());
    }
    for (size_t j = 0; j < i; ++j) {
      const std::vector<std::string>& earlier = b_.rails[j].feeds;
      if (isAncestor(static_cast<int>(j), static_cast<int>(i)) ||
          isAncestor(static_cast<int>(i), static_cast<int>(j)))
        continue;
      for (const std::string& name : feeds) {
        if (std::find(earlier.begin(), earlier.end(), name) == earlier.end()) continue;
        diag_.report(at, "'%s' is also fed by %s (%s), neither a parent nor a sub-rail of this one",
                     name.c_str(), settingPath("power_rails", j).c_str(), b_.rails[j].name.c_str());
      }
    }
  }
}

void Checker::gpios() {
  uniqueNames(b_.gpios, &BoardGpio::name, "gpios", "name");
  for (size_t i = 0; i < b_.gpios.size(); ++i) {
    const BoardGpio& g = b_.gpios[i];
    if (!g.output && g.initial != 0)
      diag_.report(settingPath("gpios", i, "initial"), "only an output has an initial value");
    for (size_t j = 0; j < i; ++j) {
      if (g.chip == b_.gpios[j].chip && g.line == b_.gpios[j].line) {
        diag_.report(settingPath("gpios", i, "line"), "%s line %u is also %s", g.chip.c_str(),
                     g.line, settingPath("gpios", j).c_str());
      }
    }
  }
}

// True if some CPU cluster keeps a core online in `mode` (the kernel cannot offline them all).
bool keepsACpu(const BoardSpec& board, const PowerMode& mode) {
  for (const BoardDevice& dev : board.devices) {
    if (dev.kind != HwDeviceKind::Cpu) continue;
    const auto cap = std::find_if(mode.caps.begin(), mode.caps.end(),
                                  [&](const PowerModeCap& c) { return c.device == dev.name; });
    if (cap == mode.caps.end() || cap->onlineCores != 0) return true;
  }
  return false;
}

void Checker::powerModes() {
  uniqueNames(b_.powerModes, &PowerMode::name, "power_modes", "name");
  resolve(b_.powerModes, b_.powerMode, "power_mode", "power mode");
  for (size_t m = 0; m < b_.powerModes.size(); ++m) {
    const std::string base = settingPath("power_modes", m, "caps");
    const std::vector<PowerModeCap>& caps = b_.powerModes[m].caps;
    uniqueNames(caps, &PowerModeCap::device, base, "device");
    for (size_t c = 0; c < caps.size(); ++c) {
      const int d = resolve(b_.devices, caps[c].device, settingPath(base, c, "device"), "device");
      if (d < 0) continue;
      const BoardDevice& dev = b_.devices[d];
      uint64_t lowestHz = UINT64_MAX;
      for (const OppSpec& o : dev.opps)
        lowestHz = std::min(lowestHz, o.freqHz);
      if (caps[c].maxFreqHz != 0 && !dev.opps.empty() && caps[c].maxFreqHz < lowestHz) {
        diag_.report(settingPath(base, c, "max_mhz"), "%g is below %s's lowest OPP (%g MHz)",
                     mhz(caps[c].maxFreqHz), dev.name.c_str(), mhz(lowestHz));
      }
      if (caps[c].onlineCores > dev.cores) {
        diag_.report(settingPath(base, c, "online_cores"), "%d, but %s has %d cores",
                     caps[c].onlineCores, dev.name.c_str(), dev.cores);
      } else if (caps[c].onlineCores == 0 && dev.kind != HwDeviceKind::Cpu) {
        diag_.report(settingPath(base, c, "online_cores"),
                     "0 takes a CPU cluster offline; %s is not a CPU cluster", dev.name.c_str());
      }
    }
    if (!keepsACpu(b_, b_.powerModes[m])) {
      diag_.report(base, "mode '%s' takes every CPU cluster offline",
                   b_.powerModes[m].name.c_str());
    }
  }
}

void Checker::twin() {
  const std::vector<TwinDevice>& devices = b_.twin.devices;
  uniqueNames(devices, &TwinDevice::device, "twin.devices", "device");
  for (size_t i = 0; i < devices.size(); ++i) {
    resolve(b_.devices, devices[i].device, settingPath("twin.devices", i, "device"), "device");
  }
  const std::vector<TwinZone>& zones = b_.twin.zones;
  uniqueNames(zones, &TwinZone::zone, "twin.zones", "zone");
  for (size_t i = 0; i < zones.size(); ++i)
    resolve(b_.zones, zones[i].zone, settingPath("twin.zones", i, "zone"), "thermal zone");
}

}  // namespace

PowerMonitorSpec railMonitorSpec(const BoardRail& r) {
  PowerMonitorSpec spec;
  spec.backend = r.backend;
  spec.i2cBus = r.i2cBus;
  spec.ina.addr = static_cast<uint8_t>(r.address);
  spec.ina.averages = r.averages;
  spec.ina.busConvUs = r.convUs;
  spec.ina.shuntConvUs = r.convUs;
  for (InaChannelConfig& ch : spec.ina.channels)
    ch.enabled = false;
  if (r.channel >= 0 && static_cast<size_t>(r.channel) < spec.ina.channels.size())
    spec.ina.channels[static_cast<size_t>(r.channel)] =
        InaChannelConfig{r.shuntOhm, r.maxCurrentA, true};
  spec.hwmon.chip = r.hwmonChip;
  if (!r.hwmonLabel.empty()) spec.hwmon.labels.push_back(r.hwmonLabel);
  if (r.i2cBus >= 0 && r.address > 0) {
    char device[32];
    snprintf(device, sizeof device, "%d-%04x", r.i2cBus, r.address);
    spec.hwmon.i2cDevice = device;
  }
  return spec;
}

void checkBoard(const BoardSpec& board, BoardDiagnostics& diag) {
  Checker(board, diag).run();
}

}  // namespace qeil
