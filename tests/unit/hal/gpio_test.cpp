// GPIO lines: the libgpiod 1.6 backend's errors on a machine without GPIO (CONFIG_GPIOLIB off,
// also under qemu-user), and the fake line used by tests and the twin.
#include <gtest/gtest.h>
#include <poll.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "hal/linux/gpiod_line.h"
#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/sim/fake_gpio_line.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  int n = poll(&p, 1, 0);
  return n == 1 && (p.revents & POLLIN);
}

template <class T>
std::string message(const Result<T>& r) {
  return r.ok() ? "(ok)" : r.error().message();
}

// ---- GpiodLine (libgpiod 1.6) ----

class GpiodLineTest : public ::testing::Test {
 protected:
  GpioOutputConfig fan(const std::string& chip) const {
    GpioOutputConfig c;
    c.chip.name = chip;
    c.offset = 17;
    c.name = "fan";
    c.initialValue = 1;
    return c;
  }
  GpioInputConfig alert(const std::string& chip) const {
    GpioInputConfig c;
    c.chip.name = chip;
    c.offset = 4;
    c.activeLow = true;
    c.bias = GpioBias::PullUp;
    return c;
  }
  test::TempDir dir_;
  SysRoot root_{dir_.path()};
  SettingsJournal journal_;
};

TEST_F(GpiodLineTest, MissingChipNamesThePath) {
  auto out = GpiodLine::openOutput(root_, journal_, fan("gpiochip0"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().errnum(), ENOENT);
  EXPECT_NE(message(out).find(dir_.file("dev/gpiochip0")), std::string::npos) << message(out);
  auto in = GpiodLine::openInput(root_, alert("gpiochip3"));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(message(in).find(dir_.file("dev/gpiochip3")), std::string::npos) << message(in);
  EXPECT_EQ(journal_.size(), 0u);  // nothing recorded for a line never driven
}

TEST_F(GpiodLineTest, RegularFileInPlaceOfTheChipIsRefused) {
  dir_.write("dev/gpiochip0", "not a device\n");
  auto out = GpiodLine::openOutput(root_, journal_, fan("gpiochip0"));
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.error().errnum(), ENOTTY);
  std::string msg = message(out);
  EXPECT_NE(msg.find(dir_.file("dev/gpiochip0")), std::string::npos) << msg;
  EXPECT_NE(msg.find("not a GPIO character device (a regular file)"), std::string::npos) << msg;
  auto in = GpiodLine::openInput(root_, alert("gpiochip0"));
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().errnum(), ENOTTY);
  EXPECT_EQ(test::readFile(dir_.file("dev/gpiochip0")), "not a device\n");  // left alone
  EXPECT_EQ(journal_.size(), 0u);
}

TEST_F(GpiodLineTest, CharacterDeviceThatIsNotAGpioChipIsRefused) {
  dir_.mkdirs("dev");
  ASSERT_EQ(symlink("/dev/null", dir_.file("dev/gpiochip0").c_str()), 0);
  auto in = GpiodLine::openInput(root_, alert("gpiochip0"));
  ASSERT_FALSE(in.ok());
  std::string msg = message(in);
  EXPECT_NE(msg.find(dir_.file("dev/gpiochip0") + ": not a GPIO chip"), std::string::npos) << msg;
}

TEST_F(GpiodLineTest, ChipNamesThatAreNotDeviceNamesAreRejected) {
  for (const char* bad : {"../gpiochip0", "a/b", "..", "."}) {
    auto out = GpiodLine::openOutput(root_, journal_, fan(bad));
    ASSERT_FALSE(out.ok()) << bad;
    EXPECT_EQ(out.error().errnum(), EINVAL) << bad;
  }
  GpioInputConfig none = alert("");
  auto in = GpiodLine::openInput(root_, none);
  ASSERT_FALSE(in.ok());
  EXPECT_NE(message(in).find("neither name nor label"), std::string::npos) << message(in);
}

TEST_F(GpiodLineTest, LookupByLabelSaysWhatItSearched) {
  GpioInputConfig byLabel = alert("");
  byLabel.chip.label = "pinctrl-rp1";
  auto in = GpiodLine::openInput(root_, byLabel);  // no <root>/dev at all
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().errnum(), ENOENT);
  EXPECT_NE(message(in).find(dir_.file("dev")), std::string::npos) << message(in);

  dir_.write("dev/gpiochip0", "");
  dir_.write("dev/gpiochip1", "");
  dir_.write("dev/ttyS0", "");
  in = GpiodLine::openInput(root_, byLabel);
  ASSERT_FALSE(in.ok());
  EXPECT_EQ(in.error().errnum(), ENOENT);
  std::string msg = message(in);
  EXPECT_NE(msg.find("no GPIO chip labelled 'pinctrl-rp1' (2 gpiochip entries checked)"),
            std::string::npos)
      << msg;
}

TEST_F(GpiodLineTest, RealDevHasNoSuchChipHereAndNothingCrashes) {
  // This machine (and qemu-user on it) has no GPIO; a board has no gpiochip999 either.
  SysRoot real("/");
  auto in = GpiodLine::openInput(real, alert("gpiochip999"));
  ASSERT_FALSE(in.ok());
  EXPECT_NE(message(in).find("/dev/gpiochip999"), std::string::npos) << message(in);
}

