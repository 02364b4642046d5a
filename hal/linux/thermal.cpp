#include "hal/linux/thermal.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "hal/linux/sysfs_util.h"

namespace qeil {
namespace {

constexpr size_t kTypeBytes = 64;
// The kernel's THERMAL_TEMP_INVALID: a trip that is not in use.
constexpr int64_t kTempInvalidMC = -274000;

// Every <classDir>/<prefix>N/type that can be read, with its directory.
Result<std::vector<std::pair<std::string, std::string>>> scanTypes(const std::string& classDir,
                                                                   const char* prefix,
                                                                   Error* firstError) {
  Result<std::vector<int>> ids = listNumbered(classDir, prefix);
  if (!ids.ok()) return ids.error();
  std::vector<std::pair<std::string, std::string>> found;
  for (int id : ids.value()) {
    std::string dir = classDir + "/" + prefix + std::to_string(id);
    char type[kTypeBytes];
    Result<size_t> r = readTextFile(dir + "/type", type, sizeof type);
    if (!r.ok()) {
      if (firstError && firstError->errnum() == 0) *firstError = r.error();
      continue;
    }
    found.emplace_back(dir, type);
  }
  return found;
}

// The directory of the first <prefix>N whose type is `type`; a miss says what was seen.
Result<std::string> findByType(const std::string& classDir, const char* prefix, const char* type) {
  Error firstError;
  auto all = scanTypes(classDir, prefix, &firstError);
  if (!all.ok()) return all.error();
  for (const auto& [dir, t] : all.value()) {
    if (t == type) return dir;
  }
  if (firstError.errnum() != 0) {
    return Error::make(ENODEV, "%s: no %s of type '%s' among %zu readable (first error: %s)",
                       classDir.c_str(), prefix, type, all.value().size(), firstError.message());
  }
  return Error::make(ENODEV, "%s: no %s of type '%s' among %zu", classDir.c_str(), prefix, type,
                     all.value().size());
}

Result<std::vector<std::string>> typesOnly(const std::string& classDir, const char* prefix) {
  auto all = scanTypes(classDir, prefix, nullptr);
  if (!all.ok()) return all.error();
  std::vector<std::string> types;
  for (auto& entry : all.value())
    types.push_back(std::move(entry.second));
  return types;
}

Result<TripType> parseTripType(const char* text, const std::string& path) {
  if (strcmp(text, "active") == 0) return TripType::Active;
  if (strcmp(text, "passive") == 0) return TripType::Passive;
  if (strcmp(text, "hot") == 0) return TripType::Hot;
  if (strcmp(text, "critical") == 0) return TripType::Critical;
  return Error::make(EINVAL, "%s: unknown trip type '%.32s'", path.c_str(), text);
}

}  // namespace

// ---- SysfsThermalZone ----

Result<std::unique_ptr<SysfsThermalZone>> SysfsThermalZone::find(const SysRoot& root,
                                                                 const char* type,
                                                                 const Clock& clock,
                                                                 TempRangeC range) {
  Result<std::string> dir = findByType(root.path(syspath::kThermal), "thermal_zone", type);
  if (!dir.ok()) return dir.error();
  std::unique_ptr<SysfsThermalZone> zone(new SysfsThermalZone(dir.value(), type, clock, range));
  Status st = zone->temp_.open(zone->dir_ + "/temp");
  if (!st.ok()) return st.error();
  st = zone->refreshTrips();
  if (!st.ok()) return st.error();
  return zone;
}

Result<std::vector<std::string>> SysfsThermalZone::listTypes(const SysRoot& root) {
  return typesOnly(root.path(syspath::kThermal), "thermal_zone");
}

Reading SysfsThermalZone::readTempC() {
  Reading r{lastC_, false, clock_.nowNs()};
  Result<int64_t> mC = temp_.readInt();
  if (!mC.ok()) {
    lastError_ = mC.error();
    return r;
  }
  double c = static_cast<double>(mC.value()) / 1000.0;
  if (c < range_.minC || c > range_.maxC) {
    lastError_ = Error::make(ERANGE, "%s: %lld m°C is outside %g..%g °C", temp_.path().c_str(),
                             static_cast<long long>(mC.value()), range_.minC, range_.maxC);
    return r;
  }
  lastC_ = c;
  r.value = c;
  r.valid = true;
  return r;
}

// Reads trip N into `out`: TripRead::End past the last trip, Unused for a disabled one.
Result<SysfsThermalZone::TripRead> SysfsThermalZone::readTrip(int index, TripPoint* out) const {
  char base[64];
  snprintf(base, sizeof base, "/trip_point_%d_", index);
  std::string prefix = dir_ + base;
  if (!pathExists(prefix + "temp")) return TripRead::End;
  Result<int64_t> mC = readIntFile(prefix + "temp");
  if (!mC.ok()) return mC.error();
  if (mC.value() == kTempInvalidMC) return TripRead::Unused;
  // Trips use the default range: a narrower one set for readings must not reject them.
  const TempRangeC range;
  double c = static_cast<double>(mC.value()) / 1000.0;
  if (c < range.minC || c > range.maxC) {
    return Error::make(ERANGE, "%stemp: %lld m°C is outside %g..%g °C", prefix.c_str(),
                       static_cast<long long>(mC.value()), range.minC, range.maxC);
  }
  char text[kTypeBytes];
  Result<size_t> t = readTextFile(prefix + "type", text, sizeof text);
  if (!t.ok()) return t.error();
  Result<TripType> type = parseTripType(text, prefix + "type");
  if (!type.ok()) return type.error();
  out->tempC = c;
  out->type = type.value();
  out->hystC = 0.0;
  if (pathExists(prefix + "hyst")) {
    Result<int64_t> hyst = readIntFileInRange(prefix + "hyst", 0, 100000, "m°C");
    if (!hyst.ok()) return hyst.error();
    out->hystC = static_cast<double>(hyst.value()) / 1000.0;
  }
  return TripRead::Found;
}

Status SysfsThermalZone::refreshTrips() {
  TripTable trips;
  for (int i = 0;; ++i) {
    TripPoint trip;
    Result<TripRead> read = readTrip(i, &trip);
    if (!read.ok()) return read.error();
    if (read.value() == TripRead::End) break;
    if (read.value() == TripRead::Unused) continue;
    if (!trips.push_back(trip)) {
      return Error::make(E2BIG, "%s: more than %zu trip points", dir_.c_str(), kMaxTrips);
    }
  }
  trips_ = trips;
  return {};
}

// ---- SysfsCoolingDevice ----

Result<std::unique_ptr<SysfsCoolingDevice>> SysfsCoolingDevice::find(const SysRoot& root,
                                                                     const char* type,
                                                                     SettingsJournal& journal) {
  Result<std::string> dir = findByType(root.path(syspath::kThermal), "cooling_device", type);
  if (!dir.ok()) return dir.error();
  std::unique_ptr<SysfsCoolingDevice> dev(new SysfsCoolingDevice(dir.value(), type, journal));
  Status st = dev->cur_.open(dev->dir_ + "/cur_state");
  if (st.ok()) st = dev->max_.open(dev->dir_ + "/max_state");
  if (!st.ok()) return st.error();
  Result<int> max = dev->maxState();
  if (!max.ok()) return max.error();
  return dev;
}

Result<std::vector<std::string>> SysfsCoolingDevice::listTypes(const SysRoot& root) {
  return typesOnly(root.path(syspath::kThermal), "cooling_device");
}

Result<int> SysfsCoolingDevice::curState() {
  Result<int64_t> v = readIntInRange(cur_, 0, INT_MAX, "");
  if (!v.ok()) return v.error();
  return static_cast<int>(v.value());
}

Result<int> SysfsCoolingDevice::maxState() {
  Result<int64_t> v = readIntInRange(max_, 0, INT_MAX, "");
  if (!v.ok()) return v.error();
  return static_cast<int>(v.value());
}

Status SysfsCoolingDevice::setCurState(int state) {
  Result<int> max = maxState();
  if (!max.ok()) return max.error();
  if (state < 0 || state > max.value()) {
    return Error::make(EINVAL, "%s: state %d is outside 0..%d", cur_.path().c_str(), state,
                       max.value());
  }
  char text[16];
  snprintf(text, sizeof text, "%d", state);
  return journal_.write(cur_.path(), text);
}

}  // namespace qeil
