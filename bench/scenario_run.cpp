#include "bench/scenario_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <deque>
#include <memory>

#include "agent/agent.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"
#include "tests/support/temp_dir.h"

namespace qeil::bench::scenario {
namespace {

verify::SessionConfig sessionFor(verify::Rule rule, int kMax) {
  verify::SessionConfig c;
  c.rule = rule;
  c.kMax = kMax;
  return c;
}

// The kernel's power_allocator in outline: a PID on the hottest zone's distance to its control
// temperature (the lowest passive trip less 3 K) around the sustainable power (what holds that
// zone at the control temperature: (control - ambient) / R_th), granted as a board power cap.
class PowerAllocator {
 public:
  PowerAllocator(const BoardSpec& board, double ambientC) {
    for (const BoardZone& z : board.zones) {
      for (const BoardTrip& t : z.trips) {
        if (t.type != TripType::Passive || z.rThKPerW <= 0.0) continue;
        const double control = t.tempC - 3.0;
        const double sus = (control - ambientC) / z.rThKPerW;
        if (controlC_ == 0.0 || control < controlC_) {
          controlC_ = control;
          sustainableW_ = std::max(0.5, sus);
        }
        break;
      }
    }
  }
  bool active() const { return controlC_ > 0.0; }
  // The budget after `dtS` at `hottestC`.
  double update(double hottestC, double dtS) {
    const double err = controlC_ - hottestC;
    const double kp = sustainableW_ / 10.0;   // W per K
    const double ki = sustainableW_ / 100.0;  // W per K s
    integral_ = std::clamp(integral_ + err * dtS, -50.0, 50.0);
    return std::max(0.1 * sustainableW_, sustainableW_ + kp * err + ki * integral_);
  }

