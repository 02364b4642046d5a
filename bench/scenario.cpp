// bench/scenario (issue 8): the headline evaluation. qeild's own planning and enforcement code
// (the Agent on each board twin, simulated clock, no sleeping) serves GSM8K-style queries
// arriving as a seeded Poisson process, each answered by repeated samples replayed from a verify
// CSV, under qeil and under the stock and anchor configurations, with the same arrivals.
//
//   scenario [--quick] [--results DIR] [--data FILE] [--boards a,b] [--configs a,b]
//            [--queries N] [--load L | --rate QPH] [--seed S] [--model NAME] [--bits 4|16]
//            [--prompt-tokens N] [--ambient 25,45] [--sweep] [--faults] [--step-us US]
//
// Figures come from the board twins (hal/sim), calibrated as bench/twin_validate shows; they are
// not measurements on physical boards.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "agent/board_config.h"
#include "bench/scenario_run.h"
#include "bench/support/bench_report.h"
#include "hal/log.h"

namespace qeil::bench::scenario {
namespace {

struct Args {
  bool quick = false;
  std::string resultsDir;
  std::string data;
  bool defaultData = true;
  std::vector<std::string> boards;
  std::vector<std::string> configs;
  int queries = 16;
  double load = 0.5;
  double ratePerHour = 0.0;
  uint64_t seed = 42;
  std::string model = "Llama-3.2-3B";
  int bits = 4;
  int promptTokens = 128;
  std::vector<double> ambients{25.0, 45.0};
  bool sweep = false;
  bool faults = true;
  int64_t stepUs = 10000;
  int64_t tickMs = 1000;
};

std::vector<std::string> splitList(const char* s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

bool parseArgs(int argc, char** argv, Args* a) {
  BenchArgs b = parseBenchArgs(&argc, argv);
  a->quick = b.shortMode;
  a->resultsDir = b.resultsDir;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    auto need = [&]() {
      if (!v) fprintf(stderr, "scenario: %s needs a value\n", k.c_str());
      ++i;
      return v != nullptr;
    };
    if (k == "--quick") {
      a->quick = true;
    } else if (k == "--sweep") {
      a->sweep = true;
    } else if (k == "--no-faults") {
      a->faults = false;
    } else if (k == "--faults") {
      a->faults = true;
    } else if (k == "--data") {
      if (!need()) return false;
      a->data = v;
      a->defaultData = false;
    } else if (k == "--boards") {
      if (!need()) return false;
      a->boards = splitList(v);
    } else if (k == "--configs") {
      if (!need()) return false;
      a->configs = splitList(v);
    } else if (k == "--queries") {
      if (!need()) return false;
      a->queries = atoi(v);
    } else if (k == "--load") {
      if (!need()) return false;
      a->load = atof(v);
    } else if (k == "--rate") {
      if (!need()) return false;
      a->ratePerHour = atof(v);
    } else if (k == "--seed") {
      if (!need()) return false;
      a->seed = strtoull(v, nullptr, 10);
    } else if (k == "--model") {
      if (!need()) return false;
      a->model = v;
    } else if (k == "--bits") {
      if (!need()) return false;
      a->bits = atoi(v);
    } else if (k == "--prompt-tokens") {
      if (!need()) return false;
      a->promptTokens = atoi(v);
    } else if (k == "--ambient") {
      if (!need()) return false;
      a->ambients.clear();
      for (const std::string& s : splitList(v))
        a->ambients.push_back(atof(s.c_str()));
    } else if (k == "--tick-ms") {
      if (!need()) return false;
      a->tickMs = atoll(v);
    } else if (k == "--step-us") {
      if (!need()) return false;
      a->stepUs = atoll(v);
    } else {
      fprintf(stderr, "scenario: unknown argument %s\n", k.c_str());
      return false;
    }
  }
  if (a->queries <= 0 || (a->bits != 4 && a->bits != 16) || a->load <= 0.0 || a->stepUs <= 0 ||
      a->tickMs <= 0) {
    fprintf(stderr,
            "scenario: --queries > 0, --bits 4 or 16, --load > 0, --step-us and --tick-ms > 0\n");
    return false;
  }
  return true;
}

std::vector<std::string> boardFiles() {
  std::vector<std::string> out;
  const std::string dir = QEIL_SOURCE_DIR "/board-configs";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n.size() > 4 && n.compare(n.size() - 4, 4, ".cfg") == 0) out.push_back(dir + "/" + n);
    }
    closedir(d);
  }
  std::sort(out.begin(), out.end());
  return out;
}

