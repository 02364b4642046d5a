#include "agent/api.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cinttypes>
#include <cstring>

#include "agent/agent.h"
#include "agent/api_json.h"
#include "agent/api_verify.h"
#include "agent/api_workloads.h"

namespace qeil {
namespace {

const char* kindName(HwDeviceKind kind) {
  switch (kind) {
    case HwDeviceKind::Cpu:
      return "cpu";
    case HwDeviceKind::Gpu:
      return "gpu";
    case HwDeviceKind::Npu:
      return "npu";
  }
  return "cpu";
}

const char* healthName(SensorState state) {
  switch (state) {
    case SensorState::Ok:
      return "ok";
    case SensorState::Probing:
      return "probing";
    case SensorState::Failing:
      return "failing";
  }
  return "probing";
}

// The telemetry files: directory (null when none are written), files, bytes, write errors.
void telemetryFiles(JsonWriter& w, const TelemetryLog* log) {
  w.Key("dir");
  if (!log) {
    w.Null();
    return;
  }
  w.String(log->dir().c_str());
  w.Key("files");
  w.Int(log->files());
  w.Key("bytes");
  w.Uint64(log->bytes());
  w.Key("max_bytes");
  w.Uint64(log->options().maxFileBytes * static_cast<uint64_t>(log->options().maxFiles));
  w.Key("samples_written");
  w.Uint64(log->samplesWritten());
  w.Key("write_errors");
  w.Uint64(log->writeErrors());
}

// Sensors standing in with the model's estimate, unavailable devices, the last re-plan's trigger.
void faultStatus(JsonWriter& w, Agent& agent) {
  w.Key("estimated");
  w.StartArray();
  for (size_t r = 0; r < agent.rails().size(); ++r) {
    if (agent.rails()[r].estimated) w.String(agent.board().rails[r].name.c_str());
  }
  for (size_t z = 0; z < agent.zones().size(); ++z) {
    if (agent.zones()[z].estimated) w.String(agent.board().zones[z].name.c_str());
  }
  w.EndArray();
  w.Key("unavailable_devices");
  w.StartArray();
  for (size_t d = 0; d < agent.devices().size(); ++d) {
    if (agent.devices()[d].health != scheduler::DeviceHealth::Ok)
      w.String(agent.board().devices[d].name.c_str());
  }
  w.EndArray();
  w.Key("fault_events");
  w.Uint64(agent.faultEvents());
  key(w, "last_replan_trigger", replanTriggerName(agent.lastTrigger()));
}

// What the loop thread spends, in ms (agent.h, LoopTiming).
void loopTiming(JsonWriter& w, const Agent::LoopTiming& t) {
  w.Key("loop");
  w.StartObject();
  keyNumber(w, "last_tick_ms", static_cast<double>(t.tickNs) / kNsPerMs);
  keyNumber(w, "longest_tick_ms", static_cast<double>(t.tickMaxNs) / kNsPerMs);
  keyNumber(w, "twin_step_ms", static_cast<double>(t.twinStepNs) / kNsPerMs);
  keyNumber(w, "last_replan_ms", static_cast<double>(t.replanNs) / kNsPerMs);
  keyNumber(w, "longest_replan_ms", static_cast<double>(t.replanMaxNs) / kNsPerMs);
  w.EndObject();
}

ApiResponse status(Agent& agent) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  const BoardSpec& b = agent.board();
  w.StartObject();
  key(w, "board", b.name);
  key(w, "soc", b.soc);
  key(w, "board_file", b.sourceFile);
  key(w, "mode", agent.twinMode() ? "twin" : "board");
  keyNumber(w, "uptime_s", static_cast<double>(agent.clock().nowNs() - agent.startNs()) / kNsPerS);
  w.Key("ticks");
  w.Uint64(agent.ticks());
  w.Key("tick_ms");
  w.Int64(agent.options().tickMs);
  loopTiming(w, agent.loopTiming());
  keyNumber(w, "power_w", agent.boardPowerW());
  keyNumber(w, "energy_j", agent.boardEnergyJ());
  w.Key("rails");
  w.Uint64(agent.rails().size());
  w.Key("zones");
  w.Uint64(agent.zones().size());
  w.Key("devices");
  w.Uint64(agent.devices().size());
  w.Key("journal_entries");
  w.Uint64(agent.journal().size());
  w.Key("telemetry");
  w.StartObject();
  w.Key("samples");
  w.Uint64(agent.telemetry().size());
  w.Key("capacity");
  w.Uint64(agent.telemetry().capacity());
  telemetryFiles(w, agent.telemetryLog());
  w.EndObject();
  faultStatus(w, agent);
  w.EndObject();
  return jsonResponse(buf);
}

void limits(JsonWriter& w, FreqDomain& domain) {
  Result<uint64_t> minHz = domain.minLimitHz();
  Result<uint64_t> maxHz = domain.maxLimitHz();
  keyNumber(w, "min_limit_hz", static_cast<double>(minHz.valueOr(0)), minHz.ok());
  keyNumber(w, "max_limit_hz", static_cast<double>(maxHz.valueOr(0)), maxHz.ok());
  char governor[64] = {};
  w.Key("governor");
  if (domain.governor(governor, sizeof governor).ok()) {
    w.String(governor);
  } else {
    w.Null();
  }
}

void device(JsonWriter& w, Agent& agent, size_t d) {
  const BoardDevice& bd = agent.board().devices[d];
  const DeviceState& st = agent.devices()[d];
  FreqDomain* domain = agent.hal().domains[d].get();
  w.StartObject();
  key(w, "name", bd.name);
  key(w, "kind", kindName(bd.kind));
  w.Key("cores");
  w.Int(bd.cores);
  char cpus[128] = {};
  if (bd.kind == HwDeviceKind::Cpu && bd.cpus.format(cpus, sizeof cpus)) key(w, "cpus", cpus);
  w.Key("freq_domain");
  if (domain) {
    w.String(domain->name());
  } else {
    w.Null();
  }
  keyNumber(w, "cur_freq_hz", static_cast<double>(st.curHz), domain && st.valid);
  if (domain) limits(w, *domain);
  w.Key("opps_hz");
  w.StartArray();
  for (const OppSpec& o : bd.opps)
    w.Uint64(o.freqHz);
  w.EndArray();
  key(w, "zone", bd.thermalZone);
  int z = indexByName(agent.board().zones, bd.thermalZone);
  keyNumber(w, "temp_c", z >= 0 ? agent.zones()[z].tempC : 0.0, z >= 0 && agent.zones()[z].valid);
  w.EndObject();
}

ApiResponse devices(Agent& agent) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("devices");
  w.StartArray();
  for (size_t d = 0; d < agent.devices().size(); ++d)
    device(w, agent, d);
  w.EndArray();
  w.Key("zones");
  w.StartArray();
  for (size_t z = 0; z < agent.zones().size(); ++z) {
    w.StartObject();
    key(w, "name", agent.board().zones[z].name);
    keyNumber(w, "temp_c", agent.zones()[z].tempC, agent.zones()[z].valid);
    w.Key("estimated");
    w.Bool(agent.zones()[z].estimated);
    w.Key("in_margin");
    w.Bool(agent.zones()[z].inMargin);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return jsonResponse(buf);
}

void rail(JsonWriter& w, Agent& agent, size_t r) {
  const BoardRail& br = agent.board().rails[r];
  const RailState& st = agent.rails()[r];
  const PowerMonitor& monitor = *agent.hal().monitors[agent.hal().rails[r].monitor];
  w.StartObject();
  key(w, "name", br.name);
  w.Key("parent");
  if (br.parent.empty()) {
    w.Null();
  } else {
    w.String(br.parent.c_str());
  }
  w.Key("valid");
  w.Bool(st.valid);
  keyNumber(w, "power_w", st.powerW, st.valid);
  keyNumber(w, "bus_v", st.busV, st.valid);
  keyNumber(w, "current_a", st.currentA, st.valid);
  w.Key("estimated");  // the monitor does not answer: the energy model's estimate
  w.Bool(st.estimated);
  keyNumber(w, "energy_j", st.energyJ);
  key(w, "monitor", monitor.name());
  key(w, "health", healthName(monitor.health().state));
  w.Key("feeds");
  w.StartArray();
  for (const std::string& f : br.feeds)
    w.String(f.c_str());
  w.EndArray();
  w.EndObject();
}

ApiResponse rails(Agent& agent) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("rails");
  w.StartArray();
  for (size_t r = 0; r < agent.rails().size(); ++r)
    rail(w, agent, r);
  w.EndArray();
  keyNumber(w, "power_w", agent.boardPowerW());
  keyNumber(w, "energy_j", agent.boardEnergyJ());
  w.EndObject();
  return jsonResponse(buf);
}

