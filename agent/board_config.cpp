#include "agent/board_config.h"

#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <libconfig.h++>
#include <limits>

#include "agent/board_check.h"
#include "agent/board_diagnostics.h"
#include "agent/board_reader.h"

namespace qeil {
namespace {

// The file's syntax: one table per group, one row per key (board-configs/README.md).
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr Limits kNonNegative{0.0, kInf};
constexpr Limits kPositive{0.0, kInf, true};
constexpr Limits kFraction{0.0, 1.0, true};  // efficiencies: (0, 1]
constexpr Limits kTempC{-40.0, 150.0};       // what silicon is specified for
constexpr Limits kMhz{0.0, 10000.0, true};
constexpr Limits kMv{0.0, 2000.0, true};
constexpr Limits kAny{-kInf, kInf};
constexpr double kMiB = 1024.0 * 1024.0;
constexpr double kGiga = 1e9;
constexpr double kMilli = 1e-3;
constexpr double kMicro = 1e-6;
constexpr double kPico = 1e-12;
constexpr long long kMaxInt = INT_MAX;

// Names are what everything else refers to: never empty.
void readName(BoardItem& v, std::string& out) {
  std::string name;
  if (!v.get(name)) return;
  if (name.empty()) {
    v.error("empty");
  } else {
    out = std::move(name);
  }
}

void readMhz(BoardItem& v, uint64_t& outHz) {
  double mhz = 0.0;
  if (v.get(mhz, kMhz)) outHz = static_cast<uint64_t>(std::llround(mhz * 1e6));
}

// opp_mhz and opp_mv are two columns of one table: whichever comes second must match the first.
void readOppColumn(BoardItem& v, std::vector<OppSpec>& opps, bool freq) {
  std::vector<double> values;
  if (!v.get(values, freq ? kMhz : kMv)) return;
  if (!opps.empty() && opps.size() != values.size()) {
    v.error("%zu entries, but %s has %zu (they pair up)", values.size(),
            freq ? "opp_mv" : "opp_mhz", opps.size());
    return;
  }
  opps.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    if (freq) {
      opps[i].freqHz = static_cast<uint64_t>(std::llround(values[i] * 1e6));
    } else {
      opps[i].voltV = values[i] * kMilli;
    }
  }
}

const BoardChoice<HwDeviceKind> kKinds[] = {
    {"cpu", HwDeviceKind::Cpu}, {"gpu", HwDeviceKind::Gpu}, {"npu", HwDeviceKind::Npu}};
const BoardChoice<TripType> kTripTypes[] = {{"active", TripType::Active},
                                            {"passive", TripType::Passive},
                                            {"hot", TripType::Hot},
                                            {"critical", TripType::Critical}};
const BoardChoice<bool> kDirections[] = {{"input", false}, {"output", true}};

using Flops = std::array<double, kWorkTypes>;
const BoardField<Flops> kFlopsFields[] = {
    {"fp32", kOptional, [](BoardItem& v, Flops& f) { v.get(f[0], kNonNegative); }},
    {"fp16", kOptional, [](BoardItem& v, Flops& f) { v.get(f[1], kNonNegative); }},
    {"int8", kOptional, [](BoardItem& v, Flops& f) { v.get(f[2], kNonNegative); }},
    {"int4", kOptional, [](BoardItem& v, Flops& f) { v.get(f[3], kNonNegative); }},
};
static_assert(static_cast<size_t>(WorkType::Int4) == 3, "kFlopsFields follows WorkType");

const BoardField<LeakageSpec> kLeakageFields[] = {
    {"ref_w", kRequired, [](BoardItem& v, LeakageSpec& l) { v.get(l.refW, kNonNegative); }},
    {"ref_mv", kRequired, [](BoardItem& v, LeakageSpec& l) { v.get(l.refVoltV, kMv, kMilli); }},
    {"ref_temp_c", kOptional, [](BoardItem& v, LeakageSpec& l) { v.get(l.refTempC, kTempC); }},
    {"lambda_per_k", kOptional,
     [](BoardItem& v, LeakageSpec& l) {
       v.get(l.lambdaPerK, Limits{0.0, 0.2});
     }},
};

const BoardField<BoardDevice> kDeviceFields[] = {
    {"name", kRequired, [](BoardItem& v, BoardDevice& d) { readName(v, d.name); }},
    {"kind", kRequired, [](BoardItem& v, BoardDevice& d) { v.choose(d.kind, kKinds); }},
    {"cores", kOptional, [](BoardItem& v, BoardDevice& d) { v.get(d.cores, 1, 4096); }},
    {"cpus", kOptional, [](BoardItem& v, BoardDevice& d) { v.get(d.cpus); }},
    {"cpufreq_policy", kOptional, [](BoardItem& v, BoardDevice& d) { v.get(d.cpufreqPolicy); }},
    {"devfreq", kOptional, [](BoardItem& v, BoardDevice& d) { v.get(d.devfreq); }},
    {"flops_per_cycle", kRequired,
     [](BoardItem& v, BoardDevice& d) { v.group(d.flopsPerCycle, kFlopsFields); }},
    {"opp_mhz", kRequired, [](BoardItem& v, BoardDevice& d) { readOppColumn(v, d.opps, true); }},
    {"opp_mv", kRequired, [](BoardItem& v, BoardDevice& d) { readOppColumn(v, d.opps, false); }},
    {"dynamic_power_coefficient", kRequired,
     [](BoardItem& v, BoardDevice& d) { v.get(d.dynCoeff, kNonNegative); }},
    {"leakage", kOptional,
     [](BoardItem& v, BoardDevice& d) { v.group(d.leakage, kLeakageFields); }},
    {"idle_w", kOptional, [](BoardItem& v, BoardDevice& d) { v.get(d.idleW, kNonNegative); }},
    {"max_bandwidth_gbs", kRequired,
     [](BoardItem& v, BoardDevice& d) { v.get(d.maxBandwidthBps, kPositive, kGiga); }},
    {"thermal_zone", kRequired, [](BoardItem& v, BoardDevice& d) { readName(v, d.thermalZone); }},
    {"eta", kOptional, [](BoardItem& v, BoardDevice& d) { v.get(d.eta, kFraction); }},
    {"always_powered", kOptional, [](BoardItem& v, BoardDevice& d) { v.get(d.alwaysPowered); }},
    {"launch_args", kOptional, [](BoardItem& v, BoardDevice& d) { v.get(d.launchArgs); }},
    {"enable_gpio", kOptional, [](BoardItem& v, BoardDevice& d) { readName(v, d.enableGpio); }},
};

const BoardField<BoardTrip> kTripFields[] = {
    {"type", kRequired, [](BoardItem& v, BoardTrip& t) { v.choose(t.type, kTripTypes); }},
    {"temp_c", kRequired, [](BoardItem& v, BoardTrip& t) { v.get(t.tempC, kTempC); }},
    {"hyst_c", kOptional,
     [](BoardItem& v, BoardTrip& t) {
       v.get(t.hystC, Limits{0.0, 50.0});
     }},
};

const BoardField<BoardZone> kZoneFields[] = {
    {"name", kRequired, [](BoardItem& v, BoardZone& z) { readName(v, z.name); }},
    {"r_th_k_per_w", kRequired, [](BoardItem& v, BoardZone& z) { v.get(z.rThKPerW, kPositive); }},
    {"c_th_j_per_k", kRequired, [](BoardItem& v, BoardZone& z) { v.get(z.cThJPerK, kPositive); }},
    {"trips", kOptional, [](BoardItem& v, BoardZone& z) { v.list(z.trips, kTripFields); }},
    {"cooled_devices", kOptional, [](BoardItem& v, BoardZone& z) { v.get(z.cooledDevices); }},
};

const BoardField<BoardRail> kRailFields[] = {
    {"name", kRequired, [](BoardItem& v, BoardRail& r) { readName(v, r.name); }},
    {"backend", kRequired, [](BoardItem& v, BoardRail& r) { readName(v, r.backend); }},
    {"i2c_bus", kOptional, [](BoardItem& v, BoardRail& r) { v.get(r.i2cBus, 0, 1023); }},
    {"address", kOptional,
     [](BoardItem& v, BoardRail& r) {
       // 0x00-0x02 and 0x78-0x7F are reserved by the I2C specification.
       int address = 0;
       if (!v.get(address, 0, kMaxInt)) return;
       if (address < 0x03 || address > 0x77) {
         v.error("0x%02x is outside the 7-bit device addresses 0x03..0x77", address);
       } else {
         r.address = address;
       }
     }},
    {"channel", kOptional, [](BoardItem& v, BoardRail& r) { v.get(r.channel, 0, kMaxInt); }},
    {"shunt_ohm", kOptional, [](BoardItem& v, BoardRail& r) { v.get(r.shuntOhm, kAny); }},
    {"max_current_a", kOptional,
     [](BoardItem& v, BoardRail& r) { v.get(r.maxCurrentA, kNonNegative); }},
    {"hwmon_chip", kOptional, [](BoardItem& v, BoardRail& r) { readName(v, r.hwmonChip); }},
    {"hwmon_label", kOptional, [](BoardItem& v, BoardRail& r) { readName(v, r.hwmonLabel); }},
    {"averages", kOptional, [](BoardItem& v, BoardRail& r) { v.get(r.averages, 1, 1024); }},
    {"conv_us", kOptional, [](BoardItem& v, BoardRail& r) { v.get(r.convUs, 0, 100000); }},
    {"bus_v", kOptional,
     [](BoardItem& v, BoardRail& r) {
       v.get(r.busV, Limits{0.0, 60.0, true});
     }},
    {"feeds", kOptional, [](BoardItem& v, BoardRail& r) { v.get(r.feeds); }},
    {"base_w", kOptional, [](BoardItem& v, BoardRail& r) { v.get(r.baseW, kNonNegative); }},
    {"carries_dram", kOptional, [](BoardItem& v, BoardRail& r) { v.get(r.carriesDram); }},
    {"parent", kOptional, [](BoardItem& v, BoardRail& r) { readName(v, r.parent); }},
    {"alert_gpio", kOptional, [](BoardItem& v, BoardRail& r) { readName(v, r.alertGpio); }},
    {"alert_limit_w", kOptional,
     [](BoardItem& v, BoardRail& r) {
       v.get(r.alertLimitW, Limits{0.0, 10000.0, true});
     }},
};

const BoardField<BoardGpio> kGpioFields[] = {
    {"name", kRequired, [](BoardItem& v, BoardGpio& g) { readName(v, g.name); }},
    {"chip", kRequired, [](BoardItem& v, BoardGpio& g) { readName(v, g.chip); }},
    {"line", kRequired, [](BoardItem& v, BoardGpio& g) { v.get(g.line, 0, 65535); }},
    {"direction", kRequired, [](BoardItem& v, BoardGpio& g) { v.choose(g.output, kDirections); }},
    {"active_low", kOptional, [](BoardItem& v, BoardGpio& g) { v.get(g.activeLow); }},
    {"initial", kOptional, [](BoardItem& v, BoardGpio& g) { v.get(g.initial, 0, 1); }},
};

const BoardField<PowerModeCap> kCapFields[] = {
    {"device", kRequired, [](BoardItem& v, PowerModeCap& c) { readName(v, c.device); }},
    {"max_mhz", kOptional, [](BoardItem& v, PowerModeCap& c) { readMhz(v, c.maxFreqHz); }},
    {"online_cores", kOptional,
     [](BoardItem& v, PowerModeCap& c) { v.get(c.onlineCores, 0, CpuSet::kMaxCpus); }},
};

const BoardField<PowerMode> kPowerModeFields[] = {
    {"name", kRequired, [](BoardItem& v, PowerMode& m) { readName(v, m.name); }},
    {"budget_w", kOptional, [](BoardItem& v, PowerMode& m) { v.get(m.budgetW, kNonNegative); }},
    {"caps", kOptional, [](BoardItem& v, PowerMode& m) { v.list(m.caps, kCapFields); }},
};

// NaN: not in the file, the board's value is filled in after validation (completeTwin).
TwinDevice unsetTwinDevice() {
  TwinDevice t;
  t.dynCoeff = t.leakI0A = t.idleW = kNaN;
  return t;
}
TwinZone unsetTwinZone() {
  TwinZone t;
  t.dieRKPerW = t.dieCJPerK = t.sinkRKPerW = t.sinkCJPerK = kNaN;
  return t;
}

const BoardField<TwinDevice> kTwinDeviceFields[] = {
    {"device", kRequired, [](BoardItem& v, TwinDevice& t) { readName(v, t.device); }},
    {"dynamic_power_coefficient", kOptional,
     [](BoardItem& v, TwinDevice& t) { v.get(t.dynCoeff, kNonNegative); }},
    {"leak_i0_a", kOptional, [](BoardItem& v, TwinDevice& t) { v.get(t.leakI0A, kNonNegative); }},
    {"leak_vth_v", kOptional,
     [](BoardItem& v, TwinDevice& t) {
       v.get(t.leakVthV, Limits{0.0, 1.0, true});
     }},
    {"leak_n", kOptional,
     [](BoardItem& v, TwinDevice& t) {
       v.get(t.leakN, Limits{1.0, 3.0});
     }},
    {"leak_vth_temp_coeff_v_per_k", kOptional,
     [](BoardItem& v, TwinDevice& t) {
       v.get(t.leakVthTempCoeffVPerK, Limits{0.0, 0.01});
     }},
    {"idle_w", kOptional, [](BoardItem& v, TwinDevice& t) { v.get(t.idleW, kNonNegative); }},
    {"compute_efficiency", kOptional,
     [](BoardItem& v, TwinDevice& t) { v.get(t.computeEfficiency, kFraction); }},
    {"memory_efficiency", kOptional,
     [](BoardItem& v, TwinDevice& t) { v.get(t.memoryEfficiency, kFraction); }},
    {"dvfs_latency_us", kOptional,
     [](BoardItem& v, TwinDevice& t) {
       v.get(t.dvfsLatencyUs, Limits{0.0, 1e6});
     }},
};

const BoardField<TwinZone> kTwinZoneFields[] = {
    {"zone", kRequired, [](BoardItem& v, TwinZone& t) { readName(v, t.zone); }},
    {"die_r_k_per_w", kOptional, [](BoardItem& v, TwinZone& t) { v.get(t.dieRKPerW, kPositive); }},
    {"die_c_j_per_k", kOptional, [](BoardItem& v, TwinZone& t) { v.get(t.dieCJPerK, kPositive); }},
    {"sink_r_k_per_w", kOptional,
     [](BoardItem& v, TwinZone& t) { v.get(t.sinkRKPerW, kPositive); }},
    {"sink_c_j_per_k", kOptional,
     [](BoardItem& v, TwinZone& t) { v.get(t.sinkCJPerK, kPositive); }},
    {"sensor_noise_c", kOptional,
     [](BoardItem& v, TwinZone& t) {
       v.get(t.sensorNoiseC, Limits{0.0, 10.0});
     }},
};

const BoardField<TwinParams> kTwinFields[] = {
    {"seed", kOptional, [](BoardItem& v, TwinParams& t) { v.get(t.seed); }},
    {"dram_bandwidth_gbs", kOptional,
     [](BoardItem& v, TwinParams& t) { v.get(t.dramBandwidthBps, kPositive, kGiga); }},
    {"ambient_drift_c", kOptional,
     [](BoardItem& v, TwinParams& t) {
       v.get(t.ambientDriftC, Limits{0.0, 50.0});
     }},
    {"ambient_period_s", kOptional,
     [](BoardItem& v, TwinParams& t) { v.get(t.ambientPeriodS, kPositive); }},
    {"ina_shunt_noise_uv", kOptional,
     [](BoardItem& v, TwinParams& t) { v.get(t.inaShuntNoiseV, kNonNegative, kMicro); }},
    {"ina_bus_noise_mv", kOptional,
     [](BoardItem& v, TwinParams& t) { v.get(t.inaBusNoiseV, kNonNegative, kMilli); }},
    {"vrm_efficiency", kOptional,
     [](BoardItem& v, TwinParams& t) { v.get(t.vrmEfficiency, kFraction); }},
    {"barrier_us", kOptional,
     [](BoardItem& v, TwinParams& t) {
       v.get(t.barrierUs, Limits{0.0, 1e6});
     }},
    {"devices", kOptional,
     [](BoardItem& v, TwinParams& t) { v.list(t.devices, kTwinDeviceFields, unsetTwinDevice()); }},
    {"zones", kOptional,
     [](BoardItem& v, TwinParams& t) { v.list(t.zones, kTwinZoneFields, unsetTwinZone()); }},
};

const BoardField<BoardSpec> kBoardFields[] = {
    {"name", kRequired, [](BoardItem& v, BoardSpec& b) { readName(v, b.name); }},
    {"soc", kRequired, [](BoardItem& v, BoardSpec& b) { v.get(b.soc); }},
    {"description", kOptional, [](BoardItem& v, BoardSpec& b) { v.get(b.description); }},
};

const BoardField<BoardSpec> kMemoryFields[] = {
    {"capacity_mb", kRequired,
     [](BoardItem& v, BoardSpec& b) { v.get(b.memCapacityBytes, kPositive, kMiB); }},
    {"reserved_mb", kOptional,
     [](BoardItem& v, BoardSpec& b) { v.get(b.memReservedBytes, kNonNegative, kMiB); }},
    {"bandwidth_gbs", kRequired,
     [](BoardItem& v, BoardSpec& b) { v.get(b.dramBandwidthBps, kPositive, kGiga); }},
    {"dram_pj_per_byte", kOptional,
     [](BoardItem& v, BoardSpec& b) {
       v.get(b.dramJPerByte, Limits{0.0, 1000.0}, kPico);
     }},
};

const BoardField<BoardSpec> kModelFields[] = {
    {"rho_max", kOptional,
     [](BoardItem& v, BoardSpec& b) {
       v.get(b.rhoMax, Limits{0.0, 0.99, true});
     }},
    {"kappa_m", kOptional, [](BoardItem& v, BoardSpec& b) { v.get(b.kappaM, kNonNegative); }},
    {"thermal_margin_k", kOptional,
     [](BoardItem& v, BoardSpec& b) {
       v.get(b.thermalMarginK, Limits{0.0, 50.0});
     }},
};

const BoardField<BoardSpec> kCgroupFields[] = {
    {"parent", kOptional, [](BoardItem& v, BoardSpec& b) { readName(v, b.cgroupParent); }},
};

const BoardField<BoardSpec> kRootFields[] = {
    {"version", kRequired,
     [](BoardItem& v, BoardSpec&) {
       int version = 0;
       if (v.get(version, INT_MIN, INT_MAX) && version != 1)
         v.error("%d is not supported (this qeil reads version 1)", version);
     }},
    {"board", kRequired, [](BoardItem& v, BoardSpec& b) { v.group(b, kBoardFields); }},
    {"memory", kRequired, [](BoardItem& v, BoardSpec& b) { v.group(b, kMemoryFields); }},
    {"base_w", kRequired, [](BoardItem& v, BoardSpec& b) { v.get(b.baseW, kNonNegative); }},
    {"ambient_c", kOptional, [](BoardItem& v, BoardSpec& b) { v.get(b.ambientC, kTempC); }},
    {"model", kOptional, [](BoardItem& v, BoardSpec& b) { v.group(b, kModelFields); }},
    {"cgroup", kOptional, [](BoardItem& v, BoardSpec& b) { v.group(b, kCgroupFields); }},
    {"thermal_zones", kRequired, [](BoardItem& v, BoardSpec& b) { v.list(b.zones, kZoneFields); }},
    {"devices", kRequired, [](BoardItem& v, BoardSpec& b) { v.list(b.devices, kDeviceFields); }},
    {"power_rails", kOptional, [](BoardItem& v, BoardSpec& b) { v.list(b.rails, kRailFields); }},
    {"gpios", kOptional, [](BoardItem& v, BoardSpec& b) { v.list(b.gpios, kGpioFields); }},
    {"power_modes", kOptional,
     [](BoardItem& v, BoardSpec& b) { v.list(b.powerModes, kPowerModeFields); }},
    {"power_mode", kOptional, [](BoardItem& v, BoardSpec& b) { readName(v, b.powerMode); }},
    {"twin", kOptional, [](BoardItem& v, BoardSpec& b) { v.group(b.twin, kTwinFields); }},
};

// A cpu device's cores are its CPUs unless the file gives a number (the check compares them).
void deriveCores(BoardSpec& board, const BoardDiagnostics& diag) {
  for (size_t i = 0; i < board.devices.size(); ++i) {
    BoardDevice& d = board.devices[i];
    const std::string cores = settingPath("devices", i, "cores");
    if (d.kind == HwDeviceKind::Cpu && !d.cpus.empty() &&
        (!diag.has(cores) || diag.reportedUnder(cores)))
      d.cores = d.cpus.count();
  }
}

// The twin's leakage law (hal/board_spec.h TwinDevice) solved for i0 so that it gives the
// board's leakage power at the board's reference voltage and temperature.
double twinLeakI0A(const LeakageSpec& board, const TwinDevice& t) {
  constexpr double kBoltzmannOverQ = 8.617333262e-5;  // V/K
  constexpr double kT0 = 298.15;
  const double tempK = board.refTempC + 273.15;
  const double thermalV = t.leakN * kBoltzmannOverQ * tempK;
  const double vth = t.leakVthV - t.leakVthTempCoeffVPerK * (tempK - kT0);
  const double perAmpW = board.refVoltV * (tempK / kT0) * (tempK / kT0) * std::exp(-vth / thermalV);
  return board.refW / perAmpW;
}

template <class T, class Named>
T twinEntry(const std::vector<T>& entries, std::string T::*key, const Named& of, T unset) {
  for (const T& e : entries) {
    if (e.*key == of.name) return e;
  }
  unset.*key = of.name;
  return unset;
}

void fillUnset(double& value, double boardValue) {
  if (std::isnan(value)) value = boardValue;
}

// One twin entry per device and zone, in the board's order; what the file left out comes from
// the board's own values (board-configs/README.md, "twin").
void completeTwin(BoardSpec& board) {
  TwinParams& twin = board.twin;
  std::vector<TwinDevice> devices;
  for (const BoardDevice& d : board.devices) {
    TwinDevice t = twinEntry(twin.devices, &TwinDevice::device, d, unsetTwinDevice());
    fillUnset(t.dynCoeff, d.dynCoeff);
    fillUnset(t.idleW, d.idleW);
    fillUnset(t.leakI0A, twinLeakI0A(d.leakage, t));
    devices.push_back(t);
  }
  std::vector<TwinZone> zones;
  for (const BoardZone& z : board.zones) {
    TwinZone t = twinEntry(twin.zones, &TwinZone::zone, z, unsetTwinZone());
    fillUnset(t.dieRKPerW, 0.25 * z.rThKPerW);
    fillUnset(t.sinkRKPerW, 0.75 * z.rThKPerW);
    fillUnset(t.dieCJPerK, 0.1 * z.cThJPerK);
    fillUnset(t.sinkCJPerK, 0.9 * z.cThJPerK);
    zones.push_back(t);
  }
  twin.devices = std::move(devices);
  twin.zones = std::move(zones);
  if (twin.dramBandwidthBps == 0.0) twin.dramBandwidthBps = board.dramBandwidthBps;
}

void parse(const std::string& text, const std::string& includeDir, BoardDiagnostics& diag,
           BoardSpec& board) {
  libconfig::Config config;
  config.setAutoConvert(true);
  if (!includeDir.empty()) config.setIncludeDir(includeDir.c_str());
  try {
    config.readString(text);
  } catch (const libconfig::ParseException& e) {
    diag.reportLine(e.getFile(), e.getLine(), e.getError());
    return;
  }
  try {
    const libconfig::Setting& root = config.getRoot();
    diag.record(root);
    BoardItem(diag, root).group(board, kRootFields);
  } catch (const libconfig::ConfigException& e) {
    diag.reportLine(nullptr, 0, std::string("libconfig: ") + e.what());
  }
}

Result<std::string> readText(const std::string& path) {
  FILE* f = fopen(path.c_str(), "re");
  if (!f) return Error::make(errno, "cannot open: %s", strerror(errno));
  std::string text;
  char buf[8192];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0)
    text.append(buf, n);
  const int err = ferror(f) ? (errno ? errno : EIO) : 0;
  fclose(f);
  if (err) return Error::make(err, "cannot read: %s", strerror(err));
  return text;
}

