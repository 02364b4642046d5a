#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "hal/cpu_set.h"
#include "hal/gpio_line.h"
#include "hal/thermal_zone.h"

namespace qeil {

// A board as its board file describes it (board-configs/*.cfg), parsed and validated by
// agent/board_config before anything is built. Plain data at the bottom of the layering
// because everything is built from it: the HAL backends (which rails, zones, domains, lines),
// the energy model's SocSpec (energy/board_soc), and the board twin (hal/sim/twin), which is
// hardware to the rest of the program. Units in every name; frequencies in Hz.

enum class HwDeviceKind { Cpu, Gpu, Npu };

// Data types a device declares peak work for; the order of BoardDevice::flopsPerCycle.
enum class WorkType { Fp32 = 0, Fp16, Int8, Int4 };
constexpr size_t kWorkTypes = 4;

struct OppSpec {
  uint64_t freqHz = 0;
  double voltV = 0.0;
};

// The model's leakage law (MODEL.md §5): P = refW * (V / refVoltV) * exp(lambda (T - refTempC)).
struct LeakageSpec {
  double refW = 0.0;
  double refVoltV = 1.0;
  double refTempC = 25.0;
  double lambdaPerK = 0.03;
};

struct BoardDevice {
  std::string name;  // "a76_0", "gpu", "npu"
  HwDeviceKind kind = HwDeviceKind::Cpu;
  int cores = 1;              // CPU: its CPUs; GPU/NPU: compute units
  CpuSet cpus;                // CPU clusters: the logical CPUs
  std::string cpufreqPolicy;  // CPU clusters: "policy4"
  std::string devfreq;        // a GPU/NPU under devfreq: "fb000000.gpu"; empty: none
  std::array<double, kWorkTypes> flopsPerCycle{};  // per core; 0: not supported
  std::vector<OppSpec> opps;                       // ascending frequency
  double dynCoeff = 0.0;                           // Linux EM convention, uW / MHz / V^2 per core
  LeakageSpec leakage;
  double idleW = 0.0;
  double maxBandwidthBps = 0.0;  // what this device alone can draw from DRAM
  std::string thermalZone;       // a BoardZone name
  double eta = 1.0;              // achieved fraction of the roofline, before calibration
  bool alwaysPowered = true;     // false: power-gated while unused (accelerators)
  std::string launchArgs;        // accelerator workloads: arguments for the workload launcher
  std::string enableGpio;        // a BoardGpio that powers it; empty: none
};

struct BoardTrip {
  TripType type = TripType::Passive;
  double tempC = 0.0;
  double hystC = 0.0;
};

struct BoardZone {
  std::string name;  // the kernel's thermal zone type: "bigcore0-thermal"
  double rThKPerW = 0.0;
  double cThJPerK = 0.0;
  std::vector<BoardTrip> trips;            // ascending temperature
  std::vector<std::string> cooledDevices;  // devices its passive trip throttles
};

// One measured rail: a channel of an INA chip on I2C, or of a chip the kernel owns (hwmon).
struct BoardRail {
  std::string name;       // "VDD_CPU_GPU_CV"
  std::string backend;    // a power monitor backend name: "ina226", "ina3221", "hwmon", ...
  int i2cBus = -1;        // I2C backends, and the twin's placement of hwmon chips
  int address = 0;        // 7-bit
  int channel = 0;        // INA3221: 0..2
  double shuntOhm = 0.0;  // 0 on the INA260 (internal)
  double maxCurrentA = 0.0;
  std::string hwmonChip;   // hwmon: "ina3221", "ina226"
  std::string hwmonLabel;  // hwmon ina3221: in[123]_label
  int averages = 1;
  int convUs = 0;                  // 0: the chip's default
  double busV = 5.0;               // nominal supply voltage of the rail (the twin drives it)
  std::vector<std::string> feeds;  // devices whose power this rail carries
  double baseW = 0.0;              // the part of BoardSpec::baseW on this rail, sub-rails excluded
  bool carriesDram = false;        // DRAM traffic power (dramJPerByte) flows through this rail
  std::string parent;              // the rail this one is a sub-rail of; empty: top level
  std::string alertGpio;           // a BoardGpio wired to the chip's ALERT pin
  double alertLimitW = 0.0;        // the chip's over-power alert limit (a power-cap event); 0: none
};

struct BoardGpio {
  std::string name;  // "fan", "npu_enable", "ina_alert"
  std::string chip;  // "gpiochip0" or a chip label
  unsigned line = 0;
  bool output = true;
  bool activeLow = false;
  int initial = 0;  // outputs
};

// A vendor power mode (Jetson nvpmodel): caps applied on top of the OPP tables.
struct PowerModeCap {
  std::string device;
  uint64_t maxFreqHz = 0;  // 0: no cap
  int onlineCores = -1;    // -1 (not given): all; 0: a CPU cluster taken offline whole
};
struct PowerMode {
  std::string name;  // "MAXN_SUPER"
  double budgetW = 0.0;
  std::vector<PowerModeCap> caps;
};

// The twin's own physics (hal/sim/twin). Where these differ from the model's values above,
// the twin is the "real" board and the model has to learn it.
struct TwinDevice {
  std::string device;
  double dynCoeff = 0.0;  // the true switching coefficient (EM convention)
  // The twin's leakage law (BSIM-style subthreshold, not the model's exponential):
  //   P = V * i0A * (T/T0)^2 * exp(-(vthV - vthTempCoeffVPerK (T - T0)) / (n k T / q)), T in K,
  // T0 = 298.15 K.
  double leakI0A = 0.0;
  double leakVthV = 0.3;
  double leakN = 1.5;
  double leakVthTempCoeffVPerK = 0.001;
  double idleW = 0.0;
  double computeEfficiency = 0.7;  // fraction of peak FLOP/s real kernels reach
  double memoryEfficiency = 0.8;   // fraction of the bandwidth cap streams reach
  double dvfsLatencyUs = 500.0;    // a frequency change takes effect after this
};

// Two thermal nodes per zone: the die (fast) and the package and heatsink (slow).
struct TwinZone {
  std::string zone;
  double dieRKPerW = 0.0;  // die to package
  double dieCJPerK = 0.0;
  double sinkRKPerW = 0.0;  // package to ambient
  double sinkCJPerK = 0.0;
  double sensorNoiseC = 0.1;
};

struct TwinParams {
  uint64_t seed = 1;
  double dramBandwidthBps = 0.0;  // what the shared DRAM really delivers
  double ambientDriftC = 0.0;     // amplitude of a slow ambient swing
  double ambientPeriodS = 3600.0;
  double inaShuntNoiseV = 2e-6;  // per conversion, at the shunt ADC
  double inaBusNoiseV = 1e-3;
  double vrmEfficiency = 0.9;  // rail power = device power / efficiency
  double barrierUs = 20.0;     // per-layer synchronisation cost of a multi-threaded run
  std::vector<TwinDevice> devices;
  std::vector<TwinZone> zones;
};

struct BoardSpec {
  std::string sourceFile;
  std::string name;  // "rk3588"
  std::string soc;
  std::string description;

  double memCapacityBytes = 0.0;
  double memReservedBytes = 0.0;
  double dramBandwidthBps = 0.0;  // beta_soc as the model assumes it
  double dramJPerByte = 30e-12;
  double baseW = 0.0;  // everything not in a device
  double ambientC = 25.0;
  double rhoMax = 0.92;
  double kappaM = 0.05;
  double thermalMarginK = 5.0;

  std::vector<BoardDevice> devices;
  std::vector<BoardZone> zones;
  std::vector<BoardRail> rails;
  std::vector<BoardGpio> gpios;
  std::vector<PowerMode> powerModes;
  std::string powerMode;  // the active one; empty: none
  std::string cgroupParent = "qeil";
  TwinParams twin;
};

// The index of the item called `name` (devices, zones, rails, gpios, power modes), or -1.
template <class T>
int indexByName(const std::vector<T>& items, const std::string& name) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace qeil
