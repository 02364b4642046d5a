// Every shipped board file builds a board twin that the real backends read as hardware: the
// rails through the INA drivers (I2C) or hwmon, the zones through the sysfs thermal backend.
// And on rk3588.cfg, llama.cpp on all eight cores decodes slower than on the four A76 cores.
#include <dirent.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "agent/board_check.h"
#include "agent/board_config.h"
#include "hal/backends.h"
#include "hal/linux/journal.h"
#include "hal/linux/thermal.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/twin.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

std::vector<std::string> shippedBoardFiles() {
  std::vector<std::string> files;
  const std::string dir = std::string(QEIL_SOURCE_DIR) + "/board-configs";
  DIR* d = opendir(dir.c_str());
  if (!d) return files;
  while (const dirent* e = readdir(d)) {
    const std::string name = e->d_name;
    if (name.size() > 4 && name.compare(name.size() - 4, 4, ".cfg") == 0)
      files.push_back(dir + "/" + name);
  }
  closedir(d);
  std::sort(files.begin(), files.end());
  return files;
}

// A short decode of a 1.1B-class model on the given CPUs.
LlmWorkloadSpec decode(int threads, CpuSet cpus) {
  LlmWorkloadSpec w = tinyLlamaQ4();
  w.name = "decode";
  w.bitsPerWeight = 4.85;
  w.contextTokens = 256;
  w.promptTokens = 4;
  w.outputTokens = 1000;
  w.threads = threads;
  w.cpus = cpus;
  w.cgroup = "qeil/test";
  return w;
}

TEST(BoardTwinFiles, EveryBoardFileDrivesTheRealBackends) {
  const std::vector<std::string> files = shippedBoardFiles();
  ASSERT_GE(files.size(), 5u);
  for (const std::string& file : files) {
    SCOPED_TRACE(file);
    Result<BoardSpec> loaded = loadBoardFile(file);
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    const BoardSpec& spec = loaded.value();
    test::TempDir dir;
    SimClock clock{0};
    SettingsJournal journal;
    auto made = BoardTwin::create(spec, dir.path(), clock);
    ASSERT_TRUE(made.ok()) << made.error().message();
    BoardTwin& twin = *made.value();
    HalContext hal{twin.sysRoot(), clock, journal, twin};

    const BoardDevice* cpu = nullptr;
    for (const BoardDevice& d : spec.devices) {
      if (!cpu && d.kind == HwDeviceKind::Cpu) cpu = &d;
    }
    ASSERT_NE(cpu, nullptr);
    auto id = twin.addWorkload(decode(cpu->cores, cpu->cpus));
    ASSERT_TRUE(id.ok()) << id.error().message();
    twin.step(3.0);
    EXPECT_GT(twin.workload(id.value()).tokensGenerated, 0);

    for (size_t r = 0; r < spec.rails.size(); ++r) {
      const BoardRail& rail = spec.rails[r];
      SCOPED_TRACE(rail.name);
      auto monitor = createPowerMonitor(railMonitorSpec(rail), hal);
      ASSERT_TRUE(monitor.ok()) << monitor.error().message();
      ASSERT_TRUE(monitor.value()->init().ok()) << monitor.value()->lastError().message();
      twin.step(0.2);  // a full averaging period at the new configuration
      monitor.value()->sample();
      double powerW = 0.0;
      int valid = 0;
      for (int c = 0; c < monitor.value()->channelCount(); ++c) {
        const PowerSample& s = monitor.value()->last(c);
        if (!s.valid) continue;
        ++valid;
        powerW += s.powerW;
      }
      ASSERT_EQ(valid, 1) << monitor.value()->lastError().message();
      // What the twin put on the rail, as the chip reads it: averaged over its conversion window
      // and quantised (an INA3221 at 19 V resolves ~0.4 W). A rail that feeds nothing the twin
      // models (a DRAM or SoC-fabric rail), or only a power-gated device, reads about 0 W.
      double truthW = twin.railPowerW(twin.railIndex(rail.name));
      EXPECT_NEAR(powerW, truthW, 0.15 * truthW + 0.6);
      if (truthW > 0.5) {
        EXPECT_GT(powerW, 0.1);
      }
      if (rail.maxCurrentA > 0.0) {
        EXPECT_LT(powerW, rail.maxCurrentA * rail.busV);
      }
    }

    for (const BoardZone& z : spec.zones) {
      SCOPED_TRACE(z.name);
      auto zone = SysfsThermalZone::find(twin.sysRoot(), z.name.c_str(), clock);
      ASSERT_TRUE(zone.ok()) << zone.error().message();
      Reading t = zone.value()->readTempC();
      ASSERT_TRUE(t.valid);
      double criticalC = 150.0;
      for (const BoardTrip& trip : z.trips) {
        if (trip.type == TripType::Critical) criticalC = trip.tempC;
      }
      EXPECT_GT(t.value, spec.ambientC - 2.0);  // sensor noise below a zone still at ambient
      EXPECT_LT(t.value, criticalC);
    }
  }
}

