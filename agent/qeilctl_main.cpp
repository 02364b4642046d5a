// qeilctl: the command-line client of qeild's control API (HTTP over its UNIX socket).
#include <rapidjson/document.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "agent/http_client.h"
#include "agent/telemetry_log.h"

namespace {

constexpr const char* kUsage =
    "usage: qeilctl [--socket PATH] [--json] COMMAND\n"
    "\n"
    "commands:\n"
    "  status              the board, its power and energy, the agent's state\n"
    "  devices             devices with frequency, limits, governor, zone temperature\n"
    "  rails               power rails: W, V, A, energy, sensor health\n"
    "  top [--once] [--interval-ms N]\n"
    "                      a refreshing view of rails, zones and devices (--once: one frame)\n"
    "  workloads           workloads: id, pid, device, state, tokens, tokens/s\n"
    "  run [--device D] [--priority N] [MODEL FLAGS] -- CMD [ARGS...]\n"
    "                      start CMD as a workload (twin: a simulated LLM run); the model\n"
    "                      defaults to TinyLlama 1.1B Q4; MODEL FLAGS: --params N --bits B\n"
    "                      --layers L --hidden H --kv-width K --context C --prompt-tokens P\n"
    "                      --output-tokens T --threads N; --priority 1..10 (default 1):\n"
    "                      its weight in the plan's latency and its cgroup's CPU weight\n"
    "  attach [--priority N] PID\n"
    "                      place an existing process (CPU placement only)\n"
    "  stop ID             stop a workload\n"
    "  policy [NAME] [--cap W|--no-cap]\n"
    "                      show or set the policy: energy-first, latency-first, balanced\n"
    "  plan explain        the current plan, phase by phase, and why\n"
    "  verify [--rule R] [--max-samples N] [--question ID] [FILE|-]\n"
    "                      one question's samples through a verification session of the\n"
    "                      daemon (rules: csvet (default), majority, beta, esc, sprt), fed one\n"
    "                      by one until it says stop; the decision after each. Input: lines\n"
    "                      'answer' or 'answer,tokens' (tokens: the last comma field when it is\n"
    "                      an integer), or a verify CSV (header question,...,answer,\n"
    "                      output_tokens[,confidence]: --question picks one when it holds\n"
    "                      several)\n"
    "  telemetry export [--dir DIR] [--since SECONDS]\n"
    "                      qeild's telemetry files (--telemetry-dir) decompressed to stdout as\n"
    "                      one CSV, oldest first; --since: only the last SECONDS of samples;\n"
    "                      the directory defaults to the one /v1/status reports\n"
    "\n"
    "  --socket PATH       qeild's socket (default $QEIL_SOCKET, else /run/qeild.sock)\n"
    "  --json              print the daemon's JSON as it is, for scripts\n"
    "Exit status: 0 ok, 1 the daemon answered an error or is not running, 2 usage.\n";

struct Options {
  std::string socket = "/run/qeild.sock";
  bool json = false;
  std::string command;
  std::vector<std::string> args;                           // after the command
  std::vector<std::pair<std::string, std::string>> flags;  // --model flags, --device, --cap
  bool noCap = false;
  bool once = false;
  int intervalMs = 1000;
};

using Doc = rapidjson::Document;
using Val = rapidjson::Value;

double num(const Val& v, const char* k) {
  return v.HasMember(k) && v[k].IsNumber() ? v[k].GetDouble() : NAN;
}
const char* str(const Val& v, const char* k) {
  return v.HasMember(k) && v[k].IsString() ? v[k].GetString() : "-";
}
// "%.2f" or "-" for a missing value.
std::string fmt(double v, const char* f = "%.2f") {
  if (!std::isfinite(v)) return "-";
  char buf[48];
  snprintf(buf, sizeof buf, f, v);
  return buf;
}

// Sends a request; on failure (no daemon, an error status, not JSON) prints why and returns
// false.
bool call(const Options& o, const char* method, const char* path, const std::string& request,
          std::string* body, Doc* doc) {
  auto reply = qeil::unixHttpRequest(o.socket, method, path, request);
  if (!reply.ok()) {
    fprintf(stderr, "qeilctl: %s\n", reply.error().message());
    return false;
  }
  *body = reply.value().body;
  doc->Parse(body->c_str());
  if (reply.value().status / 100 != 2) {
    const char* msg = !doc->HasParseError() && doc->IsObject() && doc->HasMember("error")
                          ? str((*doc)["error"], "message")
                          : body->c_str();
    fprintf(stderr, "qeilctl: %s: %d: %s\n", path, reply.value().status, msg);
    return false;
  }
  if (doc->HasParseError() || !doc->IsObject()) {
    fprintf(stderr, "qeilctl: %s: the daemon's answer is not JSON\n", path);
    return false;
  }
  return true;
}

bool fetch(const Options& o, const char* path, std::string* body, Doc* doc) {
  return call(o, "GET", path, std::string(), body, doc);
}

void printStatus(const Doc& d) {
  printf("board      %s (%s)%s\n", str(d, "board"), str(d, "soc"),
         strcmp(str(d, "mode"), "twin") == 0 ? ", twin" : "");
  printf("uptime     %s s (%s ticks of %s ms)\n", fmt(num(d, "uptime_s"), "%.1f").c_str(),
         fmt(num(d, "ticks"), "%.0f").c_str(), fmt(num(d, "tick_ms"), "%.0f").c_str());
  if (d.HasMember("loop") && d["loop"].IsObject()) {
    const Val& l = d["loop"];
    printf("loop       tick %s ms (longest %s), re-plan %s ms (longest %s)\n",
           fmt(num(l, "last_tick_ms"), "%.2f").c_str(),
           fmt(num(l, "longest_tick_ms"), "%.2f").c_str(),
           fmt(num(l, "last_replan_ms"), "%.2f").c_str(),
           fmt(num(l, "longest_replan_ms"), "%.2f").c_str());
  }
  printf("power      %s W\n", fmt(num(d, "power_w")).c_str());
  printf("energy     %s J\n", fmt(num(d, "energy_j"), "%.1f").c_str());
  printf("hardware   %s rails, %s zones, %s devices\n", fmt(num(d, "rails"), "%.0f").c_str(),
         fmt(num(d, "zones"), "%.0f").c_str(), fmt(num(d, "devices"), "%.0f").c_str());
  printf("journal    %s settings to restore\n", fmt(num(d, "journal_entries"), "%.0f").c_str());
  if (d.HasMember("telemetry") && d["telemetry"].IsObject()) {
    printf("telemetry  %s of %s samples in memory\n",
           fmt(num(d["telemetry"], "samples"), "%.0f").c_str(),
           fmt(num(d["telemetry"], "capacity"), "%.0f").c_str());
    const Val& t = d["telemetry"];
    if (t.HasMember("dir") && t["dir"].IsString()) {
      printf("files      %s: %s files, %s of %s KiB, %s write errors\n", t["dir"].GetString(),
             fmt(num(t, "files"), "%.0f").c_str(), fmt(num(t, "bytes") / 1024, "%.0f").c_str(),
             fmt(num(t, "max_bytes") / 1024, "%.0f").c_str(),
             fmt(num(t, "write_errors"), "%.0f").c_str());
    }
  }
}

void printRails(const Doc& d) {
  printf("%-16s %9s %8s %8s %11s  %-8s %s\n", "RAIL", "POWER_W", "BUS_V", "CUR_A", "ENERGY_J",
         "HEALTH", "MONITOR");
  if (!d.HasMember("rails") || !d["rails"].IsArray()) return;
  for (const Val& r : d["rails"].GetArray()) {
    printf("%-16s %9s %8s %8s %11s  %-8s %s\n", str(r, "name"),
           fmt(num(r, "power_w"), "%.3f").c_str(), fmt(num(r, "bus_v"), "%.3f").c_str(),
           fmt(num(r, "current_a"), "%.3f").c_str(), fmt(num(r, "energy_j"), "%.1f").c_str(),
           str(r, "health"), str(r, "monitor"));
  }
  printf("%-16s %9s\n", "board", fmt(num(d, "power_w"), "%.3f").c_str());
}

void printDevices(const Doc& d) {
  printf("%-8s %-4s %5s %-6s %10s %10s %-16s %-20s %7s\n", "DEVICE", "KIND", "CORES", "CPUS",
         "FREQ_MHZ", "MAX_MHZ", "GOVERNOR", "ZONE", "TEMP_C");
  if (!d.HasMember("devices") || !d["devices"].IsArray()) return;
  for (const Val& v : d["devices"].GetArray()) {
    printf("%-8s %-4s %5s %-6s %10s %10s %-16s %-20s %7s\n", str(v, "name"), str(v, "kind"),
           fmt(num(v, "cores"), "%.0f").c_str(), str(v, "cpus"),
           fmt(num(v, "cur_freq_hz") / 1e6, "%.0f").c_str(),
           fmt(num(v, "max_limit_hz") / 1e6, "%.0f").c_str(), str(v, "governor"), str(v, "zone"),
           fmt(num(v, "temp_c"), "%.1f").c_str());
  }
}

int simple(const Options& o, const char* path, void (*print)(const Doc&)) {
  std::string body;
  Doc doc;
  if (!fetch(o, path, &body, &doc)) return 1;
  if (o.json) {
    printf("%s\n", body.c_str());
  } else {
    print(doc);
  }
  return 0;
}

void printWorkloads(const Doc& d) {
  printf("%4s %8s %-6s %4s %-8s %-8s %-8s %10s %9s  %s\n", "ID", "PID", "ORIGIN", "PRIO", "DEVICE",
         "PLANNED", "STATE", "TOKENS", "TOK/S", "MODEL");
  if (!d.HasMember("workloads") || !d["workloads"].IsArray()) return;
  for (const Val& w : d["workloads"].GetArray()) {
    printf("%4s %8s %-6s %4s %-8s %-8s %-8s %10s %9s  %s\n", fmt(num(w, "id"), "%.0f").c_str(),
           fmt(num(w, "pid"), "%.0f").c_str(), str(w, "origin"),
           fmt(num(w, "priority"), "%.0f").c_str(), str(w, "device"), str(w, "planned_device"),
           str(w, "state"), fmt(num(w, "tokens"), "%.0f").c_str(),
           fmt(num(w, "tokens_per_s"), "%.1f").c_str(), str(w, "model"));
  }
}

void printPolicy(const Doc& d) {
  const double cap = num(d, "power_cap_w");
  printf("policy     %s\npower cap  %s\n", str(d, "policy"),
         std::isfinite(cap) ? (fmt(cap) + " W").c_str() : "none");
}

void printPlan(const Doc& d) {
  printPolicy(d);
  printf("workloads  %s planned\n", fmt(num(d, "workloads"), "%.0f").c_str());
  if (d.HasMember("error") && d["error"].IsString()) printf("error      %s\n", str(d, "error"));
  if (d.HasMember("energy_j")) {
    printf("objectives E %s J, L %s s, U %s\n", fmt(num(d, "energy_j"), "%.1f").c_str(),
           fmt(num(d, "latency_s"), "%.2f").c_str(),
           fmt(num(d, "under_utilisation"), "%.3f").c_str());
  }
  printf("\n%s", str(d, "explanation"));
}

// Sends a mutating request and prints the daemon's answer with `print`.
int change(const Options& o, const char* method, const std::string& path, const std::string& req,
           void (*print)(const Doc&)) {
  std::string body;
  Doc doc;
  if (!call(o, method, path.c_str(), req, &body, &doc)) return 1;
  if (o.json || !print) {
    printf("%s\n", body.c_str());
  } else {
    print(doc);
  }
  return 0;
}

// JSON string literal of `s`.
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (static_cast<unsigned char>(c) < 0x20) {
      char esc[8];
      snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
      continue;
    }
    out += c;
  }
  return out + "\"";
}

