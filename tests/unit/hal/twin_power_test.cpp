// Board twin: the same seed gives the same trace, and the energy the real INA drivers
// integrate from the twin's register maps is the energy the twin's devices drew (through the
// VRM) plus the base load, within the chips' quantisation and noise.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "hal/linux/thermal.h"
#include "tests/unit/hal/twin_rig.h"

namespace qeil {
namespace {

using test::TwinRig;

// A trace of what the backends read: the INA226's bus voltage, current and power, and every
// zone's temperature, sampled every 50 ms over 6 s of a changing load.
std::vector<double> trace(const BoardSpec& spec) {
  std::vector<double> out;
  TwinRig rig(spec);
  EXPECT_TRUE(rig.ok()) << rig.error.message();
  if (!rig.ok()) return out;
  auto ina = rig.monitor("VIN_5V");
  EXPECT_TRUE(ina && ina->init().ok());
  if (!ina) return out;
  std::vector<std::unique_ptr<SysfsThermalZone>> zones;
  for (const BoardZone& z : spec.zones) {
    auto zone = SysfsThermalZone::find(rig.root(), z.name.c_str(), rig.clock);
    EXPECT_TRUE(zone.ok());
    if (zone.ok()) zones.push_back(std::move(zone.value()));
  }
  EXPECT_TRUE(rig.twin->addWorkload(test::tinyLlama(4, CpuSet::range(4, 7))).ok());
  for (int i = 0; i < 120; ++i) {
    if (i == 40) {
      LlmWorkloadSpec npu = test::tinyLlama(1, CpuSet(), "npu-llm");
      npu.device = "npu";
      EXPECT_TRUE(rig.twin->addWorkload(npu).ok());
    }
    rig.twin->step(0.05);
    ina->sample();
    const PowerSample& s = ina->last(0);
    out.insert(out.end(), {s.busV, s.currentA, s.powerW});
    for (auto& z : zones)
      out.push_back(z->readTempC().value);
  }
  return out;
}

TEST(TwinPower, SameSeedSameTraceOtherSeedAnother) {
  BoardSpec spec = test::rk3588TwinSpec();
  std::vector<double> a = trace(spec);
  std::vector<double> b = trace(spec);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, b);
  spec.twin.seed += 1;
  std::vector<double> c = trace(spec);
  ASSERT_EQ(a.size(), c.size());
  EXPECT_NE(a, c);  // the sensor and INA noise follow the seed
}

// The twin's own books: a rail carries its devices' energy through the VRM, the DRAM traffic
// and the base load, to rounding.
TEST(TwinPower, RailEnergyIsDeviceEnergyThroughTheVrmPlusBase) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  ASSERT_TRUE(rig.twin->addWorkload(test::tinyLlama(8, CpuSet::range(0, 7))).ok());
  rig.twin->step(3.0);
  double devices = 0.0;
  for (size_t d = 0; d < rig.twin->spec().devices.size(); ++d)
    devices += rig.twin->deviceEnergyJ(static_cast<int>(d));
  double vrm = rig.twin->spec().twin.vrmEfficiency;
  double expected = (devices + rig.twin->dramEnergyJ()) / vrm + rig.twin->baseEnergyJ();
  EXPECT_GT(rig.twin->dramEnergyJ(), 0.0);
  EXPECT_NEAR(rig.twin->baseEnergyJ(), 2.0 * 3.0, 1e-9);
  EXPECT_NEAR(rig.twin->railEnergyJ(0), expected, 1e-9 * expected);
}

struct Books {
  double devicesJ = 0.0;  // the rail's devices
  double dramJ = 0.0;
  double baseJ = 0.0;
};

Books books(const BoardTwin& twin, const BoardRail& rail) {
  Books b;
  for (const std::string& name : rail.feeds)
    b.devicesJ += twin.deviceEnergyJ(twin.deviceIndex(name));
  if (rail.carriesDram) b.dramJ = twin.dramEnergyJ();
  // baseEnergyJ() is the board's whole base power over its on-time; this rail carries its share.
  if (twin.spec().baseW > 0.0) b.baseJ = twin.baseEnergyJ() * rail.baseW / twin.spec().baseW;
  return b;
}