// ---- FakeGpioLine ----

TEST(FakeGpioLine, OutputRecordsValueAndWrites) {
  auto fan = FakeGpioLine::createOutput("fan", 0);
  GpioLine& line = *fan;
  EXPECT_STREQ(line.name(), "fan");
  EXPECT_EQ(line.eventFd(), -1);
  EXPECT_EQ(line.value().value(), 0);
  ASSERT_TRUE(line.setValue(1).ok());
  ASSERT_TRUE(line.setValue(1).ok());
  ASSERT_TRUE(line.setValue(0).ok());
  EXPECT_EQ(line.value().value(), 0);
  EXPECT_EQ(fan->writeCount(), 3u);
  ASSERT_TRUE(line.setValue(7).ok());  // any non-zero drives the line active
  EXPECT_EQ(line.value().value(), 1);

  auto ev = line.readEvent();
  ASSERT_FALSE(ev.ok());
  EXPECT_EQ(ev.error().errnum(), EPERM);
  EXPECT_EQ(fan->injectEdge(GpioEdge::Rising, 1).error().errnum(), EPERM);
}

TEST(FakeGpioLine, InputRefusesToBeDriven) {
  auto alert = FakeGpioLine::createInput("ina0-alert", 0);
  ASSERT_TRUE(alert.ok()) << alert.error().message();
  Status st = alert.value()->setValue(1);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EPERM);
  EXPECT_NE(std::string(st.error().message()).find("ina0-alert"), std::string::npos);
  EXPECT_EQ(alert.value()->value().value(), 0);
}

TEST(FakeGpioLine, EventFdIsReadableExactlyWhileEventsAreQueued) {
  auto created = FakeGpioLine::createInput("alert");
  ASSERT_TRUE(created.ok());
  FakeGpioLine& alert = *created.value();
  int fd = alert.eventFd();
  ASSERT_GE(fd, 0);
  EXPECT_FALSE(readable(fd));
  auto none = alert.readEvent();
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().errnum(), EAGAIN);

  ASSERT_TRUE(alert.injectEdge(GpioEdge::Rising, 1000).ok());
  EXPECT_TRUE(readable(fd));
  EXPECT_EQ(alert.value().value(), 1);
  ASSERT_TRUE(alert.injectEdge(GpioEdge::Falling, 2500).ok());
  ASSERT_TRUE(alert.injectEdge(GpioEdge::Rising, 4000).ok());
  EXPECT_EQ(alert.queuedEvents(), 3u);

  const GpioEvent expected[] = {
      {GpioEdge::Rising, 1000}, {GpioEdge::Falling, 2500}, {GpioEdge::Rising, 4000}};
  for (const GpioEvent& want : expected) {
    EXPECT_TRUE(readable(fd));  // still readable until the last one is read
    auto ev = alert.readEvent();
    ASSERT_TRUE(ev.ok()) << ev.error().message();
    EXPECT_EQ(ev.value().edge, want.edge);
    EXPECT_EQ(ev.value().timestampNs, want.timestampNs);
  }
  EXPECT_FALSE(readable(fd));
  EXPECT_EQ(alert.readEvent().error().errnum(), EAGAIN);

  ASSERT_TRUE(alert.injectEdge(GpioEdge::Falling, 5000).ok());  // readable again
  EXPECT_TRUE(readable(fd));
  EXPECT_EQ(alert.value().value(), 0);
}

TEST(FakeGpioLine, FullQueueCountsAndReportsDroppedEdges) {
  auto created = FakeGpioLine::createInput("alert", 0, 4);
  ASSERT_TRUE(created.ok());
  FakeGpioLine& alert = *created.value();
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(alert.injectEdge(i % 2 ? GpioEdge::Falling : GpioEdge::Rising, i).ok());
  for (int i = 4; i < 7; ++i) {
    Status st = alert.injectEdge(GpioEdge::Rising, i);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().errnum(), ENOBUFS);
  }
  EXPECT_EQ(alert.overflowCount(), 3u);
  EXPECT_EQ(alert.queuedEvents(), 4u);
  for (int i = 0; i < 4; ++i) {  // the oldest are kept, in order
    auto ev = alert.readEvent();
    ASSERT_TRUE(ev.ok());
    EXPECT_EQ(ev.value().timestampNs, i);
  }
  EXPECT_FALSE(readable(alert.eventFd()));
  // The ring wraps: more edges after draining go through.
  for (int i = 10; i < 16; ++i) {
    if (alert.queuedEvents() == 4) {
      ASSERT_TRUE(alert.readEvent().ok());
    }
    ASSERT_TRUE(alert.injectEdge(GpioEdge::Rising, i).ok());
  }
  EXPECT_EQ(alert.overflowCount(), 3u);
  EXPECT_EQ(alert.readEvent().value().timestampNs, 12);
}

TEST(FakeGpioLine, QueueCapacityIsBounded) {
  EXPECT_FALSE(FakeGpioLine::createInput("a", 0, 0).ok());
  EXPECT_FALSE(FakeGpioLine::createInput("a", 0, FakeGpioLine::kMaxQueuedEvents + 1).ok());
  EXPECT_TRUE(FakeGpioLine::createInput("a", 0, FakeGpioLine::kMaxQueuedEvents).ok());
}

}  // namespace
}  // namespace qeil
