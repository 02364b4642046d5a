// The agent's fault handling and event-driven re-planning (issue 7 "Faults"): sensors that stop
// answering or freeze fall back to the energy model's estimate, CPUs going offline and lost
// accelerators become unavailable to the planner, crashed workloads restart, and a thermal
// margin crossed, a fault or model drift re-plan within the tick that saw them.
#include <signal.h>

#include <cmath>

#include "agent/agent.h"
#include "energy/board_soc.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule logFaults("faults");

const char* healthWord(scheduler::DeviceHealth h) {
  switch (h) {
    case scheduler::DeviceHealth::Ok:
      return "available";
    case scheduler::DeviceHealth::Offline:
      return "offline";
    case scheduler::DeviceHealth::Lost:
      return "lost";
  }
  return "?";
}

}  // namespace

const char* replanTriggerName(ReplanTrigger t) {
  switch (t) {
    case ReplanTrigger::None:
      return "none";
    case ReplanTrigger::Workloads:
      return "workloads";
    case ReplanTrigger::Period:
      return "period";
    case ReplanTrigger::Policy:
      return "policy";
    case ReplanTrigger::ThermalMargin:
      return "thermal-margin";
    case ReplanTrigger::Fault:
      return "fault";
    case ReplanTrigger::Drift:
      return "drift";
    case ReplanTrigger::PowerAlert:
      return "power-alert";
    case ReplanTrigger::Count:
      break;
  }
  return "?";
}

void Agent::initFaults() {
  zoneTempC_.fill(NAN);
  plannedOpp_.fill(-1);
  auto online = CpuOnline::create(ctx_->root);
  if (online.ok()) {
    cpuOnline_ = std::move(online.value());
  } else {
    warnings_.push_back(std::string("cpu hotplug: ") + online.error().message());
  }
  Result<energy::SocSpec> soc = energy::socFromBoard(board_);
  if (!soc.ok()) return;  // the planner's warning says why
  soc_ = soc.value();
  haveSoc_ = true;
  zoneWatch_.assign(board_.zones.size(), FrozenSensorDetector());
  for (size_t z = 0; z < board_.zones.size(); ++z)
    zoneWatch_[z].init(soc_.zones[z]);
  // Each rail carries its devices and its sub-rails'.
  railDevices_.assign(board_.rails.size(), 0);
  railBaseW_.assign(board_.rails.size(), 0.0);
  railDram_.assign(board_.rails.size(), false);
  for (size_t r = 0; r < soc_.rails.size(); ++r) {
    uint32_t mask = 0;
    for (int d : soc_.rails[r].devices)
      mask |= 1u << d;
    for (int up = static_cast<int>(r); up >= 0; up = soc_.rails[static_cast<size_t>(up)].parent) {
      railDevices_[static_cast<size_t>(up)] |= mask;
      railBaseW_[static_cast<size_t>(up)] += soc_.rails[r].baseW;
      if (soc_.rails[r].carriesDram) railDram_[static_cast<size_t>(up)] = true;
    }
  }
  std::array<uint32_t, energy::kMaxZones> zoneDevices{};
  std::array<double, energy::kMaxZones> passiveC{};
  passiveC.fill(NAN);
  for (size_t z = 0; z < board_.zones.size(); ++z) {
    const BoardZone& bz = board_.zones[z];
    for (const BoardTrip& t : bz.trips) {
      if (t.type == TripType::Passive) {
        passiveC[z] = t.tempC;
        break;
      }
    }
    for (const std::string& name : bz.cooledDevices) {
      int d = indexByName(board_.devices, name);
      if (d >= 0) zoneDevices[z] |= 1u << d;
    }
    if (zoneDevices[z] == 0) {
      for (size_t d = 0; d < soc_.devices.size(); ++d) {
        if (soc_.devices[d].zone == static_cast<int>(z)) zoneDevices[z] |= 1u << d;
      }
    }
  }
  margin_.init(soc_, zoneDevices, passiveC);
  // One fit per rail whose devices no other rail holds yet: leaves first, so a parent keeps
  // only what its sub-rails do not carry (MODEL.md §7: never a sub-rail's devices twice).
  calRail_.fill(-1);
  Status s = calibration_.init(soc_, static_cast<double>(options_.tickMs) / 1000.0,
                               energy::CalibrationConfig());
  for (size_t r = 0; s.ok() && r < soc_.rails.size(); ++r) {
    const auto& devs = soc_.rails[r].devices;
    if (devs.empty()) continue;
    Result<int> fit = calibration_.addRail(devs.data(), devs.size());
    if (fit.ok()) calRail_[r] = fit.value();
  }
}

