// The control API's handlers without a socket: routes, JSON errors with their status codes,
// the documents' fields against the agent's state, the Prometheus text; qeild's options; the
// client's reply parser.
#include "agent/api.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <cstring>
#include <sstream>

#include "agent/http_client.h"
#include "agent/qeild_options.h"
#include "tests/unit/agent/agent_fixture.h"
#include "tests/unit/agent/api_checks.h"

namespace qeil {
namespace {

using test::expectError;
using test::parse;

class Api : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(t_.start());
    for (int i = 0; i < 10; ++i)
      t_.agent->tick();
  }
  test::TwinAgent t_{"rk3588.cfg"};
};

TEST_F(Api, UnknownPathIs404) {
  expectError(handleApiRequest(*t_.agent, "GET", "/v1/nothing"), 404, "/v1/nothing");
  expectError(handleApiRequest(*t_.agent, "GET", "/"), 404, "no such endpoint");
  expectError(handleApiRequest(*t_.agent, "GET", "/v1/status/extra"), 404, "no such endpoint");
}

TEST_F(Api, WrongMethodIs405WithAllow) {
  for (const char* m : {"POST", "PUT", "DELETE", "PATCH"}) {
    ApiResponse r = handleApiRequest(*t_.agent, m, "/v1/rails");
    expectError(r, 405, m);
    ASSERT_NE(r.allow, nullptr);
    EXPECT_NE(std::string(r.allow).find("GET"), std::string::npos);
  }
}

TEST_F(Api, LongPathIs414) {
  std::string path = "/v1/" + std::string(400, 'a');
  expectError(handleApiRequest(*t_.agent, "GET", path.c_str()), 414, "too long");
}

TEST_F(Api, QueryStringIsIgnored) {
  EXPECT_EQ(handleApiRequest(*t_.agent, "GET", "/v1/status?verbose=1").status, 200);
}

TEST_F(Api, StatusReportsTheAgent) {
  ApiResponse r = handleApiRequest(*t_.agent, "GET", "/v1/status");
  ASSERT_EQ(r.status, 200);
  rapidjson::Document d = parse(r);
  EXPECT_STREQ(d["board"].GetString(), "rk3588");
  EXPECT_STREQ(d["mode"].GetString(), "twin");
  EXPECT_EQ(d["ticks"].GetUint64(), t_.agent->ticks());
  EXPECT_DOUBLE_EQ(d["power_w"].GetDouble(), t_.agent->boardPowerW());
  EXPECT_DOUBLE_EQ(d["uptime_s"].GetDouble(), 1.0);  // 10 ticks of 100 ms
  EXPECT_EQ(d["telemetry"]["samples"].GetUint64(), 10u);
  // Wall time of the loop: a tick costs something, the longest at least the last, and no
  // re-plan yet on an idle board.
  const rapidjson::Value& loop = d["loop"];
  EXPECT_GT(loop["last_tick_ms"].GetDouble(), 0.0);
  EXPECT_GE(loop["longest_tick_ms"].GetDouble(), loop["last_tick_ms"].GetDouble());
  EXPECT_GT(loop["twin_step_ms"].GetDouble(), 0.0);
  EXPECT_EQ(loop["longest_replan_ms"].GetDouble(), 0.0);
}

TEST_F(Api, LoopTimingCountsTheReplan) {
  ASSERT_EQ(handleApiRequest(*t_.agent, "POST", "/v1/workloads", R"({"run": ["llm"]})").status,
            201);
  t_.agent->tick();
  const Agent::LoopTiming& t = t_.agent->loopTiming();
  EXPECT_GT(t.replanNs, 0);
  EXPECT_EQ(t.replanMaxNs, t.replanNs);
  EXPECT_GE(t.tickNs, t.replanNs);  // the re-plan is made inside the tick
}

TEST_F(Api, RailsCarryEveryReading) {
  rapidjson::Document d = parse(handleApiRequest(*t_.agent, "GET", "/v1/rails"));
  ASSERT_TRUE(d["rails"].IsArray());
  ASSERT_EQ(d["rails"].Size(), t_.board.rails.size());
  const rapidjson::Value& r = d["rails"][0];
  EXPECT_STREQ(r["name"].GetString(), "VIN_5V");
  EXPECT_TRUE(r["parent"].IsNull());
  EXPECT_TRUE(r["valid"].GetBool());
  EXPECT_DOUBLE_EQ(r["power_w"].GetDouble(), t_.agent->rails()[0].powerW);
  EXPECT_DOUBLE_EQ(r["energy_j"].GetDouble(), t_.agent->rails()[0].energyJ);
  EXPECT_STREQ(r["health"].GetString(), "ok");
  EXPECT_EQ(r["feeds"].Size(), t_.board.rails[0].feeds.size());
}

