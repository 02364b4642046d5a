// The energy model's view of a board file: devices, OPPs under the power mode's caps, zones and
// their trips, rails; errors when the board is larger than the model's fixed capacities.
#include "energy/board_soc.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "agent/board_config.h"
#include "energy/power.h"
#include "energy/roofline.h"
#include "tests/unit/agent/board_fixture.h"

namespace qeil::energy {
namespace {

BoardSpec load(const std::string& text) {
  BoardErrors errors;
  Result<BoardSpec> board = loadBoardText(text, "t.cfg", &errors);
  EXPECT_TRUE(board.ok()) << (errors.empty() ? "" : errors[0].text());
  return board.ok() ? board.value() : BoardSpec();
}

SocSpec socOf(const BoardSpec& board) {
  Result<SocSpec> soc = socFromBoard(board);
  EXPECT_TRUE(soc.ok()) << soc.error().message();
  return soc.ok() ? soc.value() : SocSpec();
}

int deviceIndex(const SocSpec& soc, const char* name) {
  for (size_t d = 0; d < soc.devices.size(); ++d) {
    if (std::strcmp(soc.devices[d].name, name) == 0) return static_cast<int>(d);
  }
  ADD_FAILURE() << "no device " << name;
  return 0;
}

TEST(BoardSoc, Rk3588HasFiveDevicesAndTheA76PeakAt2400Mhz) {
  BoardErrors errors;
  Result<BoardSpec> board = loadBoardFile(QEIL_SOURCE_DIR "/board-configs/rk3588.cfg", &errors);
  ASSERT_TRUE(board.ok()) << board.error().message();
  const SocSpec soc = socOf(board.value());
  ASSERT_EQ(soc.devices.size(), 5u);
  EXPECT_EQ(soc.zones.size(), 7u);
  const DeviceSpec& a76 = soc.devices[deviceIndex(soc, "a76_0")];
  EXPECT_EQ(a76.kind, DeviceKind::CpuCluster);
  EXPECT_EQ(a76.cores, 2);
  ASSERT_EQ(a76.opps.size(), 7u);
  const Opp top = a76.opps[a76.opps.size() - 1];
  EXPECT_DOUBLE_EQ(top.freqHz, 2.4e9);
  EXPECT_DOUBLE_EQ(top.voltV, 1.0);
  // Cortex-A76: two 128-bit FMA pipes, 16 FP32 FLOP per cycle per core; two cores.
  EXPECT_DOUBLE_EQ(peakFlops(a76, top, a76.cores, DataType::Fp32), 2 * 16.0 * 2.4e9);
  // dynamic-power-coefficient 416 uW/MHz/V^2: 416 x 1.0^2 x 2400 MHz per core.
  EXPECT_NEAR(dynamicPowerW(a76.dynCoeff, top, a76.cores, 1.0), 2 * 416e-6 * 2400, 1e-9);
  EXPECT_STREQ(soc.zones[a76.zone].name, "bigcore0-thermal");
  EXPECT_DOUBLE_EQ(soc.zones[a76.zone].passiveTripC, 85.0);
  EXPECT_DOUBLE_EQ(soc.zones[a76.zone].criticalTripC, 115.0);
  const DeviceSpec& npu = soc.devices[deviceIndex(soc, "npu")];
  EXPECT_EQ(npu.kind, DeviceKind::Npu);
  EXPECT_FALSE(npu.alwaysPowered);
  EXPECT_DOUBLE_EQ(peakFlops(npu, npu.opps[npu.opps.size() - 1], npu.cores, DataType::Int8),
                   3 * 2048.0 * 1e9);  // 6 TOPS int8
  ASSERT_EQ(soc.rails.size(), 1u);
  EXPECT_EQ(soc.rails[0].devices.size(), 5u);
  EXPECT_DOUBLE_EQ(soc.rails[0].baseW, 2.0);
  EXPECT_TRUE(soc.rails[0].carriesDram);
  EXPECT_EQ(soc.rails[0].parent, -1);
  EXPECT_DOUBLE_EQ(soc.dramBandwidthBps, 27.2e9);
  EXPECT_DOUBLE_EQ(soc.memCapacityBytes, 16384.0 * 1024 * 1024);
}

TEST(BoardSoc, TheActivePowerModeCapsOppsAndCores) {
  const SocSpec low = socOf(load(test::miniBoard()));
  const DeviceSpec& big = low.devices[deviceIndex(low, "big")];
  ASSERT_EQ(big.opps.size(), 2u);  // 800 and 1300 of 800, 1300, 1800
  EXPECT_DOUBLE_EQ(big.opps[1].freqHz, 1.3e9);
  EXPECT_EQ(big.cores, 1);
  EXPECT_EQ(low.devices[deviceIndex(low, "gpu")].opps.size(), 1u);
  EXPECT_EQ(low.devices[deviceIndex(low, "little")].opps.size(), 2u);

  BoardSpec board = load(test::miniBoard());
  board.powerMode = "MAX";
  const SocSpec max = socOf(board);
  EXPECT_EQ(max.devices[deviceIndex(max, "big")].opps.size(), 3u);
  EXPECT_EQ(max.devices[deviceIndex(max, "big")].cores, 2);
}

TEST(BoardSoc, AClusterAModeTakesOfflineHasNoCoresAndIsGated) {
  BoardSpec board = load(test::miniBoard());
  board.powerModes[0].caps[0].onlineCores = 0;  // "big" offline in LOW
  const SocSpec soc = socOf(board);
  const DeviceSpec& big = soc.devices[deviceIndex(soc, "big")];
  EXPECT_EQ(big.cores, 0);
  EXPECT_FALSE(big.alwaysPowered);
  EXPECT_DOUBLE_EQ(peakFlops(big, big.opps[0], big.cores, DataType::Fp32), 0.0);
  EXPECT_TRUE(soc.devices[deviceIndex(soc, "little")].alwaysPowered);
}

TEST(BoardSoc, ZonesRailsAndScalars) {
  const BoardSpec board = load(test::miniBoard());
  const SocSpec soc = socOf(board);
  ASSERT_EQ(soc.zones.size(), 2u);
  EXPECT_DOUBLE_EQ(soc.zones[0].passiveTripC, 80.0);
  EXPECT_DOUBLE_EQ(soc.zones[0].criticalTripC, 100.0);
  EXPECT_DOUBLE_EQ(soc.zones[1].passiveTripC, 105.0);  // no passive trip: the critical one
  EXPECT_DOUBLE_EQ(soc.zones[1].rThKPerW, 6.0);
  EXPECT_EQ(soc.devices[deviceIndex(soc, "gpu")].zone, 1);
  ASSERT_EQ(soc.rails.size(), 3u);
  EXPECT_EQ(soc.rails[1].parent, 0);
  ASSERT_EQ(soc.rails[1].devices.size(), 1u);
  EXPECT_EQ(soc.rails[1].devices[0], deviceIndex(soc, "gpu"));
  EXPECT_STREQ(soc.rails[2].name, "VDD_CPU");
  EXPECT_DOUBLE_EQ(soc.baseW, board.baseW);
  EXPECT_DOUBLE_EQ(soc.ambientC, 30.0);
  EXPECT_DOUBLE_EQ(soc.rhoMax, 0.9);
  EXPECT_DOUBLE_EQ(soc.kappaM, 0.1);
  EXPECT_DOUBLE_EQ(soc.thermalMarginK, 4.0);
  EXPECT_DOUBLE_EQ(soc.dramJPerByte, 25e-12);
  EXPECT_DOUBLE_EQ(soc.memReservedBytes, 512.0 * 1024 * 1024);

  BoardSpec noTrips = board;
  noTrips.zones[1].trips.clear();
  EXPECT_DOUBLE_EQ(socOf(noTrips).zones[1].criticalTripC, kNoTripC);
}

void expectRefused(const BoardSpec& board, const char* words) {
  Result<SocSpec> soc = socFromBoard(board);
  ASSERT_FALSE(soc.ok()) << words;
  EXPECT_NE(std::strstr(soc.error().message(), words), nullptr) << soc.error().message();
}

TEST(BoardSoc, ABoardBeyondTheModelsCapacitiesIsRefusedNamingTheCapacity) {
  const BoardSpec board = load(test::miniBoard());

  BoardSpec devices = board;
  while (devices.devices.size() <= kMaxDevices)
    devices.devices.push_back(board.devices[0]);
  expectRefused(devices, "kMaxDevices");

  BoardSpec zones = board;
  while (zones.zones.size() <= kMaxZones)
    zones.zones.push_back(board.zones[0]);
  expectRefused(zones, "kMaxZones");

  BoardSpec rails = board;
  while (rails.rails.size() <= kMaxRails)
    rails.rails.push_back(board.rails[1]);
  expectRefused(rails, "kMaxRails");

  BoardSpec railDevices = board;
  while (railDevices.rails[0].feeds.size() <= kMaxRailDevices)
    railDevices.rails[0].feeds.push_back("little");
  expectRefused(railDevices, "kMaxRailDevices");

  BoardSpec opps = board;
  opps.powerMode.clear();
  std::vector<OppSpec>& table = opps.devices[0].opps;
  while (table.size() <= kMaxOpps)
    table.push_back(OppSpec{table.back().freqHz + 1000000, table.back().voltV});
  expectRefused(opps, "kMaxOpps");

  BoardSpec name = board;
  name.devices[0].name = std::string(sizeof DeviceSpec::name, 'x');
  expectRefused(name, "longer than the model's 31 characters");
}

}  // namespace
}  // namespace qeil::energy
