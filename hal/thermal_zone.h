#pragma once

#include "hal/fixed_vector.h"
#include "hal/reading.h"
#include "hal/result.h"

namespace qeil {

enum class TripType { Active, Passive, Hot, Critical };

struct TripPoint {
  TripType type = TripType::Passive;
  double tempC = 0.0;
  double hystC = 0.0;
};

constexpr size_t kMaxTrips = 12;
using TripTable = FixedVector<TripPoint, kMaxTrips>;

// A thermal zone (/sys/class/thermal/thermal_zoneN) found by its type ("bigcore0-thermal").
class ThermalZone {
 public:
  virtual ~ThermalZone() = default;
  virtual const char* type() const = 0;
  virtual Reading readTempC() = 0;
  virtual const TripTable& trips() const = 0;
  // Re-reads the trip points (they can change at run time).
  virtual Status refreshTrips() = 0;
};

// A cooling device (/sys/class/thermal/cooling_deviceN): a fan, or a CPU/GPU frequency cap.
class CoolingDevice {
 public:
  virtual ~CoolingDevice() = default;
  virtual const char* type() const = 0;
  virtual Result<int> curState() = 0;
  virtual Result<int> maxState() = 0;
  // Journaled; restored when the agent exits.
  virtual Status setCurState(int state) = 0;
};

}  // namespace qeil
