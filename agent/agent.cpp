#include "agent/agent.h"

#include <algorithm>
#include <csignal>

#include "hal/linux/monotonic_clock.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule logAgent("agent");

float nanIfInvalid(double value, bool valid) {
  return valid ? static_cast<float>(value) : NAN;
}

}  // namespace

Agent::Agent(const BoardSpec& board, const AgentOptions& options)
    : board_(board), options_(options), journal_(options.journalPath), ring_(options.ringSamples) {}

Agent::~Agent() = default;

Result<std::unique_ptr<Agent>> Agent::create(const BoardSpec& board, const AgentOptions& options) {
  std::unique_ptr<Agent> agent(new Agent(board, options));
  if (!options.twin) {
    agent->realClock_ = std::make_unique<MonotonicClock>();
    agent->i2c_ = std::make_unique<I2cDevBusPool>(SysRoot(options.root));
    Status s = agent->init(*agent->realClock_);
    if (!s.ok()) return s.error();
    return agent;
  }
  agent->ownedClock_ = std::make_unique<SimClock>(0);
  auto twin = BoardTwin::create(board, options.root, *agent->ownedClock_);
  if (!twin.ok()) return twin.error().prefix("twin of %s", board.name.c_str());
  agent->ownedTwin_ = std::move(twin.value());
  agent->twin_ = agent->ownedTwin_.get();
  agent->simClock_ = agent->ownedClock_.get();
  Status s = agent->init(*agent->ownedClock_);
  if (!s.ok()) return s.error();
  return agent;
}

Result<std::unique_ptr<Agent>> Agent::createOnTwin(const BoardSpec& board,
                                                   const AgentOptions& options, BoardTwin& twin,
                                                   SimClock& clock) {
  std::unique_ptr<Agent> agent(new Agent(board, options));
  agent->twin_ = &twin;
  agent->simClock_ = &clock;
  agent->options_.twin = true;
  agent->options_.root = twin.rootDir();
  Status s = agent->init(clock);
  if (!s.ok()) return s.error();
  return agent;
}

Status Agent::checkCapacity() const {
  if (board_.rails.size() > kAgentMaxRails || board_.zones.size() > kAgentMaxZones ||
      board_.devices.size() > kAgentMaxDevices) {
    return Error::make(
        E2BIG, "%s: %zu rails, %zu zones, %zu devices; the agent holds at most %zu, %zu, %zu",
        board_.sourceFile.c_str(), board_.rails.size(), board_.zones.size(), board_.devices.size(),
        kAgentMaxRails, kAgentMaxZones, kAgentMaxDevices);
  }
  if (options_.tickMs <= 0)
    return Error::make(EINVAL, "tick period %lld ms: must be > 0", (long long)options_.tickMs);
  return Status();
}

Status Agent::init(const Clock& clock) {
  clock_ = &clock;
  Status s = checkCapacity();
  if (!s.ok()) return s;
  if (twin_) {
    twin_->cgroupTree().attach(journal_);
    if (!std::isnan(options_.ambientC)) twin_->setAmbientC(options_.ambientC);
  }
  std::vector<SavedWorkload> saved = loadSavedWorkloads();
  s = journal_.recover();
  if (!s.ok()) warnings_.push_back(std::string("recover: ") + s.error().message());
  wallClock_ = std::make_unique<MonotonicClock>();
  s = build(saved);
  if (!s.ok()) return s;
  verify_ = std::make_unique<VerifySessionTable>(*wallClock_);
  auto loop = EventLoop::create();
  if (!loop.ok()) return loop.error();
  loop_ = std::move(loop.value());
  startNs_ = clock.nowNs();
  return Status();
}