const ModelArch* findModel(const std::string& name) {
  for (const ModelArch& m : sweepModels()) {
    if (name == m.name) return &m;
  }
  return nullptr;
}

// Seconds per decoded token of `stock` on this board: one 200-token sample served alone.
double probeStockSecondsPerToken(const BoardSpec& board, const ConfigSpec& stock,
                                 const RunOptions& options) {
  verify::ReplayQuestion q;
  q.id = "probe";
  verify::ReplaySample s;
  s.outputTokens = 200;
  q.samples.push_back(s);
  std::vector<verify::ReplayQuestion> data{q};
  ConfigSpec c = stock;
  c.session.kMax = 1;
  RunOptions o = options;
  o.faults.enabled = false;
  RunResult r = runScenario(board, c, {Query{0.0, 0}}, data, o);
  if (!r.ok || r.queries.empty() || r.queries[0].endS <= 0.0) return 0.0;
  return (r.queries[0].endS - r.queries[0].startS) / 200.0;
}

// The configuration's stopping rule over every question of the data (no twin): the accuracy a
// few closed-loop queries cannot resolve, and the mean samples it takes.
struct ReplayFigures {
  double accuracy = 0.0;
  double meanSamples = 0.0;
};
ReplayFigures replayAll(const std::vector<verify::ReplayQuestion>& data,
                        const verify::SessionConfig& config) {
  ReplayFigures f;
  for (const verify::ReplayQuestion& q : data) {
    const verify::ReplayOutcome o = verify::replayQuestion(q, config, nullptr);
    f.accuracy += o.correct ? 1.0 : 0.0;
    f.meanSamples += o.samples;
  }
  if (!data.empty()) {
    f.accuracy /= static_cast<double>(data.size());
    f.meanSamples /= static_cast<double>(data.size());
  }
  return f;
}

struct Row {
  std::string board, model, config;
  ReplayFigures replay;
  int bits = 4;
  double ambientC = 25.0;
  double ratePerHour = 0.0;
  RunResult result;
};

std::string num(double v, int prec = 4) {
  if (!std::isfinite(v)) return "inf";
  char buf[48];
  snprintf(buf, sizeof buf, "%.*g", prec, v);
  return buf;
}

const Row* find(const std::vector<Row>& rows, const std::string& board, double ambient,
                const std::string& model, int bits, const std::string& config) {
  for (const Row& r : rows) {
    if (r.board == board && r.ambientC == ambient && r.model == model && r.bits == bits &&
        r.config == config && r.result.ok)
      return &r;
  }
  return nullptr;
}

// Energy per query while a query was being served (the idle gaps between arrivals left out).
double servingJPerQuery(const Row& r) {
  const Metrics& m = r.result.metrics;
  return m.queries > 0 ? (m.energyJ - r.result.breakdown.idleJ) / m.queries : 0.0;
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  if (!f) fprintf(stderr, "scenario: cannot write %s\n", path.c_str());
}

