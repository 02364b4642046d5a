// The verification sessions of the control API: lifecycle through the router, decisions equal to
// verify::Session's on the same samples for every rule, the bounds (sessions, samples, request
// size), the JSON errors with the field named, and idle expiry on a stepped clock.
#include "agent/api_verify.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <random>
#include <string>
#include <vector>

#include "agent/verify_sessions.h"
#include "hal/sim/sim_clock.h"
#include "tests/unit/agent/agent_fixture.h"
#include "tests/unit/agent/api_checks.h"

namespace qeil {
namespace {

using test::expectError;
using test::parse;

struct RawSample {
  std::string answer;
  int tokens;
};

// A question's samples: a few distinct answers (one favoured), some spelled differently, some
// with nothing extracted; seeded.
std::vector<RawSample> makeQuestion(uint32_t seed, size_t n) {
  std::mt19937 rng(seed);
  static const char* const kAnswers[] = {"18", "$18.00", "17", "#### 18", "42", "NA", "(B)", "B"};
  std::discrete_distribution<int> pick({30, 10, 12, 8, 10, 4, 6, 5});
  std::uniform_int_distribution<int> tokens(20, 400);
  std::vector<RawSample> out;
  for (size_t i = 0; i < n; ++i)
    out.push_back({kAnswers[pick(rng)], tokens(rng)});
  return out;
}

std::string sampleJson(const RawSample& s) {
  return "{\"answer\": \"" + s.answer + "\", \"tokens\": " + std::to_string(s.tokens) + "}";
}

// The API's state against the session's own decision.
void expectState(const rapidjson::Document& d, const verify::Session& direct) {
  const verify::Decision& dec = direct.decision();
  EXPECT_EQ(d["stop"].GetBool(), dec.stop);
  EXPECT_STREQ(d["decision"].GetString(), dec.stop ? "stop" : "continue");
  EXPECT_STREQ(d["reason"].GetString(), verify::stopReasonName(dec.reason));
  EXPECT_EQ(d["samples"].GetInt(), dec.samples);
  EXPECT_DOUBLE_EQ(d["posterior"].GetDouble(), dec.posterior);
  EXPECT_DOUBLE_EQ(d["mode_posterior"].GetDouble(), dec.modePosterior);
  EXPECT_DOUBLE_EQ(d["diversity"].GetDouble(), dec.diversity);
  EXPECT_EQ(d["classes"].GetInt(), direct.classes());
  EXPECT_DOUBLE_EQ(d["tokens"].GetDouble(), direct.totalTokens());
  char text[64];
  if (dec.selected.kind == verify::AnswerKind::kNone) {
    EXPECT_TRUE(d["answer"].IsNull());
  } else {
    EXPECT_STREQ(d["answer"].GetString(), verify::formatAnswer(dec.selected, text, sizeof text));
  }
}

class VerifyApi : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(t_.start()); }
  ApiResponse call(const char* method, const std::string& path, const std::string& body = "") {
    return handleApiRequest(*t_.agent, method, path.c_str(), body);
  }
  int create(const std::string& body) {
    ApiResponse r = call("POST", "/v1/verify/sessions", body);
    EXPECT_EQ(r.status, 201) << r.body;
    rapidjson::Document d = parse(r);
    return d.IsObject() && d.HasMember("id") ? d["id"].GetInt() : -1;
  }
  static std::string path(int id) { return "/v1/verify/sessions/" + std::to_string(id); }
  test::TwinAgent t_{"rk3588.cfg"};
};

