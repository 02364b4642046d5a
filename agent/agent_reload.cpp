// SIGHUP: reloading the board file (agent.h, Agent::reloadBoardFile).
#include "agent/agent.h"
#include "agent/board_config.h"
#include "energy/board_soc.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule logReload("reload");

template <typename T>
bool sameNames(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name) return false;
  }
  return true;
}

}  // namespace

Status Agent::reloadBoardFile() {
  const std::string path = board_.sourceFile;
  BoardErrors errors;
  Result<BoardSpec> next = loadBoardFile(path, &errors);
  if (!next.ok()) {
    for (const BoardError& e : errors)
      QEIL_LOG(logReload, Error, "SIGHUP: %s", e.text().c_str());
    QEIL_LOG(logReload, Error, "SIGHUP: keeping the board as it was loaded");
    return next.error();
  }
  Result<energy::SocSpec> soc = energy::socFromBoard(next.value());
  Status s = soc.ok() ? Status() : Status(soc.error());
  if (s.ok() && twin_ &&
      (!sameNames(next.value().devices, board_.devices) ||
       !sameNames(next.value().zones, board_.zones) ||
       !sameNames(next.value().rails, board_.rails)))
    s = Error::make(EINVAL, "%s: the twin's hardware cannot change (devices, zones, rails)",
                    path.c_str());
  if (s.ok() &&
      (next.value().rails.size() > kAgentMaxRails || next.value().zones.size() > kAgentMaxZones ||
       next.value().devices.size() > kAgentMaxDevices))
    s = Error::make(E2BIG, "%s: more rails, zones or devices than the agent holds", path.c_str());
  if (!s.ok()) {
    QEIL_LOG(logReload, Error, "SIGHUP: %s; keeping the board as it was loaded",
             s.error().message());
    return s;
  }
  // What runs now resumes on the rebuilt state.
  std::vector<SavedWorkload> saved = savedWorkloads(*workloads_);
  Status restored = restore();
  if (!restored.ok()) QEIL_LOG(logReload, Warn, "SIGHUP: restore: %s", restored.error().message());
  workloads_.reset();
  launcher_.reset();
  planner_.reset();
  hal_.reset();
  ctx_.reset();
  board_ = next.value();
  s = build(saved);
  if (!s.ok()) {
    QEIL_LOG(logReload, Error, "SIGHUP: rebuilding from %s: %s", path.c_str(), s.error().message());
    return s;
  }
  plannedGeneration_ = 0;
  requestReplan(ReplanTrigger::Workloads);
  QEIL_LOG(logReload, Info, "SIGHUP: reloaded %s (%zu workloads resumed)", path.c_str(),
           saved.size());
  return Status();
}

}  // namespace qeil