// Label values escape backslash, double quote and newline (Prometheus text format 0.0.4).
void appendLabel(std::string& out, const std::string& value) {
  for (char c : value) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

void metricHeader(std::string& out, const char* name, const char* type, const char* help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

void metricLine(std::string& out, const char* name, const char* label, const std::string& value,
                double v) {
  char num[64];
  snprintf(num, sizeof num, "%.9g", v);
  out += name;
  if (label) {
    out += '{';
    out += label;
    out += "=\"";
    appendLabel(out, value);
    out += "\"}";
  }
  out += ' ';
  out += std::isfinite(v) ? num : "NaN";
  out += '\n';
}

void railMetrics(std::string& out, Agent& agent) {
  const auto& rails = agent.rails();
  const auto& spec = agent.board().rails;
  metricHeader(out, "qeil_rail_power_watts", "gauge", "Last power reading of the rail.");
  for (size_t r = 0; r < rails.size(); ++r)
    metricLine(out, "qeil_rail_power_watts", "rail", spec[r].name,
               rails[r].valid ? rails[r].powerW : NAN);
  metricHeader(out, "qeil_rail_energy_joules_total", "counter",
               "Energy integrated from the rail's readings since the agent started.");
  for (size_t r = 0; r < rails.size(); ++r)
    metricLine(out, "qeil_rail_energy_joules_total", "rail", spec[r].name, rails[r].energyJ);
  metricHeader(out, "qeil_rail_estimated", "gauge",
               "1 while the rail's monitor does not answer and the model's estimate stands in.");
  for (size_t r = 0; r < rails.size(); ++r)
    metricLine(out, "qeil_rail_estimated", "rail", spec[r].name, rails[r].estimated ? 1.0 : 0.0);
}

void deviceMetrics(std::string& out, Agent& agent) {
  const auto& zones = agent.zones();
  metricHeader(out, "qeil_zone_temperature_celsius", "gauge", "Last thermal zone reading.");
  for (size_t z = 0; z < zones.size(); ++z) {
    metricLine(out, "qeil_zone_temperature_celsius", "zone", agent.board().zones[z].name,
               zones[z].valid ? zones[z].tempC : NAN);
  }
  metricHeader(
      out, "qeil_zone_estimated", "gauge",
      "1 while the zone's sensor is frozen or unreadable and the model's estimate stands in.");
  for (size_t z = 0; z < zones.size(); ++z) {
    metricLine(out, "qeil_zone_estimated", "zone", agent.board().zones[z].name,
               zones[z].estimated ? 1.0 : 0.0);
  }
  const auto& devices = agent.devices();
  metricHeader(out, "qeil_device_available", "gauge",
               "0 while the device is offline (every CPU) or lost (its devfreq node gone).");
  for (size_t d = 0; d < devices.size(); ++d) {
    metricLine(out, "qeil_device_available", "device", agent.board().devices[d].name,
               devices[d].health == scheduler::DeviceHealth::Ok ? 1.0 : 0.0);
  }
  metricHeader(out, "qeil_device_frequency_hertz", "gauge", "Current frequency of the device.");
  for (size_t d = 0; d < devices.size(); ++d) {
    if (!agent.hal().domains[d]) continue;
    metricLine(out, "qeil_device_frequency_hertz", "device", agent.board().devices[d].name,
               devices[d].valid ? static_cast<double>(devices[d].curHz) : NAN);
  }
}

ApiResponse metrics(Agent& agent) {
  ApiResponse r;
  r.contentType = "text/plain; version=0.0.4";
  std::string& out = r.body;
  metricHeader(out, "qeil_board_power_watts", "gauge", "Sum of the top-level rails.");
  metricLine(out, "qeil_board_power_watts", nullptr, "", agent.boardPowerW());
  metricHeader(out, "qeil_board_energy_joules_total", "counter", "Energy of the top-level rails.");
  metricLine(out, "qeil_board_energy_joules_total", nullptr, "", agent.boardEnergyJ());
  metricHeader(out, "qeil_ticks_total", "counter", "Sampling ticks since start.");
  metricLine(out, "qeil_ticks_total", nullptr, "", static_cast<double>(agent.ticks()));
  const Agent::LoopTiming& t = agent.loopTiming();
  metricHeader(out, "qeil_tick_duration_seconds", "gauge",
               "Wall time of the last tick, re-plan included, the twin's step not.");
  metricLine(out, "qeil_tick_duration_seconds", nullptr, "",
             static_cast<double>(t.tickNs) / kNsPerS);
  metricHeader(out, "qeil_tick_duration_max_seconds", "gauge", "Longest tick since start.");
  metricLine(out, "qeil_tick_duration_max_seconds", nullptr, "",
             static_cast<double>(t.tickMaxNs) / kNsPerS);
  metricHeader(out, "qeil_replan_duration_max_seconds", "gauge", "Longest re-plan since start.");
  metricLine(out, "qeil_replan_duration_max_seconds", nullptr, "",
             static_cast<double>(t.replanMaxNs) / kNsPerS);
  railMetrics(out, agent);
  deviceMetrics(out, agent);
  return r;
}

using Handler = ApiResponse (*)(Agent&);
struct Route {
  const char* path;
  Handler get;
};
constexpr Route kRoutes[] = {
    {"/v1/status", &status},
    {"/v1/devices", &devices},
    {"/v1/rails", &rails},
    {"/metrics", &metrics},
};

// The path without its query string; false when it does not fit.
bool pathOnly(const char* path, char* out, size_t cap) {
  size_t n = strcspn(path, "?#");
  if (n >= cap) return false;
  memcpy(out, path, n);
  out[n] = '\0';
  return true;
}

}  // namespace

ApiResponse apiError(int statusCode, const char* message) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.Int(statusCode);
  w.Key("message");
  w.String(message);
  w.EndObject();
  w.EndObject();
  ApiResponse r = jsonResponse(buf);
  r.status = statusCode;
  return r;
}

ApiResponse handleApiRequest(Agent& agent, const char* method, const char* path,
                             const std::string& body) {
  char clean[256];
  if (!path || !pathOnly(path, clean, sizeof clean)) return apiError(414, "request path too long");
  ApiResponse workloadReply;
  if (handleWorkloadRequest(agent, method, clean, body, &workloadReply)) return workloadReply;
  if (handleVerifyRequest(agent, method, clean, body, &workloadReply)) return workloadReply;
  for (const Route& route : kRoutes) {
    if (strcmp(route.path, clean) != 0) continue;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
      char msg[320];
      snprintf(msg, sizeof msg, "%.16s %.255s: method not allowed (allowed: GET)", method, clean);
      ApiResponse r = apiError(405, msg);
      r.allow = "GET, HEAD";
      return r;
    }
    return route.get(agent);
  }
  char msg[384];
  snprintf(msg, sizeof msg,
           "%.255s: no such endpoint (try /v1/status, /v1/devices, /v1/rails, /v1/workloads, "
           "/v1/verify/sessions, /metrics)",
           clean);
  return apiError(404, msg);
}

}  // namespace qeil
