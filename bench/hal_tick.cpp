// bench/hal_tick: one sampling pass of the HAL over a board-sized set on the fakes: 6 rails on
// four INA chips (an INA3221 and an INA226, INA260 and INA219) behind a simulated I2C bus, and
// the RK3588's 7 thermal zones and 4 frequency domains (cpufreq policies 0/4/6 and the Mali
// devfreq) in a fake sysfs tree read by the real Linux backends.
// Targets: under 50 us per pass on this machine, zero heap allocations per pass after warm-up.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "bench/support/bench_report.h"
#include "bench/support/capturing_reporter.h"
#include "hal/backends.h"
#include "hal/linux/cpufreq.h"
#include "hal/linux/devfreq.h"
#include "hal/linux/thermal.h"
#include "hal/sim/fake_sysfs.h"
#include "hal/sim/ina_chip_model.h"
#include "hal/sim/sim_clock.h"
#include "hal/sim/sim_i2c_bus.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

class SimBusProvider final : public I2cBusProvider {
 public:
  Result<I2cBus*> bus(int) override { return static_cast<I2cBus*>(&bus_); }
  SimI2cBus bus_{"sim-i2c-1"};
};

class HalTickRig {
 public:
  bool build() {
    auto fs = FakeSysfs::rk3588(dir_.path());
    if (!fs.ok()) return fail(fs.error());
    fs_ = std::move(fs.value());
    const struct {
      const char* backend;
      InaChip chip;
      uint8_t addr;
    } chips[] = {{"ina3221", InaChip::Ina3221, 0x40},
                 {"ina226", InaChip::Ina226, 0x41},
                 {"ina260", InaChip::Ina260, 0x44},
                 {"ina219", InaChip::Ina219, 0x45}};
    for (const auto& c : chips) {
      if (!addMonitor(c.backend, c.chip, c.addr)) return false;
    }
    auto types = SysfsThermalZone::listTypes(root_);
    if (!types.ok()) return fail(types.error());
    for (const std::string& type : types.value()) {
      auto zone = SysfsThermalZone::find(root_, type.c_str(), clock_);
      if (!zone.ok()) return fail(zone.error());
      zones_.push_back(std::move(zone.value()));
    }
    for (const char* policy : {"policy0", "policy4", "policy6"}) {
      auto domain = CpufreqPolicy::find(root_, policy, journal_, clock_);
      if (!domain.ok()) return fail(domain.error());
      domains_.push_back(std::move(domain.value()));
    }
    auto gpu = DevfreqDevice::find(root_, "fb000000.gpu", journal_, clock_);
    if (!gpu.ok()) return fail(gpu.error());
    domains_.push_back(std::move(gpu.value()));
    return true;
  }

  // One tick: 100 ms of simulated time, then every rail, zone and domain read once.
  void pass() {
    clock_.advanceNs(100 * kNsPerMs);
    for (auto& m : monitors_)
      m->sample();
    for (auto& z : zones_)
      valid_ &= z->readTempC().valid;
    for (auto& d : domains_)
      valid_ &= d->readCurHz().valid;
    for (auto& m : monitors_) {
      for (int ch = 0; ch < m->channelCount(); ++ch)
        valid_ &= m->last(ch).valid;
    }
  }

  bool allValid() const { return valid_; }
  int rails() const {
    int n = 0;
    for (const auto& m : monitors_)
      n += m->channelCount();
    return n;
  }
  size_t zones() const { return zones_.size(); }
  size_t domains() const { return domains_.size(); }

 private:
  bool addMonitor(const char* backend, InaChip chip, uint8_t addr) {
    models_.push_back(InaChipModel::create(chip, clock_));
    InaChipModel& model = *models_.back();
    PowerMonitorSpec spec;
    spec.backend = backend;
    spec.i2cBus = 1;
    spec.ina.addr = addr;
    for (int ch = 0; ch < model.channelCount(); ++ch) {
      if (chip != InaChip::Ina260) {
        spec.ina.channels[ch] = {0.01, 4.0, true};  // 10 mOhm, 4 A: an SBC's 5 V input
        model.setShuntOhm(ch, 0.01);
      }
      model.setInput(ch, 5.1, 1.5 + 0.2 * ch);
    }
    bus_.bus_.attach(addr, model);
    auto monitor = createPowerMonitor(spec, hal_);
    if (!monitor.ok()) return fail(monitor.error());
    Status st = monitor.value()->init();
    if (!st.ok()) return fail(st.error());
    monitors_.push_back(std::move(monitor.value()));
    return true;
  }
  bool fail(const Error& e) {
    fprintf(stderr, "hal_tick: %s\n", e.message());
    return false;
  }

  test::TempDir dir_;
  SysRoot root_{dir_.path()};
  SimClock clock_;
  SettingsJournal journal_;
  SimBusProvider bus_;
  HalContext hal_{root_, clock_, journal_, bus_};
  std::unique_ptr<FakeSysfs> fs_;
  std::vector<std::unique_ptr<InaChipModel>> models_;
  std::vector<std::unique_ptr<PowerMonitor>> monitors_;
  std::vector<std::unique_ptr<ThermalZone>> zones_;
  std::vector<std::unique_ptr<FreqDomain>> domains_;
  bool valid_ = true;
};

}  // namespace
}  // namespace qeil

int main(int argc, char** argv) {
  using namespace qeil;
  bench::BenchArgs args = bench::parseBenchArgs(&argc, argv);
  HalTickRig rig;
  if (!rig.build()) return 1;
  for (int i = 0; i < 50; ++i)
    rig.pass();  // warm-up: first conversions, descriptors opened

  // Allocations and per-pass latency over a fixed number of passes.
  const int passes = args.shortMode ? 200 : 20000;
  std::vector<double> passUs(passes);
  test::AllocationScope allocs;
  for (int i = 0; i < passes; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    rig.pass();
    passUs[i] =
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
  }
  double allocsPerPass = static_cast<double>(allocs.count()) / passes;
  std::sort(passUs.begin(), passUs.end());

  std::vector<char*> gbArgs(argv, argv + argc);
  char minTime[] = "--benchmark_min_time=0.01";
  if (args.shortMode) gbArgs.push_back(minTime);
  int gbArgc = static_cast<int>(gbArgs.size());
  benchmark::Initialize(&gbArgc, gbArgs.data());
  benchmark::RegisterBenchmark("HalTick/6rails_7zones_4domains", [&rig](benchmark::State& state) {
    for (auto _ : state)
      rig.pass();
  })->Unit(benchmark::kMicrosecond);
  bench::CapturingReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);

  bench::Report report("hal_tick");
  report.info("rails", rig.rails(), "count");
  report.info("thermal zones", static_cast<double>(rig.zones()), "count");
  report.info("frequency domains", static_cast<double>(rig.domains()), "count");
  report.target("time per pass (mean)", reporter.meanNs / 1000.0, "us", "< 50 us",
                reporter.meanNs < 50000.0);
  report.info("time per pass (p50)", passUs[passes / 2], "us");
  report.info("time per pass (p99)", passUs[passes * 99 / 100], "us");
  report.target("heap allocations per pass", allocsPerPass, "count", "0", allocsPerPass == 0.0);
  report.target("every reading valid", rig.allValid() ? 1 : 0, "bool", "1", rig.allValid());
  report.print();
  if (!args.resultsDir.empty() && !report.writeJson(args.resultsDir)) return 1;
  return rig.allValid() ? 0 : 1;
}
