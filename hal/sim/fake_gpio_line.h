#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "hal/gpio_line.h"
#include "hal/result.h"

namespace qeil {

// A GPIO line for tests and the twin. An output remembers its value and counts writes. An
// input queues the edges injected into it, as the kernel queues a line's events: eventFd() is
// readable exactly while the queue holds an event, so the main loop sees it as it would a real
// line. The queue is bounded; an edge that finds it full is dropped (as the kernel does) but
// counted and reported, never lost silently.
class FakeGpioLine final : public GpioLine {
 public:
  static constexpr size_t kMaxQueuedEvents = 64;

  static std::unique_ptr<FakeGpioLine> createOutput(std::string name, int initialValue = 0);
  // `queueCapacity` 1..kMaxQueuedEvents (the kernel's line event FIFO holds 16).
  static Result<std::unique_ptr<FakeGpioLine>> createInput(std::string name, int initialLevel = 0,
                                                           size_t queueCapacity = 16);
  ~FakeGpioLine() override;
  FakeGpioLine(const FakeGpioLine&) = delete;
  FakeGpioLine& operator=(const FakeGpioLine&) = delete;

  const char* name() const override { return name_.c_str(); }
  Result<int> value() override { return value_; }
  // Outputs only; an input answers EPERM.
  Status setValue(int value) override;
  int eventFd() const override { return eventFd_; }
  // The oldest queued edge; EAGAIN when none, EPERM on an output.
  Result<GpioEvent> readEvent() override;

  // Input only: the line moves (Rising leaves it at 1) and the edge is queued. ENOBUFS when the
  // queue is full: the edge is dropped and counted in overflowCount().
  Status injectEdge(GpioEdge edge, int64_t timestampNs);
  // Input only: changes the level without an event (an edge the line was not watching).
  void setLevel(int value) { value_ = value ? 1 : 0; }

  bool isOutput() const { return output_; }
  uint64_t writeCount() const { return writes_; }
  uint64_t overflowCount() const { return overflows_; }
  size_t queuedEvents() const { return count_; }

 private:
  FakeGpioLine(std::string name, bool output, int value, size_t capacity, int eventFd)
      : name_(std::move(name)),
        output_(output),
        value_(value ? 1 : 0),
        capacity_(capacity),
        eventFd_(eventFd) {}

  std::string name_;
  bool output_;
  int value_;
  size_t capacity_;
  int eventFd_;  // an eventfd whose counter is non-zero while events are queued; -1 for outputs
  std::array<GpioEvent, kMaxQueuedEvents> queue_{};
  size_t head_ = 0;
  size_t count_ = 0;
  uint64_t writes_ = 0;
  uint64_t overflows_ = 0;
};

}  // namespace qeil