// A flag's JSON key in the model descriptor; nullptr for a flag that is not a model field.
const char* modelKey(const std::string& flag) {
  static const char* const kMap[][2] = {{"--params", "params"},
                                        {"--bits", "bits_per_weight"},
                                        {"--layers", "layers"},
                                        {"--hidden", "hidden"},
                                        {"--kv-width", "kv_width"},
                                        {"--context", "context"},
                                        {"--prompt-tokens", "prompt_tokens"},
                                        {"--output-tokens", "output_tokens"},
                                        {"--threads", "threads"}};
  for (const auto& m : kMap) {
    if (flag == m[0]) return m[1];
  }
  return nullptr;
}

void printEntry(const Doc& d) {
  printf("workload %s: pid %s on %s (%s)\n", fmt(num(d, "id"), "%.0f").c_str(),
         fmt(num(d, "pid"), "%.0f").c_str(), str(d, "device"), str(d, "state"));
}

// ", \"priority\": N" appended to a request; false when N is not a whole number.
bool priorityField(const std::string& value, std::string* req) {
  char* end = nullptr;
  strtol(value.c_str(), &end, 10);
  if (value.empty() || *end != '\0') return false;
  *req += ", \"priority\": " + value;
  return true;
}

int run(const Options& o) {
  if (o.args.empty()) return -1;
  std::string req = "{\"run\": [";
  for (size_t i = 0; i < o.args.size(); ++i)
    req += (i ? ", " : "") + quoted(o.args[i]);
  req += "]";
  std::string model;
  for (const auto& [flag, value] : o.flags) {
    if (flag == "--device") {
      req += ", \"device\": " + quoted(value);
    } else if (flag == "--priority") {
      if (!priorityField(value, &req)) return -1;
    } else if (const char* key = modelKey(flag)) {
      char* end = nullptr;
      strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0') return -1;
      model += (model.empty() ? "" : ", ") + quoted(key) + ": " + value;
    } else {
      return -1;
    }
  }
  if (!model.empty()) req += ", \"model\": {" + model + "}";
  req += "}";
  return change(o, "POST", "/v1/workloads", req, printEntry);
}

