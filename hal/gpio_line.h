#pragma once

#include <cstdint>

#include "hal/result.h"

namespace qeil {

enum class GpioEdge { Rising, Falling };

struct GpioEvent {
  GpioEdge edge = GpioEdge::Rising;
  int64_t timestampNs = 0;
};

// One GPIO line: an output (fan, accelerator enable) or an input watched for edges (an INA
// ALERT). Backends: hal/linux/gpiod_line (libgpiod 1.6, v1 API) and hal/sim/fake_gpio_line.
class GpioLine {
 public:
  virtual ~GpioLine() = default;
  virtual const char* name() const = 0;
  virtual Result<int> value() = 0;
  // Output lines only; an input answers EPERM.
  virtual Status setValue(int value) = 0;
  // For input lines with edge events: a file descriptor that becomes readable when an event is
  // queued, for the main loop to watch. -1 for outputs.
  virtual int eventFd() const = 0;
  // Reads one queued event (call when eventFd() is readable).
  virtual Result<GpioEvent> readEvent() = 0;
};

}  // namespace qeil