TEST_F(Api, DevicesCarryFrequenciesAndZones) {
  rapidjson::Document d = parse(handleApiRequest(*t_.agent, "GET", "/v1/devices"));
  ASSERT_EQ(d["devices"].Size(), t_.board.devices.size());
  ASSERT_EQ(d["zones"].Size(), t_.board.zones.size());
  for (rapidjson::SizeType i = 0; i < d["devices"].Size(); ++i) {
    const rapidjson::Value& v = d["devices"][i];
    SCOPED_TRACE(v["name"].GetString());
    EXPECT_EQ(v["cur_freq_hz"].GetDouble(), static_cast<double>(t_.twin->curFreqHz(i)));
    EXPECT_EQ(v["max_limit_hz"].GetDouble(),
              static_cast<double>(t_.board.devices[i].opps.back().freqHz));
    EXPECT_EQ(v["opps_hz"].Size(), t_.board.devices[i].opps.size());
    EXPECT_TRUE(v["governor"].IsString());
  }
  EXPECT_STREQ(d["devices"][1]["cpus"].GetString(), "4-5");
}

TEST_F(Api, MetricsAreValidPrometheusText) {
  ApiResponse r = handleApiRequest(*t_.agent, "GET", "/metrics");
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(std::string(r.contentType).find("version=0.0.4"), std::string::npos);
  std::istringstream in(r.body);
  std::string line;
  int samples = 0;
  bool railLine = false;
  while (std::getline(in, line)) {
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) continue;
    ++samples;
    size_t sp = line.rfind(' ');
    ASSERT_NE(sp, std::string::npos) << line;
    char* end = nullptr;
    strtod(line.c_str() + sp + 1, &end);
    EXPECT_EQ(*end, '\0') << line;
    if (line.rfind("qeil_rail_power_watts{rail=\"VIN_5V\"} ", 0) == 0) railLine = true;
  }
  EXPECT_TRUE(railLine);
  // board power, energy, ticks, tick and longest tick, longest re-plan; rail power, energy and
  // estimated; 7 zones (temperature and estimated); 5 devices available, 5 frequencies
  EXPECT_EQ(samples, 6 + 3 * 1 + 2 * 7 + 5 + 5);
}

TEST(QeildOptions, ParsesTheDaemonLine) {
  const char* argv[] = {"qeild", "--board",     "b.cfg", "--twin",   "--speed",
                        "20",    "--ambient-c", "45",    "--socket", "/tmp/q.sock"};
  auto o = parseQeildOptions(10, argv);
  ASSERT_TRUE(o.ok()) << o.error().message();
  EXPECT_EQ(o.value().board, "b.cfg");
  EXPECT_TRUE(o.value().twin);
  EXPECT_DOUBLE_EQ(o.value().speed, 20.0);
  EXPECT_DOUBLE_EQ(o.value().ambientC, 45.0);
  EXPECT_EQ(o.value().socketPath, "/tmp/q.sock");
}

TEST(QeildOptions, NamesWhatIsWrong) {
  struct Case {
    std::vector<const char*> args;
    const char* message;
  };
  const Case cases[] = {
      {{"qeild", "--twin"}, "--board FILE is required"},
      {{"qeild", "--board", "b", "--speed", "fast", "--twin"}, "--speed: 'fast' is not a number"},
      {{"qeild", "--board", "b", "--ambient-c", "300", "--twin"}, "outside"},
      {{"qeild", "--board", "b", "--speed", "2"}, "need --twin"},
      {{"qeild", "--board"}, "--board needs a value"},
      {{"qeild", "--frobnicate"}, "unknown option"},
  };
  for (const Case& c : cases) {
    auto o = parseQeildOptions(static_cast<int>(c.args.size()), c.args.data());
    ASSERT_FALSE(o.ok()) << c.message;
    EXPECT_NE(std::string(o.error().message()).find(c.message), std::string::npos)
        << o.error().message();
  }
}

TEST(HttpReply, ParsesStatusTypeAndBody) {
  auto r = parseHttpReply(
      "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}xx");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r.value().status, 404);
  EXPECT_EQ(r.value().contentType, "application/json");
  EXPECT_EQ(r.value().body, "{}");
  EXPECT_FALSE(parseHttpReply("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort").ok());
  EXPECT_FALSE(parseHttpReply("garbage").ok());
  EXPECT_FALSE(parseHttpReply("HTTP/1.1 abc\r\n\r\n").ok());
}

TEST(HttpClient, NamesTheSocketWhenNothingListens) {
  test::TempDir dir;
  auto r = unixHttpRequest(dir.file("absent.sock"), "GET", "/v1/status");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.error().message()).find("qeild is not running"), std::string::npos);
  EXPECT_NE(std::string(r.error().message()).find(dir.file("absent.sock")), std::string::npos);
}

}  // namespace
}  // namespace qeil