int policy(const Options& o) {
  std::string req;
  if (!o.args.empty()) req += "\"policy\": " + quoted(o.args[0]);
  for (const auto& [flag, value] : o.flags) {
    char* end = nullptr;
    strtod(value.c_str(), &end);
    if (flag != "--cap" || value.empty() || *end != '\0') return -1;
    req += (req.empty() ? "" : ", ") + std::string("\"power_cap_w\": ") + value;
  }
  if (o.noCap) req += (req.empty() ? "" : ", ") + std::string("\"power_cap_w\": null");
  if (o.args.size() > 1) return -1;
  if (req.empty()) return simple(o, "/v1/policy", printPolicy);
  return change(o, "PUT", "/v1/policy", "{" + req + "}", printPolicy);
}

// One frame of `top`: status, rails, devices.
bool topFrame(const Options& o) {
  std::string sb, rb, db;
  Doc s, r, d;
  if (!fetch(o, "/v1/status", &sb, &s) || !fetch(o, "/v1/rails", &rb, &r) ||
      !fetch(o, "/v1/devices", &db, &d))
    return false;
  if (o.json) {
    printf("{\"status\":%s,\"rails\":%s,\"devices\":%s}\n", sb.c_str(), rb.c_str(), db.c_str());
    return true;
  }
  printf("qeil top  %s  %s W  uptime %s s\n\n", str(s, "board"), fmt(num(s, "power_w")).c_str(),
         fmt(num(s, "uptime_s"), "%.1f").c_str());
  printRails(r);
  printf("\n");
  printDevices(d);
  return true;
}

