// bench/planner: MODEL.md §8 PGSAM against the oracle and the baselines on seeded instances:
// random SoCs and workloads (tests/support/planner_instances.h) from 2 workloads x 3 devices to
// 16 x 8, and random workloads on the SoCs of the board files in board-configs/ (their OPP
// tables cut to at most 12, evenly; their memory pool sized so that the workloads fit).
// Per size: PGSAM's energy gap to the oracle where it runs (targets: median <= 1 %, p95 <= 3 %,
// at equal feasibility), every baseline's energy and latency relative to PGSAM (medians over
// the instances both solve), solve time p50/p99 (target: p99 <= 5 ms at 8 x 6 with up to 12
// OPPs), and heap allocations inside solve() (target: 0). PGSAM runs with its defaults
// (energy-first, 2000 iterations, 5 ms budget); the oracle minimises energy. `--only TEXT` runs
// only the rows whose name contains TEXT (the targets then cover those rows alone).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "agent/board_config.h"
#include "bench/support/bench_report.h"
#include "energy/board_soc.h"
#include "hal/linux/monotonic_clock.h"
#include "scheduler/baselines.h"
#include "scheduler/oracle.h"
#include "scheduler/pgsam.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/planner_instances.h"

namespace qeil::scheduler {
namespace {

struct Row {
  std::string name;
  std::string board;  // empty: random SoCs
  test::InstanceShape shape;
  bool oracle = false;
  bool timed = false;  // the solve-time target applies
};

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return std::nan("");
  std::sort(v.begin(), v.end());
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(std::ceil(q * v.size())) - (q > 0));
  return v[k];
}

struct BaselineFigures {
  int feasible = 0;
  std::vector<double> energyRatio;
  std::vector<double> latencyRatio;
};

struct RowFigures {
  int instances = 0;
  int pgsamFeasible = 0;
  int oracleRan = 0;
  int oracleFeasible = 0;
  int equalFeasibility = 0;
  std::vector<double> gapPct;
  std::vector<double> solveMs;
  std::vector<double> unboundedMs;  // with the budget lifted: what the iteration bound costs
  int timedOut = 0;
  double evaluations = 0.0;
  uint64_t maxAllocs = 0;
  BaselineFigures baselines[3];
};

const char* const kBaselineNames[] = {"stock", "greedy-v1", "eas-like"};

RowFigures runRow(const Row& row, int instances, int repeats, const energy::SocSpec* boardSoc) {
  RowFigures f;
  MonotonicClock clock;
  for (int n = 0; n < instances; ++n) {
    test::InstanceShape shape = row.shape;
    shape.seed = 1000 * shape.workloads + 10 * shape.devices + n + 1;
    const test::PlannerInstance inst =
        boardSoc ? test::instanceOn(*boardSoc, shape) : test::randomInstance(shape);
    const auto model = test::modelOf(inst);
    PgsamConfig config;
    config.seed = shape.seed;
    auto pgsam = std::move(Pgsam::create(*model, clock, config).value());
    Plan plan;
    Status st;
    for (int r = 0; r < repeats; ++r) {
      pgsam->forgetArchive();
      test::AllocationScope allocs;
      const int64_t t0 = clock.nowNs();
      st = pgsam->solve(inst.problem, &plan);
      const int64_t t1 = clock.nowNs();
      f.maxAllocs = std::max<uint64_t>(f.maxAllocs, allocs.count());
      f.solveMs.push_back(static_cast<double>(t1 - t0) / kNsPerMs);
    }
    ++f.instances;
    f.timedOut += plan.stats.timedOut ? 1 : 0;
    f.evaluations += plan.stats.evaluations;
    if (st.ok()) ++f.pgsamFeasible;
    if (row.timed) {
      config.timeBudgetNs = 10 * kNsPerS;
      auto unbounded = std::move(Pgsam::create(*model, clock, config).value());
      Plan u;
      const int64_t t0 = clock.nowNs();
      (void)unbounded->solve(inst.problem, &u);
      f.unboundedMs.push_back(static_cast<double>(clock.nowNs() - t0) / kNsPerMs);
    }
    if (row.oracle) {
      Oracle oracle(*model, OracleConfig{});
      Plan best;
      const Status ost = oracle.solve(inst.problem, &best);
      if (ost.ok() || best.infeasible != Constraint::Size) {
        ++f.oracleRan;
        f.oracleFeasible += ost.ok() ? 1 : 0;
        f.equalFeasibility += ost.ok() == st.ok() ? 1 : 0;
        if (ost.ok() && st.ok()) {
          f.gapPct.push_back(100.0 * (plan.objectives.energyJ / best.objectives.energyJ - 1.0));
        }
      }
    }
    StockPlanner stock(*model);
    GreedyV1Planner greedy(*model);
    EasLikePlanner eas(*model);
    Planner* baselines[] = {&stock, &greedy, &eas};
    for (int b = 0; b < 3; ++b) {
      Plan bp;
      if (!baselines[b]->solve(inst.problem, &bp).ok()) continue;
      ++f.baselines[b].feasible;
      if (!st.ok()) continue;
      f.baselines[b].energyRatio.push_back(bp.objectives.energyJ / plan.objectives.energyJ);
      f.baselines[b].latencyRatio.push_back(bp.objectives.latencyS / plan.objectives.latencyS);
    }
  }
  f.evaluations /= std::max(1, f.instances);
  return f;
}