// Everything built from the board file (start-up and SIGHUP reload): the HAL objects, the
// launcher and the workload table (resuming `saved`), the planner, the sampled state.
Status Agent::build(const std::vector<SavedWorkload>& saved) {
  I2cBusProvider& buses = twin_ ? static_cast<I2cBusProvider&>(*twin_) : *i2c_;
  ctx_.reset(
      new HalContext{twin_ ? twin_->sysRoot() : SysRoot(options_.root), *clock_, journal_, buses});
  auto hal = buildBoardHal(board_, *ctx_, &warnings_);
  if (!hal.ok()) return hal.error();
  hal_ = std::move(hal.value());
  launcher_ = twin_ ? makeTwinLauncher(*twin_, *hal_->placement, board_)
                    : makeProcessLauncher(*hal_->placement, board_);
  workloads_ = std::make_unique<WorkloadTable>(*launcher_, hal_->placement.get());
  resumeSavedWorkloads(saved, clock_->nowNs());
  auto planner =
      PlanManager::create(board_, options_.planBudgetOnWallClock ? *wallClock_ : *clock_);
  if (planner.ok()) {
    planner_ = std::move(planner.value());
  } else {
    warnings_.push_back(std::string("planner: ") + planner.error().message());
  }
  rails_.assign(board_.rails.size(), RailState());
  zones_.assign(board_.zones.size(), ZoneState());
  devices_.assign(board_.devices.size(), DeviceState());
  topLevel_.clear();
  for (const BoardRail& r : board_.rails)
    topLevel_.push_back(r.parent.empty());
  initFaults();
  programAlerts();
  // A reload starts a new file (numbered after the old ones) with the new board's header.
  if (!options_.telemetryFiles.dir.empty()) {
    auto log = TelemetryLog::create(board_, options_.telemetryFiles, clock_->nowNs());
    if (!log.ok()) return log.error();
    telemetryLog_ = std::move(log.value());
  }
  return Status();
}

void Agent::tick() {
  if (twin_ && options_.simLimitNs >= 0 && simClock_->nowNs() >= options_.simLimitNs) {
    if (tickTimer_) tickTimer_->cancel();  // the test's end of simulated time: hold still
    return;
  }
  if (twin_ && options_.beforeTick) options_.beforeTick(*this);
  const int64_t wallStartNs = wallClock_->nowNs();
  if (twin_) twin_->stepNs(options_.tickMs * kNsPerMs);
  const int64_t wallAgentNs = wallClock_->nowNs();
  timing_.twinStepNs = wallAgentNs - wallStartNs;
  const int64_t nowNs = clock_->nowNs();
  sample_.timeNs = nowNs;
  // A monitor whose chip stopped answering re-probes it with backoff (hal/sensor_health.h);
  // its rails are estimated meanwhile.
  for (auto& monitor : hal_->monitors)
    monitor->sample();
  sampleDevices();
  checkDevices();
  estimateDevices();
  sampleZones(nowNs);
  sampleRails(nowNs);
  feedCalibration();
  workloads_->poll(nowNs);
  if (workloads_->restartCrashed(
          nowNs, [this](const WorkloadEntry& e) { return launcherDeviceFor(e); }) > 0)
    ++faultEvents_;
  checkTriggers(nowNs);
  replanIfDue(nowNs);
  recordWorkloadsIfDue(nowNs);
  ring_.push(sample_);
  if (telemetryLog_) telemetryLog_->append(sample_, nowNs);
  lastTickNs_ = nowNs;
  ++ticks_;
  timing_.tickNs = wallClock_->nowNs() - wallAgentNs;
  timing_.tickMaxNs = std::max(timing_.tickMaxNs, timing_.tickNs);
}

// Where a crashed workload restarts: its planned device while that is available ("cpu" for a
// CPU cluster), else the CPU (the re-plan in the same tick places it).
std::string Agent::launcherDeviceFor(const WorkloadEntry& e) const {
  const std::string& want = e.plannedDevice.empty() ? e.device : e.plannedDevice;
  const int d = indexByName(board_.devices, want);
  if (d < 0) return "cpu";
  const BoardDevice& bd = board_.devices[static_cast<size_t>(d)];
  if (bd.kind == HwDeviceKind::Cpu ||
      devices_[static_cast<size_t>(d)].health != scheduler::DeviceHealth::Ok)
    return "cpu";
  return bd.name;
}

