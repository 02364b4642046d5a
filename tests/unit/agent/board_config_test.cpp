// The board file loader: a valid board reads into the expected values, every class of error is
// reported at its file, line and setting (and nothing else is reported with it), and every board
// file shipped in board-configs/ loads and fits the energy model.
#include "agent/board_config.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <string>
#include <vector>

#include "energy/board_soc.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/agent/board_fixture.h"

namespace qeil {
namespace {

using ::testing::HasSubstr;

// The fixture with `from` (which must occur exactly once) replaced by `to`.
std::string mutate(const std::string& from, const std::string& to) {
  std::string text = test::miniBoard();
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "not in the fixture: " << from;
  if (at == std::string::npos) return text;
  EXPECT_EQ(text.find(from, at + 1), std::string::npos) << "twice in the fixture: " << from;
  return text.replace(at, from.size(), to);
}

// The 1-based line on which `needle` starts.
int lineOf(const std::string& text, const std::string& needle) {
  const size_t at = text.find(needle);
  EXPECT_NE(at, std::string::npos) << needle;
  return 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n'));
}

BoardErrors errorsOf(const std::string& text) {
  BoardErrors errors;
  Result<BoardSpec> board = loadBoardText(text, "t.cfg", &errors);
  EXPECT_EQ(board.ok(), errors.empty());
  return errors;
}

std::string joined(const BoardErrors& errors) {
  std::string out;
  for (const BoardError& e : errors)
    out += e.text() + "\n";
  return out;
}

TEST(BoardConfig, MiniBoardReadsIntoTheExpectedValues) {
  BoardErrors errors;
  Result<BoardSpec> loaded = loadBoardText(test::miniBoard(), "mini.cfg", &errors);
  ASSERT_TRUE(loaded.ok()) << joined(errors);
  const BoardSpec& b = loaded.value();
  EXPECT_EQ(b.sourceFile, "mini.cfg");
  EXPECT_EQ(b.name, "mini");
  EXPECT_EQ(b.soc, "Mini SoC");
  EXPECT_DOUBLE_EQ(b.memCapacityBytes, 4096.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(b.memReservedBytes, 512.0 * 1024 * 1024);
  EXPECT_DOUBLE_EQ(b.dramBandwidthBps, 10e9);
  EXPECT_DOUBLE_EQ(b.dramJPerByte, 25e-12);
  EXPECT_DOUBLE_EQ(b.baseW, 1.5);
  EXPECT_DOUBLE_EQ(b.ambientC, 30.0);
  EXPECT_DOUBLE_EQ(b.rhoMax, 0.9);
  EXPECT_DOUBLE_EQ(b.kappaM, 0.1);
  EXPECT_DOUBLE_EQ(b.thermalMarginK, 4.0);
  EXPECT_EQ(b.cgroupParent, "qeil-test");

  ASSERT_EQ(b.zones.size(), 2u);
  EXPECT_DOUBLE_EQ(b.zones[1].rThKPerW, 6.0);  // an integer where a float is wanted
  ASSERT_EQ(b.zones[0].trips.size(), 2u);
  EXPECT_EQ(b.zones[0].trips[0].type, TripType::Passive);
  EXPECT_DOUBLE_EQ(b.zones[0].trips[0].hystC, 2.0);
  EXPECT_EQ(b.zones[0].trips[1].type, TripType::Critical);
  EXPECT_DOUBLE_EQ(b.zones[0].trips[1].tempC, 100.0);
  EXPECT_EQ(b.zones[0].cooledDevices, (std::vector<std::string>{"little", "big"}));

  ASSERT_EQ(b.devices.size(), 3u);
  const BoardDevice& little = b.devices[0];
  EXPECT_EQ(little.kind, HwDeviceKind::Cpu);
  EXPECT_EQ(little.cpus, CpuSet::range(0, 1));
  EXPECT_EQ(little.cores, 2);  // from cpus
  EXPECT_EQ(little.cpufreqPolicy, "policy0");
  EXPECT_DOUBLE_EQ(little.flopsPerCycle[static_cast<size_t>(WorkType::Fp32)], 8.0);
  EXPECT_DOUBLE_EQ(little.flopsPerCycle[static_cast<size_t>(WorkType::Fp16)], 0.0);
  EXPECT_DOUBLE_EQ(little.flopsPerCycle[static_cast<size_t>(WorkType::Int8)], 32.0);
  ASSERT_EQ(little.opps.size(), 2u);
  EXPECT_EQ(little.opps[1].freqHz, 1200000000u);
  EXPECT_DOUBLE_EQ(little.opps[1].voltV, 0.8);
  EXPECT_DOUBLE_EQ(little.dynCoeff, 100.0);
  EXPECT_DOUBLE_EQ(little.leakage.refW, 0.05);
  EXPECT_DOUBLE_EQ(little.leakage.refVoltV, 0.8);
  EXPECT_DOUBLE_EQ(little.idleW, 0.02);
  EXPECT_DOUBLE_EQ(little.maxBandwidthBps, 4e9);
  EXPECT_EQ(little.thermalZone, "cpu-thermal");
  EXPECT_DOUBLE_EQ(little.eta, 1.0);  // default
  EXPECT_TRUE(little.alwaysPowered);
  const BoardDevice& gpu = b.devices[2];
  EXPECT_EQ(gpu.kind, HwDeviceKind::Gpu);
  EXPECT_EQ(gpu.cores, 2);
  EXPECT_EQ(gpu.devfreq, "gpu0");
  EXPECT_FALSE(gpu.alwaysPowered);
  EXPECT_EQ(gpu.launchArgs, "--gpu");
  EXPECT_EQ(gpu.enableGpio, "gpu_en");
  EXPECT_EQ(b.devices[1].opps[2].freqHz, 1800000000u);
  EXPECT_DOUBLE_EQ(b.devices[1].eta, 0.6);

  ASSERT_EQ(b.rails.size(), 3u);
  const BoardRail& vin = b.rails[0];
  EXPECT_EQ(vin.backend, "ina3221");
  EXPECT_EQ(vin.i2cBus, 1);
  EXPECT_EQ(vin.address, 0x40);
  EXPECT_DOUBLE_EQ(vin.shuntOhm, 0.01);
  EXPECT_DOUBLE_EQ(vin.maxCurrentA, 5.0);
  EXPECT_EQ(vin.averages, 16);
  EXPECT_EQ(vin.convUs, 1100);
  EXPECT_EQ(vin.feeds, (std::vector<std::string>{"little", "big", "gpu"}));
  EXPECT_DOUBLE_EQ(vin.baseW, 1.50);
  EXPECT_TRUE(vin.carriesDram);
  EXPECT_EQ(vin.alertGpio, "ina_alert");
  EXPECT_EQ(b.rails[1].channel, 1);
  EXPECT_EQ(b.rails[1].parent, "VIN");
  EXPECT_DOUBLE_EQ(b.rails[1].busV, 5.0);  // default
  EXPECT_EQ(b.rails[2].hwmonChip, "ina3221");
  EXPECT_EQ(b.rails[2].hwmonLabel, "VDD_CPU");

  ASSERT_EQ(b.gpios.size(), 2u);
  EXPECT_FALSE(b.gpios[0].output);
  EXPECT_TRUE(b.gpios[0].activeLow);
  EXPECT_EQ(b.gpios[0].line, 5u);
  EXPECT_TRUE(b.gpios[1].output);
  EXPECT_EQ(b.gpios[1].initial, 1);

  ASSERT_EQ(b.powerModes.size(), 2u);
  EXPECT_EQ(b.powerMode, "LOW");
  EXPECT_DOUBLE_EQ(b.powerModes[0].budgetW, 5.0);
  ASSERT_EQ(b.powerModes[0].caps.size(), 2u);
  EXPECT_EQ(b.powerModes[0].caps[0].device, "big");
  EXPECT_EQ(b.powerModes[0].caps[0].maxFreqHz, 1300000000u);
  EXPECT_EQ(b.powerModes[0].caps[0].onlineCores, 1);
  EXPECT_EQ(b.powerModes[0].caps[1].onlineCores, -1);  // not given: all
  EXPECT_TRUE(b.powerModes[1].caps.empty());

  const TwinParams& t = b.twin;
  EXPECT_EQ(t.seed, 7u);
  EXPECT_DOUBLE_EQ(t.dramBandwidthBps, 9e9);
  EXPECT_DOUBLE_EQ(t.ambientDriftC, 0.5);
  EXPECT_DOUBLE_EQ(t.ambientPeriodS, 600.0);
  EXPECT_DOUBLE_EQ(t.inaShuntNoiseV, 2e-6);
  EXPECT_DOUBLE_EQ(t.inaBusNoiseV, 1e-3);
  EXPECT_DOUBLE_EQ(t.vrmEfficiency, 0.85);
  EXPECT_DOUBLE_EQ(t.barrierUs, 30.0);
  ASSERT_EQ(t.devices.size(), 3u);  // one per device, in the devices' order
  const TwinDevice& big = t.devices[1];
  EXPECT_EQ(big.device, "big");
  EXPECT_DOUBLE_EQ(big.dynCoeff, 450.0);
  EXPECT_DOUBLE_EQ(big.leakI0A, 20.0);
  EXPECT_DOUBLE_EQ(big.leakVthV, 0.35);
  EXPECT_DOUBLE_EQ(big.leakN, 1.4);
  EXPECT_DOUBLE_EQ(big.leakVthTempCoeffVPerK, 0.0008);
  EXPECT_DOUBLE_EQ(big.idleW, 0.03);
  EXPECT_DOUBLE_EQ(big.computeEfficiency, 0.65);
  EXPECT_DOUBLE_EQ(big.memoryEfficiency, 0.75);
  EXPECT_DOUBLE_EQ(big.dvfsLatencyUs, 300.0);
  ASSERT_EQ(t.zones.size(), 2u);
  EXPECT_EQ(t.zones[1].zone, "gpu-thermal");
  EXPECT_DOUBLE_EQ(t.zones[1].dieRKPerW, 1.0);
  EXPECT_DOUBLE_EQ(t.zones[1].dieCJPerK, 0.5);
  EXPECT_DOUBLE_EQ(t.zones[1].sinkRKPerW, 5.0);
  EXPECT_DOUBLE_EQ(t.zones[1].sinkCJPerK, 6.0);
  EXPECT_DOUBLE_EQ(t.zones[1].sensorNoiseC, 0.2);
}

// The twin's law of hal/board_spec.h (TwinDevice), written out again.
double twinLeakW(const TwinDevice& t, double voltV, double tempC) {
  const double tempK = tempC + 273.15;
  const double t0 = 298.15;
  const double thermalV = t.leakN * 8.617333262e-5 * tempK;
  return voltV * t.leakI0A * (tempK / t0) * (tempK / t0) *
         std::exp(-(t.leakVthV - t.leakVthTempCoeffVPerK * (tempK - t0)) / thermalV);
}

TEST(BoardConfig, TwinEntriesLeftOutTakeTheBoardsValues) {
  Result<BoardSpec> loaded = loadBoardText(test::miniBoard(), "mini.cfg");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  const BoardSpec& b = loaded.value();
  const TwinDevice& little = b.twin.devices[0];
  EXPECT_EQ(little.device, "little");
  EXPECT_DOUBLE_EQ(little.dynCoeff, b.devices[0].dynCoeff);
  EXPECT_DOUBLE_EQ(little.idleW, b.devices[0].idleW);
  EXPECT_DOUBLE_EQ(little.leakVthV, TwinDevice().leakVthV);
  // i0 is chosen so that the twin's law gives the board's leakage at its reference point.
  const LeakageSpec& ref = b.devices[0].leakage;
  EXPECT_NEAR(twinLeakW(little, ref.refVoltV, ref.refTempC), ref.refW, 1e-12);
  EXPECT_GT(twinLeakW(little, ref.refVoltV, ref.refTempC + 40.0), 2.0 * ref.refW);
  const BoardZone& cpuZone = b.zones[0];
  const TwinZone& cpuTwin = b.twin.zones[0];
  EXPECT_EQ(cpuTwin.zone, "cpu-thermal");
  EXPECT_DOUBLE_EQ(cpuTwin.dieRKPerW + cpuTwin.sinkRKPerW, cpuZone.rThKPerW);
  EXPECT_DOUBLE_EQ(cpuTwin.dieCJPerK + cpuTwin.sinkCJPerK, cpuZone.cThJPerK);
  EXPECT_LT(cpuTwin.dieCJPerK, cpuTwin.sinkCJPerK);

  Result<BoardSpec> noTwinBandwidth =
      loadBoardText(mutate("  dram_bandwidth_gbs = 9.0;\n", ""), "mini.cfg");
  ASSERT_TRUE(noTwinBandwidth.ok()) << noTwinBandwidth.error().message();
  EXPECT_DOUBLE_EQ(noTwinBandwidth.value().twin.dramBandwidthBps, b.dramBandwidthBps);
}

// One mutation of the fixture and the one error it must produce.
struct ErrorCase {
  const char* what;
  const char* from;
  const char* to;
  const char* setting;
  const char* message;  // a part of it
  const char* lineAt;   // the error is on the line where this starts; nullptr: `to`; "": none
  size_t count = 1;     // errors in all (a second one that follows from the first)
};

class BoardConfigError : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(BoardConfigError, IsReportedAtItsFileLineAndSetting) {
  const ErrorCase& c = GetParam();
  const std::string text = mutate(c.from, c.to);
  const BoardErrors errors = errorsOf(text);
  ASSERT_EQ(errors.size(), c.count) << joined(errors);
  auto it = std::find_if(errors.begin(), errors.end(),
                         [&](const BoardError& e) { return e.setting == c.setting; });
  ASSERT_NE(it, errors.end()) << joined(errors);
  const BoardError& e = *it;
  const int line = c.lineAt == nullptr ? lineOf(text, c.to)
                   : *c.lineAt == '\0' ? 0
                                       : lineOf(text, c.lineAt);
  EXPECT_EQ(e.file, "t.cfg");
  EXPECT_EQ(e.line, line) << e.text();
  EXPECT_EQ(e.setting, c.setting) << e.text();
  EXPECT_THAT(e.message, HasSubstr(c.message));
  EXPECT_EQ(e.text(), "t.cfg:" + (line ? std::to_string(line) + ":" : std::string()) + " " +
                          (*c.setting ? std::string(c.setting) + ": " : "") + e.message);
}

const ErrorCase kSyntaxCases[] = {
    {"ParseError", "base_w = 1.5;", "base_w = ;", "", "syntax error", nullptr},
    {"MixedArray", "opp_mhz = [ 600, 1200 ];", "opp_mhz = [ 600, 1200.5 ];", "",
     "mismatched element type", nullptr},
    {"Version", "version = 1;", "version = 2;", "version", "2 is not supported", nullptr},
    {"UnknownTopLevelKey", "base_w = 1.5;", "base_w = 1.5;\ncolour = \"red\";", "colour",
     "unknown setting", "colour"},
    {"UnknownDeviceKey", "eta = 0.6;", "eta = 0.6; turbo = true;", "devices.[1].turbo",
     "unknown setting (known here: name, kind, cores,", nullptr},
    {"UnknownTwinKey", "dvfs_latency_us = 300;", "dvfs_latency_us = 300; colour = 1;",
     "twin.devices.[0].colour", "unknown setting", nullptr},
    {"FloatForInteger", "cpus = \"2-3\";\n    cores = 2;", "cpus = \"2-3\";\n    cores = 2.0;",
     "devices.[1].cores", "expected an integer, got a float (write 2, not 2.0)", "cores = 2.0"},
    {"StringForNumber", "reserved_mb = 512; bandwidth_gbs = 10.0;",
     "reserved_mb = 512; bandwidth_gbs = \"10\";", "memory.bandwidth_gbs",
     "expected a number, got a string", nullptr},
    {"NumberForGroup", "model = { rho_max = 0.9; kappa_m = 0.1; thermal_margin_k = 4.0; };",
     "model = 3;", "model", "expected a group", nullptr},
    {"NumberInStringArray", "feeds = [ \"gpu\" ];", "feeds = [ 1 ];", "power_rails.[1].feeds",
     "element 0: expected a string, got an integer", nullptr},
    {"UnknownChoice", "type = \"passive\"; temp_c = 80.0;", "type = \"passiv\"; temp_c = 80.0;",
     "thermal_zones.[0].trips.[0].type", "'passiv' is not one of active, passive, hot, critical",
     nullptr},
    {"EmptyName", "{ name = \"MAX\"; }", "{ name = \"\"; }", "power_modes.[1].name", "empty",
     nullptr},
    {"MissingDeviceKey", "    thermal_zone = \"cpu-thermal\";\n    eta = 0.6;", "    eta = 0.6;",
     "devices.[1].thermal_zone", "missing (required)", "{ name = \"big\";"},
    {"MissingTopLevelKey", "base_w = 1.5;\n", "", "base_w", "missing (required)", ""},
};
INSTANTIATE_TEST_SUITE_P(Syntax, BoardConfigError, ::testing::ValuesIn(kSyntaxCases),
                         [](const auto& info) { return std::string(info.param.what); });

const ErrorCase kDeviceCases[] = {
    {"OppNotAscending", "opp_mhz = [ 800.0, 1300.0, 1800.0 ];",
     "opp_mhz = [ 800.0, 1800.0, 1300.0 ];", "devices.[1].opp_mhz",
     "not ascending (1300 after 1800)", nullptr},
    {"OppLengthsDiffer", "opp_mv = [ 700.0, 800.0, 900.0 ];", "opp_mv = [ 700.0, 800.0 ];",
     "devices.[1].opp_mv", "2 entries, but opp_mhz has 3",
     "opp_mv = [ 700.0, 800.0 ];\n    dynamic_power_coefficient = 400;"},
    {"OppVoltageDecreasing", "opp_mv = [ 700.0, 800.0, 900.0 ];",
     "opp_mv = [ 700.0, 900.0, 800.0 ];", "devices.[1].opp_mv",
     "voltage decreasing (800 after 900)", nullptr},
    {"DuplicateDevice", "    enable_gpio = \"gpu_en\";\n  }\n);",
     "    enable_gpio = \"gpu_en\";\n  },\n  { name = \"little\"; kind = \"cpu\"; cpus = \"4\"; "
     "flops_per_cycle = { fp32 = 1.0; }; opp_mhz = [ 100 ]; opp_mv = [ 700 ]; "
     "dynamic_power_coefficient = 1; max_bandwidth_gbs = 1.0; thermal_zone = \"cpu-thermal\"; "
     "}\n);",
     "devices.[3].name", "duplicate: 'little' is also devices.[0]", "{ name = \"little\"; kind"},
    {"UnknownThermalZone", "thermal_zone = \"gpu-thermal\";", "thermal_zone = \"gpu-thermal2\";",
     "devices.[2].thermal_zone", "no thermal zone named 'gpu-thermal2' (known: cpu-thermal, gpu",
     nullptr},
    {"CpusNotAList", "cpus = \"0-1\";", "cpus = \"0-x\";", "devices.[0].cpus",
     "'0-x' is not a non-empty CPU list", nullptr},
    {"CpusOverlap", "cpus = \"2-3\";", "cpus = \"1-2\";", "devices.[1].cpus",
     "shares CPUs with devices.[0] (little)", nullptr},
    {"CoresDisagreeWithCpus", "cpus = \"2-3\";\n    cores = 2;", "cpus = \"2-4\";\n    cores = 2;",
     "devices.[1].cores", "2, but cpus lists 3 CPUs", "cores = 2;"},
    {"CpusOnGpu", "devfreq = \"gpu0\";", "devfreq = \"gpu0\"; cpus = \"4\";", "devices.[2].cpus",
     "only a cpu device has cpus", nullptr},
    {"NegativePower", "idle_w = 0.02;", "idle_w = -0.02;", "devices.[0].idle_w",
     "-0.02 is outside [0, inf)", nullptr},
    {"EfficiencyZero", "eta = 0.6;", "eta = 0;", "devices.[1].eta", "0 is outside (0, 1]", nullptr},
    {"UnknownEnableGpio", "enable_gpio = \"gpu_en\";", "enable_gpio = \"gpu_enable\";",
     "devices.[2].enable_gpio", "no gpio named 'gpu_enable'", nullptr},
    {"EnableGpioIsAnInput", "enable_gpio = \"gpu_en\";", "enable_gpio = \"ina_alert\";",
     "devices.[2].enable_gpio", "gpio 'ina_alert' is an input", nullptr},
};
INSTANTIATE_TEST_SUITE_P(Devices, BoardConfigError, ::testing::ValuesIn(kDeviceCases),
                         [](const auto& info) { return std::string(info.param.what); });

const char* const kCpuTrips =
    "trips = ( { type = \"passive\"; temp_c = 80.0; hyst_c = 2.0; },\n"
    "              { type = \"critical\"; temp_c = 100.0; } );";

const ErrorCase kZoneCases[] = {
    {"DuplicateZone", "temp_c = 105.0; } );\n  }\n);",
     "temp_c = 105.0; } );\n  },\n  { name = \"gpu-thermal\"; r_th_k_per_w = 1; c_th_j_per_k = 1; }"
     "\n);",
     "thermal_zones.[2].name", "duplicate: 'gpu-thermal' is also thermal_zones.[1]",
     "{ name = \"gpu-thermal\"; r_th"},
    {"UnknownCooledDevice", "cooled_devices = [ \"little\", \"big\" ];",
     "cooled_devices = [ \"little\", \"bigg\" ];", "thermal_zones.[0].cooled_devices",
     "no device named 'bigg'", nullptr},
    {"TripsNotAscending", kCpuTrips,
     "trips = ( { type = \"passive\"; temp_c = 80.0; hyst_c = 2.0; },\n"
     "              { type = \"active\"; temp_c = 70.0; },\n"
     "              { type = \"critical\"; temp_c = 100.0; } );",
     "thermal_zones.[0].trips.[1].temp_c", "not ascending (70 after 80)", "{ type = \"active\""},
    {"TripAboveCritical", kCpuTrips,
     "trips = ( { type = \"passive\"; temp_c = 80.0; hyst_c = 2.0; },\n"
     "              { type = \"critical\"; temp_c = 100.0; },\n"
     "              { type = \"hot\"; temp_c = 101.0; } );",
     "thermal_zones.[0].trips.[2].temp_c", "101 is above the critical trip (100)",
     "{ type = \"hot\""},
    {"TwoCriticalTrips", kCpuTrips,
     "trips = ( { type = \"passive\"; temp_c = 80.0; hyst_c = 2.0; },\n"
     "              { type = \"critical\"; temp_c = 100.0; },\n"
     "              { type = \"critical\"; temp_c = 110.0; } );",
     "thermal_zones.[0].trips.[2].type",
     "a second critical trip (the first: thermal_zones.[0].trips.[1])",
     "{ type = \"critical\"; temp_c = 110.0"},
    {"TripTemperatureOutOfRange", "temp_c = 105.0;", "temp_c = 200.0;",
     "thermal_zones.[1].trips.[0].temp_c", "200 is outside [-40, 150]", nullptr},
    {"AmbientOutOfRange", "ambient_c = 30.0;", "ambient_c = -50.0;", "ambient_c",
     "-50 is outside [-40, 150]", nullptr},
    {"ReservedAboveCapacity", "reserved_mb = 512;", "reserved_mb = 4096;", "memory.reserved_mb",
     "4096 is not below capacity_mb (4096)", nullptr},
};
INSTANTIATE_TEST_SUITE_P(Zones, BoardConfigError, ::testing::ValuesIn(kZoneCases),
                         [](const auto& info) { return std::string(info.param.what); });

const ErrorCase kRailCases[] = {
    {"DuplicateRail", "name = \"VDD_CPU\";", "name = \"VDD_GPU\";", "power_rails.[2].name",
     "duplicate: 'VDD_GPU' is also power_rails.[1]",
     "{ name = \"VDD_GPU\";\n    backend = \"hwmon\""},
    {"FeedsUnknownDevice", "feeds = [ \"gpu\" ];", "feeds = [ \"gpu\", \"dsp\" ];",
     "power_rails.[1].feeds", "no device named 'dsp'", nullptr},
    {"UnknownBackend", "backend = \"hwmon\";", "backend = \"ina999\";", "power_rails.[2].backend",
     "unknown backend 'ina999' (known: ina219, ina226, ina260, ina3221, hwmon)", nullptr},
    {"AddressReserved", "address = 0x40;\n    channel = 0;", "address = 0x02;\n    channel = 0;",
     "power_rails.[0].address", "0x02 is outside the 7-bit device addresses 0x03..0x77", nullptr},
    {"AddressNotSevenBit", "address = 0x40;\n    channel = 0;", "address = 0x78;\n    channel = 0;",
     "power_rails.[0].address", "0x78 is outside", nullptr},
    {"Ina3221Channel", "channel = 1;", "channel = 3;", "power_rails.[1].channel",
     "3 is outside 0..2", nullptr},
    {"ChannelOnSingleChannelChip",
     "backend = \"ina3221\";\n    i2c_bus = 1;\n    address = 0x40;\n    channel = 1;",
     "backend = \"ina226\";\n    i2c_bus = 1;\n    address = 0x41;\n    channel = 1;",
     "power_rails.[1].channel", "1: the ina226 has one channel, 0", "channel = 1;"},
    {"ShuntZero", "shunt_ohm = 0.01;", "shunt_ohm = 0;", "power_rails.[0].shunt_ohm",
     "0: the ina3221 needs the shunt's resistance (> 0)", nullptr},
    {"ShuntNegative", "shunt_ohm = 0.01;", "shunt_ohm = -0.01;", "power_rails.[0].shunt_ohm",
     "-0.01: the ina3221 needs", nullptr},
    // A libFuzzer find: behind hwmon the channel went unchecked and indexed past the chip's three.
    {"HwmonIna3221Channel", "hwmon_label = \"VDD_CPU\";",
     "hwmon_label = \"VDD_CPU\";\n    channel = 4;", "power_rails.[2].channel",
     "4 is outside 0..2 (the ina3221's three)", "channel = 4;"},
    {"HwmonWithoutChip", "hwmon_chip = \"ina3221\";\n    ", "", "power_rails.[2].hwmon_chip",
     "missing (required for backend hwmon)", "{ name = \"VDD_CPU\";"},
    {"HwmonIna3221WithoutLabel", "hwmon_label = \"VDD_CPU\";\n    ", "",
     "power_rails.[2].hwmon_label", "missing (required for hwmon_chip ina3221)",
     "{ name = \"VDD_CPU\";"},
    {"UnknownAlertGpio", "alert_gpio = \"ina_alert\";", "alert_gpio = \"alert\";",
     "power_rails.[0].alert_gpio", "no gpio named 'alert'", nullptr},
    {"AlertGpioIsAnOutput", "alert_gpio = \"ina_alert\";", "alert_gpio = \"gpu_en\";",
     "power_rails.[0].alert_gpio", "gpio 'gpu_en' is an output", nullptr},
    {"AlertLimitWithoutGpio", "alert_gpio = \"ina_alert\";", "alert_limit_w = 20.0;",
     "power_rails.[0].alert_limit_w", "an alert limit needs alert_gpio", nullptr},
    {"AlertLimitNotPositive", "alert_gpio = \"ina_alert\";",
     "alert_gpio = \"ina_alert\"; alert_limit_w = 0.0;", "power_rails.[0].alert_limit_w", "outside",
     nullptr},
    // The sub-rail is now unrelated to VIN, which feeds the GPU too: a second error.
    {"UnknownParent", "feeds = [ \"gpu\" ];\n    parent = \"VIN\";",
     "feeds = [ \"gpu\" ];\n    parent = \"VIN2\";", "power_rails.[1].parent",
     "no rail named 'VIN2'", "parent = \"VIN2\"", 2},
    {"ParentCycle", "carries_dram = true;", "carries_dram = true; parent = \"VDD_GPU\";",
     "power_rails.[0].parent", "the parent chain of 'VIN' loops back to it", nullptr, 2},
    {"RailsCarryMoreBaseThanTheBoard", "feeds = [ \"gpu\" ];\n    parent",
     "feeds = [ \"gpu\" ];\n    base_w = 0.25;\n    parent", "power_rails.[1].base_w",
     "rails up to here carry 1.75 W of base power, more than the board's base_w 1.5",
     "base_w = 0.25"},
    {"DramOnTwoRails", "feeds = [ \"gpu\" ];\n    parent",
     "feeds = [ \"gpu\" ];\n    carries_dram = true;\n    parent", "power_rails.[1].carries_dram",
     "power_rails.[0] already carries DRAM power", "carries_dram = true;\n    parent"},
    {"DeviceOnUnrelatedRails", "feeds = [ \"little\", \"big\" ];\n    parent = \"VIN\";",
     "feeds = [ \"little\", \"big\" ];", "power_rails.[2].feeds",
     "'little' is also fed by power_rails.[0] (VIN), neither a parent nor a sub-rail", nullptr, 2},
    {"SameChipChannel", "channel = 1;\n    shunt_ohm = 0.02;",
     "channel = 0;\n    shunt_ohm = 0.02;", "power_rails.[1].channel",
     "the same chip channel as power_rails.[0]", nullptr},
    {"SameChipDifferentAveraging", "averages = 16;\n    conv_us = 1100;\n    feeds = [ \"gpu\" ];",
     "averages = 64;\n    conv_us = 1100;\n    feeds = [ \"gpu\" ];", "power_rails.[1]",
     "averages and conv_us differ from power_rails.[0] on the same chip", "{ name = \"VDD_GPU\";"},
    // What only the HAL's INA3221 driver knows: 10 A through 20 mOhm is beyond its 163.8 mV.
    {"ShuntVoltageBeyondFullScale", "max_current_a = 3.0;", "max_current_a = 10.0;",
     "power_rails.[1]", "exceeds", "{ name = \"VDD_GPU\";"},
};
INSTANTIATE_TEST_SUITE_P(Rails, BoardConfigError, ::testing::ValuesIn(kRailCases),
                         [](const auto& info) { return std::string(info.param.what); });

const ErrorCase kModeCases[] = {
    {"DuplicateGpio", "line = 12; direction = \"output\"; initial = 1; }\n",
     "line = 12; direction = \"output\"; initial = 1; },\n"
     "  { name = \"gpu_en\"; chip = \"gpiochip0\"; line = 13; direction = \"output\"; }\n",
     "gpios.[2].name", "duplicate: 'gpu_en' is also gpios.[1]",
     "{ name = \"gpu_en\"; chip = \"gpiochip0\"; line = 13"},
    {"DuplicateTwinDevice", "dvfs_latency_us = 300; } );",
     "dvfs_latency_us = 300; }, { device = \"big\"; } );", "twin.devices.[1].device",
     "duplicate: 'big' is also twin.devices.[0]", nullptr},
    {"DuplicateGpioLine", "chip = \"gpiochip1\"; line = 5;", "chip = \"gpiochip0\"; line = 12;",
     "gpios.[1].line", "gpiochip0 line 12 is also gpios.[0]", "{ name = \"gpu_en\""},
    {"InitialOnInput", "active_low = true; }", "active_low = true; initial = 1; }",
     "gpios.[0].initial", "only an output has an initial value", "{ name = \"ina_alert\""},
    {"DuplicatePowerMode", "{ name = \"MAX\"; }", "{ name = \"LOW\"; }", "power_modes.[1].name",
     "duplicate: 'LOW' is also power_modes.[0]", nullptr},
    {"UnknownPowerMode", "power_mode = \"LOW\";", "power_mode = \"HIGH\";", "power_mode",
     "no power mode named 'HIGH' (known: LOW, MAX)", nullptr},
    {"CapOnUnknownDevice", "{ device = \"gpu\"; max_mhz = 200; }",
     "{ device = \"npu\"; max_mhz = 200; }", "power_modes.[0].caps.[1].device",
     "no device named 'npu'", nullptr},
    {"CapBelowLowestOpp", "max_mhz = 1300; online_cores = 1;", "max_mhz = 700; online_cores = 1;",
     "power_modes.[0].caps.[0].max_mhz", "700 is below big's lowest OPP (800 MHz)", nullptr},
    {"CapOnlineCoresAboveCores", "online_cores = 1;", "online_cores = 3;",
     "power_modes.[0].caps.[0].online_cores", "3, but big has 2 cores", nullptr},
    {"CapOfflinesAGpu", "{ device = \"gpu\"; max_mhz = 200; }",
     "{ device = \"gpu\"; max_mhz = 200; online_cores = 0; }",
     "power_modes.[0].caps.[1].online_cores",
     "0 takes a CPU cluster offline; gpu is not a CPU cluster", nullptr},
    {"ModeOfflinesEveryCpu", "caps = ( { device = \"big\"; max_mhz = 1300; online_cores = 1; },",
     "caps = ( { device = \"big\"; online_cores = 0; }, { device = \"little\"; online_cores = 0; "
     "},",
     "power_modes.[0].caps", "mode 'LOW' takes every CPU cluster offline", nullptr},
    {"VrmEfficiencyAboveOne", "vrm_efficiency = 0.85;", "vrm_efficiency = 1.2;",
     "twin.vrm_efficiency", "1.2 is outside (0, 1]", nullptr},
    {"TwinUnknownDevice", "devices = ( { device = \"big\";", "devices = ( { device = \"bigger\";",
     "twin.devices.[0].device", "no device named 'bigger'", nullptr},
    {"TwinUnknownZone", "{ zone = \"gpu-thermal\";", "{ zone = \"npu-thermal\";",
     "twin.zones.[0].zone", "no thermal zone named 'npu-thermal'", nullptr},
};
INSTANTIATE_TEST_SUITE_P(ModesGpiosTwin, BoardConfigError, ::testing::ValuesIn(kModeCases),
                         [](const auto& info) { return std::string(info.param.what); });

TEST(BoardConfig, EveryProblemIsReportedInLineOrder) {
  std::string text = test::miniBoard();
  text.replace(text.find("eta = 0.6;"), 10, "eta = 2.0;");
  text.replace(text.find("ambient_c = 30.0;"), 17, "ambient_c = -99;");
  text.replace(text.find("power_mode = \"LOW\";"), 19, "power_mode = \"X\";");
  BoardErrors errors;
  Result<BoardSpec> board = loadBoardText(text, "t.cfg", &errors);
  ASSERT_FALSE(board.ok());
  ASSERT_EQ(errors.size(), 3u) << joined(errors);
  EXPECT_EQ(errors[0].setting, "ambient_c");
  EXPECT_EQ(errors[1].setting, "devices.[1].eta");
  EXPECT_EQ(errors[2].setting, "power_mode");
  EXPECT_LT(errors[0].line, errors[1].line);
  EXPECT_LT(errors[1].line, errors[2].line);
  EXPECT_EQ(board.error().errnum(), EINVAL);
  EXPECT_EQ(std::string(board.error().message()), errors[0].text() + " (and 2 more)");
}

TEST(BoardConfig, FileErrorsNameThePathGiven) {
  test::TempDir dir;
  dir.write("bad.cfg", mutate("eta = 0.6;", "eta = 2;"));
  const std::string path = dir.file("bad.cfg");
  BoardErrors errors;
  Result<BoardSpec> board = loadBoardFile(path, &errors);
  ASSERT_FALSE(board.ok());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].text(), path + ":" + std::to_string(lineOf(test::miniBoard(), "eta = 0.6;")) +
                                  ": devices.[1].eta: 2 is outside (0, 1]");