TEST_F(VerifyApi, LifecycleOneSampleAtATimeMatchesTheSession) {
  const int id = create("");  // an empty body: CSVET with the defaults
  ASSERT_GT(id, 0);
  rapidjson::Document d = parse(call("GET", path(id)));
  EXPECT_STREQ(d["rule"].GetString(), "csvet");
  EXPECT_EQ(d["max_samples"].GetInt(), verify::SessionConfig().kMax);
  EXPECT_EQ(d["samples"].GetInt(), 0);
  EXPECT_FALSE(d["stop"].GetBool());

  verify::Session direct;
  ASSERT_TRUE(verify::Session::create(verify::SessionConfig(), &direct));
  std::vector<RawSample> q = makeQuestion(21, 40);
  size_t fed = 0;
  for (const RawSample& s : q) {
    ApiResponse r = call("POST", path(id) + "/samples", sampleJson(s));
    ASSERT_EQ(r.status, 200) << r.body;
    direct.add(s.answer, s.tokens);
    ++fed;
    d = parse(r);
    EXPECT_EQ(d["taken"].GetInt(), 1);
    expectState(d, direct);
    if (direct.decision().stop) break;
  }
  ASSERT_TRUE(direct.decision().stop);  // 40 samples reach the budget at the latest
  // Once stopped, a sample is not taken and the decision holds.
  d = parse(call("POST", path(id) + "/samples", sampleJson(q[0])));
  EXPECT_EQ(d["taken"].GetInt(), 0);
  expectState(d, direct);
  expectState(parse(call("GET", path(id))), direct);
  // It is listed, then deleted.
  d = parse(call("GET", "/v1/verify/sessions"));
  ASSERT_EQ(d["sessions"].Size(), 1u);
  EXPECT_EQ(d["sessions"][0]["id"].GetInt(), id);
  EXPECT_EQ(d["capacity"].GetInt(), VerifySessionTable::kMaxSessions);
  ApiResponse del = call("DELETE", path(id));
  EXPECT_EQ(del.status, 200);
  EXPECT_EQ(parse(del)["deleted"].GetInt(), id);
  expectError(call("GET", path(id)), 404, "no such session");
  expectError(call("DELETE", path(id)), 404, "no such session");
  expectError(call("POST", path(id) + "/samples", sampleJson(q[0])), 404, "no such session");
  EXPECT_EQ(parse(call("GET", "/v1/verify/sessions"))["sessions"].Size(), 0u);
}

// Every rule, several seeded questions, the samples posted as one array: the same decision as
// the rule's session fed directly.
TEST_F(VerifyApi, EveryRuleDecidesAsVerifyDoes) {
  const std::pair<const char*, verify::Rule> rules[] = {{"csvet", verify::Rule::kCsvet},
                                                        {"majority", verify::Rule::kMajority},
                                                        {"beta", verify::Rule::kBeta},
                                                        {"esc", verify::Rule::kEsc},
                                                        {"sprt", verify::Rule::kSprt}};
  for (const auto& [name, rule] : rules) {
    for (uint32_t seed = 1; seed <= 6; ++seed) {
      verify::SessionConfig config;
      config.rule = rule;
      config.kMax = 12;
      const int id = create(std::string("{\"rule\": \"") + name + "\", \"max_samples\": 12}");
      ASSERT_GT(id, 0);
      std::vector<RawSample> q = makeQuestion(seed * 7 + 1, 20);
      std::string body = "[";
      for (size_t i = 0; i < q.size(); ++i)
        body += (i ? ", " : "") + sampleJson(q[i]);
      body += "]";
      ApiResponse r = call("POST", path(id) + "/samples", body);
      ASSERT_EQ(r.status, 200) << r.body;
      verify::Session direct;
      ASSERT_TRUE(verify::Session::create(config, &direct));
      int taken = 0;
      for (const RawSample& s : q) {
        if (direct.decision().stop) break;
        taken += direct.add(s.answer, s.tokens).accepted ? 1 : 0;
      }
      rapidjson::Document d = parse(r);
      SCOPED_TRACE(std::string(name) + " seed " + std::to_string(seed));
      EXPECT_STREQ(d["rule"].GetString(), name);
      EXPECT_EQ(d["taken"].GetInt(), taken);
      EXPECT_TRUE(d["stop"].GetBool());  // 20 samples > the budget of 12
      expectState(d, direct);
      EXPECT_EQ(call("DELETE", path(id)).status, 200);
    }
  }
}

