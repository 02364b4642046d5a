#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "agent/board_hal.h"
#include "agent/event_loop.h"
#include "agent/faults.h"
#include "agent/planning.h"
#include "agent/telemetry_log.h"
#include "agent/telemetry_ring.h"
#include "agent/verify_sessions.h"
#include "agent/workload_record.h"
#include "agent/workloads.h"
#include "hal/board_spec.h"
#include "hal/linux/cpu_online.h"
#include "hal/linux/journal.h"
#include "hal/result.h"
#include "hal/sim/fake_gpio_line.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"

namespace qeil {

class Agent;

struct AgentOptions {
  // Board mode: the root every system path is built from. Twin mode: where the twin writes its
  // tree (an existing, empty directory).
  std::string root = "/";
  // The settings journal's state file (restored by the next start after a crash); empty: in
  // memory only. The accepted workloads are recorded beside it (<journalPath>.workloads) and
  // resumed by the next start after a crash (agent/workload_record.h).
  std::string journalPath;
  bool twin = false;
  // Twin mode: simulated seconds per wall second; 0 steps tick after tick without sleeping.
  double speed = 1.0;
  double ambientC = NAN;  // twin mode: hold the ambient here; NaN: the board's
  int64_t tickMs = 100;
  size_t ringSamples = 600;  // telemetry kept in memory (60 s at 100 ms)
  // Twin mode: ticks stop (no stepping, no sampling) once the simulated time reaches this, and
  // the loop keeps serving (tests read the twin's truth then); negative: never.
  int64_t simLimitNs = -1;
  // Rotating gzip telemetry files (agent/telemetry_log.h); an empty dir: none.
  TelemetryLogOptions telemetryFiles;
  // Twin mode, tests: called on the loop's thread at the start of every tick, before the twin
  // steps (faults injected at chosen simulated times, without racing the loop).
  std::function<void(Agent&)> beforeTick;
  // PGSAM's time budget (scheduler/pgsam.h) on the monotonic clock, as qeild runs it: it bounds
  // how long a re-plan stalls the loop, also on a twin. false: on the agent's clock, which on a
  // twin holds still during a solve, so the iteration bound ends it and the same inputs give
  // the same plan (tests, benches). On a board both clocks are the monotonic clock.
  bool planBudgetOnWallClock = false;
};

// What the agent last read of one rail, and the energy it integrated from its samples.
struct RailState {
  double powerW = 0.0;
  double busV = 0.0;
  double currentA = 0.0;
  bool valid = false;
  double energyJ = 0.0;
  int64_t lastValidNs = -1;
  // Its monitor stopped answering: powerW is the energy model's estimate (valid stays true)
  // while the monitor re-probes the chip with backoff (hal/sensor_health.h).
  bool estimated = false;
};

struct ZoneState {
  double tempC = 0.0;
  bool valid = false;
  bool estimated = false;  // a frozen or unreadable sensor: the model's RC estimate
  bool inMargin = false;   // within the model's thermal margin of its passive trip
};

struct DeviceState {
  uint64_t curHz = 0;
  bool valid = false;
  // Offline (every CPU of a cluster offline) or Lost (an accelerator's devfreq node gone).
  scheduler::DeviceHealth health = scheduler::DeviceHealth::Ok;
};

// Why the agent re-planned last, and how often each trigger fired.
enum class ReplanTrigger {
  None,
  Workloads,
  Period,
  Policy,
  ThermalMargin,
  Fault,
  Drift,
  PowerAlert,
  Count
};
const char* replanTriggerName(ReplanTrigger t);

// The daemon core (issue 7): builds the board's HAL objects over a root (the real one, or a board
// twin's tree), samples every rail, zone and frequency domain each tick into a fixed ring of
// telemetry, integrates energy, and keeps the state the control API reports. Every setting it
// writes goes through its journal: recover() at start undoes a crashed run, restore on exit.
// One thread (the one calling run(), or tick() in tests) owns everything; tick() never
// allocates.
class Agent {
 public:
  // Twin mode (options.twin) builds its own twin of `board` under options.root.
  static Result<std::unique_ptr<Agent>> create(const BoardSpec& board, const AgentOptions& options);
  // Runs on a twin the caller built (tests: they look at the twin's truth and its tree).
  static Result<std::unique_ptr<Agent>> createOnTwin(const BoardSpec& board,
                                                     const AgentOptions& options, BoardTwin& twin,
                                                     SimClock& clock);
  ~Agent();
  Agent(const Agent&) = delete;
  Agent& operator=(const Agent&) = delete;