Status Agent::replan() {
  if (!planner_) return Error::make(ENOTSUP, "no planner for this board (see the warnings)");
  lastTrigger_ = pending_ == ReplanTrigger::None ? ReplanTrigger::Policy : pending_;
  pending_ = ReplanTrigger::None;
  ++triggerCounts_[static_cast<size_t>(lastTrigger_)];
  plannedGeneration_ = workloads_->generation();
  lastPlanNs_ = clock_->nowNs();
  // The model's transient starts from what the zones read now.
  for (size_t z = 0; haveSoc_ && z < zones_.size(); ++z) {
    if (!std::isnan(zoneTempC_[z])) planner_->setZoneTempC(z, zoneTempC_[z]);
  }
  if (haveSoc_) planner_->applyCalibration(calibration_);
  const int64_t wallStartNs = wallClock_->nowNs();
  Status s = planner_->replan(*workloads_, *hal_);
  timing_.replanNs = wallClock_->nowNs() - wallStartNs;
  timing_.replanMaxNs = std::max(timing_.replanMaxNs, timing_.replanNs);
  planner_->plannedActivity(&activeCores_);
  plannedDramW_ = planner_->plannedDramW();
  planner_->plannedTopOpp(&plannedOpp_);
  return s;
}

// On an arrival or exit, a fault, a thermal margin crossed, model drift, and at the slow period
// while something is planned; nothing otherwise (the steady-state tick with no workloads does
// not allocate).
void Agent::replanIfDue(int64_t nowNs) {
  if (!planner_) return;
  if (workloads_->generation() != plannedGeneration_) requestReplan(ReplanTrigger::Workloads);
  if (planner_->planned() > 0 && nowNs - lastPlanNs_ >= kReplanPeriodMs * kNsPerMs)
    requestReplan(ReplanTrigger::Period);
  if (pending_ != ReplanTrigger::None) (void)replan();
}

void Agent::sampleRails(int64_t nowNs) {
  for (size_t r = 0; r < rails_.size(); ++r) {
    const RailBinding& b = hal_->rails[r];
    PowerSample s = hal_->monitors[b.monitor]->last(b.channel);
    RailState& state = rails_[r];
    const bool estimate = !s.valid && haveSoc_ && state.lastValidNs >= 0;
    if (estimate != state.estimated) {
      QEIL_LOG(logAgent, Warn, "rail %s: %s", board_.rails[r].name.c_str(),
               estimate ? "not answering, using the model's estimate" : "measured again");
      ++faultEvents_;
      requestReplan(ReplanTrigger::Fault);
    }
    state.estimated = estimate;
    if (estimate) {
      s.powerW = estimateRailW(r);
      s.busV = state.busV;
      s.currentA = state.busV > 0.0 ? s.powerW / state.busV : 0.0;
      s.valid = true;
    }
    if (s.valid && state.lastValidNs >= 0) {
      const double dtS = static_cast<double>(nowNs - state.lastValidNs) / kNsPerS;
      state.energyJ += 0.5 * (s.powerW + state.powerW) * dtS;  // trapezoid
    }
    state.valid = s.valid;
    if (s.valid) {
      state.powerW = s.powerW;
      state.busV = s.busV;
      state.currentA = s.currentA;
      state.lastValidNs = nowNs;
    }
    sample_.railW[r] = nanIfInvalid(s.powerW, s.valid);
  }
}

