#include "agent/api_workloads.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "agent/agent.h"
#include "agent/api_json.h"

namespace qeil {
namespace {

// The HTTP status an error of the workload table stands for.
int statusFor(const Error& e) {
  switch (e.errnum()) {
    case EAGAIN:
      return 429;
    case EINVAL:
      return 400;
    case ENOENT:
    case ESRCH:
      return 404;
    case EEXIST:
      return 409;
    default:
      return 500;
  }
}

void writeEntry(JsonWriter& w, const WorkloadEntry& e) {
  w.StartObject();
  w.Key("id");
  w.Int(e.id);
  w.Key("pid");
  w.Int(static_cast<int>(e.pid));
  w.Key("origin");
  w.String(e.origin == WorkloadOrigin::Run ? "run" : "attach");
  key(w, "device", e.device);
  key(w, "group", e.group);
  w.Key("state");
  w.String(e.stopping ? "stopping" : workloadStateName(e.state));
  w.Key("priority");
  w.Int(e.priority);
  w.Key("restarts");
  w.Int(e.restarts);
  w.Key("tokens");
  w.Uint64(e.tokens);
  w.Key("tokens_per_s");
  w.Double(e.tokensPerS);
  char cpus[128] = {};
  w.Key("cpus");  // where its threads run now, when known
  if (!e.cpus.empty() && e.cpus.format(cpus, sizeof cpus)) {
    w.String(cpus);
  } else {
    w.Null();
  }
  w.Key("planned_device");
  if (e.plannedDevice.empty()) {
    w.Null();
  } else {
    w.String(e.plannedDevice.c_str());
  }
  w.Key("model");
  if (e.origin == WorkloadOrigin::Run) {
    w.String(e.model.name.c_str());
  } else {
    w.Null();
  }
  w.Key("command");
  w.StartArray();
  for (const std::string& a : e.argv)
    w.String(a.c_str());
  w.EndArray();
  w.EndObject();
}

ApiResponse list(Agent& agent) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("workloads");
  w.StartArray();
  for (const WorkloadEntry& e : agent.workloads().entries()) {
    if (e.used) writeEntry(w, e);
  }
  w.EndArray();
  w.Key("capacity");
  w.Uint64(WorkloadTable::kMaxWorkloads);
  w.EndObject();
  return jsonResponse(buf, 200);
}

// Reads a number field of the model descriptor; false (with `err` set) when it is present and
// not in (0, maxValue]. The bound keeps the sizes the planner multiplies finite.
bool positive(const rapidjson::Value& m, const char* key, double maxValue, double* out,
              std::string* err) {
  if (!m.HasMember(key)) return true;
  const rapidjson::Value& v = m[key];
  if (!v.IsNumber() || !(v.GetDouble() > 0.0) || !(v.GetDouble() <= maxValue)) {
    char msg[96];
    snprintf(msg, sizeof msg, "model.%s: must be a positive number at most %g", key, maxValue);
    *err = msg;
    return false;
  }
  *out = v.GetDouble();
  return true;
}

// As positive(), for a whole number at most 1e9 (so it fits an int).
bool positiveInt(const rapidjson::Value& m, const char* key, int* out, std::string* err) {
  constexpr double kMaxInt = 1e9;
  double v = *out;
  if (!positive(m, key, kMaxInt, &v, err)) return false;
  if (v != std::floor(v)) {
    *err = std::string("model.") + key + ": must be a positive integer";
    return false;
  }
  *out = static_cast<int>(v);
  return true;
}

bool parseModel(const rapidjson::Value& m, LlmWorkloadSpec* spec, std::string* err) {
  constexpr double kMaxParams = 1e13;       // beyond any model an edge board could hold
  constexpr double kMaxBitsPerWeight = 32;  // fp32
  if (!m.IsObject()) {
    *err = "model: must be an object";
    return false;
  }
  if (m.HasMember("name")) {
    if (!m["name"].IsString()) {
      *err = "model.name: must be a string";
      return false;
    }
    spec->name = m["name"].GetString();
  }
  const bool ok = positive(m, "params", kMaxParams, &spec->params, err) &&
                  positive(m, "bits_per_weight", kMaxBitsPerWeight, &spec->bitsPerWeight, err) &&
                  positiveInt(m, "layers", &spec->layers, err) &&
                  positiveInt(m, "hidden", &spec->hiddenWidth, err) &&
                  positiveInt(m, "kv_width", &spec->kvWidth, err) &&
                  positiveInt(m, "context", &spec->contextTokens, err) &&
                  positiveInt(m, "prompt_tokens", &spec->promptTokens, err) &&
                  positiveInt(m, "output_tokens", &spec->outputTokens, err) &&
                  positiveInt(m, "threads", &spec->threads, err);
  if (ok && !m.HasMember("name") && (m.HasMember("params") || m.HasMember("bits_per_weight"))) {
    // Not the default model any more: name it by what it is rather than keep the default's.
    char name[48];
    snprintf(name, sizeof name, "%.3gB-%.3gbit", spec->params / 1e9, spec->bitsPerWeight);
    spec->name = name;
  }
  return ok;
}

ApiResponse entryResponse(const WorkloadEntry& e, int status) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  writeEntry(w, e);
  return jsonResponse(buf, status);
}

