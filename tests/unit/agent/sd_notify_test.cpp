// sd_notify without libsystemd: the datagrams a Type=notify service sends, received on an
// AF_UNIX datagram socket set as $NOTIFY_SOCKET (a path and the abstract namespace), and the
// watchdog period from $WATCHDOG_USEC / $WATCHDOG_PID.
#include "agent/sd_notify.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/support/temp_dir.h"
#include "tests/unit/agent/fake_systemd.h"

namespace qeil {
namespace {

class SdNotify : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    unsetenv("WATCHDOG_USEC");
    unsetenv("WATCHDOG_PID");
  }
  test::TempDir dir_;
};

TEST_F(SdNotify, SendsEachMessageAsOneDatagramToThePath) {
  const std::string path = dir_.file("notify");
  test::FakeSystemd systemd(path);
  ASSERT_TRUE(systemd.bound());
  setenv("NOTIFY_SOCKET", path.c_str(), 1);
  auto n = SdNotifier::fromEnvironment();
  ASSERT_TRUE(n.ok()) << n.error().message();
  EXPECT_TRUE(n.value().enabled());
  for (const char* msg : {"READY=1\nSTATUS=serving", "WATCHDOG=1", "STOPPING=1"}) {
    ASSERT_TRUE(n.value().send(msg).ok());
    EXPECT_EQ(systemd.next(), msg);
  }
}

TEST_F(SdNotify, AbstractSocketNames) {
  const std::string name = "@qeil-test-notify-" + std::to_string(getpid());
  test::FakeSystemd systemd(name);
  ASSERT_TRUE(systemd.bound());
  setenv("NOTIFY_SOCKET", name.c_str(), 1);
  auto n = SdNotifier::fromEnvironment();
  ASSERT_TRUE(n.ok()) << n.error().message();
  ASSERT_TRUE(n.value().send("READY=1").ok());
  EXPECT_EQ(systemd.next(), "READY=1");
}

TEST_F(SdNotify, WithoutNotifySocketNothingIsSent) {
  auto n = SdNotifier::fromEnvironment();
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n.value().enabled());
  EXPECT_TRUE(n.value().send("READY=1").ok());
  EXPECT_EQ(n.value().watchdogPeriodUs(), 0);
}

TEST_F(SdNotify, BadSocketNamesAndAGoneListenerAreErrors) {
  setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_FALSE(SdNotifier::fromEnvironment().ok());
  setenv("NOTIFY_SOCKET", ("/" + std::string(200, 'x')).c_str(), 1);
  EXPECT_FALSE(SdNotifier::fromEnvironment().ok());
  setenv("NOTIFY_SOCKET", dir_.file("nobody-listens").c_str(), 1);
  auto n = SdNotifier::fromEnvironment();
  ASSERT_TRUE(n.ok());
  Status s = n.value().send("READY=1");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.error().message()).find("READY=1"), std::string::npos);
}

TEST_F(SdNotify, WatchdogPeriodIsHalfTheUsecForThisProcess) {
  EXPECT_EQ(watchdogPeriodUs("10000000", nullptr, 42), 5000000);
  EXPECT_EQ(watchdogPeriodUs("10000000", "42", 42), 5000000);
  EXPECT_EQ(watchdogPeriodUs("10000000", "43", 42), 0);  // another process is watched
  EXPECT_EQ(watchdogPeriodUs("0", nullptr, 42), 0);
  EXPECT_EQ(watchdogPeriodUs("-5", nullptr, 42), 0);
  EXPECT_EQ(watchdogPeriodUs("10s", nullptr, 42), 0);
  EXPECT_EQ(watchdogPeriodUs("", nullptr, 42), 0);
  EXPECT_EQ(watchdogPeriodUs(nullptr, nullptr, 42), 0);
  setenv("WATCHDOG_USEC", "3000000", 1);
  setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
  auto n = SdNotifier::fromEnvironment();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n.value().watchdogPeriodUs(), 1500000);
}

}  // namespace
}  // namespace qeil
