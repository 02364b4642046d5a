#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/clock.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"
#include "hal/thermal_zone.h"

namespace qeil {

// Temperatures a working sensor can report; anything outside is a fault, not a measurement.
// Trip points are always checked against the default range.
struct TempRangeC {
  double minC = -60.0;
  double maxC = 200.0;
};

// /sys/class/thermal/thermal_zoneN, found by its type. `temp` is held open (m°C); trips are
// trip_point_N_{temp,type,hyst} (hyst is optional: only writable trips have it on some kernels).
class SysfsThermalZone final : public ThermalZone {
 public:
  static Result<std::unique_ptr<SysfsThermalZone>> find(const SysRoot& root, const char* type,
                                                        const Clock& clock,
                                                        TempRangeC range = TempRangeC());
  // The type of every zone, in zone order (unreadable ones are left out).
  static Result<std::vector<std::string>> listTypes(const SysRoot& root);

  const char* type() const override { return type_.c_str(); }
  // Never allocates. Invalid (with lastError()) when the read fails or is implausible.
  Reading readTempC() override;
  const TripTable& trips() const override { return trips_; }
  Status refreshTrips() override;

  const std::string& dir() const { return dir_; }
  const Error& lastError() const { return lastError_; }

 private:
  SysfsThermalZone(std::string dir, std::string type, const Clock& clock, TempRangeC range)
      : dir_(std::move(dir)), type_(std::move(type)), clock_(clock), range_(range) {}
  enum class TripRead { Found, Unused, End };
  Result<TripRead> readTrip(int index, TripPoint* out) const;

  std::string dir_;
  std::string type_;
  const Clock& clock_;
  TempRangeC range_;
  SysfsFile temp_;
  TripTable trips_;
  double lastC_ = 0.0;
  Error lastError_;
};

// /sys/class/thermal/cooling_deviceN, found by its type ("pwm-fan", "cpufreq-cpu4").
// setCurState is journaled and restored when the agent exits.
class SysfsCoolingDevice final : public CoolingDevice {
 public:
  static Result<std::unique_ptr<SysfsCoolingDevice>> find(const SysRoot& root, const char* type,
                                                          SettingsJournal& journal);
  static Result<std::vector<std::string>> listTypes(const SysRoot& root);

  const char* type() const override { return type_.c_str(); }
  Result<int> curState() override;
  Result<int> maxState() override;
  // Refuses a state outside 0..max_state before writing anything.
  Status setCurState(int state) override;

  const std::string& dir() const { return dir_; }

 private:
  SysfsCoolingDevice(std::string dir, std::string type, SettingsJournal& journal)
      : dir_(std::move(dir)), type_(std::move(type)), journal_(journal) {}

  std::string dir_;
  std::string type_;
  SettingsJournal& journal_;
  SysfsFile cur_;
  SysfsFile max_;
};

}  // namespace qeil