// The body parsed into *d; false when it is not a JSON object.
bool parseObject(const std::string& body, rapidjson::Document* d) {
  d->Parse(body.c_str(), body.size());
  return !d->HasParseError() && d->IsObject();
}

ApiResponse post(Agent& agent, const std::string& body) {
  rapidjson::Document d;
  if (!parseObject(body, &d))
    return apiError(400, "POST /v1/workloads: the body must be a JSON object");
  const int64_t nowNs = agent.clock().nowNs();
  int priority = 1;
  std::string err;
  if (d.HasMember("priority") &&
      !intRange(d["priority"], "priority", 1, kMaxWorkloadPriority, &priority, &err))
    return apiError(400, err.c_str());
  Result<int> id = Error::make(EINVAL, "POST /v1/workloads: give \"run\" or \"attach\"");
  if (d.HasMember("attach") && d.HasMember("run")) {
    return apiError(400, "POST /v1/workloads: \"run\" and \"attach\" exclude each other");
  } else if (d.HasMember("attach")) {
    if (!d["attach"].IsInt() || d["attach"].GetInt() <= 0)
      return apiError(400, "attach: must be a process id (a positive integer)");
    id = agent.workloads().attach(d["attach"].GetInt(), nowNs);
  } else if (d.HasMember("run")) {
    const rapidjson::Value& run = d["run"];
    if (!run.IsArray() || run.Empty())
      return apiError(400, "run: must be a non-empty array of strings (the command)");
    std::vector<std::string> argv;
    for (const rapidjson::Value& a : run.GetArray()) {
      if (!a.IsString()) return apiError(400, "run: every element must be a string");
      argv.emplace_back(a.GetString(), a.GetStringLength());
    }
    LlmWorkloadSpec model = defaultLlmDescriptor();
    if (d.HasMember("model") && !parseModel(d["model"], &model, &err))
      return apiError(400, err.c_str());
    std::string device;
    if (d.HasMember("device")) {
      if (!d["device"].IsString()) return apiError(400, "device: must be a string");
      device = d["device"].GetString();
      if (device != "cpu" && indexByName(agent.board().devices, device) < 0)
        return apiError(400, ("device " + device + ": not a device of this board").c_str());
    }
    id = agent.workloads().run(argv, model, device, nowNs);
  }
  if (!id.ok()) return apiError(statusFor(id.error()), id.error().message());
  (void)agent.workloads().setPriority(id.value(), priority);  // a weight not written is logged
  return entryResponse(*agent.workloads().find(id.value()), 201);
}

// "/v1/workloads/12" or "/v1/workloads/12/progress": the id (> 0) and whether it is the
// progress path; false for anything else.
bool parseItemPath(const char* rest, int* id, bool* progress) {
  char* end = nullptr;
  errno = 0;
  long v = strtol(rest, &end, 10);
  if (end == rest || errno != 0 || v <= 0 || v > 1000000000) return false;
  *id = static_cast<int>(v);
  *progress = strcmp(end, "/progress") == 0;
  return *end == '\0' || *progress;
}

ApiResponse progress(Agent& agent, int id, const std::string& body) {
  rapidjson::Document d;
  if (!parseObject(body, &d) || !d.HasMember("tokens") || !d["tokens"].IsUint64())
    return apiError(400, "progress: the body must be {\"tokens\": n} with n >= 0");
  Status s = agent.workloads().progress(id, d["tokens"].GetUint64(), agent.clock().nowNs());
  if (!s.ok()) return apiError(statusFor(s.error()), s.error().message());
  return entryResponse(*agent.workloads().find(id), 200);
}

void writePolicy(JsonWriter& w, const PlanPolicy& p) {
  w.Key("policy");
  w.String(scheduler::policyName(p.policy));
  w.Key("power_cap_w");
  if (p.powerCapW > 0.0) {
    w.Double(p.powerCapW);
  } else {
    w.Null();
  }
}

ApiResponse policy(Agent& agent) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  writePolicy(w, agent.planner()->policy());
  w.EndObject();
  return jsonResponse(buf, 200);
}

ApiResponse putPolicy(Agent& agent, const std::string& body) {
  rapidjson::Document d;
  if (!parseObject(body, &d))
    return apiError(400, "PUT /v1/policy: the body must be a JSON object");
  PlanPolicy p = agent.planner()->policy();
  if (d.HasMember("policy")) {
    if (!d["policy"].IsString() || !parsePolicy(d["policy"].GetString(), &p.policy))
      return apiError(400, "policy: one of energy-first, latency-first, balanced");
  }
  if (d.HasMember("power_cap_w")) {
    const rapidjson::Value& v = d["power_cap_w"];
    if (v.IsNull()) {
      p.powerCapW = 0.0;
    } else if (!v.IsNumber() || !(v.GetDouble() > 0.0) || !std::isfinite(v.GetDouble())) {
      return apiError(400, "power_cap_w: a positive number of watts, or null for no cap");
    } else {
      p.powerCapW = v.GetDouble();
    }
  }
  agent.planner()->setPolicy(p);
  (void)agent.replan();  // a cap it cannot meet is reported by /v1/plan
  return policy(agent);
}

