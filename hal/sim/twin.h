#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hal/backends.h"
#include "hal/board_spec.h"
#include "hal/result.h"
#include "hal/sim/ina_chip_model.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/sim_i2c_bus.h"
#include "hal/sim/twin_physics.h"
#include "hal/sim/twin_tree.h"
#include "hal/sim/twin_workload.h"

namespace qeil {

// Simulation settings of the twin (the engine, not the board: the board's physics is
// BoardSpec::twin).
struct TwinOptions {
  // Physics step. Power, temperatures, DVFS, workload progress and the INA inputs are held
  // constant over a step; a frequency change lands on the first step boundary at or after its
  // DVFS latency. The last step of a step() call is shortened to land on the requested time.
  int64_t stepUs = 1000;
  // Every sensor period the thermal sensors are read (with noise) into the zones' temp files,
  // the step_wise governor polls (the RK3588 device tree's polling-delay-passive is 100 ms),
  // critical trips are checked, and the hwmon rails and frequency statistics are published.
  int64_t sensorPeriodMs = 100;
  CgroupVersion cgroupVersion = CgroupVersion::V2;
  std::string cpuGovernor = "schedutil";
  std::string devfreqGovernor = "simple_ondemand";
};

// The board twin (ARCHITECTURE.md "Board twin"): a board simulated from its BoardSpec, behind
// the same files and register maps the Linux backends read on hardware.
//
// - The tree: create() writes a fake sysfs/procfs/cgroup tree under `rootDir` for the spec
//   (CPUs and their online files, one cpufreq policy per CPU device, devfreq for GPUs/NPUs
//   that name a node, thermal zones with trips and cooling devices, hwmon chips for "hwmon"
//   rails, PSI, a cgroup hierarchy). I2C rails are InaChipModel register maps on a SimI2cBus
//   per bus number: the twin is the I2cBusProvider a HalContext hands to the real drivers.
// - Physics per step: per-core dynamic power C f V^2 * activity (activity = the share of the
//   step a core was busy), the twin's BSIM-style leakage (TwinDevice) at the zone's die
//   temperature, idle power; power-gated accelerators draw nothing while no workload runs on
//   them. Each zone is a two-node network (TwinZone) heated by its devices (a zone without
//   devices, like a package sensor, by all of them) from an ambient with a slow sinusoidal
//   drift. DRAM traffic costs BoardSpec::dramJPerByte on the rail carrying the base power.
//   Rail power = (fed devices' power [+ DRAM]) / vrmEfficiency [+ baseW]; a rail with sub-rails
//   also carries the devices they feed.
// - The kernel's part: frequencies follow the governor in the tree (performance: the highest
//   allowed OPP; powersave: the lowest; userspace: held; anything else schedutil-like: the
//   lowest OPP >= 1.25 * utilisation * current frequency) within scaling_min/max_freq (devfreq
//   min/max_freq), the step_wise thermal cap and a power mode's cap, after dvfsLatencyUs. A
//   passive trip's step_wise governor lowers the cooled devices' highest OPP one step per poll
//   above the trip and raises it back below trip - hysteresis; each entry into throttling is
//   one throttle event. A sensed temperature at a critical trip shuts the board down (every
//   rail drops to 0 W, workloads crash): shutDown() reports it.
// - Read back at the start of every step() call: governors and limits, cpuN/online, and the
//   cpusets of the workloads' cgroups. Attach the agent's journal to cgroupTree() so groups
//   it creates get their control files, as the kernel would give them.
// - Faults, each seen through the real backends as on hardware: setRailNack (ENXIO from the
//   bus), setSensorStuck (a temp file that stops changing, and a governor that no longer sees
//   the heat), setCpuOnline (online = 0, threads migrate), loseAccelerator (the devfreq node
//   disappears, its workloads crash), crashWorkload (the process is gone from its cgroup).
//
// Deterministic: the same spec, options, seed (TwinParams::seed) and calls give the same
// trace. The twin owns the clock: advance it only through step(). Nothing in step() allocates.
class BoardTwin final : public I2cBusProvider {
 public:
  static Result<std::unique_ptr<BoardTwin>> create(const BoardSpec& spec,
                                                   const std::string& rootDir, SimClock& clock,
                                                   const TwinOptions& options = TwinOptions());
  ~BoardTwin() override;
  BoardTwin(const BoardTwin&) = delete;
  BoardTwin& operator=(const BoardTwin&) = delete;

