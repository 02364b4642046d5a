#pragma once

// The board twin in a temporary tree with the real backends around it: a simulated clock, a
// memory-only journal, and helpers that build power monitors from the spec's rails the way
// the agent will.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "hal/backends.h"
#include "hal/linux/journal.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"
#include "tests/support/temp_dir.h"
#include "tests/support/twin_specs.h"

namespace qeil::test {

// TinyLlama 1.1B Q4_0 (tinyLlamaQ4()) with 64 output tokens.
inline LlmWorkloadSpec tinyLlama(int threads, CpuSet cpus, const std::string& cgroup = "llm") {
  LlmWorkloadSpec w = tinyLlamaQ4();
  w.outputTokens = 64;
  w.threads = threads;
  w.cgroup = cgroup;
  w.cpus = cpus;
  return w;
}

class TwinRig {
 public:
  explicit TwinRig(const BoardSpec& spec = rk3588TwinSpec(),
                   const TwinOptions& options = TwinOptions()) {
    auto t = BoardTwin::create(spec, dir_.path(), clock, options);
    if (t.ok()) {
      twin = std::move(t.value());
      hal = std::make_unique<HalContext>(HalContext{twin->sysRoot(), clock, journal, *twin});
    } else {
      error = t.error();
    }
  }

  bool ok() const { return twin != nullptr; }
  SysRoot root() const { return twin->sysRoot(); }

  // The power monitor for the chip carrying `railName`, configured from every rail of that
  // chip the way the board file describes them; nullptr on failure (with `error`).
  std::unique_ptr<PowerMonitor> monitor(const std::string& railName) {
    const BoardSpec& spec = twin->spec();
    const BoardRail* rail = nullptr;
    for (const BoardRail& r : spec.rails) {
      if (r.name == railName) rail = &r;
    }
    if (!rail) return nullptr;
    PowerMonitorSpec m;
    m.backend = rail->backend;
    m.i2cBus = rail->i2cBus;
    m.ina.addr = static_cast<uint8_t>(rail->address);
    m.ina.averages = rail->averages;
    m.ina.busConvUs = rail->convUs;
    m.ina.shuntConvUs = rail->convUs;
    for (auto& ch : m.ina.channels)
      ch.enabled = false;
    for (const BoardRail& r : spec.rails) {
      if (r.backend != rail->backend || r.i2cBus != rail->i2cBus || r.address != rail->address)
        continue;
      InaChannelConfig& ch = m.ina.channels[static_cast<size_t>(r.channel)];
      ch = {r.backend == "ina260" ? 0.0 : r.shuntOhm, r.maxCurrentA, true};
      m.hwmon.labels.push_back(r.hwmonLabel.empty() ? r.name : r.hwmonLabel);
    }
    m.hwmon.chip = rail->hwmonChip;
    auto created = createPowerMonitor(m, *hal);
    if (!created.ok()) {
      error = created.error();
      return nullptr;
    }
    return std::move(created.value());
  }

  TempDir dir_;
  SimClock clock{0};
  SettingsJournal journal;
  std::unique_ptr<BoardTwin> twin;
  std::unique_ptr<HalContext> hal;
  Error error;
};

}  // namespace qeil::test
