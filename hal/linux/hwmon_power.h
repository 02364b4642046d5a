#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hal/clock.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"
#include "hal/power_monitor.h"
#include "hal/sensor_health.h"

namespace qeil {

// Which chip to read, and which of its rails.
struct HwmonPowerConfig {
  // The hwmon name: "ina3221", or one of the ina2xx family ("ina219", "ina226", "ina260", ...).
  std::string chip;
  // The I2C device the hwmon's `device` symlink ends in ("1-0040"); empty: any.
  std::string i2cDevice;
  // ina3221: the rails to read, by in[123]_label, in channel order; empty: all three channels.
  // ina2xx (no labels in the chip): at most one, the name given to its single rail.
  std::vector<std::string> labels;
};

// A power monitor the kernel owns, read through hwmon (/sys/class/hwmon/hwmonN).
//   ina2xx:  in0_input shunt mV, in1_input bus mV, curr1_input mA, power1_input uW,
//            shunt_resistor uOhm, update_interval ms; alerts curr1_crit, power1_crit,
//            in1_crit, in1_lcrit with their *_alarm files.
//   ina3221: in[123]_label, in[123]_input bus mV, in[456]_input shunt uV, curr[123]_input mA,
//            shunt[123]_resistor uOhm, update_interval ms, no power file (P = V * I);
//            alert curr[123]_crit with curr[123]_crit_alarm.
// hwmonN renumbers when the driver rebinds: after a run of failed reads the monitor goes back
// to probing and finds the chip again by name, device and labels (with back-off).
class HwmonPowerMonitor final : public PowerMonitor {
 public:
  // Fails only on a bad config (unknown chip, labels the chip cannot have); finding the chip
  // is init()'s job.
  static Result<std::unique_ptr<HwmonPowerMonitor>> create(
      const SysRoot& root, HwmonPowerConfig config, const Clock& clock, SettingsJournal& journal,
      HealthTracker::Policy policy = HealthTracker::Policy());

  const char* name() const override { return name_.c_str(); }
  int channelCount() const override { return static_cast<int>(channels_.size()); }
  Status init() override;
  // Never allocates, except when a due re-probe looks for the chip again.
  void sample() override;
  const PowerSample& last(int channel) const override;
  double energyJ(int channel) const override;
  const SensorHealthStats& health() const override { return health_.stats(); }
  const Error& lastError() const override { return lastError_; }
  // Journaled. ina3221 offers OverCurrent only; others answer ENOTSUP.
  Status setAlert(int channel, AlertKind kind, double limit) override;
  Result<bool> takeAlert(int channel) override;

  // The channel reading the rail `label`, or -1.
  int findChannel(const char* label) const;
  const char* channelLabel(int channel) const;
  double shuntOhm(int channel) const;
  int updateIntervalMs() const { return updateIntervalMs_; }
  // Where the chip was found ("<root>/sys/class/hwmon/hwmon3"); empty until then.
  const std::string& hwmonDir() const { return dir_; }

 private:
  enum class Family { Ina2xx, Ina3221 };
  struct Channel {
    std::string label;
    int index = 0;  // hwmon channel number: 1..3 on the ina3221, 1 on the ina2xx
    bool enabled = true;
    double shuntOhm = 0.0;
    bool hasShunt = false;  // decided at open: a failed read closes a file until it reopens
    bool hasPower = false;
    SysfsFile bus;
    SysfsFile shunt;  // optional on the ina2xx (the ina260 has an internal shunt)
    SysfsFile current;
    SysfsFile power;  // ina2xx only
    SysfsFile alarm;
    AlertKind alertKind = AlertKind::OverCurrent;
    PowerSample last;
    EnergyIntegrator energy;
  };

  HwmonPowerMonitor(const SysRoot& root, HwmonPowerConfig config, Family family, const Clock& clock,
                    SettingsJournal& journal, HealthTracker::Policy policy);
  Result<std::string> locate() const;
  bool matches(const std::string& dir) const;
  Status open(const std::string& dir);
  Status openChannel(const std::string& dir, size_t i);
  Status openAlarm(const std::string& dir, Channel& ch);
  Status readChannel(Channel& ch, int64_t nowNs);
  void closeAll();
  void markInvalid(int64_t nowNs);
  const char* alertFile(AlertKind kind, int index, bool alarm, char* buf, size_t cap) const;
  Status fail(Error error);

  SysRoot root_;
  HwmonPowerConfig config_;
  Family family_;
  const Clock& clock_;
  SettingsJournal& journal_;
  HealthTracker health_;
  std::vector<Channel> channels_;
  std::string dir_;
  std::string name_;
  int updateIntervalMs_ = 0;
  Error lastError_;
};

}  // namespace qeil