  // Advances the simulation (and the clock) by dtS seconds.
  void step(double dtS);
  void stepNs(int64_t ns);

  // ---- the hardware the backends see ----
  SysRoot sysRoot() const { return SysRoot(tree_->rootDir()); }
  const std::string& rootDir() const { return tree_->rootDir(); }
  FakeSysfs& sysfs() { return tree_->sysfs(); }
  FakeCgroupTree& cgroupTree() { return tree_->cgroups(); }
  // The simulated adapter for an I2C bus number; nullptr when no rail sits on it.
  SimI2cBus* i2cBus(int number);
  // I2cBusProvider: ENODEV for a bus without rails.
  Result<I2cBus*> bus(int number) override;
  // The register model serving an I2C or hwmon rail; nullptr for an unknown name.
  InaChipModel* railChip(const std::string& rail);

  // ---- workloads ----
  // Starts a workload now; returns its id. Creates its cgroup when missing and lists its pid
  // there. Allocates (not for the sampling path). At most kMaxWorkloads at a time: when every
  // slot is taken, the first finished (done or crashed) workload's slot and id are reused (its
  // pid changes: compare workloadPid() to tell), so long runs can start any number in turn.
  Result<int> addWorkload(const LlmWorkloadSpec& spec);
  WorkloadStatus workload(int id) const;
  size_t workloadCount() const { return workloads_.size(); }
  pid_t workloadPid(int id) const;

  // ---- faults ----
  Status setRailNack(const std::string& rail, bool nack);
  Status setSensorStuck(const std::string& zone, bool stuck);
  Status setCpuOnline(int cpu, bool online);
  Status loseAccelerator(const std::string& device);
  Status crashWorkload(int id);
  // Holds the ambient at `c` (plus the spec's drift) from now on.
  void setAmbientC(double c) { ambientBaseC_ = c; }

  // ---- ground truth, for tests and benches ----
  int deviceIndex(const std::string& name) const;
  int zoneIndex(const std::string& name) const;
  int railIndex(const std::string& name) const;
  uint64_t curFreqHz(int device) const;
  double devicePowerW(int device) const { return devices_[device].powerW; }
  double deviceEnergyJ(int device) const { return devices_[device].energyJ; }
  double railPowerW(int rail) const { return rails_[rail].powerW; }
  double railEnergyJ(int rail) const { return rails_[rail].energyJ; }
  double baseEnergyJ() const { return baseEnergyJ_; }  // baseW over the time the board was on
  double dramEnergyJ() const { return dramEnergyJ_; }
  double dieTempC(int zone) const { return zones_[zone].temps.dieC; }
  double sinkTempC(int zone) const { return zones_[zone].temps.sinkC; }
  double ambientC() const { return ambientC_; }
  int coolingState(int zone) const { return zones_[zone].governor.state; }
  uint64_t throttleEvents(int zone) const { return zones_[zone].governor.events; }
  uint64_t throttleEvents() const;  // every zone
  double throttledS(int zone) const;
  double dramFactor() const { return solver_.dramFactor(); }
  CpuSet onlineCpus() const { return online_; }
  bool shutDown() const { return shutdownNs_ >= 0; }
  int64_t shutdownNs() const { return shutdownNs_; }
  // The zone whose critical trip shut the board down; empty while running.
  const std::string& shutdownZone() const;
  const BoardSpec& spec() const { return spec_; }