void printRow(const Row& row, const RowFigures& f) {
  printf("\n%s: %d instances, PGSAM feasible %d, mean %.0f evaluations, %d ended by the budget\n",
         row.name.c_str(), f.instances, f.pgsamFeasible, f.evaluations, f.timedOut);
  if (row.oracle) {
    printf(
        "  oracle: ran %d, feasible %d, equal feasibility %d/%d; energy gap median %.3f %%, "
        "p95 %.3f %%, max %.3f %% (%zu instances)\n",
        f.oracleRan, f.oracleFeasible, f.equalFeasibility, f.oracleRan, quantile(f.gapPct, 0.5),
        quantile(f.gapPct, 0.95), quantile(f.gapPct, 1.0), f.gapPct.size());
  }
  for (int b = 0; b < 3; ++b) {
    const BaselineFigures& bf = f.baselines[b];
    printf("  %-9s feasible %2d/%d; vs PGSAM: energy x%.3f (median), latency x%.3f (median)\n",
           kBaselineNames[b], bf.feasible, f.instances, quantile(bf.energyRatio, 0.5),
           quantile(bf.latencyRatio, 0.5));
  }
  printf("  solve time p50 %.3f ms, p99 %.3f ms; heap allocations in solve() at most %llu\n",
         quantile(f.solveMs, 0.5), quantile(f.solveMs, 0.99),
         static_cast<unsigned long long>(f.maxAllocs));
  if (!f.unboundedMs.empty()) {
    printf("  without the time budget (iteration bound only): p50 %.3f ms, p99 %.3f ms\n",
           quantile(f.unboundedMs, 0.5), quantile(f.unboundedMs, 0.99));
  }
}

test::InstanceShape shapeOf(int workloads, int devices, int maxOpps, int maxCpuCores) {
  test::InstanceShape s;
  s.workloads = workloads;
  s.devices = devices;
  s.maxOpps = maxOpps;
  s.maxCpuCores = maxCpuCores;
  return s;
}

}  // namespace
}  // namespace qeil::scheduler