Result<BoardSpec> load(const std::string& text, const std::string& name,
                       const std::string& includeDir, BoardErrors* errors) {
  BoardDiagnostics diag(name, includeDir);
  BoardSpec board;
  board.sourceFile = name;
  parse(text, includeDir, diag, board);
  deriveCores(board, diag);
  checkBoard(board, diag);
  if (diag.empty()) {
    completeTwin(board);
    return board;
  }
  BoardErrors found = diag.take();
  Error e = Error::make(EINVAL, "%s", found.front().text().c_str());
  if (found.size() > 1) e = Error::make(EINVAL, "%s (and %zu more)", e.message(), found.size() - 1);
  if (errors) errors->insert(errors->end(), found.begin(), found.end());
  return e;
}

}  // namespace

Result<BoardSpec> loadBoardText(const std::string& text, const std::string& nameForErrors,
                                BoardErrors* errors) {
  return load(text, nameForErrors, "", errors);
}

Result<BoardSpec> loadBoardFile(const std::string& path, BoardErrors* errors) {
  Result<std::string> text = readText(path);
  if (!text.ok()) {
    BoardError e{path, 0, "", text.error().message()};
    if (errors) errors->push_back(e);
    return Error::make(text.error().errnum(), "%s", e.text().c_str());
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash ? slash : 1);
  return load(text.value(), path, dir, errors);
}

}  // namespace qeil