std::string resultsCsv(const std::vector<Row>& rows) {
  std::string out = csvLine({"board",
                             "model",
                             "bits",
                             "ambient_c",
                             "config",
                             "rate_per_hour",
                             "queries",
                             "answered",
                             "accuracy",
                             "energy_per_query_j",
                             "energy_per_correct_j",
                             "avg_power_w",
                             "p50_s",
                             "p95_s",
                             "p99_s",
                             "mean_samples",
                             "ipw",
                             "ipj",
                             "ipw_vs_stock",
                             "ipj_vs_stock",
                             "energy_per_query_vs_stock",
                             "energy_per_correct_vs_stock",
                             "serving_energy_per_query_j",
                             "replay_accuracy_all_questions",
                             "replay_mean_samples_all_questions",
                             "throttle_events",
                             "peak_temp_c",
                             "duration_s",
                             "agent_energy_j",
                             "replans",
                             "wall_s"});
  for (const Row& r : rows) {
    const Metrics& m = r.result.metrics;
    const Row* s = find(rows, r.board, r.ambientC, r.model, r.bits, "stock");
    auto ratio = [&](double a, double b) { return s && b > 0.0 ? num(a / b) : std::string(); };
    out += csvLine({r.board,
                    r.model,
                    std::to_string(r.bits),
                    num(r.ambientC),
                    r.config,
                    num(r.ratePerHour),
                    std::to_string(m.queries),
                    std::to_string(m.answered),
                    num(m.accuracy),
                    num(m.energyPerQueryJ),
                    num(m.energyPerCorrectJ),
                    num(m.avgPowerW),
                    num(m.p50S),
                    num(m.p95S),
                    num(m.p99S),
                    num(m.meanSamples),
                    num(m.ipw),
                    num(m.ipj),
                    ratio(m.ipw, s ? s->result.metrics.ipw : 0.0),
                    ratio(m.ipj, s ? s->result.metrics.ipj : 0.0),
                    ratio(m.energyPerQueryJ, s ? s->result.metrics.energyPerQueryJ : 0.0),
                    ratio(m.energyPerCorrectJ, s ? s->result.metrics.energyPerCorrectJ : 0.0),
                    num(servingJPerQuery(r)),
                    num(r.replay.accuracy),
                    num(r.replay.meanSamples),
                    std::to_string(r.result.throttleEvents),
                    num(r.result.peakTempC),
                    num(m.durationS),
                    num(r.result.agentEnergyJ),
                    std::to_string(r.result.replans),
                    num(r.result.wallS)});
  }
  return out;
}

std::string breakdownCsv(const std::vector<Row>& rows) {
  std::string out = csvLine({"board", "model", "bits", "ambient_c", "config", "part", "energy_j",
                             "busy_s", "mean_busy_mhz"});
  for (const Row& r : rows) {
    const Breakdown& b = r.result.breakdown;
    auto line = [&](const std::string& part, double j, double busy, double mhz) {
      out += csvLine({r.board, r.model, std::to_string(r.bits), num(r.ambientC), r.config, part,
                      num(j), num(busy), num(mhz)});
    };
    for (size_t d = 0; d < b.devices.size(); ++d)
      line("device:" + b.devices[d], b.deviceJ[d], b.busyS[d], b.meanBusyMHz[d]);
    line("base", b.baseJ, 0.0, 0.0);
    line("dram", b.dramJ, 0.0, 0.0);
    line("idle-periods", b.idleJ, b.idleS, 0.0);
  }
  return out;
}

std::string faultsCsv(const std::vector<Row>& rows) {
  std::string out = csvLine(
      {"board", "ambient_c", "fault", "injected", "injected_s", "recovered", "recovery_s", "note"});
  for (const Row& r : rows) {
    for (const FaultRecord& f : r.result.faults)
      out += csvLine({r.board, num(r.ambientC), f.kind, f.injected ? "yes" : "no", num(f.injectedS),
                      f.recovered ? "yes" : "no", num(f.recoveryS), f.note});
  }
  return out;
}

