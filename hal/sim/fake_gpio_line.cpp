#include "hal/sim/fake_gpio_line.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace qeil {

std::unique_ptr<FakeGpioLine> FakeGpioLine::createOutput(std::string name, int initialValue) {
  return std::unique_ptr<FakeGpioLine>(
      new FakeGpioLine(std::move(name), true, initialValue, 0, -1));
}

Result<std::unique_ptr<FakeGpioLine>> FakeGpioLine::createInput(std::string name, int initialLevel,
                                                                size_t queueCapacity) {
  if (queueCapacity == 0 || queueCapacity > kMaxQueuedEvents) {
    return Error::make(EINVAL, "%s: event queue capacity %zu outside 1..%zu", name.c_str(),
                       queueCapacity, kMaxQueuedEvents);
  }
  int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd < 0) return Error::make(errno, "%s: eventfd: %s", name.c_str(), strerror(errno));
  return std::unique_ptr<FakeGpioLine>(
      new FakeGpioLine(std::move(name), false, initialLevel, queueCapacity, fd));
}

FakeGpioLine::~FakeGpioLine() {
  if (eventFd_ >= 0) ::close(eventFd_);
}

Status FakeGpioLine::setValue(int value) {
  if (!output_) return Error::make(EPERM, "%s: an input line cannot be driven", name());
  value_ = value ? 1 : 0;
  ++writes_;
  return {};
}

Status FakeGpioLine::injectEdge(GpioEdge edge, int64_t timestampNs) {
  if (output_) return Error::make(EPERM, "%s: edges are injected into inputs only", name());
  value_ = edge == GpioEdge::Rising ? 1 : 0;
  if (count_ == capacity_) {
    ++overflows_;
    return Error::make(ENOBUFS, "%s: event queue full (%zu): edge dropped, %llu so far", name(),
                       capacity_, static_cast<unsigned long long>(overflows_));
  }
  queue_[(head_ + count_) % capacity_] = GpioEvent{edge, timestampNs};
  if (count_++ == 0) {
    uint64_t one = 1;
    if (::write(eventFd_, &one, sizeof one) != sizeof one) {
      return Error::make(errno, "%s: eventfd write: %s", name(), strerror(errno));
    }
  }
  return {};
}

Result<GpioEvent> FakeGpioLine::readEvent() {
  if (output_) return Error::make(EPERM, "%s: an output line has no events", name());
  if (count_ == 0) return Error::make(EAGAIN, "%s: no event queued", name());
  GpioEvent ev = queue_[head_];
  head_ = (head_ + 1) % capacity_;
  if (--count_ == 0) {
    uint64_t drained = 0;  // resets the counter: the fd stops being readable
    if (::read(eventFd_, &drained, sizeof drained) != sizeof drained) {
      return Error::make(errno, "%s: eventfd read: %s", name(), strerror(errno));
    }
  }
  return ev;
}

}  // namespace qeil