  // One sampling tick: steps the twin by a tick (twin mode), then reads every rail, zone and
  // domain. Does nothing once a twin reached simLimitNs.
  void tick();
  // Runs the loop until SIGTERM, SIGINT or requestStop(), then restores every setting.
  Status run();
  // From any thread or a signal handler.
  void requestStop() { loop_->requestStop(); }
  // Undoes every journaled setting (run() does it on its way out).
  Status restore();
  // INA ALERT (BoardRail::alertGpio with alertLimitW): the chip's over-power alert is
  // programmed at the limit and its line watched on the loop; an edge whose chip says the alert
  // fired is a power-cap event: the policy's cap becomes the limit (or stays, if lower) and the
  // agent re-plans at once, logged. Twin mode: the line is a FakeGpioLine tests inject edges
  // into (nothing wires the twin's chip pin to it).
  FakeGpioLine* twinAlertLine(size_t rail);
  uint64_t alertEvents() const { return alertEvents_; }
  // MODEL.md §7 fed each tick from the measured rails (agent_faults.cpp, feedCalibration); its
  // values reach the planner's model at every re-plan.
  const energy::Calibration& calibration() const { return calibration_; }
  // Per rail: its fit in calibration(), -1: not fitted (a sub-rail's devices are on it, or no
  // energy model).
  int calibrationRail(size_t rail) const { return calRail_[rail]; }
  // The alert handler (the line's watcher calls it).
  void onAlert(size_t rail);

  // SIGHUP: reads the board file again (board().sourceFile) and validates it fully, as
  // --check-config does. A bad file changes nothing (each problem logged at its file:line). A
  // good one: every setting is restored (the workloads it started stop), the HAL objects,
  // launcher, planner and sampled state are built from the new file, the workloads resume
  // under their ids for the tokens left, and the next tick re-plans. Twin mode: the file must
  // describe the twin's hardware (the same devices, zones and rails).
  Status reloadBoardFile();

  EventLoop& loop() { return *loop_; }
  const BoardSpec& board() const { return board_; }
  BoardHal& hal() { return *hal_; }
  SettingsJournal& journal() { return journal_; }
  const Clock& clock() const { return *clock_; }
  // Wall time the loop thread spent, on the monotonic clock (also on a twin): the last tick and
  // the longest, the twin's step kept apart (a board has none), the last re-plan and the longest.
  // A request that arrives during a tick waits for it.
  struct LoopTiming {
    int64_t tickNs = 0;
    int64_t tickMaxNs = 0;
    int64_t twinStepNs = 0;
    int64_t replanNs = 0;
    int64_t replanMaxNs = 0;
  };
  const LoopTiming& loopTiming() const { return timing_; }
  const TelemetryRing& telemetry() const { return ring_; }
  // Null without AgentOptions::telemetryFiles.dir.
  TelemetryLog* telemetryLog() { return telemetryLog_.get(); }
  // The control API's verification sessions (idle time on the monotonic clock, also on a twin).
  VerifySessionTable& verifySessions() { return *verify_; }
  const std::vector<RailState>& rails() const { return rails_; }
  const std::vector<ZoneState>& zones() const { return zones_; }
  const std::vector<DeviceState>& devices() const { return devices_; }
  // The board's power and energy: its top-level rails (sub-rails are inside them).
  double boardPowerW() const;
  double boardEnergyJ() const;
  uint64_t ticks() const { return ticks_; }
  int64_t startNs() const { return startNs_; }
  bool twinMode() const { return twin_ != nullptr; }
  const AgentOptions& options() const { return options_; }
  // The workloads it started or attached (twin mode: the twin's simulated processes).
  WorkloadTable& workloads() { return *workloads_; }
  // The planner; null when the energy model cannot hold this board (warnings() says why).
  PlanManager* planner() { return planner_.get(); }
  // Re-plans now (a policy change); also done on workload arrival or exit and every
  // kReplanPeriodMs while workloads are planned.
  Status replan();
  static constexpr int64_t kReplanPeriodMs = 5000;
  // Fault handling and event triggers (agent/faults.h): a re-plan is asked for in the tick that
  // detects the event and made at the end of that same tick.
  void requestReplan(ReplanTrigger why);
  ReplanTrigger lastTrigger() const { return lastTrigger_; }
  uint64_t triggerCount(ReplanTrigger t) const { return triggerCounts_[static_cast<size_t>(t)]; }
  int64_t lastReplanNs() const { return lastPlanNs_; }
  uint64_t faultEvents() const { return faultEvents_; }
  double driftResidualW() const { return drift_.residualW(); }
  // Start-up notes (a monitor that did not answer yet, what recover() restored).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Agent(const BoardSpec& board, const AgentOptions& options);
  Status init(const Clock& clock);
  Status checkCapacity() const;
  Status startLoop();
  void sampleRails(int64_t nowNs);
  void sampleZones(int64_t nowNs);
  std::string launcherDeviceFor(const WorkloadEntry& e) const;
  void sampleDevices();
  void onHangup();
  void replanIfDue(int64_t nowNs);
  void initFaults();
  Status build(const std::vector<SavedWorkload>& saved);
  void programAlerts();
  Status watchAlerts();
  std::vector<std::unique_ptr<GpioLine>> alertLines_;  // per rail; null: no alert line
  std::vector<std::unique_ptr<FdWatcher>> alertWatchers_;
  uint64_t alertEvents_ = 0;
  std::vector<SavedWorkload> loadSavedWorkloads();
  void resumeSavedWorkloads(const std::vector<SavedWorkload>& saved, int64_t nowNs);
  // The tokens of the recorded workloads, every kRecordPeriodMs while some run (with a
  // journal file only: the record's rewrite allocates).
  void recordWorkloadsIfDue(int64_t nowNs);
  static constexpr int64_t kRecordPeriodMs = 1000;
  int64_t lastRecordNs_ = 0;
  void recordWorkloads();
  std::string recordPath_;  // <journalPath>.workloads; empty: none
  std::string recordTmpPath_;
  std::array<char, 32 * 1024> recordBuffer_{};
  void estimateDevices();
  double estimateRailW(size_t r) const;
  void checkDevices();
  void checkTriggers(int64_t nowNs);
  void feedCalibration();
  energy::Calibration calibration_;
  std::array<int, kAgentMaxRails> calRail_{};

