// libFuzzer target over the control API's request handlers (handleApiRequest, the dispatcher
// the socket calls): the input is a method, a path and a body, given to an agent on the rk3588
// twin built once. Whatever arrives, the answer is a status from 200 to 599 with a body, every
// 4xx/5xx body is the JSON error {"error": {"code": status, ...}}, and nothing crashes, leaks or
// trips a sanitizer (built with ASan and UBSan; scripts/test.sh runs it for a short time).
//
// Input layout: byte 0 picks the method; the path runs up to the first newline; the rest is the
// body. Workloads the input started are stopped after it, so the table never fills up and every
// input meets the same kind of agent.
#include <rapidjson/document.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "agent/agent.h"
#include "agent/api.h"
#include "agent/board_config.h"
#include "hal/log.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"

namespace {

constexpr const char* kMethods[] = {"GET",     "POST",  "PUT",     "DELETE", "HEAD",
                                    "OPTIONS", "PATCH", "CONNECT", "TRACE"};

struct Rig {
  std::string root;
  qeil::SimClock clock{0};
  qeil::BoardSpec board;
  std::unique_ptr<qeil::BoardTwin> twin;
  std::unique_ptr<qeil::Agent> agent;
};

Rig* gRig = nullptr;

// The twin and its agent, made on the first input and kept for the whole run.
qeil::Agent& agent() {
  if (gRig) return *gRig->agent;
  qeil::setLogLevels("error");
  auto* rig = new Rig();  // lives until exit: the agent outlives every input
  // libFuzzer ends with _Exit, so nothing here removes the twin's tree (under 1 MiB): it goes
  // under $TMPDIR, which scripts/test.sh points at a directory it removes.
  const char* tmp = getenv("TMPDIR");
  std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/qeil-api-fuzz-XXXXXX";
  if (!mkdtemp(&tmpl[0])) abort();
  rig->root = tmpl;
  gRig = rig;
  auto board = qeil::loadBoardFile(std::string(QEIL_SOURCE_DIR) + "/board-configs/rk3588.cfg");
  if (!board.ok()) abort();
  rig->board = board.value();
  auto twin = qeil::BoardTwin::create(rig->board, rig->root + "/root", rig->clock);
  if (!twin.ok()) abort();
  rig->twin = std::move(twin.value());
  qeil::AgentOptions o;
  o.journalPath = rig->root + "/settings.journal";
  auto made = qeil::Agent::createOnTwin(rig->board, o, *rig->twin, rig->clock);
  if (!made.ok()) abort();
  rig->agent = std::move(made.value());
  return *rig->agent;
}

void checkAnswer(const qeil::ApiResponse& r) {
  if (r.status < 200 || r.status > 599) __builtin_trap();
  if (r.status < 400) return;
  rapidjson::Document d;
  d.Parse(r.body.c_str(), r.body.size());
  if (d.HasParseError() || !d.IsObject() || !d.HasMember("error")) __builtin_trap();
  const rapidjson::Value& e = d["error"];
  if (!e.IsObject() || !e.HasMember("code") || !e["code"].IsInt() || e["code"].GetInt() != r.status)
    __builtin_trap();
  if (!e.HasMember("message") || !e["message"].IsString()) __builtin_trap();
}

}  // namespace

// The entry point libFuzzer calls, by its fixed name.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {  // NOLINT
  if (size == 0) return -1;
  qeil::Agent& a = agent();
  const char* method = kMethods[data[0] % (sizeof kMethods / sizeof kMethods[0])];
  const char* rest = reinterpret_cast<const char*>(data + 1);
  const size_t restSize = size - 1;
  const void* nl = memchr(rest, '\n', restSize);
  const size_t pathSize = nl ? static_cast<size_t>(static_cast<const char*>(nl) - rest) : restSize;
  // evhttp hands the handlers a NUL-terminated URI: a NUL ends the path there too.
  const std::string path(rest, strnlen(rest, pathSize));
  const std::string body = nl ? std::string(rest + pathSize + 1, restSize - pathSize - 1) : "";
  checkAnswer(qeil::handleApiRequest(a, method, path.c_str(), body));
  for (const qeil::WorkloadEntry& e : a.workloads().entries()) {
    if (e.used) (void)a.workloads().stop(e.id);
  }
  return 0;
}