ApiResponse plan(Agent& agent) {
  const PlanManager& pm = *agent.planner();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  writePolicy(w, pm.policy());
  w.Key("workloads");
  w.Int(pm.planned());
  w.Key("replans");
  w.Uint64(pm.replans());
  w.Key("error");
  if (pm.lastError().empty()) {
    w.Null();
  } else {
    w.String(pm.lastError().c_str());
  }
  w.Key("phases");
  w.StartArray();
  std::string text;
  if (pm.hasPlan()) {
    const scheduler::Explanation e = scheduler::explainPlan(pm.model(), pm.problem(), pm.plan());
    for (const scheduler::PhaseExplanation& p : e.phases) {
      w.StartObject();
      w.Key("workload_id");
      w.Int(pm.workloadId(p.workload));
      w.Key("kind");
      w.String(p.kind == energy::PhaseKind::Prefill ? "prefill" : "decode");
      key(w, "device", agent.board().devices[static_cast<size_t>(p.device)].name);
      w.Key("opp");
      w.Int(p.opp);
      w.Key("freq_hz");
      w.Double(p.freqHz);
      w.Key("cores");
      w.Int(p.cores);
      w.Key("time_s");
      w.Double(p.timeS);
      w.Key("energy_j");
      w.Double(p.energyJ);
      w.Key("binding");
      w.String(scheduler::bindingName(p.binding));
      w.EndObject();
    }
    w.EndArray();
    w.Key("feasible");
    w.Bool(e.feasible);
    w.Key("energy_j");
    w.Double(e.energyJ);
    w.Key("latency_s");
    w.Double(e.latencyS);
    w.Key("under_utilisation");
    w.Double(e.underUtilisation);
    text = scheduler::formatExplanation(pm.model(), e);
  } else {
    w.EndArray();
  }
  key(w, "explanation", text);
  w.EndObject();
  return jsonResponse(buf, 200);
}

bool handlePlanRequest(Agent& agent, const char* method, const char* path, const std::string& body,
                       ApiResponse* out) {
  const bool isPolicy = strcmp(path, "/v1/policy") == 0;
  if (!isPolicy && strcmp(path, "/v1/plan") != 0) return false;
  const bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  if (!get && !(isPolicy && strcmp(method, "PUT") == 0)) {
    *out = methodNotAllowed(method, path, isPolicy ? "GET, HEAD, PUT" : "GET, HEAD");
  } else if (!agent.planner()) {
    *out = apiError(503, "no planner: the energy model cannot hold this board");
  } else if (!isPolicy) {
    *out = plan(agent);
  } else {
    *out = get ? policy(agent) : putPolicy(agent, body);
  }
  return true;
}

}  // namespace

bool handleWorkloadRequest(Agent& agent, const char* method, const char* path,
                           const std::string& body, ApiResponse* out) {
  if (handlePlanRequest(agent, method, path, body, out)) return true;
  static const char kBase[] = "/v1/workloads";
  const size_t n = sizeof kBase - 1;
  if (strncmp(path, kBase, n) != 0) return false;
  if (path[n] == '\0') {
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
      *out = list(agent);
    } else if (strcmp(method, "POST") == 0) {
      *out = post(agent, body);
    } else {
      *out = methodNotAllowed(method, path, "GET, HEAD, POST");
    }
    return true;
  }
  int id = 0;
  bool isProgress = false;
  if (path[n] != '/' || !parseItemPath(path + n + 1, &id, &isProgress)) return false;
  if (isProgress) {
    *out = strcmp(method, "POST") == 0 ? progress(agent, id, body)
                                       : methodNotAllowed(method, path, "POST");
    return true;
  }
  if (strcmp(method, "GET") == 0) {
    const WorkloadEntry* e = agent.workloads().find(id);
    if (!e) {
      *out = apiError(404, ("workload " + std::to_string(id) + ": no such workload").c_str());
      return true;
    }
    *out = entryResponse(*e, 200);
  } else if (strcmp(method, "DELETE") == 0) {
    Status s = agent.workloads().stop(id);
    *out = s.ok() ? ApiResponse() : apiError(statusFor(s.error()), s.error().message());
    if (s.ok() && agent.workloads().stopping(id)) {
      // A real process got SIGTERM; the loop reaps it (SIGKILL after the delay).
      out->status = 202;
      out->body = "{\"stopping\": " + std::to_string(id) + ", \"state\": \"stopping\"}";
    } else if (s.ok()) {
      out->body = "{\"stopped\": " + std::to_string(id) + "}";
    }
  } else {
    *out = methodNotAllowed(method, path, "GET, DELETE");
  }
  return true;
}

}  // namespace qeil