 private:
  double controlC_ = 0.0;
  double sustainableW_ = 0.0;
  double integral_ = 0.0;
};

double topRailsEnergyJ(const BoardTwin& twin, const BoardSpec& board) {
  double j = 0.0;
  for (size_t r = 0; r < board.rails.size(); ++r) {
    if (board.rails[r].parent.empty()) j += twin.railEnergyJ(static_cast<int>(r));
  }
  return j;
}

double topRailsPowerW(const BoardTwin& twin, const BoardSpec& board) {
  double w = 0.0;
  for (size_t r = 0; r < board.rails.size(); ++r) {
    if (board.rails[r].parent.empty()) w += twin.railPowerW(static_cast<int>(r));
  }
  return w;
}

double hottestC(const BoardTwin& twin, const BoardSpec& board) {
  double t = -273.0;
  for (size_t z = 0; z < board.zones.size(); ++z)
    t = std::max(t, twin.dieTempC(static_cast<int>(z)));
  return t;
}

const char* kFaultKinds[] = {"rail-nack", "sensor-stuck", "cpu-offline", "accelerator-lost",
                             "workload-crash"};

}  // namespace

std::vector<ConfigSpec> standardConfigs() {
  std::vector<ConfigSpec> out;
  auto add = [&](const char* name, PlannerKind p, const char* cpuGov, const char* devGov,
                 verify::Rule rule, int k, bool ipa) {
    ConfigSpec c;
    c.name = name;
    c.planner = p;
    c.cpuGovernor = cpuGov;
    c.devfreqGovernor = devGov;
    c.session = sessionFor(rule, k);
    c.ipa = ipa;
    out.push_back(c);
  };
  using verify::Rule;
  add("stock", PlannerKind::Stock, "performance", "performance", Rule::kMajority, 40, false);
  add("stock-k1", PlannerKind::Stock, "performance", "performance", Rule::kMajority, 1, false);
  add("schedutil-like", PlannerKind::Stock, "schedutil", "simple_ondemand", Rule::kMajority, 40,
      false);
  add("greedy-v1", PlannerKind::GreedyV1, "performance", "performance", Rule::kMajority, 40, false);
  add("eas-like+ipa-like", PlannerKind::EasLike, "schedutil", "simple_ondemand", Rule::kMajority,
      40, true);
  add("qeil-no-csvet", PlannerKind::Pgsam, "schedutil", "simple_ondemand", Rule::kMajority, 40,
      false);
  add("qeil", PlannerKind::Pgsam, "schedutil", "simple_ondemand", Rule::kCsvet, 40, false);
  return out;
}

int fastestCpuDevice(const BoardSpec& board) {
  int best = -1;
  double bestRate = 0.0;
  for (size_t d = 0; d < board.devices.size(); ++d) {
    const BoardDevice& dev = board.devices[d];
    if (dev.kind != HwDeviceKind::Cpu || dev.opps.empty()) continue;
    double perCycle = 0.0;
    for (double f : dev.flopsPerCycle)
      perCycle = std::max(perCycle, f);
    const double rate = static_cast<double>(dev.opps.back().freqHz) * perCycle * dev.cores;
    if (best < 0 || rate > bestRate) {
      best = static_cast<int>(d);
      bestRate = rate;
    }
  }
  return best;
}

bool fitsMemory(const BoardSpec& board, const LlmWorkloadSpec& spec) {
  return twin::footprintBytes(spec) <= board.memCapacityBytes - board.memReservedBytes;
}

RunResult runScenario(const BoardSpec& board, const ConfigSpec& config,
                      const std::vector<Query>& queries,
                      const std::vector<verify::ReplayQuestion>& data, const RunOptions& options) {
  const auto wallStart = std::chrono::steady_clock::now();
  RunResult out;
  test::TempDir dir;
  SimClock clock{0};
  TwinOptions topt;
  topt.stepUs = options.stepUs;
  topt.cpuGovernor = config.cpuGovernor;
  topt.devfreqGovernor = config.devfreqGovernor;
  auto made = BoardTwin::create(board, dir.path(), clock, topt);
  if (!made.ok()) {
    out.error = made.error().message();
    return out;
  }
  BoardTwin& twin = *made.value();
  AgentOptions aopt;
  aopt.speed = 0.0;
  aopt.ambientC = options.ambientC;
  aopt.tickMs = options.tickMs;
  auto agentMade = Agent::createOnTwin(board, aopt, twin, clock);
  if (!agentMade.ok()) {
    out.error = agentMade.error().message();
    return out;
  }
  Agent& agent = *agentMade.value();
  PlanManager* planner = agent.planner();
  if (!planner) {
    out.error = "no planner for this board";
    return out;
  }
  planner->setPlanner(config.planner);
  PowerAllocator ipa(board, options.ambientC);
  double ipaCapW = 0.0;

  const int cpuDev = fastestCpuDevice(board);
  const int threads = cpuDev >= 0 ? board.devices[static_cast<size_t>(cpuDev)].cores : 1;
  Breakdown& bd = out.breakdown;
  for (const BoardDevice& d : board.devices)
    bd.devices.push_back(d.name);
  bd.busyS.assign(board.devices.size(), 0.0);
  std::vector<double> busyHzS(board.devices.size(), 0.0);

  out.queries.resize(queries.size());
  for (size_t i = 0; i < queries.size(); ++i)
    out.queries[i].arrivalS = queries[i].arrivalS;
  std::deque<size_t> waiting;
  size_t nextArrival = 0;
  size_t finished = 0;
  // The query being served.
  std::unique_ptr<QueryReplay> replay;
  size_t active = 0;
  int workload = -1;
  const double tickS = static_cast<double>(options.tickMs) / 1000.0;
  double nextTraceS = 0.0;
  double lastEnergyJ = 0.0;

  // Faults: injected while a query is served, one kind after the other.
  size_t nextFault = 0;
  double nextFaultS = -1.0;
  FaultRecord* openFault = nullptr;
  int offlineCpu = -1;
  std::string nackRail;
  double restoreAtS = -1.0;
  auto undoFault = [&]() {
    if (!nackRail.empty()) (void)twin.setRailNack(nackRail, false);
    nackRail.clear();
    if (!board.zones.empty()) (void)twin.setSensorStuck(board.zones[0].name, false);
    if (offlineCpu >= 0) (void)twin.setCpuOnline(offlineCpu, true);
    offlineCpu = -1;
  };
  auto inject = [&](double nowS) {
    FaultRecord f;
    f.kind = kFaultKinds[nextFault];
    f.injectedS = nowS;
    Status s;
    switch (nextFault) {
      case 0: {
        for (const BoardRail& r : board.rails) {
          if (twin.railChip(r.name) && twin.setRailNack(r.name, true).ok()) {
            nackRail = r.name;
            break;
          }
        }
        f.injected = !nackRail.empty();
        f.note = nackRail.empty() ? "no I2C rail" : "rail " + nackRail + " NACKs for 5 s";
        break;
      }
      case 1:
        s = twin.setSensorStuck(board.zones[0].name, true);
        f.note = "zone " + board.zones[0].name + " stuck for 5 s";
        break;
      case 2:
        if (cpuDev >= 0) {
          const CpuSet& cpus = board.devices[static_cast<size_t>(cpuDev)].cpus;
          for (int c = 1; c < CpuSet::kMaxCpus; ++c) {  // cpu0 cannot go offline
            if (cpus.contains(c)) offlineCpu = c;
          }
          s = twin.setCpuOnline(offlineCpu, false);
          f.note = "cpu" + std::to_string(offlineCpu) + " offline for 5 s";
        }
        break;
      case 3: {
        // The accelerator serving the query if it runs on one, else the board's first.
        std::string acc;
        const WorkloadEntry* e = workload > 0 ? agent.workloads().find(workload) : nullptr;
        if (e && e->device != "cpu" && twin.loseAccelerator(e->device).ok()) acc = e->device;
        for (const BoardDevice& d : board.devices) {
          if (acc.empty() && d.kind != HwDeviceKind::Cpu && twin.loseAccelerator(d.name).ok())
            acc = d.name;
        }
        f.injected = !acc.empty();
        f.note = acc.empty() ? "no accelerator on this board" : acc + " lost for good";
        break;
      }
      case 4: {
        const WorkloadEntry* e = workload > 0 ? agent.workloads().find(workload) : nullptr;
        if (e && e->launcherId >= 0) s = twin.crashWorkload(e->launcherId);
        f.note = "the serving workload's process killed";
        break;
      }
    }
    if (!s.ok()) {
      f.injected = false;
      f.note += std::string(" (") + s.error().message() + ")";
    }
    out.faults.push_back(f);
    openFault = &out.faults.back();
    restoreAtS = nowS + 5.0;
    ++nextFault;
  };
  if (options.faults.enabled) out.faults.reserve(5);

  while (finished < queries.size()) {
    const double nowS = static_cast<double>(clock.nowNs()) / 1e9;
    if (nowS > options.timeLimitS) break;
    while (nextArrival < queries.size() && queries[nextArrival].arrivalS <= nowS)
      waiting.push_back(nextArrival++);
    if (!replay && !waiting.empty()) {
      active = waiting.front();
      waiting.pop_front();
      replay = std::make_unique<QueryReplay>(data[static_cast<size_t>(queries[active].question)],
                                             config.session);
      LlmWorkloadSpec spec = querySpec(options.model, options.bits, options.promptTokens,
                                       replay->budgetTokens(), replay->maxSampleTokens(), threads);
      auto id = agent.workloads().run({spec.name}, spec, "cpu", clock.nowNs());
      if (!id.ok()) {
        out.error = id.error().message();
        return out;
      }
      workload = id.value();
      out.queries[active].startS = nowS;
      (void)agent.replan();
      if (options.faults.enabled && nextFaultS < 0.0) nextFaultS = nowS + options.faults.firstS;
    }
    if (options.faults.enabled && replay && nextFault < 5 && nextFaultS >= 0.0 &&
        nowS >= nextFaultS && !openFault) {
      inject(nowS);
      nextFaultS = nowS + options.faults.spacingS;
    }
    if (restoreAtS >= 0.0 && nowS >= restoreAtS) {
      undoFault();
      restoreAtS = -1.0;
    }

    agent.tick();
    const double afterS = static_cast<double>(clock.nowNs()) / 1e9;
    const double energyJ = topRailsEnergyJ(twin, board);
    const double hot = hottestC(twin, board);
    out.peakTempC = std::max(out.peakTempC, hot);

    if (config.ipa && ipa.active()) {
      const double cap = ipa.update(hot, tickS);
      if (std::fabs(cap - ipaCapW) > 0.05 * std::max(cap, ipaCapW)) {
        ipaCapW = cap;
        PlanPolicy p = planner->policy();
        p.powerCapW = cap;
        planner->setPolicy(p);
        if (replay) (void)agent.replan();
      }
    }

    if (!replay) {
      bd.idleJ += energyJ - lastEnergyJ;
      bd.idleS += afterS - nowS;
    }
    lastEnergyJ = energyJ;
    if (replay) {
      const WorkloadEntry* e = agent.workloads().find(workload);
      const bool running = e && e->state == WorkloadState::Running;
      if (e && running) {
        std::string dev = e->plannedDevice.empty() ? e->device : e->plannedDevice;
        int d = twin.deviceIndex(dev);
        if (d < 0) d = cpuDev;
        if (d >= 0) {
          bd.busyS[static_cast<size_t>(d)] += tickS;
          busyHzS[static_cast<size_t>(d)] += tickS * static_cast<double>(twin.curFreqHz(d));
        }
      }
      if (openFault && running && openFault->recoveryS < 0.0) {
        openFault->recoveryS = afterS - openFault->injectedS;
        if (openFault->kind != std::string("workload-crash") &&
            openFault->kind != std::string("accelerator-lost"))
          openFault->recoveryS = 0.0;  // it never stopped
      }
      const bool answered = e && replay->advance(e->tokens);
      // A crashed workload with restarts left is the agent's to recover, not a lost query.
      const bool ended =
          !e || e->state == WorkloadState::Done ||
          (e->state == WorkloadState::Crashed && e->restarts >= WorkloadTable::kMaxRestarts);
      if (answered || (!running && ended)) {
        if (!answered && e && e->state == WorkloadState::Done) replay->advance(UINT64_MAX);
        QueryRecord& q = out.queries[active];
        if (replay->done()) {
          q.endS = afterS;
          q.correct = replay->correct();
          q.samples = replay->samplesUsed();
          q.tokens = replay->tokensUsed();
        }
        if (openFault) {
          openFault->recovered = replay->done();
          if (!replay->done()) openFault->note += "; the query was lost";
          openFault = nullptr;
        }
        (void)agent.workloads().stop(workload);
        replay.reset();
        workload = -1;
        ++finished;
      }
    }
    if (afterS >= nextTraceS) {
      out.trace.push_back({afterS, topRailsPowerW(twin, board), hot});
      nextTraceS += options.traceEveryS;
    }
  }
  undoFault();
  if (openFault) openFault->note += "; the run ended first";
  const double endS = static_cast<double>(clock.nowNs()) / 1e9;
  out.metrics = computeMetrics(out.queries, topRailsEnergyJ(twin, board), endS);
  for (size_t d = 0; d < board.devices.size(); ++d) {
    bd.deviceJ.push_back(twin.deviceEnergyJ(static_cast<int>(d)));
    bd.meanBusyMHz.push_back(bd.busyS[d] > 0.0 ? busyHzS[d] / bd.busyS[d] / 1e6 : 0.0);
  }
  bd.baseJ = twin.baseEnergyJ();
  bd.dramJ = twin.dramEnergyJ();
  out.throttleEvents = twin.throttleEvents();
  out.agentEnergyJ = agent.boardEnergyJ();
  out.replans = planner->replans();
  (void)agent.restore();
  out.ok = true;
  out.wallS = std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  return out;
}

}  // namespace qeil::bench::scenario
