// INA ALERT lines as power-cap events (agent.h, Agent::onAlert).
#include "agent/agent.h"
#include "hal/linux/gpiod_line.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule logAlert("alert");

}  // namespace

// After every build (start-up, SIGHUP): the chip's over-power limit, per alert rail.
void Agent::programAlerts() {
  for (size_t r = 0; r < board_.rails.size(); ++r) {
    const BoardRail& br = board_.rails[r];
    if (br.alertGpio.empty() || !(br.alertLimitW > 0.0)) continue;
    const RailBinding& b = hal_->rails[r];
    Status s = hal_->monitors[b.monitor]->setAlert(b.channel, AlertKind::OverPower, br.alertLimitW);
    if (!s.ok()) {
      warnings_.push_back("rail " + br.name + ": alert limit: " + s.error().message());
    }
  }
}

// Once, when the loop starts: each alert rail's line, watched on the loop.
Status Agent::watchAlerts() {
  alertLines_.clear();
  alertLines_.resize(board_.rails.size());
  alertWatchers_.clear();
  for (size_t r = 0; r < board_.rails.size(); ++r) {
    const BoardRail& br = board_.rails[r];
    if (br.alertGpio.empty() || !(br.alertLimitW > 0.0)) continue;
    const int g = indexByName(board_.gpios, br.alertGpio);
    if (g < 0) continue;
    const BoardGpio& bg = board_.gpios[static_cast<size_t>(g)];
    if (twin_) {
      auto line = FakeGpioLine::createInput(bg.name);
      if (!line.ok()) return line.error();
      alertLines_[r] = std::move(line.value());
    } else {
      GpioInputConfig config;
      if (bg.chip.rfind("gpiochip", 0) == 0) {
        config.chip.name = bg.chip;
      } else {
        config.chip.label = bg.chip;
      }
      config.offset = bg.line;
      config.name = bg.name;
      config.activeLow = bg.activeLow;
      config.edges = GpioEdges::Rising;
      auto line = GpiodLine::openInput(ctx_->root, config);
      if (!line.ok()) {
        warnings_.push_back("rail " + br.name + ": alert line: " + line.error().message());
        continue;
      }
      alertLines_[r] = std::move(line.value());
    }
    alertWatchers_.push_back(
        std::make_unique<FdWatcher>(*loop_, alertLines_[r]->eventFd(), [this, r] { onAlert(r); }));
    Status s = alertWatchers_.back()->start();
    if (!s.ok()) return s;
  }
  return Status();
}

FakeGpioLine* Agent::twinAlertLine(size_t rail) {
  if (!twin_ || rail >= alertLines_.size()) return nullptr;
  return static_cast<FakeGpioLine*>(alertLines_[rail].get());
}

void Agent::onAlert(size_t rail) {
  GpioLine* line = rail < alertLines_.size() ? alertLines_[rail].get() : nullptr;
  if (!line) return;
  while (line->readEvent().ok()) {
  }
  const BoardRail& br = board_.rails[rail];
  const RailBinding& b = hal_->rails[rail];
  Result<bool> fired = hal_->monitors[b.monitor]->takeAlert(b.channel);
  if (!fired.ok() || !fired.value()) {
    QEIL_LOG(logAlert, Info, "rail %s: ALERT edge, but the chip's flag is not set (%s)",
             br.name.c_str(), fired.ok() ? "cleared" : fired.error().message());
    return;
  }
  ++alertEvents_;
  if (!planner_) return;
  PlanPolicy p = planner_->policy();
  if (!(p.powerCapW > 0.0) || p.powerCapW > br.alertLimitW) p.powerCapW = br.alertLimitW;
  planner_->setPolicy(p);
  QEIL_LOG(logAlert, Warn, "rail %s: over %.2f W (ALERT): re-planning under a %.2f W cap",
           br.name.c_str(), br.alertLimitW, p.powerCapW);
  requestReplan(ReplanTrigger::PowerAlert);
  (void)replan();
}

}  // namespace qeil