std::string jsonString(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string jsonNum(double v) {
  return std::isfinite(v) ? num(v, 6) : "null";
}

std::string resultsJson(const std::vector<Row>& rows, const std::string& command) {
  std::string out = "{\n  \"bench\": \"scenario\",\n  \"command\": " + jsonString(command) +
                    ",\n  \"source\": \"board twins (hal/sim) calibrated as bench/twin_validate "
                    "shows; not physical boards\",\n  \"runs\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const Metrics& m = r.result.metrics;
    out +=
        "    {\"board\": " + jsonString(r.board) + ", \"model\": " + jsonString(r.model) +
        ", \"bits\": " + std::to_string(r.bits) + ", \"ambient_c\": " + jsonNum(r.ambientC) +
        ", \"config\": " + jsonString(r.config) + ", \"rate_per_hour\": " + jsonNum(r.ratePerHour) +
        ", \"queries\": " + std::to_string(m.queries) +
        ", \"answered\": " + std::to_string(m.answered) + ", \"accuracy\": " + jsonNum(m.accuracy) +
        ", \"energy_per_query_j\": " + jsonNum(m.energyPerQueryJ) +
        ", \"energy_per_correct_j\": " + jsonNum(m.energyPerCorrectJ) +
        ", \"avg_power_w\": " + jsonNum(m.avgPowerW) + ", \"p50_s\": " + jsonNum(m.p50S) +
        ", \"p95_s\": " + jsonNum(m.p95S) + ", \"p99_s\": " + jsonNum(m.p99S) +
        ", \"mean_samples\": " + jsonNum(m.meanSamples) + ", \"ipw\": " + jsonNum(m.ipw) +
        ", \"ipj\": " + jsonNum(m.ipj) +
        ", \"replay_accuracy_all_questions\": " + jsonNum(r.replay.accuracy) +
        ", \"throttle_events\": " + std::to_string(r.result.throttleEvents) +
        ", \"peak_temp_c\": " + jsonNum(r.result.peakTempC) +
        ", \"faults\": " + std::to_string(r.result.faults.size()) + "}" +
        (i + 1 < rows.size() ? ",\n" : "\n");
  }
  return out + "  ]\n}\n";
}

// Per board (first ambient): power and temperature against time for stock and qeil, and energy
// per correct answer per configuration.
std::string resultsSvg(const std::vector<Row>& rows, const std::vector<std::string>& boards,
                       const Args& a) {
  const double w = 1200, h = 260;
  std::string body;
  double y = 0;
  for (const std::string& board : boards) {
    const double amb = a.ambients.front();
    const Row* stock = find(rows, board, amb, a.model, a.bits, "stock");
    const Row* qeil = find(rows, board, amb, a.model, a.bits, "qeil");
    std::vector<SvgSeries> power, temp;
    for (const Row* r : {stock, qeil}) {
      if (!r) continue;
      SvgSeries p{r->config, r == stock ? "#c0392b" : "#27ae60", {}, {}};
      SvgSeries t = p;
      // At most ~1500 points a line: the browser draws it at once.
      const size_t every = r->result.trace.size() / 1500 + 1;
      for (size_t i = 0; i < r->result.trace.size(); i += every) {
        const TracePoint& tp = r->result.trace[i];
        p.x.push_back(tp.tS);
        p.y.push_back(tp.powerW);
        t.x.push_back(tp.tS);
        t.y.push_back(tp.tempC);
      }
      power.push_back(p);
      temp.push_back(t);
    }
    const std::string head = board + " (" + num(amb) + " C)";
    body += svgLineChart(head + ": board power", "time (s)", "W", power, 0, y, w / 3, h);
    body += svgLineChart(head + ": hottest zone", "time (s)", "C", temp, w / 3, y, w / 3, h);
    std::vector<std::string> labels;
    std::vector<double> values;
    for (const Row& r : rows) {
      if (r.board == board && r.ambientC == amb && r.model == a.model && r.bits == a.bits) {
        labels.push_back(r.config);
        values.push_back(r.result.metrics.energyPerCorrectJ);
      }
    }
    body += svgBarChart(head + ": energy per correct answer", "J", labels, values, 2 * w / 3, y,
                        w / 3, h);
    y += h;
  }
  char header[256];
  snprintf(header, sizeof header,
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" "
           "width=\"%.0f\" height=\"%.0f\" font-family=\"sans-serif\">\n"
           "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
           w, std::max(y, 10.0));
  return header + body + "</svg>\n";
}