int top(const Options& o) {
  for (;;) {
    if (!o.once && !o.json) fputs("\033[H\033[2J", stdout);
    if (!topFrame(o)) return 1;
    fflush(stdout);
    if (o.once) return 0;
    usleep(static_cast<useconds_t>(o.intervalMs) * 1000);
  }
}

struct VerifyInput {
  std::string answer;
  long tokens = 0;
  std::string logprob;  // the CSV's confidence column (mean token log-probability), if any
};

std::vector<std::string> splitCsv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, ',');)
    out.push_back(f);
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

bool allDigits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

int column(const std::vector<std::string>& header, const char* name) {
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == name) return static_cast<int>(i);
  }
  return -1;
}

// The samples of a verify CSV (question,gold,sample,answer,output_tokens): those of `question`,
// or of its only question. False (with the reason printed) otherwise.
bool csvSamples(const std::vector<std::string>& lines, const std::string& question,
                std::vector<VerifyInput>* out) {
  const std::vector<std::string> header = splitCsv(lines[0]);
  const int q = column(header, "question"), a = column(header, "answer");
  const int t = column(header, "output_tokens");
  const int c = column(header, "confidence");
  std::set<std::string> questions;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::vector<std::string> f = splitCsv(lines[i]);
    if (lines[i].empty()) continue;
    if (static_cast<int>(f.size()) <= std::max(q, std::max(a, t)) || (t >= 0 && !allDigits(f[t]))) {
      fprintf(stderr,
              "qeilctl: verify: line %zu: expected %zu fields with output_tokens an integer\n",
              i + 1, header.size());
      return false;
    }
    questions.insert(f[q]);
    if (!question.empty() && f[q] != question) continue;
    out->push_back({f[a], t >= 0 ? atol(f[t].c_str()) : 0,
                    c >= 0 && c < static_cast<int>(f.size()) ? f[c] : std::string()});
  }
  if (question.empty() && questions.size() > 1) {
    fprintf(stderr,
            "qeilctl: verify: the file holds %zu questions (%s ... %s): pick one with "
            "--question ID\n",
            questions.size(), questions.begin()->c_str(), questions.rbegin()->c_str());
    return false;
  }
  if (!question.empty() && out->empty()) {
    fprintf(stderr, "qeilctl: verify: no samples of question %s\n", question.c_str());
    return false;
  }
  if (!question.empty() || questions.size() == 1) return true;
  out->clear();
  return true;
}

