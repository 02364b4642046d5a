#include "agent/api_verify.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "agent/agent.h"
#include "agent/api_json.h"
#include "agent/verify_sessions.h"

namespace qeil {
namespace {

struct RuleName {
  const char* name;
  verify::Rule rule;
};
constexpr RuleName kRules[] = {{"csvet", verify::Rule::kCsvet},
                               {"majority", verify::Rule::kMajority},
                               {"beta", verify::Rule::kBeta},
                               {"esc", verify::Rule::kEsc},
                               {"sprt", verify::Rule::kSprt}};

const char* shortName(verify::Rule rule) {
  for (const RuleName& r : kRules) {
    if (r.rule == rule) return r.name;
  }
  return "csvet";
}

ApiResponse noSession(int id) {
  return apiError(404, ("verification session " + std::to_string(id) +
                        ": no such session (deleted, expired or never created)")
                           .c_str());
}

void writeState(JsonWriter& w, const VerifySessionEntry& e, int64_t nowNs) {
  const verify::Session& s = e.session;
  const verify::Decision& d = s.decision();
  const verify::SessionConfig& c = s.config();
  w.Key("id");
  w.Int(e.id);
  w.Key("rule");
  w.String(shortName(c.rule));
  w.Key("max_samples");
  w.Int(c.kMax);
  w.Key("stop");
  w.Bool(d.stop);
  w.Key("decision");
  w.String(d.stop ? "stop" : "continue");
  w.Key("reason");
  w.String(verify::stopReasonName(d.reason));
  w.Key("answer");
  if (d.selected.kind == verify::AnswerKind::kNone) {
    w.Null();
  } else {
    char text[64];
    w.String(verify::formatAnswer(d.selected, text, sizeof text));
  }
  keyNumber(w, "posterior", d.posterior);
  keyNumber(w, "mode_posterior", d.modePosterior);
  keyNumber(w, "entropy_nats", d.entropyNats);
  keyNumber(w, "diversity", d.diversity);
  w.Key("samples");
  w.Int(d.samples);
  w.Key("classes");
  w.Int(s.classes());
  w.Key("unanswered");
  w.Int(s.unansweredSamples());
  keyNumber(w, "tokens", s.totalTokens());
  keyNumber(w, "idle_s", static_cast<double>(nowNs - e.lastUseNs) / kNsPerS);
}

ApiResponse stateResponse(const VerifySessionEntry& e, int64_t nowNs, int status, int taken = -1) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  writeState(w, e, nowNs);
  if (taken >= 0) {
    w.Key("taken");
    w.Int(taken);
  }
  w.EndObject();
  return jsonResponse(buf, status);
}

ApiResponse list(VerifySessionTable& table) {
  table.expire();
  const int64_t now = table.nowNs();
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  w.Key("sessions");
  w.StartArray();
  for (const VerifySessionEntry& e : table.entries()) {
    if (!e.used) continue;
    w.StartObject();
    writeState(w, e, now);
    w.EndObject();
  }
  w.EndArray();
  w.Key("capacity");
  w.Int(VerifySessionTable::kMaxSessions);
  w.Key("max_samples");
  w.Int(VerifySessionTable::kMaxSamples);
  keyNumber(w, "idle_timeout_s", static_cast<double>(table.idleTimeoutNs()) / kNsPerS);
  w.Key("expired");
  w.Uint64(table.expiredTotal());
  w.EndObject();
  return jsonResponse(buf, 200);
}

// A number field in (lo, hi) (open bounds); false with *err naming it otherwise.
bool openRange(const rapidjson::Value& v, const char* name, double lo, double hi, double* out,
               std::string* err) {
  if (!v.IsNumber() || !(v.GetDouble() > lo && v.GetDouble() < hi)) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: must be a number above %g and below %g", name, lo, hi);
    *err = msg;
    return false;
  }
  *out = v.GetDouble();
  return true;
}

// One field of the POST body into the config; false with *err on a bad value or an unknown
// field.
bool configField(const char* name, const rapidjson::Value& v, verify::SessionConfig* c,
                 std::string* err) {
  if (strcmp(name, "rule") == 0) {
    for (const RuleName& r : kRules) {
      if (v.IsString() && strcmp(v.GetString(), r.name) == 0) {
        c->rule = r.rule;
        return true;
      }
    }
    *err = "rule: one of csvet, majority, beta, esc, sprt";
    return false;
  }
  if (strcmp(name, "max_samples") == 0)
    return intRange(v, name, 1, VerifySessionTable::kMaxSamples, &c->kMax, err);
  if (strcmp(name, "delta") == 0) return openRange(v, name, 0.0, 1.0, &c->delta, err);
  if (strcmp(name, "beta_threshold") == 0)
    return openRange(v, name, 0.0, 1.0, &c->betaThreshold, err);
  if (strcmp(name, "esc_window") == 0)
    return intRange(v, name, 1, verify::Session::kMaxWindow, &c->escWindow, err);
  if (strcmp(name, "sprt_margin") == 0) return openRange(v, name, 0.0, 1e9, &c->sprtMargin, err);
  *err = std::string(name) +
         ": unknown field (rule, max_samples, delta, beta_threshold, esc_window, sprt_margin)";
  return false;
}

ApiResponse create(VerifySessionTable& table, const std::string& body) {
  verify::SessionConfig config;
  rapidjson::Document d;
  if (body.find_first_not_of(" \t\r\n") != std::string::npos) {
    d.Parse(body.c_str(), body.size());
    if (d.HasParseError() || !d.IsObject())
      return apiError(400, "POST /v1/verify/sessions: the body must be a JSON object");
    std::string err;
    for (const auto& m : d.GetObject()) {
      if (!configField(m.name.GetString(), m.value, &config, &err))
        return apiError(400, err.c_str());
    }
  }
  Result<int> id = table.create(config);
  if (!id.ok()) return apiError(id.error().errnum() == EAGAIN ? 429 : 400, id.error().message());
  return stateResponse(*table.find(id.value()), table.nowNs(), 201);
}

