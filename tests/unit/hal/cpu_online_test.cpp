// CPU topology and hotplug state on fake RK3588 and Jetson Orin Nano trees.
#include "hal/linux/cpu_online.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "hal/sim/fake_sysfs.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/deny_access.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/hal/fake_board.h"

namespace qeil {
namespace {

using test::contains;

class Rk3588Cpus : public test::Rk3588Tree {};

TEST_F(Rk3588Cpus, EightCpusAllOnlineAndCpu0NotHotpluggable) {
  auto cpus = CpuOnline::create(fs_->sysRoot());
  ASSERT_TRUE(cpus.ok()) << cpus.error().message();
  EXPECT_EQ(cpus.value()->possible(), CpuSet::range(0, 7));
  EXPECT_EQ(cpus.value()->present(), CpuSet::range(0, 7));
  EXPECT_EQ(cpus.value()->hotpluggable(), CpuSet::range(1, 7));
  EXPECT_EQ(cpus.value()->readOnline().value(), CpuSet::range(0, 7));
  for (int c = 0; c < 8; ++c)
    EXPECT_TRUE(cpus.value()->isOnline(c).value()) << c;
}

TEST_F(Rk3588Cpus, SeesCpusGoingOfflineAndComingBackWithoutAllocating) {
  auto cpus = CpuOnline::create(fs_->sysRoot());
  ASSERT_TRUE(cpus.ok());
  ASSERT_TRUE(fs_->setCpuOnline(6, false).ok());
  ASSERT_TRUE(fs_->setCpuOnline(7, false).ok());
  uint64_t allocations = 0;
  Result<CpuSet> online = CpuSet();
  Result<bool> six = true;
  Result<bool> zero = false;
  {
    test::AllocationScope scope;
    online = cpus.value()->readOnline();
    six = cpus.value()->isOnline(6);
    zero = cpus.value()->isOnline(0);
    allocations = scope.count();
  }
  EXPECT_EQ(allocations, 0u);
  ASSERT_TRUE(online.ok()) << online.error().message();
  EXPECT_EQ(online.value(), CpuSet::range(0, 5));
  EXPECT_FALSE(six.value());
  EXPECT_TRUE(zero.value());
  ASSERT_TRUE(fs_->setCpuOnline(6, true).ok());
  EXPECT_TRUE(cpus.value()->isOnline(6).value());
  CpuSet expected = CpuSet::range(0, 6);
  EXPECT_EQ(cpus.value()->readOnline().value(), expected);
  EXPECT_FALSE(fs_->setCpuOnline(0, false).ok());  // the fake refuses, as the kernel would
}

TEST_F(Rk3588Cpus, AbsentCpusAreAnErrorNotACrash) {
  auto cpus = CpuOnline::create(fs_->sysRoot());
  ASSERT_TRUE(cpus.ok());
  for (int bad : {8, 63, 64, -1, 1000}) {
    Result<bool> r = cpus.value()->isOnline(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(contains(r.error(), "cpu" + std::to_string(bad) + " is not present"));
  }
}

TEST_F(Rk3588Cpus, MalformedFilesAreClearErrors) {
  auto cpus = CpuOnline::create(fs_->sysRoot());
  ASSERT_TRUE(cpus.ok());
  const std::string cpu3 = "/sys/devices/system/cpu/cpu3/online";
  struct Case {
    std::string content;
    std::string words;
  };
  const std::vector<Case> perCpu = {{"", "empty"},
                                    {"yes\n", "not a number: 'yes'"},
                                    {"2\n", "not 0 or 1: '2'"},
                                    {"-1\n", "not 0 or 1: '-1'"},
                                    {std::string(4096, '1'), "longer than"}};
  for (const Case& c : perCpu) {
    ASSERT_TRUE(fs_->writeRaw(cpu3, c.content).ok());
    Result<bool> r = cpus.value()->isOnline(3);
    ASSERT_FALSE(r.ok()) << c.content.substr(0, 10);
    EXPECT_TRUE(contains(r.error(), c.words)) << r.error().message();
    EXPECT_TRUE(contains(r.error(), fs_->path(cpu3))) << r.error().message();
  }
  const std::string online = "/sys/devices/system/cpu/online";
  const std::vector<Case> list = {{"", "empty"},
                                  {"0-3,x\n", "not a CPU list"},
                                  {"7-2\n", "bad CPU range"},
                                  {"0-64\n", "bad CPU range"},
                                  {std::string(1000, '1'), "longer than"}};
  for (const Case& c : list) {
    ASSERT_TRUE(fs_->writeRaw(online, c.content).ok());
    Result<CpuSet> r = cpus.value()->readOnline();
    ASSERT_FALSE(r.ok()) << c.content.substr(0, 10);
    EXPECT_TRUE(contains(r.error(), c.words)) << r.error().message();
    EXPECT_TRUE(contains(r.error(), fs_->path(online))) << r.error().message();
  }
}

TEST_F(Rk3588Cpus, BrokenTopologyFailsCreate) {
  ASSERT_TRUE(fs_->writeRaw("/sys/devices/system/cpu/present", "0-8\n").ok());
  auto cpus = CpuOnline::create(fs_->sysRoot());
  ASSERT_FALSE(cpus.ok());
  EXPECT_TRUE(contains(cpus.error(), "present: CPUs outside the possible ones"));
  ASSERT_TRUE(fs_->writeRaw("/sys/devices/system/cpu/present", "0-7\n").ok());
  ASSERT_EQ(::unlink(fs_->path("/sys/devices/system/cpu/possible").c_str()), 0);
  cpus = CpuOnline::create(fs_->sysRoot());
  ASSERT_FALSE(cpus.ok());
  EXPECT_EQ(cpus.error().errnum(), ENOENT);
  EXPECT_TRUE(contains(cpus.error(), "possible: open"));
}

TEST_F(Rk3588Cpus, UnreadableOnlineFileFailsCreate) {
  std::string online = fs_->path("/sys/devices/system/cpu/cpu5/online");
  test::DenyAccess deny(online);
  if (!deny.active()) GTEST_SKIP() << "cannot make a file unreadable here";
  auto cpus = CpuOnline::create(fs_->sysRoot());
  ASSERT_FALSE(cpus.ok());
  EXPECT_EQ(cpus.error().errnum(), EACCES);
  EXPECT_TRUE(contains(cpus.error(), online)) << cpus.error().message();
}

TEST(JetsonCpus, SixCpus) {
  test::TempDir dir;
  auto fs = FakeSysfs::jetsonOrinNano(dir.path());
  ASSERT_TRUE(fs.ok());
  auto cpus = CpuOnline::create(fs.value()->sysRoot());
  ASSERT_TRUE(cpus.ok()) << cpus.error().message();
  EXPECT_EQ(cpus.value()->present(), CpuSet::range(0, 5));
  ASSERT_TRUE(fs.value()->setCpuOnline(5, false).ok());
  EXPECT_EQ(cpus.value()->readOnline().value(), CpuSet::range(0, 4));
  EXPECT_FALSE(cpus.value()->isOnline(5).value());
}

}  // namespace
}  // namespace qeil