// MODEL.md §7: each measured rail's power (less the base power the board file puts on it, which
// the model counts apart) against its devices' operating points, the plan's activity and their
// zones' temperatures. Fixed-size RLS updates: no allocation.
void Agent::feedCalibration() {
  if (!haveSoc_) return;
  std::array<energy::RailDeviceSample, energy::kMaxRailDevices> samples;
  for (size_t r = 0; r < rails_.size(); ++r) {
    if (calRail_[r] < 0 || !rails_[r].valid || rails_[r].estimated) continue;
    energy::RailFit& fit = calibration_.rail(static_cast<size_t>(calRail_[r]));
    bool ok = true;
    for (size_t slot = 0; slot < fit.deviceCount() && ok; ++slot) {
      const size_t d = static_cast<size_t>(fit.device(slot));
      const energy::DeviceSpec& dev = soc_.devices[d];
      energy::RailDeviceSample& s = samples[slot];
      ok = devices_[d].valid || !hal_->domains[d];
      s.opp = dev.opps[dev.opps.size() - 1];
      for (const energy::Opp& o : dev.opps) {
        if (devices_[d].valid && o.freqHz >= static_cast<double>(devices_[d].curHz) - 1.0) {
          s.opp = o;
          break;
        }
      }
      s.activeCores = activeCores_[d];
      s.activity = activeCores_[d] > 0.0 ? 1.0 : 0.0;
      const int z = dev.zone;
      s.tempC = z >= 0 && !std::isnan(zoneTempC_[static_cast<size_t>(z)])
                    ? zoneTempC_[static_cast<size_t>(z)]
                    : soc_.ambientC;
      s.powered = devices_[d].health == scheduler::DeviceHealth::Ok &&
                  (dev.alwaysPowered || activeCores_[d] > 0.0);
    }
    if (!ok) continue;
    // The fit has no DRAM term: left in, the DRAM traffic's power would be learnt as the busy
    // device's (imx8mp: its NPU looked dearer than its slow GPU).
    const double dramW = railDram_[r] ? plannedDramW_ : 0.0;
    const double powerW = rails_[r].powerW - soc_.rails[r].baseW - dramW;
    if (powerW >= 0.0) (void)fit.update(powerW, samples.data(), fit.deviceCount());
  }
}

// The workloads a killed daemon had accepted. Twin mode: a recorded process still running in
// this twin is an orphan of that daemon; it ends here and resumes below for the tokens left.
std::vector<SavedWorkload> Agent::loadSavedWorkloads() {
  if (options_.journalPath.empty()) return {};
  auto saved = loadWorkloads(options_.journalPath + ".workloads");
  if (!saved.ok()) {
    warnings_.push_back(std::string("workloads: ") + saved.error().message());
    return {};
  }
  if (twin_) {
    for (const SavedWorkload& w : saved.value()) {
      if (w.launcherId >= 0 && static_cast<size_t>(w.launcherId) < twin_->workloadCount() &&
          twin_->workload(w.launcherId).state == WorkloadState::Running)
        (void)twin_->crashWorkload(w.launcherId);
    }
  }
  return saved.value();
}