void Agent::sampleZones(int64_t nowNs) {
  const double dtS = lastTickNs_ >= 0 ? static_cast<double>(nowNs - lastTickNs_) / kNsPerS
                                      : static_cast<double>(options_.tickMs) / 1000.0;
  for (size_t z = 0; z < zones_.size(); ++z) {
    Reading t = hal_->zones[z]->readTempC();
    ZoneState& state = zones_[z];
    if (!haveSoc_) {
      state.valid = t.valid;
      if (t.valid) state.tempC = t.value;
      zoneTempC_[z] = t.valid ? t.value : NAN;
      sample_.zoneC[z] = nanIfInvalid(t.value, t.valid);
      continue;
    }
    // The zone's power: its devices' (a zone without devices, like a package sensor: all).
    double powerW = 0.0;
    bool any = false;
    for (size_t d = 0; d < soc_.devices.size(); ++d) {
      if (soc_.devices[d].zone != static_cast<int>(z)) continue;
      powerW += deviceHeatW_[d];
      any = true;
    }
    for (size_t d = 0; !any && d < soc_.devices.size(); ++d)
      powerW += deviceHeatW_[d];
    bool estimated = false;
    const double c =
        zoneWatch_[z].update(t.valid ? t.value : state.tempC, t.valid, powerW, dtS, &estimated);
    if (estimated != state.estimated) {
      QEIL_LOG(
          logAgent, Warn, "zone %s: %s", board_.zones[z].name.c_str(),
          estimated ? "sensor frozen or unreadable, using the model's estimate" : "measured again");
      ++faultEvents_;
      requestReplan(ReplanTrigger::Fault);
    }
    state.estimated = estimated;
    state.valid = t.valid || (estimated && state.valid);
    if (state.valid) state.tempC = c;
    zoneTempC_[z] = state.valid ? state.tempC : NAN;
    sample_.zoneC[z] = nanIfInvalid(state.tempC, state.valid);
  }
}

void Agent::sampleDevices() {
  for (size_t d = 0; d < devices_.size(); ++d) {
    FreqDomain* domain = hal_->domains[d].get();
    if (!domain) continue;
    Reading f = domain->readCurHz();
    devices_[d].valid = f.valid;
    if (f.valid) devices_[d].curHz = static_cast<uint64_t>(f.value);
    sample_.freqKHz[d] = f.valid ? static_cast<uint32_t>(f.value / 1000.0) : 0;
  }
}

double Agent::boardPowerW() const {
  double w = 0.0;
  for (size_t r = 0; r < rails_.size(); ++r) {
    if (topLevel_[r] && rails_[r].valid) w += rails_[r].powerW;
  }
  return w;
}

double Agent::boardEnergyJ() const {
  double j = 0.0;
  for (size_t r = 0; r < rails_.size(); ++r) {
    if (topLevel_[r]) j += rails_[r].energyJ;
  }
  return j;
}

Status Agent::startLoop() {
  int64_t periodUs = options_.tickMs * 1000;
  if (twin_) periodUs = options_.speed > 0.0 ? static_cast<int64_t>(periodUs / options_.speed) : 0;
  tickTimer_ = std::make_unique<Timer>(*loop_, [this] { tick(); });
  Status s = tickTimer_->start(periodUs);
  if (!s.ok()) return s;
  signals_.clear();
  for (int sig : {SIGTERM, SIGINT}) {
    signals_.push_back(std::make_unique<SignalWatcher>(*loop_, sig, [this, sig] {
      QEIL_LOG(logAgent, Info, "signal %d: stopping", sig);
      loop_->stop();
    }));
  }
  signals_.push_back(std::make_unique<SignalWatcher>(*loop_, SIGHUP, [this] { onHangup(); }));
  s = watchAlerts();
  if (!s.ok()) return s;
  for (auto& w : signals_) {
    s = w->start();
    if (!s.ok()) return s;
  }
  return Status();
}

void Agent::onHangup() {
  (void)reloadBoardFile();
}

Status Agent::run() {
  Status s = startLoop();
  if (s.ok()) s = loop_->run();
  tickTimer_->cancel();
  if (telemetryLog_) telemetryLog_->close();
  Status restored = restore();
  return s.ok() ? restored : s;
}

Status Agent::restore() {
  // The workloads it started go first: their groups must be empty to be removed.
  if (workloads_) workloads_->stopAll();
  size_t entries = journal_.size();
  Status s = journal_.restoreAll();
  if (s.ok()) {
    QEIL_LOG(logAgent, Info, "restored %zu journaled settings", entries);
  } else {
    QEIL_LOG(logAgent, Error, "restore: %s", s.error().message());
  }
  return s;
}

}  // namespace qeil
