#pragma once

// Board specs built in code for the twin's tests and benches (the board files' loader lives
// in agent/, which hal tests do not link). The devices, OPPs, coefficients, zones and trips
// are board-configs/rk3588.cfg's; the twin groups carry test values chosen so that the
// throttling test is physically so (see rk3588TwinSpec()).

#include <string>
#include <vector>

#include "hal/board_spec.h"

namespace qeil::test {

inline OppSpec oppMhz(double mhz, double mv) {
  return {static_cast<uint64_t>(mhz * 1e6 + 0.5), mv * 1e-3};
}

inline std::vector<OppSpec> opps(const std::vector<double>& mhz, const std::vector<double>& mv) {
  std::vector<OppSpec> out;
  for (size_t i = 0; i < mhz.size() && i < mv.size(); ++i)
    out.push_back(oppMhz(mhz[i], mv[i]));
  return out;
}

inline BoardDevice rk3588Cpu(const std::string& name, int first, int last,
                             const std::string& policy, bool big) {
  BoardDevice d;
  d.name = name;
  d.kind = HwDeviceKind::Cpu;
  d.cpus = CpuSet::range(first, last);
  d.cores = last - first + 1;
  d.cpufreqPolicy = policy;
  if (big) {
    d.flopsPerCycle = {16.0, 32.0, 64.0, 64.0};
    d.opps = opps({1200, 1416, 1608, 1800, 2016, 2208, 2400},
                  {675.0, 725.0, 762.5, 850.0, 925.0, 987.5, 1000.0});
    d.dynCoeff = 416;
    d.leakage = {0.1, 1.0, 25.0, 0.03};
    d.maxBandwidthBps = 12e9;
    d.thermalZone = name == "a76_0" ? "bigcore0-thermal" : "bigcore2-thermal";
    d.eta = 0.6;
  } else {
    d.flopsPerCycle = {8.0, 16.0, 32.0, 32.0};
    d.opps = opps({1008, 1200, 1416, 1608, 1800}, {675.0, 712.5, 762.5, 850.0, 950.0});
    d.dynCoeff = 228;
    d.leakage = {0.08, 0.95, 25.0, 0.03};
    d.maxBandwidthBps = 6e9;
    d.thermalZone = "littlecore-thermal";
    d.eta = 0.5;
  }
  d.idleW = 0.05;
  return d;
}

inline BoardZone zone(const std::string& name, double rTh, double cTh, bool passive,
                      std::vector<std::string> cooled = {}) {
  BoardZone z;
  z.name = name;
  z.rThKPerW = rTh;
  z.cThJPerK = cTh;
  if (passive) z.trips.push_back({TripType::Passive, 85.0, 2.0});
  z.trips.push_back({TripType::Critical, 115.0, 0.0});
  z.cooledDevices = std::move(cooled);
  return z;
}

inline TwinZone twinZone(const std::string& name, double dieR, double dieC, double sinkR,
                         double sinkC) {
  TwinZone z;
  z.zone = name;
  z.dieRKPerW = dieR;
  z.dieCJPerK = dieC;
  z.sinkRKPerW = sinkR;
  z.sinkCJPerK = sinkC;
  z.sensorNoiseC = 0.1;
  return z;
}

// An RK3588 board (ROCK 5B class) with the usual INA226 on the 5 V input, as
// board-configs/rk3588.cfg describes it, and test physics for the twin:
//  - leakage: the BSIM law with n = 1.5 and Vth falling 0.5 mV/K, scaled to the board file's
//    reference leakage (0.1 W per A76 pair at 25 C): about 10x that at 85 C;
//  - an A76 pair's zone: 2 K/W die to package (0.5 J/K), 14 K/W package to ambient (2 J/K):
//    16 K/W in all, time constants of about 1 s and 30 s. Four busy A76s at 2.4 GHz draw about
//    2 W per pair plus leakage, so a pair settles near 45 + 16 * 3 = 93 C above its 85 C passive
//    trip at 45 C ambient, while one core at 25 C settles near 25 + 16 * 1.2 = 44 C.
inline BoardSpec rk3588TwinSpec() {
  BoardSpec s;
  s.name = "rk3588";
  s.soc = "Rockchip RK3588";
  s.memCapacityBytes = 16.0 * (1ull << 30);
  s.memReservedBytes = 1.0 * (1ull << 30);
  s.dramBandwidthBps = 27.2e9;
  s.dramJPerByte = 30e-12;
  s.baseW = 2.0;
  s.ambientC = 25.0;
  s.devices.push_back(rk3588Cpu("a55", 0, 3, "policy0", false));
  s.devices.push_back(rk3588Cpu("a76_0", 4, 5, "policy4", true));
  s.devices.push_back(rk3588Cpu("a76_1", 6, 7, "policy6", true));
  BoardDevice gpu;
  gpu.name = "gpu";
  gpu.kind = HwDeviceKind::Gpu;
  gpu.cores = 4;
  gpu.devfreq = "fb000000.gpu";
  gpu.flopsPerCycle = {117.5, 227.5, 227.5, 227.5};
  gpu.opps = opps({300, 400, 500, 600, 700, 800, 900, 1000},
                  {675.0, 675.0, 675.0, 675.0, 700.0, 750.0, 800.0, 850.0});
  gpu.dynCoeff = 2982;
  gpu.leakage = {0.15, 0.85, 25.0, 0.03};
  gpu.idleW = 0.1;
  gpu.maxBandwidthBps = 27.2e9;
  gpu.thermalZone = "gpu-thermal";
  gpu.eta = 0.4;
  gpu.alwaysPowered = false;
  s.devices.push_back(gpu);
  BoardDevice npu;
  npu.name = "npu";
  npu.kind = HwDeviceKind::Npu;
  npu.cores = 3;
  npu.devfreq = "fdab0000.npu";
  npu.flopsPerCycle = {0.0, 512.0, 2048.0, 2048.0};
  npu.opps = opps({300, 600, 800, 1000}, {700.0, 750.0, 800.0, 850.0});
  npu.dynCoeff = 690;
  npu.leakage = {0.1, 0.85, 25.0, 0.03};
  npu.idleW = 0.05;
  npu.maxBandwidthBps = 27.2e9;
  npu.thermalZone = "npu-thermal";
  npu.eta = 0.5;
  npu.alwaysPowered = false;
  s.devices.push_back(npu);

  s.zones = {zone("package-thermal", 4.0, 25.0, false),
             zone("bigcore0-thermal", 9.0, 4.0, true, {"a76_0"}),
             zone("bigcore2-thermal", 9.0, 4.0, true, {"a76_1"}),
             zone("littlecore-thermal", 10.0, 4.0, true, {"a55"}),
             zone("center-thermal", 6.0, 10.0, false),
             zone("gpu-thermal", 8.0, 5.0, true, {"gpu"}),
             zone("npu-thermal", 8.0, 5.0, false)};

  BoardRail vin;
  vin.name = "VIN_5V";
  vin.backend = "ina226";
  vin.i2cBus = 1;
  vin.address = 0x40;
  vin.shuntOhm = 0.01;
  vin.maxCurrentA = 6.0;
  vin.averages = 16;
  vin.convUs = 1100;
  vin.busV = 5.1;
  vin.feeds = {"a55", "a76_0", "a76_1", "gpu", "npu"};
  vin.baseW = s.baseW;
  vin.carriesDram = true;
  s.rails.push_back(vin);

  TwinParams& t = s.twin;
  t.seed = 3588;
  t.dramBandwidthBps = 30e9;
  t.ambientDriftC = 0.0;
  t.inaShuntNoiseV = 2.5e-6;
  t.inaBusNoiseV = 1.25e-3;
  t.vrmEfficiency = 0.88;
  t.barrierUs = 25.0;
  for (const BoardDevice& d : s.devices) {
    TwinDevice td;
    td.device = d.name;
    td.dynCoeff = d.dynCoeff;
    td.leakN = 1.5;
    td.leakVthTempCoeffVPerK = 0.0005;
    td.idleW = d.idleW;
    td.computeEfficiency = 0.7;
    td.memoryEfficiency = 0.8;
    td.dvfsLatencyUs = 500.0;
    t.devices.push_back(td);  // leakI0A 0: scaled to the board file's reference leakage
  }
  t.zones = {twinZone("package-thermal", 0.5, 5.0, 3.5, 20.0),
             twinZone("bigcore0-thermal", 2.0, 0.5, 14.0, 2.0),
             twinZone("bigcore2-thermal", 2.0, 0.5, 14.0, 2.0),
             twinZone("littlecore-thermal", 2.0, 0.5, 14.0, 2.0),
             twinZone("center-thermal", 1.0, 2.0, 5.0, 8.0),
             twinZone("gpu-thermal", 2.0, 1.0, 6.0, 4.0),
             twinZone("npu-thermal", 2.0, 1.0, 6.0, 4.0)};
  return s;
}

inline BoardRail subRail(const std::string& name, const std::string& backend, int bus, int address,
                         int channel, std::vector<std::string> feeds) {
  BoardRail r;
  r.name = name;
  r.backend = backend;
  r.i2cBus = bus;
  r.address = address;
  r.channel = channel;
  r.shuntOhm = 0.01;
  r.maxCurrentA = 3.0;
  r.averages = 4;
  r.convUs = 1100;
  r.busV = 5.0;
  r.feeds = std::move(feeds);
  r.parent = "VIN_5V";
  return r;
}

// A measurement rig on the CPU clusters: an INA3221 on I2C bus 2 at 0x41 read by our driver.
inline void addIna3221CpuRails(BoardSpec& s) {
  s.rails.push_back(subRail("VDD_CPU_LIT", "ina3221", 2, 0x41, 0, {"a55"}));
  s.rails.push_back(subRail("VDD_CPU_BIG0", "ina3221", 2, 0x41, 1, {"a76_0"}));
  s.rails.push_back(subRail("VDD_CPU_BIG1", "ina3221", 2, 0x41, 2, {"a76_1"}));
}

// Rails the kernel owns, read through hwmon: an INA3221 (two channels used) and an INA226 on
// I2C bus 3.
inline void addHwmonRails(BoardSpec& s) {
  BoardRail gpu = subRail("VDD_GPU", "hwmon", 3, 0x40, 0, {"gpu"});
  gpu.hwmonChip = "ina3221";
  gpu.hwmonLabel = "VDD_GPU";
  BoardRail big = subRail("VDD_CPU_BIG", "hwmon", 3, 0x40, 2, {"a76_0", "a76_1"});
  big.hwmonChip = "ina3221";
  big.hwmonLabel = "VDD_CPU_BIG";
  BoardRail npu = subRail("VDD_NPU", "hwmon", 3, 0x45, 0, {"npu"});
  npu.hwmonChip = "ina226";
  s.rails.push_back(gpu);
  s.rails.push_back(big);
  s.rails.push_back(npu);
}

}  // namespace qeil::test