// After recover(): every recorded run workload starts again under its id; a recorded attached
// process still alive is attached again. Board mode: a recorded run process still alive (it
// outlived the daemon) is attached, not started twice.
void Agent::resumeSavedWorkloads(const std::vector<SavedWorkload>& saved, int64_t nowNs) {
  for (const SavedWorkload& w : saved) {
    const bool alive = !twin_ && w.pid > 0 && kill(w.pid, 0) == 0;
    Result<int> id = w.origin == WorkloadOrigin::Run && !alive
                         ? workloads_->resume(w.id, w.argv, w.model, w.device, w.tokens, nowNs)
                         : (alive ? workloads_->attach(w.pid, nowNs) : Result<int>(0));
    if (id.ok() && id.value() > 0) (void)workloads_->setPriority(id.value(), w.priority);
    if (!id.ok()) {
      warnings_.push_back("workload " + std::to_string(w.id) + ": " + id.error().message());
    } else if (id.value() > 0) {
      warnings_.push_back("workload " + std::to_string(w.id) + ": resumed as " +
                          std::to_string(id.value()));
    }
  }
  if (options_.journalPath.empty()) return;
  recordPath_ = options_.journalPath + ".workloads";
  recordTmpPath_ = recordPath_ + ".tmp";
  workloads_->setOnChange([this] { recordWorkloads(); });
  recordWorkloads();
}

void Agent::recordWorkloads() {
  if (recordPath_.empty()) return;
  Status s = saveWorkloads(*workloads_, recordPath_.c_str(), recordTmpPath_.c_str(),
                           recordBuffer_.data(), recordBuffer_.size());
  if (!s.ok()) QEIL_LOG(logFaults, Warn, "recording the workloads: %s", s.error().message());
}

void Agent::recordWorkloadsIfDue(int64_t nowNs) {
  if (recordPath_.empty() || workloads_->count() == 0 ||
      nowNs - lastRecordNs_ < kRecordPeriodMs * kNsPerMs)
    return;
  lastRecordNs_ = nowNs;
  recordWorkloads();
}

void Agent::requestReplan(ReplanTrigger why) {
  // The first reason of a tick names its re-plan.
  if (pending_ == ReplanTrigger::None) pending_ = why;
}

// The model's power of every device now: its frequency, its zone's temperature, and how busy
// the plan says it is.
void Agent::estimateDevices() {
  if (!haveSoc_) return;
  for (size_t d = 0; d < soc_.devices.size(); ++d) {
    const energy::DeviceSpec& dev = soc_.devices[d];
    const double freqHz = devices_[d].valid ? static_cast<double>(devices_[d].curHz) : 0.0;
    const int z = dev.zone;
    const double tempC = z >= 0 && !std::isnan(zoneTempC_[static_cast<size_t>(z)])
                             ? zoneTempC_[static_cast<size_t>(z)]
                             : soc_.ambientC;
    deviceEstW_[d] = devices_[d].health == scheduler::DeviceHealth::Ok
                         ? estimateDevicePowerW(dev, freqHz, tempC, activeCores_[d])
                         : 0.0;
    deviceHeatW_[d] = deviceEstW_[d];
  }
  // What heats the zones: a measured rail drawing more than the model says puts the excess on
  // its busy devices, in proportion to their planned activity (the model's idle and base
  // power are the better known part). A rail standing in with an estimate adds nothing.
  for (size_t r = 0; r < rails_.size(); ++r) {
    if (!topLevel_[r] || !rails_[r].valid || rails_[r].estimated) continue;
    const double excessW = rails_[r].powerW - estimateRailW(r);
    double busy = 0.0;
    for (size_t d = 0; d < soc_.devices.size(); ++d) {
      if (railDevices_[r] & (1u << d)) busy += activeCores_[d];
    }
    if (!(excessW > 0.0) || !(busy > 0.0)) continue;
    for (size_t d = 0; d < soc_.devices.size(); ++d) {
      if (railDevices_[r] & (1u << d)) deviceHeatW_[d] += excessW * activeCores_[d] / busy;
    }
  }
}

