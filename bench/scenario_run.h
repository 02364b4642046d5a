#pragma once

#include <string>
#include <vector>

#include "bench/scenario_core.h"

namespace qeil::bench::scenario {

// One configuration of the comparison (issue 8).
struct ConfigSpec {
  std::string name;
  PlannerKind planner = PlannerKind::Pgsam;
  std::string cpuGovernor = "schedutil";  // the twin's kernel governor at boot
  std::string devfreqGovernor = "simple_ondemand";
  verify::SessionConfig session;  // kMax and the stopping rule
  bool ipa = false;               // a PID thermal power budget (power_allocator-like)
};
// stock, stock-k1, schedutil-like, greedy-v1, eas-like+ipa-like, qeil-no-csvet, qeil.
std::vector<ConfigSpec> standardConfigs();

struct Query {
  double arrivalS = 0.0;
  int question = 0;  // index into the replay data
};

struct FaultPlan {
  bool enabled = false;
  double firstS = 5.0;     // the first fault this long after the first query started
  double spacingS = 40.0;  // between faults
};

struct RunOptions {
  double ambientC = 25.0;
  ModelArch model{};
  int bits = 4;
  int promptTokens = 128;
  int64_t tickMs = 100;    // the agent's sampling tick
  int64_t stepUs = 10000;  // the twin's physics step
  double traceEveryS = 1.0;
  double timeLimitS = 1e6;  // simulated; queries not answered by then are lost
  FaultPlan faults;
};

struct TracePoint {
  double tS, powerW, tempC;
};

// Where the energy went, from the twin's ground truth.
struct Breakdown {
  std::vector<std::string> devices;
  std::vector<double> deviceJ;  // each device's own power integrated (before VRM loss)
  std::vector<double> busyS;    // time a query's decode was planned on the device
  std::vector<double> meanBusyMHz;
  double baseJ = 0.0;  // the board's base power
  double dramJ = 0.0;
  double idleJ = 0.0;  // board energy while no query was being served
  double idleS = 0.0;
};

struct FaultRecord {
  std::string kind;
  double injectedS = 0.0;
  bool injected = true;     // false: the board has nothing to inject it into
  bool recovered = false;   // the query being served at injection was answered
  double recoveryS = -1.0;  // until its workload ran again (0: it never stopped)
  std::string note;
};

struct RunResult {
  bool ok = false;
  std::string error;
  Metrics metrics;
  std::vector<QueryRecord> queries;
  std::vector<TracePoint> trace;
  Breakdown breakdown;
  uint64_t throttleEvents = 0;
  double peakTempC = 0.0;
  double agentEnergyJ = 0.0;  // what the agent integrated from its rail samples
  uint64_t replans = 0;
  std::vector<FaultRecord> faults;
  double wallS = 0.0;
};

// The board's twin (TwinOptions: the configuration's governors, `stepUs`) with qeild's Agent
// on it (createOnTwin, a SimClock, speed 0: tick after tick without sleeping), its PlanManager
// set to the configuration's planner. Queries are served one at a time in arrival order (one
// model in memory); each is one workload decoding its samples in sequence (QueryReplay).
RunResult runScenario(const BoardSpec& board, const ConfigSpec& config,
                      const std::vector<Query>& queries,
                      const std::vector<verify::ReplayQuestion>& data, const RunOptions& options);

// The fastest CPU cluster (top OPP x flops per cycle x cores) and its CPU count.
int fastestCpuDevice(const BoardSpec& board);
// Whether the model's footprint fits the board's memory (capacity less reserved).
bool fitsMemory(const BoardSpec& board, const LlmWorkloadSpec& spec);

}  // namespace qeil::bench::scenario