// The samples of FILE (or stdin for "-"): plain lines or a verify CSV.
bool verifyInput(const std::string& file, const std::string& question,
                 std::vector<VerifyInput>* out) {
  std::ifstream f;
  if (file != "-") {
    f.open(file);
    if (!f) {
      fprintf(stderr, "qeilctl: verify: %s: %s\n", file.c_str(), strerror(errno));
      return false;
    }
  }
  std::istream& in = file == "-" ? std::cin : f;
  std::vector<std::string> lines;
  for (std::string l; std::getline(in, l);) {
    if (!l.empty() && l.back() == '\r') l.pop_back();
    lines.push_back(l);
  }
  if (!lines.empty()) {
    const std::vector<std::string> h = splitCsv(lines[0]);
    if (column(h, "question") >= 0 && column(h, "answer") >= 0)
      return csvSamples(lines, question, out);
  }
  if (!question.empty()) {
    fprintf(stderr, "qeilctl: verify: --question needs a verify CSV (header question,...)\n");
    return false;
  }
  for (const std::string& l : lines) {
    if (l.empty() || l[0] == '#') continue;
    const size_t comma = l.rfind(',');
    if (comma != std::string::npos && allDigits(l.substr(comma + 1))) {
      out->push_back({l.substr(0, comma), atol(l.c_str() + comma + 1), std::string()});
    } else {
      out->push_back({l, 0, std::string()});
    }
  }
  return true;
}

void printVerifyRow(size_t n, const VerifyInput& in, const Doc& d) {
  const Val& answer = d["answer"];
  printf("%4zu  %-20.20s %7ld  %-16.16s %9s %9s  %s\n", n, in.answer.c_str(), in.tokens,
         answer.IsString() ? answer.GetString() : "-", fmt(num(d, "posterior"), "%.4f").c_str(),
         fmt(num(d, "diversity"), "%.3f").c_str(),
         d["stop"].IsTrue() ? (std::string("stop: ") + str(d, "reason")).c_str() : "continue");
}