  BoardSpec board_;
  AgentOptions options_;
  SettingsJournal journal_;
  std::unique_ptr<SimClock> ownedClock_;
  std::unique_ptr<BoardTwin> ownedTwin_;
  BoardTwin* twin_ = nullptr;
  SimClock* simClock_ = nullptr;
  const Clock* clock_ = nullptr;
  std::unique_ptr<I2cBusProvider> i2c_;
  std::unique_ptr<HalContext> ctx_;
  std::unique_ptr<BoardHal> hal_;
  std::unique_ptr<WorkloadLauncher> launcher_;
  std::unique_ptr<WorkloadTable> workloads_;
  std::unique_ptr<PlanManager> planner_;
  uint64_t plannedGeneration_ = 0;
  int64_t lastPlanNs_ = 0;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<Timer> tickTimer_;
  std::vector<std::unique_ptr<SignalWatcher>> signals_;
  TelemetryRing ring_;
  std::unique_ptr<TelemetryLog> telemetryLog_;
  std::unique_ptr<Clock> wallClock_;  // monotonic: verification sessions, loop timing
  std::unique_ptr<VerifySessionTable> verify_;
  TelemetrySample sample_;
  std::vector<RailState> rails_;
  std::vector<ZoneState> zones_;
  std::vector<DeviceState> devices_;
  std::vector<bool> topLevel_;
  std::vector<std::string> warnings_;
  std::unique_ptr<Clock> realClock_;
  uint64_t ticks_ = 0;
  int64_t startNs_ = 0;
  // Fault handling (agent/faults.h); sized at init, nothing allocated per tick.
  bool haveSoc_ = false;
  energy::SocSpec soc_;
  std::vector<FrozenSensorDetector> zoneWatch_;
  std::vector<uint32_t> railDevices_;  // per rail: the devices it carries (sub-rails' too)
  std::vector<double> railBaseW_;
  std::vector<bool> railDram_;  // it or a sub-rail carries the DRAM traffic's power
  double plannedDramW_ = 0.0;
  std::array<double, energy::kMaxDevices> activeCores_{};
  std::array<double, energy::kMaxDevices> deviceEstW_{};   // the model's power per device
  std::array<double, energy::kMaxDevices> deviceHeatW_{};  // with a measured rail's excess
  std::array<double, kAgentMaxZones> zoneTempC_{};
  std::array<int, energy::kMaxDevices> plannedOpp_{};
  ThermalMarginWatch margin_;
  DriftWatch drift_;
  std::unique_ptr<CpuOnline> cpuOnline_;
  ReplanTrigger pending_ = ReplanTrigger::None;
  ReplanTrigger lastTrigger_ = ReplanTrigger::None;
  std::array<uint64_t, static_cast<size_t>(ReplanTrigger::Count)> triggerCounts_{};
  uint64_t faultEvents_ = 0;
  int64_t lastTickNs_ = -1;
  LoopTiming timing_;
};

}  // namespace qeil