// The RK3588's known llama.cpp effect, from the physics: all eight cores wait at every layer
// for the A55s and share one DRAM, so they decode slower than the four A76 cores alone.
TEST(BoardTwinFiles, Rk3588EightThreadsSlowerThanFourA76) {
  Result<BoardSpec> loaded =
      loadBoardFile(std::string(QEIL_SOURCE_DIR) + "/board-configs/rk3588.cfg");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  auto rate = [&](int threads, CpuSet cpus) {
    test::TempDir dir;
    SimClock clock{0};
    TwinOptions opt;
    opt.cpuGovernor = "performance";
    auto made = BoardTwin::create(loaded.value(), dir.path(), clock, opt);
    EXPECT_TRUE(made.ok());
    if (!made.ok()) return 0.0;
    LlmWorkloadSpec w = decode(threads, cpus);
    w.outputTokens = 8;
    auto id = made.value()->addWorkload(w);
    EXPECT_TRUE(id.ok());
    made.value()->step(5.0);
    WorkloadStatus s = made.value()->workload(id.value());
    EXPECT_EQ(s.state, WorkloadState::Done);
    return s.tokensPerS;
  };
  double four = rate(4, CpuSet::range(4, 7));
  double eight = rate(8, CpuSet::range(0, 7));
  EXPECT_GT(four, 0.0);
  EXPECT_GT(eight, 0.0);
  EXPECT_LT(eight, four);
}

// llama.cpp's threads spin at the layer barrier: the A76 cores waiting for the A55s keep
// switching, so an eight-thread run draws more on the A76s than the same run with sleeping
// waiters, and decodes at the same rate.
TEST(BoardTwinFiles, SpinningWaitersKeepTheirCoresBusy) {
  Result<BoardSpec> loaded =
      loadBoardFile(std::string(QEIL_SOURCE_DIR) + "/board-configs/rk3588.cfg");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  auto run = [&](bool spin, double* a76W) {
    test::TempDir dir;
    SimClock clock{0};
    TwinOptions opt;
    opt.cpuGovernor = "performance";
    auto made = BoardTwin::create(loaded.value(), dir.path(), clock, opt);
    EXPECT_TRUE(made.ok());
    if (!made.ok()) return 0.0;
    LlmWorkloadSpec w = decode(8, CpuSet::range(0, 7));
    w.spinWait = spin;
    auto id = made.value()->addWorkload(w);
    EXPECT_TRUE(id.ok());
    made.value()->step(2.0);
    *a76W = made.value()->devicePowerW(made.value()->deviceIndex("a76_0"));
    return made.value()->workload(id.value()).tokensPerS;
  };
  double spinW = 0.0, sleepW = 0.0;
  double spinRate = run(true, &spinW);
  double sleepRate = run(false, &sleepW);
  EXPECT_GT(spinW, 1.2 * sleepW);
  EXPECT_NEAR(spinRate, sleepRate, 0.02 * sleepRate);
}

}  // namespace
}  // namespace qeil