int verifyRun(const Options& o, const std::string& path, const std::vector<VerifyInput>& input) {
  std::string body;
  Doc doc;
  size_t fed = 0;
  if (!o.json) {
    printf("%4s  %-20s %7s  %-16s %9s %9s  %s\n", "#", "ANSWER", "TOKENS", "LEADER", "POSTERIOR",
           "DIVERSITY", "DECISION");
  }
  for (const VerifyInput& in : input) {
    std::string req =
        "{\"answer\": " + quoted(in.answer) + ", \"tokens\": " + std::to_string(in.tokens);
    char* end = nullptr;
    const double lp = strtod(in.logprob.c_str(), &end);
    if (!in.logprob.empty() && *end == '\0' && std::isfinite(lp))
      req += ", \"logprob\": " + in.logprob;
    req += "}";
    if (!call(o, "POST", (path + "/samples").c_str(), req, &body, &doc)) return 1;
    ++fed;
    if (!o.json) printVerifyRow(fed, in, doc);
    if (doc["stop"].IsTrue()) break;
  }
  if (fed == 0 && !fetch(o, path.c_str(), &body, &doc)) return 1;
  if (o.json) {
    printf("%s\n", body.c_str());
    return 0;
  }
  const Val& answer = doc["answer"];
  printf("\n%s after %s of %s samples (%s rule): answer %s, posterior %s\n",
         doc["stop"].IsTrue() ? (std::string("stop (") + str(doc, "reason") + ")").c_str()
                              : "no decision yet (the input ran out)",
         fmt(num(doc, "samples"), "%.0f").c_str(), fmt(num(doc, "max_samples"), "%.0f").c_str(),
         str(doc, "rule"), answer.IsString() ? answer.GetString() : "none",
         fmt(num(doc, "posterior"), "%.4f").c_str());
  return 0;
}

// `verify`: -1 on a usage error.
int verify(const Options& o) {
  if (o.args.size() > 1) return -1;
  std::string req, question;
  for (const auto& [flag, value] : o.flags) {
    if (flag == "--rule") {
      req += (req.empty() ? "" : ", ") + std::string("\"rule\": ") + quoted(value);
    } else if (flag == "--max-samples" && allDigits(value)) {
      req += (req.empty() ? "" : ", ") + std::string("\"max_samples\": ") + value;
    } else if (flag == "--question") {
      question = value;
    } else {
      return -1;
    }
  }
  std::vector<VerifyInput> input;
  if (!verifyInput(o.args.empty() ? "-" : o.args[0], question, &input)) return 1;
  std::string body;
  Doc doc;
  if (!call(o, "POST", "/v1/verify/sessions", "{" + req + "}", &body, &doc)) return 1;
  const std::string path = "/v1/verify/sessions/" + std::to_string(doc["id"].GetInt());
  const int rc = verifyRun(o, path, input);
  Doc ignored;
  (void)call(o, "DELETE", path.c_str(), std::string(), &body, &ignored);
  return rc;
}

// `telemetry export`: -1 on a usage error.
int telemetry(const Options& o) {
  if (o.args.size() != 1 || o.args[0] != "export") return -1;
  std::string dir;
  double sinceS = -1.0;
  for (const auto& [flag, value] : o.flags) {
    char* end = nullptr;
    if (flag == "--dir") {
      dir = value;
    } else if (flag == "--since") {
      sinceS = strtod(value.c_str(), &end);
      if (value.empty() || *end != '\0' || !(sinceS >= 0.0)) return -1;
    } else {
      return -1;
    }
  }
  if (dir.empty()) {
    std::string body;
    Doc doc;
    if (!fetch(o, "/v1/status", &body, &doc)) return 1;
    const Val* t = doc.HasMember("telemetry") ? &doc["telemetry"] : nullptr;
    if (!t || !t->IsObject() || !t->HasMember("dir") || !(*t)["dir"].IsString()) {
      fprintf(stderr,
              "qeilctl: qeild writes no telemetry files (start it with --telemetry-dir DIR), "
              "or give --dir DIR\n");
      return 1;
    }
    dir = (*t)["dir"].GetString();
  }
  auto report = qeil::exportTelemetry(dir, sinceS, stdout);
  if (!report.ok()) {
    fprintf(stderr, "qeilctl: %s\n", report.error().message());
    return 1;
  }
  for (const std::string& p : report.value().problems)
    fprintf(stderr, "qeilctl: %s\n", p.c_str());
  return report.value().problems.empty() ? 0 : 1;
}