int main(int argc, char** argv) {
  using namespace qeil;
  using namespace qeil::scheduler;
  bench::BenchArgs args = bench::parseBenchArgs(&argc, argv);
  const int instances = args.shortMode ? 3 : 30;
  const int repeats = args.shortMode ? 1 : 5;
  std::string only;
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--only") == 0) only = argv[i + 1];
  }

  std::vector<Row> rows = {
      {"random 2x3 (<= 4 OPPs, <= 2 cores)", "", shapeOf(2, 3, 4, 2), true, false},
      {"random 3x3 (<= 2 OPPs, <= 2 cores)", "", shapeOf(3, 3, 2, 2), true, false},
      {"random 4x4", "", shapeOf(4, 4, 12, 4), false, false},
      {"random 8x6", "", shapeOf(8, 6, 12, 4), false, true},
      {"random 12x8", "", shapeOf(12, 8, 12, 4), false, false},
      {"random 16x8", "", shapeOf(16, 8, 12, 4), false, false},
  };
  const char* const boards[] = {"rk3588", "jetson-agx-orin", "jetson-orin-nano", "imx8mp"};
  std::vector<energy::SocSpec> socs;
  for (const char* b : boards) {
    const std::string path = std::string(QEIL_SOURCE_DIR) + "/board-configs/" + b + ".cfg";
    Result<BoardSpec> board = loadBoardFile(path);
    if (!board.ok()) {
      fprintf(stderr, "planner: %s\n", board.error().message());
      return 1;
    }
    Result<energy::SocSpec> soc = energy::socFromBoard(board.value());
    if (!soc.ok()) {
      fprintf(stderr, "planner: %s: %s\n", b, soc.error().message());
      return 1;
    }
    socs.push_back(soc.value());
    const int devices = static_cast<int>(soc.value().devices.size());
    char name[96];
    snprintf(name, sizeof name, "%s 2x%d (<= 3 OPPs)", b, devices);
    rows.push_back({name, b, shapeOf(2, devices, 3, 0), devices <= 3, false});
    snprintf(name, sizeof name, "%s 8x%d (<= 12 OPPs)", b, devices);
    rows.push_back({name, b, shapeOf(8, devices, 12, 0), false, devices == 6});
  }

  bench::Report report("planner");
  std::vector<double> allGaps;
  int oracleRan = 0;
  int equal = 0;
  std::vector<double> timedMs;
  uint64_t maxAllocs = 0;
  for (const Row& row : rows) {
    if (row.name.find(only) == std::string::npos) continue;
    const energy::SocSpec* soc = nullptr;
    for (size_t b = 0; b < socs.size(); ++b) {
      if (row.board == boards[b]) soc = &socs[b];
    }
    const RowFigures f = runRow(row, instances, repeats, soc);
    printRow(row, f);
    allGaps.insert(allGaps.end(), f.gapPct.begin(), f.gapPct.end());
    oracleRan += f.oracleRan;
    equal += f.equalFeasibility;
    if (row.timed) timedMs.insert(timedMs.end(), f.solveMs.begin(), f.solveMs.end());
    maxAllocs = std::max(maxAllocs, f.maxAllocs);
  }
  const double median = quantile(allGaps, 0.5);
  const double p95 = quantile(allGaps, 0.95);
  const double p99 = quantile(timedMs, 0.99);
  report.info("instances the oracle solved (both feasible)", static_cast<double>(allGaps.size()),
              "count");
  report.target("energy gap to the oracle (median)", median, "%", "<= 1 %", median <= 1.0);
  report.target("energy gap to the oracle (p95)", p95, "%", "<= 3 %", p95 <= 3.0);
  report.target("equal feasibility with the oracle", oracleRan > 0 ? 100.0 * equal / oracleRan : 0,
                "%", "100 %", equal == oracleRan);
  report.target("solve time p99, 8 x 6 (<= 12 OPPs)", p99, "ms", "<= 5 ms", p99 <= 5.0);
  report.info("solve time p50, 8 x 6 (<= 12 OPPs)", quantile(timedMs, 0.5), "ms");
  report.target("heap allocations in solve() (max)", static_cast<double>(maxAllocs), "count", "0",
                maxAllocs == 0);
  report.print();
  if (!args.resultsDir.empty() && !report.writeJson(args.resultsDir)) return 1;
  return 0;
}
