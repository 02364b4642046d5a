#pragma once

#include <array>
#include <cstddef>

#include "hal/fixed_vector.h"

namespace qeil::energy {

// MODEL.md §1 Devices and operating points. Plain data: board files fill it (agent), the
// model reads it. Units in every name; frequencies in Hz, voltages in V, temperatures in degC.

constexpr size_t kMaxDevices = 8;
constexpr size_t kMaxZones = 8;
constexpr size_t kMaxOpps = 32;
constexpr size_t kMaxRails = kMaxDevices;  // each device on at most one rail (MODEL.md §7)
// Devices fitted jointly on one rail (MODEL.md §7): a Jetson VDD_CPU_GPU_CV feeds 3, the usual
// RK3588 rig's single 5 V input feeds all 5. A rail of n devices fits 2n + 1 terms (Rls::kMaxDim).
constexpr size_t kMaxRailDevices = 6;

enum class DeviceKind { CpuCluster, Gpu, Npu };

// The arithmetic a phase runs in; devices declare their peak work per cycle for each.
enum class DataType { Fp32 = 0, Fp16, Int8, Int4 };
constexpr size_t kDataTypes = 4;

struct Opp {
  double freqHz = 0.0;
  double voltV = 0.0;
};
using OppTable = FixedVector<Opp, kMaxOpps>;  // ascending frequency

// MODEL.md §5: P_leak(T, V) = refW * (V / refVoltV) * exp(lambdaPerK * (T - refTempC)).
struct LeakageParams {
  double refW = 0.0;
  double refVoltV = 1.0;
  double lambdaPerK = 0.03;
  double refTempC = 25.0;
};

struct DeviceSpec {
  char name[32] = {};
  DeviceKind kind = DeviceKind::CpuCluster;
  int cores = 1;  // cores or compute units
  // Peak work per cycle per core for each DataType (FLOP or OP); 0: the device cannot run it.
  std::array<double, kDataTypes> flopsPerCycle{};
  OppTable opps;
  // Linux Energy Model convention, per core: P_dyn[uW] = dynCoeff * V[V]^2 * f[MHz].
  double dynCoeff = 0.0;
  LeakageParams leakage;
  double idleW = 0.0;            // powered, no work
  double maxBandwidthBps = 0.0;  // beta_d: what this device can draw from DRAM at most
  int zone = 0;                  // index into SocSpec::zones
  double defaultEta = 1.0;       // achieved fraction of the roofline until calibrated (§3)
  // A CPU cluster the OS runs on stays powered; an idle accelerator can be power-gated (no idle
  // or leakage power while nothing is placed on it).
  bool alwaysPowered = true;
};

// A thermal node (MODEL.md §5): C_th dT/dt = P - (T - T_amb) / R_th.
struct ZoneSpec {
  char name[32] = {};
  double rThKPerW = 10.0;
  double cThJPerK = 5.0;
  double passiveTripC = 85.0;
  double criticalTripC = 115.0;
};

// A measured power rail (MODEL.md §7): the devices whose power it carries.
struct RailSpec {
  char name[32] = {};
  FixedVector<int, kMaxRailDevices> devices;  // indices into SocSpec::devices
  int parent = -1;                            // index into SocSpec::rails; -1: top level
  double baseW = 0.0;                         // base power on it, sub-rails excluded
  bool carriesDram = false;                   // DRAM traffic power flows through it
};

struct SocSpec {
  FixedVector<DeviceSpec, kMaxDevices> devices;
  FixedVector<ZoneSpec, kMaxZones> zones;
  FixedVector<RailSpec, kMaxRails> rails;
  double dramBandwidthBps = 0.0;  // beta_soc, shared by every device (§1)
  double memCapacityBytes = 0.0;  // one pool on a unified-memory SoC (§4)
  double memReservedBytes = 0.0;  // OS and everything that is not ours
  double dramJPerByte = 30e-12;   // LPDDR4X/5: about 20-40 pJ/byte (§6)
  double baseW = 0.0;             // the rest of the board
  double ambientC = 25.0;
  double rhoMax = 0.92;         // CPQ infeasibility bound (§4)
  double kappaM = 0.05;         // CPQ scale until learned from PSI (§4, §7)
  double thermalMarginK = 5.0;  // below the passive trip (§5)
};

}  // namespace qeil::energy
