#include "hal/linux/gpiod_line.h"

#include <dirent.h>
#include <gpiod.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "hal/clock.h"
#include "hal/log.h"

namespace qeil {
namespace {

LogModule gLog("gpio");

struct ChipCloser {
  void operator()(gpiod_chip* chip) const { gpiod_chip_close(chip); }
};
using ChipPtr = std::unique_ptr<gpiod_chip, ChipCloser>;

// libgpiod only says "failed"; checking the node first lets the error say what is there.
Result<ChipPtr> openChip(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    int err = errno;
    return Error::make(err, "%s: GPIO chip: %s", path.c_str(), strerror(err));
  }
  if (!S_ISCHR(st.st_mode)) {
    return Error::make(ENOTTY, "%s: not a GPIO character device (%s)", path.c_str(),
                       S_ISREG(st.st_mode) ? "a regular file" : "not a device");
  }
  errno = 0;
  gpiod_chip* chip = gpiod_chip_open(path.c_str());
  if (!chip) {
    int err = errno ? errno : ENODEV;
    return Error::make(err, "%s: not a GPIO chip: %s", path.c_str(), strerror(err));
  }
  return ChipPtr(chip);
}

Status checkChipName(const std::string& name) {
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..") {
    return Error::make(EINVAL, "GPIO chip name '%.40s' is not a device name like gpiochip0",
                       name.c_str());
  }
  return {};
}

Result<gpiod_line*> getLine(gpiod_chip* chip, const std::string& path, unsigned offset) {
  gpiod_line* line = gpiod_chip_get_line(chip, offset);
  if (!line) {
    int err = errno ? errno : EINVAL;
    return Error::make(err, "%s: no line %u (the chip has %u): %s", path.c_str(), offset,
                       gpiod_chip_num_lines(chip), strerror(err));
  }
  return line;
}

Error requestError(gpiod_line* line, const std::string& path, unsigned offset, const char* what) {
  int err = errno ? errno : EIO;
  const char* user = gpiod_line_consumer(line);
  if (err == EBUSY && user) {
    return Error::make(err, "%s line %u: %s: in use by '%s'", path.c_str(), offset, what, user);
  }
  return Error::make(err, "%s line %u: %s: %s", path.c_str(), offset, what, strerror(err));
}

std::string displayName(const std::string& name, const std::string& path, unsigned offset) {
  if (!name.empty()) return name;
  return path.substr(path.rfind('/') + 1) + ":" + std::to_string(offset);
}

// The physical level the line has now, read without changing its direction.
Result<int> currentLevel(gpiod_line* line, const std::string& path, unsigned offset) {
  gpiod_line_request_config asIs{GpiodLine::kConsumer, GPIOD_LINE_REQUEST_DIRECTION_AS_IS, 0};
  errno = 0;
  if (gpiod_line_request(line, &asIs, 0) != 0) {
    return requestError(line, path, offset, "request to read");
  }
  int level = gpiod_line_get_value(line);
  int err = errno;
  gpiod_line_release(line);
  if (level < 0) {
    return Error::make(err, "%s line %u: read: %s", path.c_str(), offset, strerror(err));
  }
  return level;
}

int biasFlags(GpioBias bias) {
  switch (bias) {
    case GpioBias::PullUp:
      return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
    case GpioBias::PullDown:
      return GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
    case GpioBias::Disabled:
      return GPIOD_LINE_REQUEST_FLAG_BIAS_DISABLE;
    case GpioBias::AsIs:
      break;
  }
  return 0;
}

int requestEdges(gpiod_line* line, GpioEdges edges, int flags) {
  switch (edges) {
    case GpioEdges::Rising:
      return gpiod_line_request_rising_edge_events_flags(line, GpiodLine::kConsumer, flags);
    case GpioEdges::Falling:
      return gpiod_line_request_falling_edge_events_flags(line, GpiodLine::kConsumer, flags);
    case GpioEdges::Both:
      break;
  }
  return gpiod_line_request_both_edges_events_flags(line, GpiodLine::kConsumer, flags);
}

}  // namespace

Result<std::string> GpiodLine::findChip(const SysRoot& root, const GpioChipRef& chip) {
  std::string dev = root.path(syspath::kDev);
  if (!chip.name.empty()) {
    Status st = checkChipName(chip.name);
    if (!st.ok()) return st.error();
    return dev + "/" + chip.name;
  }
  if (chip.label.empty()) return Error::make(EINVAL, "GPIO chip: neither name nor label given");
  DIR* dir = ::opendir(dev.c_str());
  if (!dir) {
    int err = errno;
    return Error::make(err, "%s: looking for GPIO chip '%s': %s", dev.c_str(), chip.label.c_str(),
                       strerror(err));
  }
  std::string found;
  int checked = 0;
  while (dirent* e = ::readdir(dir)) {
    if (strncmp(e->d_name, "gpiochip", 8) != 0 || !found.empty()) continue;
    ++checked;
    std::string path = dev + "/" + e->d_name;
    Result<ChipPtr> c = openChip(path);
    if (!c.ok()) {
      QEIL_LOG(gLog, Debug, "skipping %s", c.error().message());
      continue;
    }
    const char* label = gpiod_chip_label(c.value().get());
    if (label && chip.label == label) found = path;
  }
  ::closedir(dir);
  if (found.empty()) {
    return Error::make(ENOENT, "%s: no GPIO chip labelled '%s' (%d gpiochip entries checked)",
                       dev.c_str(), chip.label.c_str(), checked);
  }
  return found;
}