TEST_F(VerifyApi, ParametersReachTheSession) {
  const int id = create(
      "{\"rule\": \"sprt\", \"max_samples\": 30, \"sprt_margin\": 2, \"delta\": 0.1, "
      "\"beta_threshold\": 0.9, \"esc_window\": 3}");
  ASSERT_GT(id, 0);
  const VerifySessionEntry* e = t_.agent->verifySessions().find(id);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->session.config().rule, verify::Rule::kSprt);
  EXPECT_EQ(e->session.config().kMax, 30);
  EXPECT_DOUBLE_EQ(e->session.config().sprtMargin, 2.0);
  EXPECT_DOUBLE_EQ(e->session.config().delta, 0.1);
  EXPECT_DOUBLE_EQ(e->session.config().betaThreshold, 0.9);
  EXPECT_EQ(e->session.config().escWindow, 3);
  // Two agreeing samples reach a margin of 2.
  rapidjson::Document d =
      parse(call("POST", path(id) + "/samples",
                 "[{\"answer\": \"7\"}, {\"answer\": \"7.0\", \"tokens\": 5}]"));
  EXPECT_TRUE(d["stop"].GetBool());
  EXPECT_STREQ(d["reason"].GetString(), verify::stopReasonName(verify::StopReason::kMargin));
  EXPECT_STREQ(d["answer"].GetString(), "7");
}

// A sample's logprob weighs its vote as verify::Sample's confidence does.
TEST_F(VerifyApi, LogprobWeighsTheVote) {
  const int id = create("{\"rule\": \"majority\", \"max_samples\": 3}");
  ApiResponse r = call("POST", path(id) + "/samples",
                       "[{\"answer\": \"5\", \"tokens\": 10, \"logprob\": -0.1}, "
                       "{\"answer\": \"5\", \"tokens\": 12, \"logprob\": -0.2}, "
                       "{\"answer\": \"6\", \"tokens\": 11, \"logprob\": -2.5}]");
  ASSERT_EQ(r.status, 200) << r.body;
  verify::SessionConfig config;
  config.rule = verify::Rule::kMajority;
  config.kMax = 3;
  verify::Session direct;
  ASSERT_TRUE(verify::Session::create(config, &direct));
  const std::pair<const char*, double> votes[] = {{"5", -0.1}, {"5", -0.2}, {"6", -2.5}};
  const int tokens[] = {10, 12, 11};
  for (int i = 0; i < 3; ++i) {
    verify::Sample s;
    s.answer = verify::canonicalise(votes[i].first);
    s.outputTokens = tokens[i];
    s.hasConfidence = true;
    s.confidenceLogProb = votes[i].second;
    direct.add(s);
  }
  rapidjson::Document d = parse(r);
  expectState(d, direct);
  verify::Session unweighted;
  ASSERT_TRUE(verify::Session::create(config, &unweighted));
  for (int i = 0; i < 3; ++i)
    unweighted.add(votes[i].first, tokens[i]);
  EXPECT_NE(d["posterior"].GetDouble(), unweighted.decision().posterior);
}

TEST_F(VerifyApi, SessionsAreBounded) {
  std::vector<int> ids;
  for (int i = 0; i < VerifySessionTable::kMaxSessions; ++i)
    ids.push_back(create("{}"));
  expectError(call("POST", "/v1/verify/sessions", "{}"), 429, "in use");
  ASSERT_EQ(call("DELETE", path(ids[5])).status, 200);
  const int again = create("{}");
  EXPECT_GT(again, ids.back());  // ids are not reused
  expectError(call("POST", "/v1/verify/sessions", "{\"max_samples\": 5000}"), 400, "max_samples");
  expectError(call("POST", "/v1/verify/sessions", "{\"max_samples\": 0}"), 400, "max_samples");
  // One request holds at most kMaxSamples samples.
  std::string body = "[";
  for (int i = 0; i <= VerifySessionTable::kMaxSamples; ++i)
    body += std::string(i ? "," : "") + "{\"answer\": \"1\"}";
  body += "]";
  expectError(call("POST", path(again) + "/samples", body), 413, "at most");
}