void printRows(const std::vector<Row>& rows, const std::string& board, double amb,
               const std::string& model, int bits) {
  printf("\n%s, %s %d-bit, %.0f C ambient:\n", board.c_str(), model.c_str(), bits, amb);
  printf("  %-18s %6s %9s %9s %9s %7s %8s %8s %8s %5s %7s %7s %4s %6s\n", "config", "acc",
         "J/query", "J/correct", "serving J", "W", "p50 s", "p95 s", "p99 s", "k", "IPW/st",
         "IPJ/st", "thr", "peakC");
  const Row* s = find(rows, board, amb, model, bits, "stock");
  for (const Row& r : rows) {
    if (r.board != board || r.ambientC != amb || r.model != model || r.bits != bits) continue;
    const Metrics& m = r.result.metrics;
    if (!r.result.ok) {
      printf("  %-18s failed: %s\n", r.config.c_str(), r.result.error.c_str());
      continue;
    }
    const Metrics* sm = s ? &s->result.metrics : nullptr;
    printf(
        "  %-18s %6.3f %9.4g %9.4g %9.4g %7.3g %8.4g %8.4g %8.4g %5.1f %7.3g %7.3g %4llu %6.1f\n",
        r.config.c_str(), m.accuracy, m.energyPerQueryJ, m.energyPerCorrectJ, servingJPerQuery(r),
        m.avgPowerW, m.p50S, m.p95S, m.p99S, m.meanSamples,
        sm && sm->ipw > 0 ? m.ipw / sm->ipw : 0.0, sm && sm->ipj > 0 ? m.ipj / sm->ipj : 0.0,
        static_cast<unsigned long long>(r.result.throttleEvents), r.result.peakTempC);
  }
  // Where qeil-no-csvet's saving comes from: each part's energy per query against stock.
  const Row* q = find(rows, board, amb, model, bits, "qeil-no-csvet");
  if (s && q) {
    printf("  where the saving comes from (J per query, stock -> qeil-no-csvet):");
    const Breakdown& a = s->result.breakdown;
    const Breakdown& b = q->result.breakdown;
    const double ns = s->result.metrics.queries, nq = q->result.metrics.queries;
    for (size_t d = 0; d < a.devices.size(); ++d) {
      if (a.deviceJ[d] / ns < 0.5 && b.deviceJ[d] / nq < 0.5) continue;
      printf(" %s %.4g->%.4g", a.devices[d].c_str(), a.deviceJ[d] / ns, b.deviceJ[d] / nq);
    }
    printf(" base %.4g->%.4g dram %.4g->%.4g idle-periods %.4g->%.4g\n", a.baseJ / ns, b.baseJ / nq,
           a.dramJ / ns, b.dramJ / nq, a.idleJ / ns, b.idleJ / nq);
    printf("  decode ran on (busy s, mean MHz):");
    for (const Row* r : {s, q}) {
      printf(" %s:", r->config.c_str());
      const Breakdown& br = r->result.breakdown;
      for (size_t d = 0; d < br.devices.size(); ++d) {
        if (br.busyS[d] > 0.0)
          printf(" %s %.0f s @ %.0f MHz", br.devices[d].c_str(), br.busyS[d], br.meanBusyMHz[d]);
      }
    }
    printf("\n");
  }
}

