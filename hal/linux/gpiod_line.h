#pragma once

#include <memory>
#include <string>

#include "hal/gpio_line.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"

struct gpiod_chip;
struct gpiod_line;

namespace qeil {

// Which chip: by its device name under <root>/dev ("gpiochip0"), or, when the name is empty,
// by its label ("pinctrl-rp1", "tegra234-gpio"), which survives probe-order changes.
struct GpioChipRef {
  std::string name;
  std::string label;
};

enum class GpioEdges { Rising, Falling, Both };
enum class GpioBias { AsIs, PullUp, PullDown, Disabled };

// An output such as a fan or an accelerator enable. Values are logical: with activeLow, 1
// drives the pin low.
struct GpioOutputConfig {
  GpioChipRef chip;
  unsigned offset = 0;
  std::string name;  // for logs and errors ("fan"); "<chip>:<offset>" when empty
  bool activeLow = false;
  bool openDrain = false;
  int initialValue = 0;
};

// An input watched for edges, such as an INA ALERT: open-drain and active-low, so activeLow
// makes an asserted alert a Rising edge and value 1.
struct GpioInputConfig {
  GpioChipRef chip;
  unsigned offset = 0;
  std::string name;
  bool activeLow = false;
  GpioBias bias = GpioBias::AsIs;
  GpioEdges edges = GpioEdges::Both;
};

// A GPIO line on libgpiod 1.6 (the v1 API Debian 12 ships), held requested while it lives.
class GpiodLine final : public GpioLine {
 public:
  static constexpr const char* kConsumer = "qeild";

  // Records the line's original level in the journal before driving it.
  static Result<std::unique_ptr<GpiodLine>> openOutput(const SysRoot& root,
                                                       SettingsJournal& journal,
                                                       const GpioOutputConfig& config);
  static Result<std::unique_ptr<GpiodLine>> openInput(const SysRoot& root,
                                                      const GpioInputConfig& config);
  // The chip's device path: <root>/dev/<name>, or the <root>/dev/gpiochip* with that label.
  static Result<std::string> findChip(const SysRoot& root, const GpioChipRef& chip);

  ~GpiodLine() override;
  GpiodLine(const GpiodLine&) = delete;
  GpiodLine& operator=(const GpiodLine&) = delete;

  const char* name() const override { return name_.c_str(); }
  const std::string& chipPath() const { return chipPath_; }
  Result<int> value() override;
  Status setValue(int value) override;
  int eventFd() const override { return eventFd_; }
  // Edges are logical (activeLow inverts them); timestamps are the kernel's, in ns. Answers
  // EAGAIN instead of blocking when nothing is queued.
  Result<GpioEvent> readEvent() override;

 private:
  GpiodLine(std::string name, std::string chipPath, gpiod_chip* chip, gpiod_line* line, bool output,
            int eventFd)
      : name_(std::move(name)),
        chipPath_(std::move(chipPath)),
        chip_(chip),
        line_(line),
        output_(output),
        eventFd_(eventFd) {}

  std::string name_;
  std::string chipPath_;
  gpiod_chip* chip_;
  gpiod_line* line_;
  bool output_;
  int eventFd_;
};

}  // namespace qeil
