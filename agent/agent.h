#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "agent/board_hal.h"
#include "agent/event_loop.h"
#include "agent/planning.h"
#include "agent/telemetry_log.h"
#include "agent/telemetry_ring.h"
#include "agent/verify_sessions.h"
#include "agent/workloads.h"
#include "hal/board_spec.h"
#include "hal/linux/journal.h"
#include "hal/result.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"

namespace qeil {

struct AgentOptions {
  // Board mode: the root every system path is built from. Twin mode: where the twin writes its
  // tree (an existing, empty directory).
  std::string root = "/";
  // The settings journal's state file (restored by the next start after a crash); empty: in
  // memory only.
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
};

// What the agent last read of one rail, and the energy it integrated from its samples.
struct RailState {
  double powerW = 0.0;
  double busV = 0.0;
  double currentA = 0.0;
  bool valid = false;
  double energyJ = 0.0;
  int64_t lastValidNs = -1;
};

struct ZoneState {
  double tempC = 0.0;
  bool valid = false;
};

struct DeviceState {
  uint64_t curHz = 0;
  bool valid = false;
};

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

  EventLoop& loop() { return *loop_; }
  const BoardSpec& board() const { return board_; }
  BoardHal& hal() { return *hal_; }
  SettingsJournal& journal() { return journal_; }
  const Clock& clock() const { return *clock_; }
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
  // Start-up notes (a monitor that did not answer yet, what recover() restored).
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  Agent(const BoardSpec& board, const AgentOptions& options);
  Status init(const Clock& clock);
  Status checkCapacity() const;
  Status startLoop();
  void sampleRails(int64_t nowNs);
  void sampleZones();
  void sampleDevices();
  void onHangup();
  void replanIfDue(int64_t nowNs);

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
  std::unique_ptr<Clock> verifyClock_;
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
};

}  // namespace qeil