// Runs a changing load (schedutil, a CPU run then a GPU run beside it) while the driver
// samples once per conversion period; returns, per rail of `railNames`, the energy the driver
// integrated and the energy the twin's devices drew over the same span.
void measure(TwinRig& rig, PowerMonitor& monitor, int64_t periodNs,
             const std::vector<std::string>& railNames, std::vector<double>* measuredJ,
             std::vector<double>* drawnJ, double* spanS) {
  ASSERT_TRUE(monitor.init().ok()) << monitor.lastError().message();
  rig.twin->stepNs(periodNs);
  monitor.sample();  // the first valid sample: integration starts here
  const BoardSpec& spec = rig.twin->spec();
  std::vector<Books> start;
  for (const std::string& name : railNames)
    start.push_back(books(*rig.twin, spec.rails[static_cast<size_t>(rig.twin->railIndex(name))]));
  int64_t t0 = rig.clock.nowNs();
  LlmWorkloadSpec cpu = test::tinyLlama(8, CpuSet::range(0, 7));
  cpu.repeat = true;
  ASSERT_TRUE(rig.twin->addWorkload(cpu).ok());
  for (int i = 0; i < 300; ++i) {
    if (i == 100) {
      LlmWorkloadSpec gpu = test::tinyLlama(1, CpuSet(), "gpu-llm");
      gpu.device = "gpu";
      ASSERT_TRUE(rig.twin->addWorkload(gpu).ok());
    }
    rig.twin->stepNs(periodNs);
    monitor.sample();
    ASSERT_TRUE(monitor.last(0).valid) << monitor.lastError().message();
  }
  *spanS = static_cast<double>(rig.clock.nowNs() - t0) * 1e-9;
  double vrm = spec.twin.vrmEfficiency;
  for (size_t i = 0; i < railNames.size(); ++i) {
    Books end =
        books(*rig.twin, spec.rails[static_cast<size_t>(rig.twin->railIndex(railNames[i]))]);
    measuredJ->push_back(monitor.energyJ(static_cast<int>(i)));
    drawnJ->push_back((end.devicesJ - start[i].devicesJ + end.dramJ - start[i].dramJ) / vrm +
                      end.baseJ - start[i].baseJ);
  }
}

TEST(TwinPower, Ina226EnergyMatchesTheDevicesWithinQuantisation) {
  TwinRig rig;
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto ina = rig.monitor("VIN_5V");
  ASSERT_TRUE(ina) << rig.error.message();
  std::vector<double> measured;
  std::vector<double> drawn;
  double spanS = 0.0;
  measure(rig, *ina, 16 * 2 * 1100 * kNsPerUs, {"VIN_5V"}, &measured, &drawn, &spanS);
  ASSERT_EQ(measured.size(), 1u);
  printf("VIN_5V over %.1f s: INA226 %.3f J, devices %.3f J\n", spanS, measured[0], drawn[0]);
  EXPECT_GT(drawn[0] / spanS, 5.0);  // watts: a real load
  // INA226 on 10 mOhm for 6 A: 2.5 uV shunt LSB (0.25 mA), 1.25 mV bus LSB, power LSB 4.6 mW;
  // the chip truncates current and power. A few mW of bias and a sample's lag at the edges.
  EXPECT_NEAR(measured[0], drawn[0], 0.01 * spanS + 0.002 * drawn[0]);
}

TEST(TwinPower, Ina3221EnergyMatchesTheDevicesWithinQuantisation) {
  BoardSpec spec = test::rk3588TwinSpec();
  test::addIna3221CpuRails(spec);
  TwinRig rig(spec);
  ASSERT_TRUE(rig.ok()) << rig.error.message();
  auto ina = rig.monitor("VDD_CPU_BIG0");
  ASSERT_TRUE(ina) << rig.error.message();
  ASSERT_EQ(ina->channelCount(), 3);
  std::vector<std::string> rails = {"VDD_CPU_LIT", "VDD_CPU_BIG0", "VDD_CPU_BIG1"};
  std::vector<double> measured;
  std::vector<double> drawn;
  double spanS = 0.0;
  measure(rig, *ina, 4 * 2 * 1100 * 3 * kNsPerUs, rails, &measured, &drawn, &spanS);
  ASSERT_EQ(measured.size(), 3u);
  for (size_t i = 0; i < rails.size(); ++i) {
    printf("%s over %.1f s: INA3221 %.3f J, devices %.3f J\n", rails[i].c_str(), spanS, measured[i],
           drawn[i]);
    EXPECT_GT(drawn[i] / spanS, 0.2) << rails[i];
    // INA3221: 40 uV shunt LSB over 10 mOhm = 4 mA, 20 mW at 5 V, rounded: at most half an
    // LSB of bias on a steady load; 8 mV bus LSB.
    EXPECT_NEAR(measured[i], drawn[i], 0.012 * spanS + 0.005 * drawn[i]) << rails[i];
  }
}

}  // namespace
}  // namespace qeil