// Flags that take a value, kept for the command to interpret.
bool valueFlag(const std::string& a) {
  static const char* const kFlags[] = {"--device", "--cap",      "--dir",         "--since",
                                       "--rule",   "--question", "--max-samples", "--priority"};
  for (const char* f : kFlags) {
    if (a == f) return true;
  }
  return modelKey(a) != nullptr;
}

int usage(const char* what) {
  fprintf(stderr, "qeilctl: %s\nTry 'qeilctl --help'.\n", what);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* env = getenv("QEIL_SOCKET")) o.socket = env;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      fputs(kUsage, stdout);
      return 0;
    } else if (a == "--json") {
      o.json = true;
    } else if (a == "--once") {
      o.once = true;
    } else if ((a == "--socket" || a == "--interval-ms") && i + 1 < argc) {
      if (a == "--socket") o.socket = argv[++i];
      if (a == "--interval-ms") o.intervalMs = atoi(argv[++i]);
    } else if (a == "--no-cap") {
      o.noCap = true;
    } else if (a == "--") {
      for (++i; i < argc; ++i)
        o.args.push_back(argv[i]);
    } else if (valueFlag(a) && i + 1 < argc) {
      o.flags.emplace_back(a, argv[++i]);
    } else if (a[0] != '-' && o.command.empty()) {
      o.command = a;
    } else if (a[0] != '-' || a == "-") {
      o.args.push_back(a);
    } else {
      return usage(("unexpected argument: " + a).c_str());
    }
  }
  if (o.intervalMs < 50) return usage("--interval-ms: at least 50");
  if (o.command == "status") return simple(o, "/v1/status", printStatus);
  if (o.command == "rails") return simple(o, "/v1/rails", printRails);
  if (o.command == "devices") return simple(o, "/v1/devices", printDevices);
  if (o.command == "top") return top(o);
  if (o.command == "workloads") return simple(o, "/v1/workloads", printWorkloads);
  if (o.command == "plan") {
    if (o.args.size() != 1 || o.args[0] != "explain") return usage("plan: try 'plan explain'");
    return simple(o, "/v1/plan", printPlan);
  }
  if (o.command == "run") {
    int rc = run(o);
    return rc >= 0 ? rc : usage("run: [--device D] [MODEL FLAGS with numbers] -- CMD [ARGS...]");
  }
  if (o.command == "policy") {
    int rc = policy(o);
    return rc >= 0 ? rc : usage("policy: [energy-first|latency-first|balanced] [--cap W|--no-cap]");
  }
  if (o.command == "verify") {
    int rc = verify(o);
    return rc >= 0 ? rc : usage("verify: [--rule R] [--max-samples N] [--question ID] [FILE|-]");
  }
  if (o.command == "telemetry") {
    int rc = telemetry(o);
    return rc >= 0 ? rc : usage("telemetry: export [--dir DIR] [--since SECONDS]");
  }
  if ((o.command == "stop" || o.command == "attach") && o.args.size() == 1) {
    char* end = nullptr;
    long n = strtol(o.args[0].c_str(), &end, 10);
    if (*end != '\0' || n <= 0) return usage((o.command + ": a positive number").c_str());
    if (o.command == "stop")
      return change(o, "DELETE", "/v1/workloads/" + o.args[0], std::string(), nullptr);
    std::string req = "{\"attach\": " + o.args[0];
    for (const auto& [flag, value] : o.flags) {
      if (flag != "--priority" || !priorityField(value, &req))
        return usage("attach: [--priority N] PID");
    }
    return change(o, "POST", "/v1/workloads", req + "}", printEntry);
  }
  return usage(o.command.empty() ? "no command given" : ("unknown command: " + o.command).c_str());
}