TEST_F(VerifyApi, BadRequestsNameTheField) {
  const std::string base = "/v1/verify/sessions";
  expectError(call("POST", base, "{not json"), 400, "JSON object");
  expectError(call("POST", base, "[1]"), 400, "JSON object");
  expectError(call("POST", base, "{\"rule\": 3}"), 400, "rule");
  expectError(call("POST", base, "{\"max_samples\": \"ten\"}"), 400, "max_samples");
  expectError(call("POST", base, "{\"delta\": 1.5}"), 400, "delta");
  expectError(call("POST", base, "{\"esc_window\": 99}"), 400, "esc_window");
  expectError(call("POST", base, "{\"bogus\": 1}"), 400, "bogus: unknown field");
  const int id = create("{}");
  const std::string samples = path(id) + "/samples";
  expectError(call("POST", samples, ""), 400, "JSON object");
  expectError(call("POST", samples, "[]"), 400, "empty");
  expectError(call("POST", samples, "{\"answer\": 18}"), 400, "answer: must be a string");
  expectError(call("POST", samples, "{\"tokens\": 3}"), 400, "answer");
  expectError(call("POST", samples, "{\"answer\": \"1\", \"tokens\": 1.5}"), 400, "tokens");
  expectError(call("POST", samples, "{\"answer\": \"1\", \"logprob\": 0.5}"), 400, "logprob");
  expectError(call("POST", samples, "{\"answer\": \"1\", \"tokenz\": 1}"), 400, "tokenz");
  // A bad sample in an array is named by its index, and none of the array is fed.
  expectError(
      call("POST", samples,
           "[{\"answer\": \"1\"}, {\"answer\": \"1\"}, {\"answer\": \"1\", \"tokens\": -4}]"),
      400, "samples[2].tokens");
  expectError(call("POST", samples, "[{\"answer\": \"1\"}, 5]"), 400, "samples[1]");
  EXPECT_EQ(parse(call("GET", path(id)))["samples"].GetInt(), 0);
  // Methods and paths.
  ApiResponse r = call("PUT", base, "{}");
  expectError(r, 405, "allowed: GET, HEAD, POST");
  ASSERT_NE(r.allow, nullptr);
  expectError(call("GET", samples), 405, "allowed: POST");
  expectError(call("PATCH", path(id)), 405, "GET, HEAD, DELETE");
  expectError(call("GET", path(987654)), 404, "987654");
  expectError(call("GET", base + "/abc"), 404, "no such endpoint");
  expectError(call("GET", base + "/-1"), 404, "no such endpoint");
  expectError(call("GET", path(id) + "/other"), 404, "no such endpoint");
}

TEST(VerifySessionTable, IdleSessionsExpire) {
  SimClock clock(0);
  VerifySessionTable table(clock, 600 * kNsPerS);
  auto a = table.create(verify::SessionConfig());
  auto b = table.create(verify::SessionConfig());
  ASSERT_TRUE(a.ok() && b.ok());
  clock.advanceNs(599 * kNsPerS);
  ASSERT_NE(table.find(a.value()), nullptr);  // used: its idle time starts again
  clock.advanceNs(1 * kNsPerS);
  EXPECT_EQ(table.find(b.value()), nullptr);  // 600 s idle
  EXPECT_EQ(table.expiredTotal(), 1u);
  clock.advanceNs(598 * kNsPerS);  // a: idle 599 s
  EXPECT_NE(table.find(a.value()), nullptr);
  EXPECT_EQ(table.active(), 1);
  // A full table of idle sessions makes room once they expire.
  while (table.active() < VerifySessionTable::kMaxSessions)
    ASSERT_TRUE(table.create(verify::SessionConfig()).ok());
  auto full = table.create(verify::SessionConfig());
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().errnum(), EAGAIN);
  clock.advanceNs(600 * kNsPerS);
  EXPECT_TRUE(table.create(verify::SessionConfig()).ok());
  EXPECT_EQ(table.active(), 1);
}

TEST(VerifySessionTable, InvalidConfigsAreRefused) {
  SimClock clock(0);
  VerifySessionTable table(clock);
  verify::SessionConfig c;
  c.kMax = VerifySessionTable::kMaxSamples + 1;
  EXPECT_EQ(table.create(c).error().errnum(), EINVAL);
  c = verify::SessionConfig();
  c.delta = 0.0;
  EXPECT_EQ(table.create(c).error().errnum(), EINVAL);
  EXPECT_EQ(table.active(), 0);
}

}  // namespace
}  // namespace qeil
