// The libevent wrapper: timers fire at their period and stop when cancelled, descriptors and
// signals come back as callbacks on the loop's thread, requestStop works from another thread.
#include "agent/event_loop.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "tests/support/emulation.h"

namespace qeil {
namespace {

std::unique_ptr<EventLoop> makeLoop() {
  auto loop = EventLoop::create();
  EXPECT_TRUE(loop.ok());
  return loop.ok() ? std::move(loop.value()) : nullptr;
}

TEST(EventLoop, TimerFiresUntilStopped) {
  auto loop = makeLoop();
  ASSERT_TRUE(loop);
  int fired = 0;
  Timer timer(*loop, [&] {
    if (++fired == 5) loop->stop();
  });
  ASSERT_TRUE(timer.start(1000).ok());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop->run().ok());
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(fired, 5);
  EXPECT_GE(ms, 4.0);  // five periods of 1 ms, the first after one period
}

TEST(EventLoop, ZeroPeriodTimerRunsWithoutSleeping) {
  auto loop = makeLoop();
  ASSERT_TRUE(loop);
  int fired = 0;
  Timer timer(*loop, [&] {
    if (++fired == 2000) loop->stop();
  });
  ASSERT_TRUE(timer.start(0).ok());
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(loop->run().ok());
  double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(fired, 2000);
  EXPECT_LT(ms, 1000.0);  // 2000 firings of a 1 ms timer would take 2 s
  timer.cancel();
  EXPECT_FALSE(timer.active());
}

TEST(EventLoop, NegativePeriodIsRefused) {
  auto loop = makeLoop();
  ASSERT_TRUE(loop);
  Timer timer(*loop, [] {});
  Status s = timer.start(-1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.error().message()).find("negative"), std::string::npos);
}

TEST(EventLoop, RequestStopFromAnotherThread) {
  if (test::underQemuUser()) GTEST_SKIP() << "qemu-user: a wake-up from another thread hangs here";
  auto loop = makeLoop();
  ASSERT_TRUE(loop);
  Timer keepAlive(*loop, [] {});
  ASSERT_TRUE(keepAlive.start(1000 * 1000).ok());
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    loop->requestStop();
  });
  ASSERT_TRUE(loop->run().ok());
  stopper.join();
  EXPECT_TRUE(loop->stopRequested());
}

TEST(EventLoop, FdWatcherSeesReadableDescriptor) {
  auto loop = makeLoop();
  ASSERT_TRUE(loop);
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  char got = 0;
  FdWatcher watcher(*loop, fds[0], [&] {
    ASSERT_EQ(read(fds[0], &got, 1), 1);
    loop->stop();
  });
  ASSERT_TRUE(watcher.start().ok());
  ASSERT_EQ(write(fds[1], "x", 1), 1);
  ASSERT_TRUE(loop->run().ok());
  EXPECT_EQ(got, 'x');
  close(fds[0]);
  close(fds[1]);
}

TEST(EventLoop, SignalBecomesCallbackOnTheLoop) {
  auto loop = makeLoop();
  ASSERT_TRUE(loop);
  int seen = 0;
  SignalWatcher watcher(*loop, SIGUSR1, [&] {
    ++seen;
    loop->stop();
  });
  ASSERT_TRUE(watcher.start().ok());
  ASSERT_EQ(raise(SIGUSR1), 0);  // would kill the process without the watcher
  ASSERT_TRUE(loop->run().ok());
  EXPECT_EQ(seen, 1);
}

}  // namespace
}  // namespace qeil
