// bench/twin_speed: how fast the board twin runs. An RK3588 twin (test::rk3588TwinSpec, with
// an INA3221 on the CPU rails) carries a sustained load, four decode threads on the A76s and
// a decode on the NPU, both repeating, at 35 C ambient, with 1 ms physics steps. An agent-like
// tick every 100 ms of simulated time samples the INA226 and the INA3221 through the real
// drivers and reads every thermal zone through the sysfs backend.
// Targets: one simulated hour in under 10 s of wall time on this machine; no heap allocation
// in the stepped part. --short simulates one minute instead of an hour.
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/support/bench_report.h"
#include "hal/backends.h"
#include "hal/linux/journal.h"
#include "hal/linux/thermal.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/temp_dir.h"
#include "tests/support/twin_specs.h"

namespace qeil {
namespace {

LlmWorkloadSpec decode(const char* name, int threads, CpuSet cpus, const char* device) {
  LlmWorkloadSpec w = tinyLlamaQ4();
  w.name = name;
  w.threads = threads;
  w.cpus = cpus;
  w.cgroup = std::string("qeil/") + name;
  w.device = device;
  w.repeat = true;
  return w;
}

PowerMonitorSpec inaSpec(const char* backend, int bus, uint8_t addr, int channels, int averages) {
  PowerMonitorSpec m;
  m.backend = backend;
  m.i2cBus = bus;
  m.ina.addr = addr;
  m.ina.averages = averages;
  for (int c = 0; c < InaConfig::kMaxChannels; ++c)
    m.ina.channels[static_cast<size_t>(c)] = {0.01, c < channels ? 6.0 : 3.0, c < channels};
  return m;
}

struct Rig {
  test::TempDir dir;
  SimClock clock{0};
  SettingsJournal journal;
  std::unique_ptr<BoardTwin> twin;
  std::unique_ptr<HalContext> hal;
  std::vector<std::unique_ptr<PowerMonitor>> monitors;
  std::vector<std::unique_ptr<SysfsThermalZone>> zones;

  bool build() {
    BoardSpec spec = test::rk3588TwinSpec();
    spec.ambientC = 35.0;
    test::addIna3221CpuRails(spec);
    auto t = BoardTwin::create(spec, dir.path(), clock);
    if (!t.ok()) return fail(t.error());
    twin = std::move(t.value());
    hal = std::make_unique<HalContext>(HalContext{twin->sysRoot(), clock, journal, *twin});
    for (const PowerMonitorSpec& m :
         {inaSpec("ina226", 1, 0x40, 1, 16), inaSpec("ina3221", 2, 0x41, 3, 4)}) {
      auto monitor = createPowerMonitor(m, *hal);
      if (!monitor.ok()) return fail(monitor.error());
      if (!monitor.value()->init().ok()) return fail(monitor.value()->lastError());
      monitors.push_back(std::move(monitor.value()));
    }
    for (const BoardZone& z : spec.zones) {
      auto zone = SysfsThermalZone::find(twin->sysRoot(), z.name.c_str(), clock);
      if (!zone.ok()) return fail(zone.error());
      zones.push_back(std::move(zone.value()));
    }
    for (const LlmWorkloadSpec& w :
         {decode("cpu", 4, CpuSet::range(4, 7), "cpu"), decode("npu", 1, CpuSet(), "npu")}) {
      auto id = twin->addWorkload(w);
      if (!id.ok()) return fail(id.error());
    }
    return true;
  }

  // One agent tick: 100 ms of simulated time, then what the agent reads.
  void tick(bool sample) {
    twin->step(0.1);
    if (!sample) return;
    for (auto& m : monitors)
      m->sample();
    for (auto& z : zones)
      z->readTempC();
  }

  static bool fail(const Error& e) {
    fprintf(stderr, "twin_speed: %s\n", e.message());
    return false;
  }
};

// Wall seconds to run `simS` seconds in 100 ms ticks.
double timeRun(Rig& rig, double simS, bool sample) {
  auto t0 = std::chrono::steady_clock::now();
  int ticks = static_cast<int>(simS / 0.1 + 0.5);
  for (int i = 0; i < ticks; ++i)
    rig.tick(sample);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace
}  // namespace qeil

int main(int argc, char** argv) {
  using namespace qeil;
  bench::BenchArgs args = bench::parseBenchArgs(&argc, argv);
  const double simS = args.shortMode ? 60.0 : 3600.0;

  Rig rig;
  if (!rig.build()) return 1;
  rig.tick(true);  // warm-up: first conversions, descriptors opened
  test::AllocationScope allocs;
  double wallS = timeRun(rig, simS, true);
  uint64_t allocations = allocs.count();
  bool valid = true;
  for (auto& m : rig.monitors) {
    for (int c = 0; c < m->channelCount(); ++c)
      valid = valid && m->last(c).valid;
  }

  Rig physics;
  if (!physics.build()) return 1;
  double physicsWallS = timeRun(physics, simS, false);

  double perHourS = wallS * 3600.0 / simS;
  bench::Report report("twin_speed");
  report.info("simulated time", simS, "s");
  report.target("wall time per simulated hour (with agent reads)", perHourS, "s", "< 10 s",
                perHourS < 10.0);
  report.info("simulated seconds per wall second", simS / wallS, "x");
  report.info("wall time per simulated hour (physics only)", physicsWallS * 3600.0 / simS, "s");
  report.info("physics steps per wall second", simS * 1000.0 / physicsWallS, "steps/s");
  report.target("heap allocations while stepping", static_cast<double>(allocations), "count", "0",
                allocations == 0);
  report.target("every rail reading valid", valid ? 1 : 0, "bool", "1", valid);
  report.info("tokens decoded on the A76s", static_cast<double>(rig.twin->workload(0).totalTokens),
              "tokens");
  report.info("tokens decoded on the NPU", static_cast<double>(rig.twin->workload(1).totalTokens),
              "tokens");
  report.info("throttle events", static_cast<double>(rig.twin->throttleEvents()), "count");
  report.print();
  if (!args.resultsDir.empty() && !report.writeJson(args.resultsDir)) return 1;
  return valid ? 0 : 1;
}
