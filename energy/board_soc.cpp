#include "energy/board_soc.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace qeil::energy {
namespace {

Status copyName(char (&out)[32], const std::string& name, const char* what) {
  if (name.size() >= sizeof out) {
    return Error::make(ENAMETOOLONG, "%s name '%s' is longer than the model's %zu characters", what,
                       name.c_str(), sizeof out - 1);
  }
  snprintf(out, sizeof out, "%s", name.c_str());
  return {};
}

Status fits(size_t count, size_t capacity, const char* what, const char* constant) {
  if (count <= capacity) return {};
  return Error::make(E2BIG, "%zu %s, but the energy model holds at most %zu (%s, energy/soc.h)",
                     count, what, capacity, constant);
}

// The cap the active power mode puts on `device`; no cap when there is none.
PowerModeCap capOf(const BoardSpec& board, const std::string& device) {
  const int mode = indexByName(board.powerModes, board.powerMode);
  if (mode >= 0) {
    for (const PowerModeCap& cap : board.powerModes[mode].caps) {
      if (cap.device == device) return cap;
    }
  }
  return PowerModeCap{};
}

Status addOpps(const BoardDevice& d, uint64_t maxFreqHz, DeviceSpec& out) {
  for (const OppSpec& o : d.opps) {
    if (maxFreqHz != 0 && o.freqHz > maxFreqHz) continue;
    if (!out.opps.push_back(Opp{static_cast<double>(o.freqHz), o.voltV})) {
      return Error::make(E2BIG,
                         "device '%s': %zu OPPs, but the energy model holds at most %zu "
                         "(kMaxOpps, energy/soc.h)",
                         d.name.c_str(), d.opps.size(), kMaxOpps);
    }
  }
  if (out.opps.empty()) {
    return Error::make(EINVAL, "device '%s': no OPP at or below the power mode's cap",
                       d.name.c_str());
  }
  return {};
}

Result<DeviceSpec> deviceSpec(const BoardSpec& board, const BoardDevice& d) {
  static constexpr DeviceKind kKinds[] = {DeviceKind::CpuCluster, DeviceKind::Gpu, DeviceKind::Npu};
  DeviceSpec s;
  Status st = copyName(s.name, d.name, "device");
  const PowerModeCap cap = capOf(board, d.name);
  if (st.ok()) st = addOpps(d, cap.maxFreqHz, s);
  if (!st.ok()) return st.error();
  s.zone = indexByName(board.zones, d.thermalZone);
  if (s.zone < 0) {
    return Error::make(EINVAL, "device '%s': no thermal zone named '%s'", d.name.c_str(),
                       d.thermalZone.c_str());
  }
  s.kind = kKinds[static_cast<int>(d.kind)];
  s.cores = cap.onlineCores >= 0 ? std::min(d.cores, cap.onlineCores) : d.cores;
  std::copy(d.flopsPerCycle.begin(), d.flopsPerCycle.end(), s.flopsPerCycle.begin());
  s.dynCoeff = d.dynCoeff;
  s.leakage.refW = d.leakage.refW;
  s.leakage.refVoltV = d.leakage.refVoltV;
  s.leakage.lambdaPerK = d.leakage.lambdaPerK;
  s.leakage.refTempC = d.leakage.refTempC;
  s.idleW = d.idleW;
  s.maxBandwidthBps = d.maxBandwidthBps;
  s.defaultEta = d.eta;
  s.alwaysPowered = d.alwaysPowered && s.cores > 0;  // an offline cluster is power-gated
  return s;
}

Result<ZoneSpec> zoneSpec(const BoardZone& z) {
  ZoneSpec s;
  Status st = copyName(s.name, z.name, "thermal zone");
  if (!st.ok()) return st.error();
  s.rThKPerW = z.rThKPerW;
  s.cThJPerK = z.cThJPerK;
  s.criticalTripC = kNoTripC;
  for (const BoardTrip& t : z.trips) {
    if (t.type == TripType::Critical) s.criticalTripC = t.tempC;
  }
  s.passiveTripC = s.criticalTripC;
  for (const BoardTrip& t : z.trips) {
    if (t.type == TripType::Passive) s.passiveTripC = std::min(s.passiveTripC, t.tempC);
  }
  return s;
}

Result<RailSpec> railSpec(const BoardSpec& board, const BoardRail& r) {
  RailSpec s;
  Status st = copyName(s.name, r.name, "rail");
  if (st.ok()) {
    st = fits(r.feeds.size(), kMaxRailDevices, ("devices on rail '" + r.name + "'").c_str(),
              "kMaxRailDevices");
  }
  if (!st.ok()) return st.error();
  for (const std::string& device : r.feeds) {
    const int d = indexByName(board.devices, device);
    if (d < 0)
      return Error::make(EINVAL, "rail '%s': no device named '%s'", r.name.c_str(), device.c_str());
    s.devices.push_back(d);
  }
  s.parent = indexByName(board.rails, r.parent);
  s.baseW = r.baseW;
  s.carriesDram = r.carriesDram;
  return s;
}

template <class Item, class Spec, size_t N, class Convert>
Status convertAll(const std::vector<Item>& items, FixedVector<Spec, N>& out, Convert convert) {
  for (const Item& item : items) {
    Result<Spec> spec = convert(item);
    if (!spec.ok()) return spec.error();
    out.push_back(spec.value());
  }
  return {};
}

}  // namespace

Result<SocSpec> socFromBoard(const BoardSpec& board) {
  Status st = fits(board.devices.size(), kMaxDevices, "devices", "kMaxDevices");
  if (st.ok()) st = fits(board.zones.size(), kMaxZones, "thermal zones", "kMaxZones");
  if (st.ok()) st = fits(board.rails.size(), kMaxRails, "power rails", "kMaxRails");
  if (!st.ok()) return st.error().prefix("board '%s'", board.name.c_str());
  SocSpec soc;
  st = convertAll(board.devices, soc.devices,
                  [&](const BoardDevice& d) { return deviceSpec(board, d); });
  if (st.ok()) st = convertAll(board.zones, soc.zones, zoneSpec);
  if (st.ok()) {
    st = convertAll(board.rails, soc.rails, [&](const BoardRail& r) { return railSpec(board, r); });
  }
  if (!st.ok()) return st.error();
  soc.dramBandwidthBps = board.dramBandwidthBps;
  soc.memCapacityBytes = board.memCapacityBytes;
  soc.memReservedBytes = board.memReservedBytes;
  soc.dramJPerByte = board.dramJPerByte;
  soc.baseW = board.baseW;
  soc.ambientC = board.ambientC;
  soc.rhoMax = board.rhoMax;
  soc.kappaM = board.kappaM;
  soc.thermalMarginK = board.thermalMarginK;
  return soc;
}

}  // namespace qeil::energy