  errors.clear();
  Result<BoardSpec> missing = loadBoardFile(dir.file("none.cfg"), &errors);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().errnum(), ENOENT);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].line, 0);
  EXPECT_EQ(errors[0].text(), dir.file("none.cfg") + ": cannot open: No such file or directory");
}

TEST(BoardConfig, IncludedFilesAreResolvedBesideTheBoardFile) {
  test::TempDir dir;
  const std::string full = mutate("vrm_efficiency = 0.85;", "vrm_efficiency = 0;");
  const size_t split = full.find("twin = {");
  const std::string twin = full.substr(split);
  dir.write("twin.inc", twin);
  dir.write("board.cfg", full.substr(0, split) + "@include \"twin.inc\"\n");
  BoardErrors errors;
  ASSERT_FALSE(loadBoardFile(dir.file("board.cfg"), &errors).ok());
  ASSERT_EQ(errors.size(), 1u) << joined(errors);
  EXPECT_EQ(errors[0].file, dir.file("twin.inc"));
  EXPECT_EQ(errors[0].line, lineOf(twin, "vrm_efficiency"));
  EXPECT_EQ(errors[0].setting, "twin.vrm_efficiency");
}

std::string sourceDir() {
  return QEIL_SOURCE_DIR;
}

std::vector<std::string> boardFiles() {
  std::vector<std::string> files;
  const std::string dir = sourceDir() + "/board-configs";
  DIR* d = opendir(dir.c_str());
  EXPECT_NE(d, nullptr) << dir;
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

TEST(BoardConfig, EveryShippedBoardFileLoads) {
  const std::vector<std::string> files = boardFiles();
  ASSERT_FALSE(files.empty());
  EXPECT_NE(std::find(files.begin(), files.end(), sourceDir() + "/board-configs/rk3588.cfg"),
            files.end());
  for (const std::string& file : files) {
    BoardErrors errors;
    Result<BoardSpec> board = loadBoardFile(file, &errors);
    EXPECT_TRUE(board.ok()) << joined(errors);
    if (!board.ok()) continue;
    EXPECT_FALSE(board.value().devices.empty()) << file;
    EXPECT_EQ(board.value().twin.devices.size(), board.value().devices.size()) << file;
    Result<energy::SocSpec> soc = energy::socFromBoard(board.value());  // fits the model
    EXPECT_TRUE(soc.ok()) << file << ": " << (soc.ok() ? "" : soc.error().message());
  }
}

}  // namespace
}  // namespace qeil