double Agent::estimateRailW(size_t r) const {
  if (!haveSoc_) return NAN;
  double w = railBaseW_[r];
  for (size_t d = 0; d < soc_.devices.size(); ++d) {
    if (railDevices_[r] & (1u << d)) w += deviceEstW_[d];
  }
  return w;
}

// CPU clusters with every CPU offline, accelerators whose devfreq node is gone, and those
// without devfreq that the launcher found gone (lost until the board file is reloaded: nothing
// to re-probe them by).
void Agent::checkDevices() {
  const std::string gone = workloads_->takeGoneDevice();
  const int goneIndex = gone.empty() ? -1 : indexByName(board_.devices, gone);
  CpuSet online;
  bool haveOnline = false;
  if (cpuOnline_) {
    Result<CpuSet> o = cpuOnline_->readOnline();
    haveOnline = o.ok();
    if (haveOnline) online = o.value();
  }
  for (size_t d = 0; d < devices_.size(); ++d) {
    const BoardDevice& bd = board_.devices[d];
    scheduler::DeviceHealth h = devices_[d].health;
    if (bd.kind == HwDeviceKind::Cpu) {
      if (!haveOnline) continue;
      bool any = false;
      for (int c = 0; c < CpuSet::kMaxCpus && !any; ++c)
        any = bd.cpus.contains(c) && online.contains(c);
      h = any ? scheduler::DeviceHealth::Ok : scheduler::DeviceHealth::Offline;
    } else {
      if (!hal_->domains[d]) {
        if (static_cast<int>(d) != goneIndex) continue;
        h = scheduler::DeviceHealth::Lost;
      } else {
        h = devices_[d].valid ? scheduler::DeviceHealth::Ok : scheduler::DeviceHealth::Lost;
      }
    }
    if (h == devices_[d].health) continue;
    QEIL_LOG(logFaults, Warn, "device %s: %s", bd.name.c_str(), healthWord(h));
    devices_[d].health = h;
    if (planner_ && d < energy::kMaxDevices) planner_->setDeviceHealth(d, h);
    ++faultEvents_;
    requestReplan(ReplanTrigger::Fault);
  }
}

// The thermal margin and model drift, after sampling.
void Agent::checkTriggers(int64_t nowNs) {
  if (!haveSoc_ || !planner_) return;
  // The margin guard is qeil's (Phi, MODEL.md §5); a baseline planner runs as its rule says.
  if (!planner_->baselineSelected() &&
      margin_.update(zoneTempC_.data(), zones_.size(), plannedOpp_, nowNs)) {
    for (size_t d = 0; d < soc_.devices.size(); ++d)
      planner_->setThermalCap(d, margin_.cap(d));
    QEIL_LOG(logFaults, Info, "thermal margin: OPP caps changed, re-planning");
    requestReplan(ReplanTrigger::ThermalMargin);
  }
  for (size_t z = 0; z < zones_.size() && z < energy::kMaxZones; ++z)
    zones_[z].inMargin = margin_.inMargin(z);
  // Drift: only over measured top-level rails, while something is planned.
  if (planner_->planned() == 0) return;
  double measuredW = 0.0;
  double estimatedW = 0.0;
  for (size_t r = 0; r < rails_.size(); ++r) {
    if (!topLevel_[r]) continue;
    if (!rails_[r].valid || rails_[r].estimated) return;
    measuredW += rails_[r].powerW;
    estimatedW += estimateRailW(r);
  }
  if (drift_.update(measuredW, estimatedW, nowNs)) {
    QEIL_LOG(logFaults, Info, "model drift: measured %.2f W, the model says %.2f W", measuredW,
             estimatedW);
    requestReplan(ReplanTrigger::Drift);
  }
}

}  // namespace qeil
