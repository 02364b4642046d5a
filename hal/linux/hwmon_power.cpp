#include "hal/linux/hwmon_power.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "hal/linux/sysfs_util.h"

namespace qeil {
namespace {

// The hwmon names of the ina2xx driver family (drivers/hwmon/ina2xx.c, ina238.c).
const char* const kIna2xxNames[] = {"ina219", "ina220", "ina226", "ina230", "ina231",
                                    "ina234", "ina237", "ina238", "ina260"};

// Sanity bounds: beyond them a value is a broken read, not a measurement. The widest parts
// measure 36 V on the bus and +-320 mV across the shunt (INA219 at PGA /8).
constexpr int64_t kMaxBusMv = 40000;
constexpr int64_t kMaxShuntMv = 400;
constexpr int64_t kMaxShuntUv = 400000;
constexpr int64_t kMaxCurrentMa = 1000000;    // 1 kA
constexpr int64_t kMaxPowerUw = 40000000000;  // 40 kW
constexpr int64_t kMaxShuntUohm = 100000000;  // 100 Ohm

bool isIna2xx(const std::string& chip) {
  for (const char* n : kIna2xxNames) {
    if (chip == n) return true;
  }
  return false;
}

Result<double> readScaled(SysfsFile& f, int64_t lo, int64_t hi, const char* unit, double scale) {
  Result<int64_t> v = readIntInRange(f, lo, hi, unit);
  if (!v.ok()) return v.error();
  return static_cast<double>(v.value()) * scale;
}

const PowerSample kNoSample;

}  // namespace

HwmonPowerMonitor::HwmonPowerMonitor(const SysRoot& root, HwmonPowerConfig config, Family family,
                                     const Clock& clock, SettingsJournal& journal,
                                     HealthTracker::Policy policy)
    : root_(root),
      config_(std::move(config)),
      family_(family),
      clock_(clock),
      journal_(journal),
      health_(policy) {
  name_ = "hwmon " + config_.chip;
  if (!config_.i2cDevice.empty()) name_ += " " + config_.i2cDevice;
  size_t count = 1;
  if (family_ == Family::Ina3221) count = config_.labels.empty() ? 3 : config_.labels.size();
  channels_.resize(count);
  for (size_t i = 0; i < count; ++i) {
    Channel& ch = channels_[i];
    ch.index = family_ == Family::Ina3221 ? static_cast<int>(i) + 1 : 1;
    ch.label = i < config_.labels.size() ? config_.labels[i] : "";
  }
}

Result<std::unique_ptr<HwmonPowerMonitor>> HwmonPowerMonitor::create(const SysRoot& root,
                                                                     HwmonPowerConfig config,
                                                                     const Clock& clock,
                                                                     SettingsJournal& journal,
                                                                     HealthTracker::Policy policy) {
  Family family;
  if (config.chip == "ina3221") {
    family = Family::Ina3221;
    if (config.labels.size() > 3) {
      return Error::make(EINVAL, "hwmon ina3221: %zu rails asked for, the chip has 3",
                         config.labels.size());
    }
  } else if (isIna2xx(config.chip)) {
    family = Family::Ina2xx;
    if (config.labels.size() > 1) {
      return Error::make(EINVAL, "hwmon %s: one rail, but %zu labels given", config.chip.c_str(),
                         config.labels.size());
    }
  } else {
    return Error::make(ENOTSUP,
                       "hwmon chip '%.40s' is not supported (ina3221, ina219, ina220, ina226, "
                       "ina230, ina231, ina234, ina237, ina238, ina260)",
                       config.chip.c_str());
  }
  for (const std::string& label : config.labels) {
    if (label.empty())
      return Error::make(EINVAL, "hwmon %s: empty rail label", config.chip.c_str());
  }
  return std::unique_ptr<HwmonPowerMonitor>(
      new HwmonPowerMonitor(root, std::move(config), family, clock, journal, policy));
}

// ---- finding the chip ----

bool HwmonPowerMonitor::matches(const std::string& dir) const {
  char name[64];
  if (!readTextFile(dir + "/name", name, sizeof name).ok() || config_.chip != name) return false;
  if (!config_.i2cDevice.empty()) {
    Result<std::string> device = readLinkBase(dir + "/device");
    if (!device.ok() || device.value() != config_.i2cDevice) return false;
  }
  if (family_ != Family::Ina3221) return true;
  for (const std::string& label : config_.labels) {
    bool found = false;
    for (int c = 1; c <= 3 && !found; ++c) {
      char text[64];
      std::string path = dir + "/in" + std::to_string(c) + "_label";
      found = readTextFile(path, text, sizeof text).ok() && label == text;
    }
    if (!found) return false;
  }
  return true;
}

Result<std::string> HwmonPowerMonitor::locate() const {
  std::string classDir = root_.path(syspath::kHwmon);
  Result<std::vector<int>> ids = listNumbered(classDir, "hwmon");
  if (!ids.ok()) return ids.error();
  for (int id : ids.value()) {
    std::string dir = classDir + "/hwmon" + std::to_string(id);
    if (matches(dir)) return dir;
  }
  std::string rails;
  for (const std::string& label : config_.labels)
    rails += (rails.empty() ? " with rails " : ",") + label;
  return Error::make(ENODEV, "%s: no '%s'%s%s%s among %zu hwmon devices", classDir.c_str(),
                     config_.chip.c_str(), config_.i2cDevice.empty() ? "" : " at ",
                     config_.i2cDevice.c_str(), rails.c_str(), ids.value().size());
}

// Opens channel `i`: on the ina3221 a configured label picks the channel number (locate()
// checked it exists); otherwise channel i + 1, labelled by the chip or "in<N>".
Status HwmonPowerMonitor::openChannel(const std::string& dir, size_t i) {
  Channel& ch = channels_[i];
  const std::string* wanted = i < config_.labels.size() ? &config_.labels[i] : nullptr;
  if (family_ == Family::Ina3221) {
    ch.index = static_cast<int>(i) + 1;
    for (int n = 1; n <= 3; ++n) {
      char text[64];
      std::string path = dir + "/in" + std::to_string(n) + "_label";
      bool hasLabel = readTextFile(path, text, sizeof text).ok();
      if (wanted && hasLabel && *wanted == text) ch.index = n;
      if (!wanted && n == ch.index) ch.label = hasLabel ? text : "in" + std::to_string(n);
    }
  }
  if (wanted) ch.label = *wanted;
  std::string c = std::to_string(ch.index);
  if (family_ == Family::Ina3221) {
    std::string enable = dir + "/in" + c + "_enable";
    ch.enabled = true;
    if (pathExists(enable)) {
      Result<int64_t> on = readIntFileInRange(enable, 0, 1, "");
      if (!on.ok()) return on.error();
      ch.enabled = on.value() == 1;
      if (!ch.enabled && !config_.labels.empty()) {
        return Error::make(ENODEV, "%s: rail %s is disabled (channel %s)", enable.c_str(),
                           ch.label.c_str(), c.c_str());
      }
    }
    Status st = ch.bus.open(dir + "/in" + c + "_input");
    if (st.ok()) st = ch.shunt.open(dir + "/in" + std::to_string(ch.index + 3) + "_input");
    if (st.ok()) st = ch.current.open(dir + "/curr" + c + "_input");
    if (!st.ok()) return st;
    ch.hasShunt = true;
    ch.hasPower = false;
  } else {
    if (!wanted) ch.label = config_.chip;
    Status st = ch.bus.open(dir + "/in1_input");
    if (st.ok()) st = ch.current.open(dir + "/curr1_input");
    if (st.ok()) st = ch.power.open(dir + "/power1_input");
    ch.hasPower = true;
    ch.hasShunt = pathExists(dir + "/in0_input");
    if (st.ok() && ch.hasShunt) st = ch.shunt.open(dir + "/in0_input");
    if (!st.ok()) return st;
  }
  std::string resistor =
      family_ == Family::Ina3221 ? dir + "/shunt" + c + "_resistor" : dir + "/shunt_resistor";
  ch.shuntOhm = 0.0;
  if (pathExists(resistor)) {
    Result<int64_t> uohm = readIntFileInRange(resistor, 1, kMaxShuntUohm, "uOhm");
    if (!uohm.ok()) return uohm.error();
    ch.shuntOhm = static_cast<double>(uohm.value()) * 1e-6;
  }
  return openAlarm(dir, ch);
}

// The _alarm file of the channel's alert; left closed (and pathless) if the driver has none.
Status HwmonPowerMonitor::openAlarm(const std::string& dir, Channel& ch) {
  ch.alarm = SysfsFile();
  char alarm[32];
  if (!alertFile(ch.alertKind, ch.index, true, alarm, sizeof alarm)) return {};
  std::string path = dir + "/" + alarm;
  return pathExists(path) ? ch.alarm.open(path) : Status();
}

Status HwmonPowerMonitor::open(const std::string& dir) {
  for (size_t i = 0; i < channels_.size(); ++i) {
    Status st = openChannel(dir, i);
    if (!st.ok()) return st;
  }
  updateIntervalMs_ = 0;
  if (pathExists(dir + "/update_interval")) {
    Result<int64_t> ms = readIntFileInRange(dir + "/update_interval", 0, 3600000, "ms");
    if (!ms.ok()) return ms.error();
    updateIntervalMs_ = static_cast<int>(ms.value());
  }
  return {};
}

void HwmonPowerMonitor::closeAll() {
  for (Channel& ch : channels_) {
    ch.bus = SysfsFile();
    ch.shunt = SysfsFile();
    ch.current = SysfsFile();
    ch.power = SysfsFile();
    ch.alarm = SysfsFile();
  }
  dir_.clear();
}

Status HwmonPowerMonitor::fail(Error error) {
  lastError_ = error;
  return error;
}

Status HwmonPowerMonitor::init() {
  int64_t nowNs = clock_.nowNs();
  closeAll();
  Result<std::string> dir = locate();
  Status st = dir.ok() ? open(dir.value()) : Status(dir.error());
  if (!st.ok()) {
    closeAll();
    health_.onProbe(false, nowNs);
    markInvalid(nowNs);
    return fail(st.error());
  }
  dir_ = dir.value();
  Result<std::string> device = readLinkBase(dir_ + "/device");
  name_ = "hwmon " + config_.chip + (device.ok() ? " " + device.value() : std::string());
  health_.onProbe(true, nowNs);
  return {};
}

// ---- sampling ----

void HwmonPowerMonitor::markInvalid(int64_t nowNs) {
  for (Channel& ch : channels_) {
    ch.last.valid = false;
    ch.last.timestampNs = nowNs;
  }
}

Status HwmonPowerMonitor::readChannel(Channel& ch, int64_t nowNs) {
  ch.last.valid = false;
  ch.last.timestampNs = nowNs;
  Result<double> busV = readScaled(ch.bus, 0, kMaxBusMv, "mV", 1e-3);
  if (!busV.ok()) return busV.error();
  Result<double> currentA = readScaled(ch.current, -kMaxCurrentMa, kMaxCurrentMa, "mA", 1e-3);
  if (!currentA.ok()) return currentA.error();
  double shuntV = 0.0;
  if (ch.hasShunt) {
    Result<double> v = family_ == Family::Ina3221
                           ? readScaled(ch.shunt, -kMaxShuntUv, kMaxShuntUv, "uV", 1e-6)
                           : readScaled(ch.shunt, -kMaxShuntMv, kMaxShuntMv, "mV", 1e-3);
    if (!v.ok()) return v.error();
    shuntV = v.value();
  }
  double powerW = busV.value() * currentA.value();  // the ina3221 has no power file
  if (ch.hasPower) {
    Result<double> p = readScaled(ch.power, 0, kMaxPowerUw, "uW", 1e-6);
    if (!p.ok()) return p.error();
    powerW = p.value();
  }
  ch.last = PowerSample{busV.value(), shuntV, currentA.value(), powerW, true, nowNs};
  ch.energy.add(powerW, nowNs);
  return {};
}

void HwmonPowerMonitor::sample() {
  int64_t nowNs = clock_.nowNs();
  if (health_.stats().state == SensorState::Probing) {
    if (!health_.probeDue(nowNs) || !init().ok()) {
      markInvalid(nowNs);
      return;
    }
  }
  bool allOk = true;
  for (Channel& ch : channels_) {
    if (!ch.enabled) {
      ch.last.valid = false;
      ch.last.timestampNs = nowNs;
      continue;
    }
    Status st = readChannel(ch, nowNs);
    if (!st.ok()) {
      lastError_ = st.error();
      allOk = false;
    }
  }
  if (allOk) {
    health_.onReadOk();
  } else if (health_.onReadFailed(nowNs)) {
    closeAll();  // the chip may have moved (driver rebind): find it again when due
  }
}

const PowerSample& HwmonPowerMonitor::last(int channel) const {
  if (channel < 0 || channel >= channelCount()) return kNoSample;
  return channels_[static_cast<size_t>(channel)].last;
}

double HwmonPowerMonitor::energyJ(int channel) const {
  if (channel < 0 || channel >= channelCount()) return 0.0;
  return channels_[static_cast<size_t>(channel)].energy.energyJ();
}

int HwmonPowerMonitor::findChannel(const char* label) const {
  for (size_t i = 0; i < channels_.size(); ++i) {
    if (channels_[i].label == label) return static_cast<int>(i);
  }
  return -1;
}

const char* HwmonPowerMonitor::channelLabel(int channel) const {
  if (channel < 0 || channel >= channelCount()) return "";
  return channels_[static_cast<size_t>(channel)].label.c_str();
}

double HwmonPowerMonitor::shuntOhm(int channel) const {
  if (channel < 0 || channel >= channelCount()) return 0.0;
  return channels_[static_cast<size_t>(channel)].shuntOhm;
}

// ---- alerts ----

// The limit file of an alert (or its _alarm flag); nullptr if the family has no such alert.
const char* HwmonPowerMonitor::alertFile(AlertKind kind, int index, bool alarm, char* buf,
                                         size_t cap) const {
  const char* base = nullptr;
  switch (kind) {
    case AlertKind::OverCurrent:
      snprintf(buf, cap, "curr%d_crit%s", index, alarm ? "_alarm" : "");
      return buf;
    case AlertKind::OverPower:
      base = "power1_crit";
      break;
    case AlertKind::BusOverVoltage:
      base = "in1_crit";
      break;
    case AlertKind::BusUnderVoltage:
      base = "in1_lcrit";
      break;
  }
  if (family_ == Family::Ina3221) return nullptr;
  snprintf(buf, cap, "%s%s", base, alarm ? "_alarm" : "");
  return buf;
}

Status HwmonPowerMonitor::setAlert(int channel, AlertKind kind, double limit) {
  if (channel < 0 || channel >= channelCount()) {
    return fail(Error::make(EINVAL, "%s: no channel %d", name_.c_str(), channel));
  }
  bool under = kind == AlertKind::BusUnderVoltage;
  if (!std::isfinite(limit) || limit < 0.0 || (!under && limit == 0.0)) {
    return fail(
        Error::make(EINVAL, "%s: alert limit %g is not a positive number", name_.c_str(), limit));
  }
  if (dir_.empty()) return fail(Error::make(ENODEV, "%s: chip not found", name_.c_str()));
  Channel& ch = channels_[static_cast<size_t>(channel)];
  char file[32];
  if (!alertFile(kind, ch.index, false, file, sizeof file)) {
    return fail(
        Error::make(ENOTSUP, "%s: the ina3221 offers only the over-current alert", name_.c_str()));
  }
  std::string path = dir_ + "/" + file;
  if (!pathExists(path)) {
    return fail(Error::make(ENOTSUP, "%s: no such alert file (driver too old?)", path.c_str()));
  }
  // Limits in the file's unit: mA, uW, mV.
  double scale = kind == AlertKind::OverPower ? 1e6 : 1e3;
  if (limit * scale > 9e15)
    return fail(Error::make(ERANGE, "%s: limit %g too large", path.c_str(), limit));
  char text[32];
  snprintf(text, sizeof text, "%lld", static_cast<long long>(std::llround(limit * scale)));
  Status st = journal_.write(path, text);
  if (!st.ok()) return fail(st.error());
  ch.alertKind = kind;
  st = openAlarm(dir_, ch);
  return st.ok() ? st : fail(st.error());
}

Result<bool> HwmonPowerMonitor::takeAlert(int channel) {
  if (channel < 0 || channel >= channelCount()) {
    return fail(Error::make(EINVAL, "%s: no channel %d", name_.c_str(), channel)).error();
  }
  if (dir_.empty()) return fail(Error::make(ENODEV, "%s: chip not found", name_.c_str())).error();
  Channel& ch = channels_[static_cast<size_t>(channel)];
  if (ch.alarm.path().empty()) {
    return fail(Error::make(ENOTSUP, "%s: channel %d has no alarm file", name_.c_str(), channel))
        .error();
  }
  Result<int64_t> v = readIntInRange(ch.alarm, 0, 1, "");
  if (!v.ok()) return fail(v.error()).error();
  return v.value() == 1;
}

}  // namespace qeil