// One sample of the POST body; false with *err naming the field (prefix: "samples[3]." in an
// array).
bool parseSample(const rapidjson::Value& v, const std::string& prefix, verify::Sample* out,
                 std::string* err) {
  if (!v.IsObject()) {
    *err = (prefix.empty() ? std::string("the body") : prefix.substr(0, prefix.size() - 1)) +
           ": must be an object {\"answer\": \"...\", \"tokens\": n}";
    return false;
  }
  if (!v.HasMember("answer") || !(v["answer"].IsString() || v["answer"].IsNull())) {
    *err = prefix + "answer: must be a string (or null: nothing extracted)";
    return false;
  }
  const rapidjson::Value& a = v["answer"];
  out->answer = a.IsNull()
                    ? verify::noAnswer()
                    : verify::canonicalise(std::string_view(a.GetString(), a.GetStringLength()));
  out->outputTokens = 0;
  if (v.HasMember("tokens")) {
    const rapidjson::Value& t = v["tokens"];
    if (!t.IsInt() || t.GetInt() < 0) {
      *err = prefix + "tokens: must be an integer >= 0 (the sample's output tokens)";
      return false;
    }
    out->outputTokens = t.GetInt();
  }
  if (v.HasMember("logprob")) {
    const rapidjson::Value& lp = v["logprob"];
    if (!lp.IsNumber() || !(lp.GetDouble() <= 0.0) || !std::isfinite(lp.GetDouble())) {
      *err = prefix + "logprob: must be a finite number <= 0 (mean token log-probability)";
      return false;
    }
    out->hasConfidence = true;
    out->confidenceLogProb = lp.GetDouble();
  }
  for (const auto& m : v.GetObject()) {
    const char* n = m.name.GetString();
    if (strcmp(n, "answer") != 0 && strcmp(n, "tokens") != 0 && strcmp(n, "logprob") != 0) {
      *err = prefix + n + ": unknown field (answer, tokens, logprob)";
      return false;
    }
  }
  return true;
}

ApiResponse addSamples(VerifySessionTable& table, int id, const std::string& body) {
  VerifySessionEntry* e = table.find(id);
  if (!e) return noSession(id);
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  if (d.HasParseError() || !(d.IsObject() || d.IsArray()))
    return apiError(400, "samples: the body must be a JSON object or an array of them");
  std::vector<verify::Sample> samples;
  std::string err;
  if (d.IsObject()) {
    samples.resize(1);
    if (!parseSample(d, "", &samples[0], &err)) return apiError(400, err.c_str());
  } else {
    if (d.Empty()) return apiError(400, "samples: the array is empty");
    if (d.Size() > static_cast<rapidjson::SizeType>(VerifySessionTable::kMaxSamples)) {
      char msg[96];
      snprintf(msg, sizeof msg, "samples: at most %d in one request",
               VerifySessionTable::kMaxSamples);
      return apiError(413, msg);
    }
    samples.resize(d.Size());
    for (rapidjson::SizeType i = 0; i < d.Size(); ++i) {
      if (!parseSample(d[i], "samples[" + std::to_string(i) + "].", &samples[i], &err))
        return apiError(400, err.c_str());
    }
  }
  int taken = 0;
  for (const verify::Sample& s : samples) {
    if (e->session.decision().stop) break;
    if (e->session.add(s).accepted) ++taken;
  }
  return stateResponse(*e, table.nowNs(), 200, taken);
}

// "12" or "12/samples" after the base path: the id and whether it is the samples path.
bool parseItem(const char* rest, int* id, bool* samples) {
  char* end = nullptr;
  errno = 0;
  long v = strtol(rest, &end, 10);
  if (end == rest || errno != 0 || v <= 0 || v > 1000000000 || !(*rest >= '0' && *rest <= '9'))
    return false;
  *id = static_cast<int>(v);
  *samples = strcmp(end, "/samples") == 0;
  return *end == '\0' || *samples;
}

}  // namespace

bool handleVerifyRequest(Agent& agent, const char* method, const char* path,
                         const std::string& body, ApiResponse* out) {
  static const char kBase[] = "/v1/verify/sessions";
  const size_t n = sizeof kBase - 1;
  if (strncmp(path, kBase, n) != 0) return false;
  VerifySessionTable& table = agent.verifySessions();
  const bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
  if (path[n] == '\0') {
    if (get) {
      *out = list(table);
    } else if (strcmp(method, "POST") == 0) {
      *out = create(table, body);
    } else {
      *out = methodNotAllowed(method, path, "GET, HEAD, POST");
    }
    return true;
  }
  int id = 0;
  bool isSamples = false;
  if (path[n] != '/' || !parseItem(path + n + 1, &id, &isSamples)) return false;
  if (isSamples) {
    *out = strcmp(method, "POST") == 0 ? addSamples(table, id, body)
                                       : methodNotAllowed(method, path, "POST");
    return true;
  }
  if (!get && strcmp(method, "DELETE") != 0) {
    *out = methodNotAllowed(method, path, "GET, HEAD, DELETE");
    return true;
  }
  VerifySessionEntry* e = table.find(id);
  if (!e) {
    *out = noSession(id);
  } else if (get) {
    *out = stateResponse(*e, table.nowNs(), 200);
  } else {
    table.remove(id);
    *out = ApiResponse();
    out->body = "{\"deleted\": " + std::to_string(id) + "}";
  }
  return true;
}

}  // namespace qeil