void addTargets(Report& report, const std::vector<Row>& rows, const std::string& board, double amb,
                const std::string& model, int bits) {
  const Row* s = find(rows, board, amb, model, bits, "stock");
  const Row* nc = find(rows, board, amb, model, bits, "qeil-no-csvet");
  const Row* q = find(rows, board, amb, model, bits, "qeil");
  const std::string at = board + " " + num(amb) + "C ";
  if (!s) return;
  const Metrics& sm = s->result.metrics;
  if (nc) {
    const Metrics& m = nc->result.metrics;
    const double e = m.energyPerQueryJ / sm.energyPerQueryJ;
    report.target(at + "qeil-no-csvet energy/query vs stock", e, "x", "<= 0.7", e <= 0.7);
    const double l = sm.p95S > 0 ? m.p95S / sm.p95S : 0.0;
    report.target(at + "qeil-no-csvet p95 vs stock", l, "x", "<= 1.1", l <= 1.1);
  }
  if (q) {
    const Metrics& m = q->result.metrics;
    const double e = m.energyPerCorrectJ / sm.energyPerCorrectJ;
    report.target(at + "qeil energy/correct vs stock", e, "x", "<= 0.15", e <= 0.15);
    const double l = sm.p95S > 0 ? m.p95S / sm.p95S : 0.0;
    report.target(at + "qeil p95 vs stock", l, "x", "<= 1", l <= 1.0);
    const double d = (m.accuracy - sm.accuracy) * 100.0;
    report.target(at + "qeil accuracy - stock (closed-loop queries)", d, "points", ">= -0.2",
                  d >= -0.2);
    const double dr = (q->replay.accuracy - s->replay.accuracy) * 100.0;
    report.target(at + "qeil accuracy - stock (rule replayed on every question)", dr, "points",
                  ">= -0.2", dr >= -0.2);
    report.target(at + "qeil throttle events", static_cast<double>(q->result.throttleEvents), "",
                  "0", q->result.throttleEvents == 0);
    bool best = true;
    for (const Row& r : rows) {
      if (r.board == board && r.ambientC == amb && r.model == model && r.bits == bits &&
          r.config != "qeil" && r.result.ok &&
          r.result.metrics.energyPerCorrectJ <= m.energyPerCorrectJ)
        best = false;
    }
    report.target(at + "qeil energy/correct best of all configs", m.energyPerCorrectJ, "J",
                  "lowest", best);
  }
}

