// The qeild program as systemd runs it (Type=notify, WatchdogSec=): started on the twin with
// $NOTIFY_SOCKET and $WATCHDOG_USEC, it reports READY=1 once its control socket answers, feeds
// the watchdog at half the period from its loop, and says STOPPING=1 when SIGTERM stops it.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "agent/http_client.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/agent/fake_systemd.h"

namespace qeil {
namespace {

TEST(QeildUnderSystemd, ReadyWatchdogAndStopping) {
  test::TempDir dir;
  const std::string notify = dir.file("notify");
  const std::string socket = dir.file("qeild.sock");
  test::FakeSystemd systemd(notify);
  ASSERT_TRUE(systemd.bound());
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("NOTIFY_SOCKET", notify.c_str(), 1);
    setenv("WATCHDOG_USEC", "200000", 1);
    setenv("WATCHDOG_PID", std::to_string(getpid()).c_str(), 1);
    const std::string board = std::string(QEIL_SOURCE_DIR) + "/board-configs/rk3588.cfg";
    const std::string root = dir.file("root");
    execl(QEILD_PATH, "qeild", "--board", board.c_str(), "--twin", "--root", root.c_str(),
          "--socket", socket.c_str(), "--log", "warn", static_cast<char*>(nullptr));
    _exit(127);
  }
  const std::string ready = systemd.next(30000);
  EXPECT_EQ(ready.rfind("READY=1", 0), 0u) << ready;
  // Ready means the socket answers.
  auto status = unixHttpRequest(socket, "GET", "/v1/status");
  ASSERT_TRUE(status.ok()) << status.error().message();
  EXPECT_EQ(status.value().status, 200);
  // WATCHDOG=1 every 100 ms: at least 5 within a second (the twin's loop is not starved).
  int pings = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(1)) {
    if (systemd.next(300) == "WATCHDOG=1") ++pings;
  }
  EXPECT_GE(pings, 5);
  EXPECT_LE(pings, 15);
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  std::string last;
  for (int i = 0; i < 50 && last != "STOPPING=1"; ++i)
    last = systemd.next(200);
  EXPECT_EQ(last, "STOPPING=1");
  int wstatus = 0;
  ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
  EXPECT_TRUE(WIFEXITED(wstatus)) << wstatus;
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

}  // namespace
}  // namespace qeil