Result<std::unique_ptr<GpiodLine>> GpiodLine::openOutput(const SysRoot& root,
                                                         SettingsJournal& journal,
                                                         const GpioOutputConfig& config) {
  Result<std::string> path = findChip(root, config.chip);
  if (!path.ok()) return path.error();
  Result<ChipPtr> chip = openChip(path.value());
  if (!chip.ok()) return chip.error();
  Result<gpiod_line*> line = getLine(chip.value().get(), path.value(), config.offset);
  if (!line.ok()) return line.error();
  // The journal restores the physical level, so record it before the first drive.
  Result<int> original = currentLevel(line.value(), path.value(), config.offset);
  if (!original.ok()) return original.error();
  Status st = journal.recordGpio(path.value(), config.offset, original.value());
  if (!st.ok()) return st.error();
  int flags = (config.activeLow ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0) |
              (config.openDrain ? GPIOD_LINE_REQUEST_FLAG_OPEN_DRAIN : 0);
  errno = 0;
  if (gpiod_line_request_output_flags(line.value(), kConsumer, flags,
                                      config.initialValue ? 1 : 0) != 0) {
    return requestError(line.value(), path.value(), config.offset, "request as output");
  }
  std::string name = displayName(config.name, path.value(), config.offset);
  QEIL_LOG(gLog, Info, "%s: output %s line %u, was %d, now %d", name.c_str(), path.value().c_str(),
           config.offset, original.value(), config.initialValue ? 1 : 0);
  return std::unique_ptr<GpiodLine>(
      new GpiodLine(name, path.value(), chip.value().release(), line.value(), true, -1));
}

Result<std::unique_ptr<GpiodLine>> GpiodLine::openInput(const SysRoot& root,
                                                        const GpioInputConfig& config) {
  Result<std::string> path = findChip(root, config.chip);
  if (!path.ok()) return path.error();
  Result<ChipPtr> chip = openChip(path.value());
  if (!chip.ok()) return chip.error();
  Result<gpiod_line*> line = getLine(chip.value().get(), path.value(), config.offset);
  if (!line.ok()) return line.error();
  int flags = (config.activeLow ? GPIOD_LINE_REQUEST_FLAG_ACTIVE_LOW : 0) | biasFlags(config.bias);
  errno = 0;
  if (requestEdges(line.value(), config.edges, flags) != 0) {
    return requestError(line.value(), path.value(), config.offset, "request edge events");
  }
  int fd = gpiod_line_event_get_fd(line.value());
  if (fd < 0) {
    int err = errno;
    gpiod_line_release(line.value());
    return Error::make(err, "%s line %u: event fd: %s", path.value().c_str(), config.offset,
                       strerror(err));
  }
  std::string name = displayName(config.name, path.value(), config.offset);
  return std::unique_ptr<GpiodLine>(
      new GpiodLine(name, path.value(), chip.value().release(), line.value(), false, fd));
}

GpiodLine::~GpiodLine() {
  gpiod_line_release(line_);
  gpiod_chip_close(chip_);
}

Result<int> GpiodLine::value() {
  errno = 0;
  int v = gpiod_line_get_value(line_);
  if (v < 0)
    return Error::make(errno, "%s (%s): read: %s", name(), chipPath_.c_str(), strerror(errno));
  return v;
}

Status GpiodLine::setValue(int value) {
  if (!output_) return Error::make(EPERM, "%s: an input line cannot be driven", name());
  if (gpiod_line_set_value(line_, value ? 1 : 0) != 0) {
    return Error::make(errno, "%s (%s): set %d: %s", name(), chipPath_.c_str(), value ? 1 : 0,
                       strerror(errno));
  }
  return {};
}

Result<GpioEvent> GpiodLine::readEvent() {
  if (output_) return Error::make(EPERM, "%s: an output line has no events", name());
  timespec zero{0, 0};
  int ready = gpiod_line_event_wait(line_, &zero);  // the fd blocks: never read it empty
  if (ready < 0) return Error::make(errno, "%s: wait for event: %s", name(), strerror(errno));
  if (ready == 0) return Error::make(EAGAIN, "%s: no event queued", name());
  gpiod_line_event ev{};
  if (gpiod_line_event_read(line_, &ev) != 0) {
    return Error::make(errno, "%s: read event: %s", name(), strerror(errno));
  }
  GpioEvent out;
  out.edge = ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE ? GpioEdge::Rising : GpioEdge::Falling;
  out.timestampNs = static_cast<int64_t>(ev.ts.tv_sec) * kNsPerS + ev.ts.tv_nsec;
  return out;
}

}  // namespace qeil