int run(int argc, char** argv) {
  const auto wallStart = std::chrono::steady_clock::now();
  std::string command = "scenario";
  for (int i = 1; i < argc; ++i)
    command += std::string(" ") + argv[i];
  Args a;
  a.data = sharedDataPath("verify/gsm8k-gpt4o-mini-40.csv");
  if (!parseArgs(argc, argv, &a)) return 2;
  setLogLevels(getenv("QEIL_LOG") ? getenv("QEIL_LOG") : "error");  // the agent's lines (moves, exits, baselines' violated constraints)
  if (a.defaultData && access(a.data.c_str(), R_OK) != 0)
    return skipForMissingData("scenario", a.data);
  std::vector<verify::ReplayQuestion> data;
  verify::ReplayError err;
  if (!loadReplayCsv(a.data, &data, &err) || data.empty()) {
    fprintf(stderr, "scenario: %s:%d: %s\n", a.data.c_str(), err.line, err.message.c_str());
    return 1;
  }
  if (a.quick) {
    a.queries = std::min(a.queries, 3);
    a.ambients.resize(1);
    a.faults = false;
    a.sweep = false;
    if (a.configs.empty()) a.configs = {"stock", "qeil-no-csvet", "qeil"};
    a.stepUs = std::max<int64_t>(a.stepUs, 20000);
    a.tickMs = std::max<int64_t>(a.tickMs, 1000);
  }
  if (a.sweep) {
    // Ten model variants per board: a smaller comparison per variant keeps it in minutes.
    a.queries = std::min(a.queries, 2);
    a.ambients.resize(1);
    a.faults = false;
    if (a.configs.empty()) a.configs = {"stock", "qeil-no-csvet", "qeil"};
  }
  const ModelArch* model = findModel(a.model);
  if (!model) {
    fprintf(stderr, "scenario: unknown model %s; one of:", a.model.c_str());
    for (const ModelArch& m : sweepModels())
      fprintf(stderr, " %s", m.name);
    fprintf(stderr, "\n");
    return 2;
  }
  std::vector<ConfigSpec> configs;
  for (const ConfigSpec& c : standardConfigs()) {
    if (a.configs.empty() ||
        std::find(a.configs.begin(), a.configs.end(), c.name) != a.configs.end())
      configs.push_back(c);
  }
  const ConfigSpec stock = standardConfigs().front();
  printf("scenario: %zu questions from %s; %d queries per run, seed %llu%s\n", data.size(),
         a.data.c_str(), a.queries, static_cast<unsigned long long>(a.seed),
         a.quick ? " (quick)" : "");
  printf(
      "figures from the board twins (hal/sim) calibrated as bench/twin_validate shows, not "
      "from physical boards\n");

  std::vector<Row> rows;
  std::vector<std::string> boardNames;
  Report report(a.quick ? "scenario-quick" : a.sweep ? "scenario-sweep" : "scenario");
  for (const std::string& file : boardFiles()) {
    auto loaded = loadBoardFile(file);
    if (!loaded.ok()) {
      fprintf(stderr, "scenario: %s: %s\n", file.c_str(), loaded.error().message());
      continue;
    }
    const BoardSpec& board = loaded.value();
    if (!a.boards.empty() &&
        std::find(a.boards.begin(), a.boards.end(), board.name) == a.boards.end())
      continue;
    boardNames.push_back(board.name);
    std::vector<std::pair<const ModelArch*, int>> models;
    if (a.sweep) {
      for (const ModelArch& m : sweepModels()) {
        for (int bits : {16, 4})
          models.push_back({&m, bits});
      }
    } else {
      models.push_back({model, a.bits});
    }
    for (double amb : a.ambients) {
      for (const auto& [m, bits] : models) {
        RunOptions opt;
        opt.ambientC = amb;
        opt.model = *m;
        opt.bits = bits;
        opt.promptTokens = a.promptTokens;
        opt.stepUs = a.stepUs;
        opt.tickMs = a.tickMs;
        const LlmWorkloadSpec probeSpec = querySpec(*m, bits, a.promptTokens, 1, 400, 1);
        if (!fitsMemory(board, probeSpec)) {
          printf("\n%s: %s %d-bit does not fit its memory; skipped\n", board.name.c_str(), m->name,
                 bits);
          continue;
        }
        // The arrival rate: `load` of what stock serves (40 samples of the data's mean length),
        // unless --rate gives it.
        double ratePerS = a.ratePerHour / 3600.0;
        if (ratePerS <= 0.0) {
          const double sPerToken = probeStockSecondsPerToken(board, stock, opt);
          double meanTokens = 0.0;
          for (const auto& q : data) {
            for (size_t i = 0; i < q.samples.size() && i < 40; ++i)
              meanTokens += q.samples[i].outputTokens;
          }
          meanTokens /= static_cast<double>(data.size());
          ratePerS = sPerToken > 0.0 ? a.load / (sPerToken * meanTokens) : 0.0;
        }
        if (ratePerS <= 0.0) {
          printf("\n%s: the stock probe failed; skipped\n", board.name.c_str());
          continue;
        }
        const std::vector<double> arrivals = poissonArrivalsS(ratePerS, a.queries, a.seed);
        const std::vector<int> picks =
            drawQuestions(static_cast<int>(data.size()), a.queries, a.seed);
        std::vector<Query> queries;
        for (size_t i = 0; i < arrivals.size(); ++i)
          queries.push_back({arrivals[i], picks[i]});
        opt.timeLimitS = arrivals.back() + 40.0 * a.queries / ratePerS;
        for (const ConfigSpec& c : configs) {
          Row r;
          r.board = board.name;
          r.model = m->name;
          r.bits = bits;
          r.ambientC = amb;
          r.config = c.name;
          r.ratePerHour = ratePerS * 3600.0;
          r.replay = replayAll(data, c.session);
          r.result = runScenario(board, c, queries, data, opt);
          if (!r.result.ok)
            fprintf(stderr, "scenario: %s %s: %s\n", board.name.c_str(), c.name.c_str(),
                    r.result.error.c_str());
          rows.push_back(std::move(r));
        }
        if (a.faults && !a.sweep) {
          ConfigSpec q = configs.back();
          for (const ConfigSpec& c : standardConfigs()) {
            if (c.name == "qeil") q = c;
          }
          RunOptions fo = opt;
          fo.faults.enabled = true;
          Row r;
          r.board = board.name;
          r.model = m->name;
          r.bits = bits;
          r.ambientC = amb;
          r.config = "qeil+faults";
          r.ratePerHour = ratePerS * 3600.0;
          r.result = runScenario(board, q, queries, data, fo);
          rows.push_back(std::move(r));
        }
        printRows(rows, board.name, amb, m->name, bits);
        if (m == model && bits == a.bits) addTargets(report, rows, board.name, amb, m->name, bits);
      }
    }
  }
  // The fault matrix.
  int injected = 0, recovered = 0, lost = 0;
  for (const Row& r : rows) {
    if (r.config != "qeil+faults") continue;
    printf("\nfaults on %s (%.0f C, qeil):\n", r.board.c_str(), r.ambientC);
    for (const FaultRecord& f : r.result.faults) {
      if (!f.injected) {
        printf("  %-17s not injected: %s\n", f.kind.c_str(), f.note.c_str());
        continue;
      }
      ++injected;
      recovered += f.recovered ? 1 : 0;
      printf("  %-17s at %8.1f s: %s, back after %s s; %s\n", f.kind.c_str(), f.injectedS,
             f.recovered ? "answered" : "NOT answered", num(f.recoveryS).c_str(), f.note.c_str());
    }
    lost += r.result.metrics.queries - r.result.metrics.answered;
  }
  if (injected > 0) {
    report.target("fault recovery rate", 100.0 * recovered / injected, "%", "100",
                  recovered == injected);
    report.target("queries lost under faults", lost, "", "0", lost == 0);
  }
  const double wallS =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wallStart).count();
  report.info("wall time", wallS, "s");
  printf("\n");
  report.print();
  const std::string dir = a.resultsDir.empty() ? QEIL_SOURCE_DIR "/bench/results" : a.resultsDir;
  if (!a.quick || !a.resultsDir.empty()) {
    (void)system(("mkdir -p '" + dir + "'").c_str());
    const std::string base = dir + "/scenario" + (a.quick ? "-quick" : a.sweep ? "-sweep" : "");
    writeFile(base + ".csv", resultsCsv(rows));
    writeFile(base + "-breakdown.csv", breakdownCsv(rows));
    writeFile(base + "-faults.csv", faultsCsv(rows));
    writeFile(base + "-runs.json", resultsJson(rows, command));
    writeFile(base + ".svg", resultsSvg(rows, boardNames, a));
    report.writeJson(dir);
    printf("wrote %s.{csv,svg,json}, %s-{breakdown,faults}.csv, %s-runs.json\n", base.c_str(),
           base.c_str(), base.c_str());
  }
  for (const Row& r : rows) {
    if (!r.result.ok) return 1;
  }
  return 0;
}

}  // namespace
}  // namespace qeil::bench::scenario

int main(int argc, char** argv) {
  return qeil::bench::scenario::run(argc, argv);
}