 private:
  struct Device {
    TwinDevice phys;
    int zone = -1;
    bool cpu = true;
    std::vector<int> cpus;
    int onlineCores = 0;
    // DVFS, as OPP indices
    int cur = 0;
    int pending = -1;  // -1: no change in flight
    int64_t applyAtNs = 0;
    int userMin = 0;
    int userMax = 0;
    int thermalCap = 0;
    int modeCap = 0;
    twin::Governor governor = twin::Governor::Schedutil;
    double util = 0.0;
    bool lost = false;
    bool powered = true;
    double busyS = 0.0;  // accelerators: this step
    double powerW = 0.0;
    double energyJ = 0.0;
  };
  struct Zone {
    TwinZone phys;
    twin::ZoneTemps temps;
    bool hasPassive = false;
    double passiveC = 0.0;
    double hystC = 0.0;
    double criticalC = 0.0;
    bool hasCritical = false;
    twin::StepWise governor;
    int64_t throttledNs = 0;
    bool stuck = false;
    double sensedC = 0.0;
    std::vector<int> devices;  // heated by; empty: all
    std::vector<int> cooled;
    double powerW = 0.0;
  };
  struct Rail {
    std::vector<int> devices;
    double baseW = 0.0;  // base power through it (its own and its sub-rails')
    bool dram = false;   // DRAM traffic power flows through it
    double busV = 5.0;
    InaChipModel* chip = nullptr;
    int channel = 0;
    int i2cBus = -1;
    uint8_t address = 0;
    int hwmonChip = -1;  // index into the tree's hwmon chips
    double powerW = 0.0;
    double energyJ = 0.0;
  };

  BoardTwin(const BoardSpec& spec, SimClock& clock, const TwinOptions& options);
  Status init();
  Status initDevices();
  Status initZones();
  Status initRails();
  void applyPowerMode();

  void readBack();
  void physicsStep(int64_t ns);
  void updateFrequencies(int64_t nowNs);
  void applyTransitions(int64_t nowNs);
  int targetOpp(const Device& d) const;
  void runWorkloads(double dtS);
  void updatePower(double dtS);
  void updateThermal(double dtS);
  void updateRails(double dtS);
  void sensorTick();
  void publishHwmon();
  void shutdown(int zone);
  void setCoreOnline(int cpu, bool online);
  void updateWorkloadCpus(twin::Workload& w);
  double ambientAt(int64_t ns) const;
  int oppAtMost(const Device& d, uint64_t hz) const;
  int oppAtLeast(const Device& d, uint64_t hz) const;
  size_t index(const Device& d) const { return static_cast<size_t>(&d - devices_.data()); }

  BoardSpec spec_;
  SimClock& clock_;
  TwinOptions options_;
  std::unique_ptr<twin::TwinTree> tree_;
  std::vector<Device> devices_;
  std::vector<Zone> zones_;
  std::vector<Rail> rails_;
  std::map<int, std::unique_ptr<SimI2cBus>> buses_;
  std::vector<std::unique_ptr<InaChipModel>> chips_;
  std::vector<std::unique_ptr<InaChipModel>> hwmonModels_;  // per tree hwmon chip
  std::vector<twin::HwmonChipLayout> hwmonLayout_;
  std::vector<int> cpuDevice_;
  std::vector<double> cpuBusyS_;
  CpuSet online_;
  CpuSet deviceCpus_;  // CPUs some CPU device owns
  std::vector<twin::DeviceRate> rates_;
  std::vector<twin::Workload> workloads_;
  twin::WorkloadSolver solver_;
  twin::Rng sensorRng_;
  double ambientBaseC_ = 25.0;
  double ambientC_ = 25.0;
  double dramBandwidthBps_ = 0.0;
  double dramW_ = 0.0;
  double baseEnergyJ_ = 0.0;
  double dramEnergyJ_ = 0.0;
  int64_t startNs_ = 0;
  int64_t nextSensorNs_ = 0;
  int64_t shutdownNs_ = -1;
  int shutdownZone_ = -1;
  pid_t nextPid_ = 4000;
};

}  // namespace qeil
