// devfreq devices: the RK3588's Mali-G610 and the Orin Nano's GPU on fake trees.
#include "hal/linux/devfreq.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "hal/linux/journal.h"
#include "hal/sim/fake_sysfs.h"
#include "hal/sim/sim_clock.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/deny_access.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/hal/fake_board.h"

namespace qeil {
namespace {

using test::contains;

// board-data.json, boards.rk3588.gpu.opps_hz
const std::vector<uint64_t> kMaliHz = {300000000, 400000000, 500000000, 600000000,
                                       700000000, 800000000, 900000000, 1000000000};
const char* const kMali = "/sys/class/devfreq/fb000000.gpu";

class MaliDevfreq : public test::Rk3588Tree {
 protected:
  void SetUp() override {
    test::Rk3588Tree::SetUp();
    if (HasFatalFailure()) return;
    auto dev = DevfreqDevice::find(fs_->sysRoot(), "fb000000.gpu", journal_, clock_);
    ASSERT_TRUE(dev.ok()) << dev.error().message();
    gpu_ = std::move(dev.value());
  }
  std::string file(const char* name) { return fs_->path(std::string(kMali) + "/" + name); }

  SettingsJournal journal_;
  SimClock clock_{kNsPerS};
  std::unique_ptr<DevfreqDevice> gpu_;
};

TEST_F(MaliDevfreq, FoundWithItsOppTable) {
  auto names = DevfreqDevice::list(fs_->sysRoot());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), std::vector<std::string>{"fb000000.gpu"});
  EXPECT_STREQ(gpu_->name(), "fb000000.gpu");
  EXPECT_EQ(gpu_->kind(), FreqKind::Devfreq);
  EXPECT_TRUE(gpu_->cpus().empty());
  EXPECT_EQ(std::vector<uint64_t>(gpu_->availableHz().begin(), gpu_->availableHz().end()), kMaliHz);
  EXPECT_EQ(gpu_->hwMinHz(), 300000000u);
  EXPECT_EQ(gpu_->hwMaxHz(), 1000000000u);
  char gov[32];
  ASSERT_TRUE(gpu_->governor(gov, sizeof gov).ok());
  EXPECT_STREQ(gov, "simple_ondemand");
  auto missing = DevfreqDevice::find(fs_->sysRoot(), "fdab0000.npu", journal_, clock_);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().errnum(), ENODEV);
  EXPECT_TRUE(contains(missing.error(), "fdab0000.npu: no such devfreq device"));
}

TEST_F(MaliDevfreq, ReadsCurrentFrequencyInPlaceWithoutAllocating) {
  ASSERT_TRUE(fs_->setCurFreqHz("fb000000.gpu", 800000000).ok());
  Reading r = gpu_->readCurHz();
  ASSERT_TRUE(r.valid) << gpu_->lastError().message();
  EXPECT_DOUBLE_EQ(r.value, 8e8);
  EXPECT_EQ(r.timestampNs, kNsPerS);
  uint64_t allocations = 0;
  {
    test::AllocationScope scope;
    for (int i = 0; i < 100; ++i)
      gpu_->readCurHz();
    allocations = scope.count();
  }
  EXPECT_EQ(allocations, 0u);
}

TEST_F(MaliDevfreq, LimitsInHzAreJournaledAndOutOfRangeOnesRefused) {
  ASSERT_TRUE(gpu_->setMaxLimitHz(600000000).ok());
  ASSERT_TRUE(gpu_->setMinLimitHz(400000000).ok());
  EXPECT_EQ(test::readFile(file("max_freq")), "600000000");
  EXPECT_EQ(gpu_->maxLimitHz().value(), 600000000u);
  EXPECT_EQ(gpu_->minLimitHz().value(), 400000000u);
  for (uint64_t bad : {200000000ull, 1100000000ull, 0ull}) {
    Status st = gpu_->setMaxLimitHz(bad);
    ASSERT_FALSE(st.ok());
    EXPECT_TRUE(contains(st.error(), "fb000000.gpu: " + std::to_string(bad) +
                                         " Hz is outside the hardware range "
                                         "300000000..1000000000 Hz"))
        << st.error().message();
  }
  EXPECT_EQ(journal_.size(), 2u);
  ASSERT_TRUE(journal_.restoreAll().ok());
  EXPECT_EQ(gpu_->maxLimitHz().value(), 1000000000u);
  EXPECT_EQ(gpu_->minLimitHz().value(), 300000000u);
}

TEST_F(MaliDevfreq, GovernorMustBeAvailable) {
  ASSERT_TRUE(gpu_->setGovernor("performance").ok());
  char gov[32];
  ASSERT_TRUE(gpu_->governor(gov, sizeof gov).ok());
  EXPECT_STREQ(gov, "performance");
  Status st = gpu_->setGovernor("nvhost_podgov");
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "governor 'nvhost_podgov' is not available"));
  ASSERT_TRUE(journal_.restoreAll().ok());
  ASSERT_TRUE(gpu_->governor(gov, sizeof gov).ok());
  EXPECT_STREQ(gov, "simple_ondemand");
}

TEST_F(MaliDevfreq, TimeInStateComesFromTransStatEvenWhenColumnsRunTogether) {
  ASSERT_TRUE(fs_->setCurFreqHz("fb000000.gpu", 1000000000).ok());
  ASSERT_TRUE(fs_->setCurFreqHz("fb000000.gpu", 300000000).ok());
  ASSERT_TRUE(fs_->addResidencyMs("fb000000.gpu", 300000000, 4321).ok());
  // Over 10 digits: the kernel's "%10llu" runs into the last count column.
  ASSERT_TRUE(fs_->addResidencyMs("fb000000.gpu", 1000000000, 12345678901ull).ok());
  TimeInState tis;
  uint64_t allocations = 0;
  {
    test::AllocationScope scope;
    Status st = gpu_->timeInState(&tis);
    allocations = scope.count();
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  EXPECT_EQ(allocations, 0u);
  ASSERT_EQ(tis.timeMs.size(), kMaliHz.size());
  EXPECT_EQ(tis.freqHz[0], 300000000u);
  EXPECT_EQ(tis.timeMs[0], 4321u);
  EXPECT_EQ(tis.timeMs[7], 12345678901ull);
  EXPECT_EQ(tis.timeMs[3], 0u);
}

TEST_F(MaliDevfreq, MalformedFilesAreClearErrors) {
  const std::string cur = file("cur_freq");
  struct Case {
    std::string content;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"800MHz\n", "not a number: '800MHz'"},
      {"20000000000\n", "20000000000 Hz is outside 1000..10000000000 Hz"},
      {std::string(100, '8'), "longer than"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(fs_->writeRaw(std::string(kMali) + "/cur_freq", c.content).ok());
    Reading r = gpu_->readCurHz();
    EXPECT_FALSE(r.valid);
    EXPECT_TRUE(contains(gpu_->lastError(), c.words)) << gpu_->lastError().message();
    EXPECT_TRUE(contains(gpu_->lastError(), cur)) << gpu_->lastError().message();
  }
  ASSERT_TRUE(fs_->writeRaw(std::string(kMali) + "/trans_stat", "Not Supported.\n").ok());
  TimeInState tis;
  Status st = gpu_->timeInState(&tis);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "not a devfreq trans_stat")) << st.error().message();
}

TEST_F(MaliDevfreq, MissingOrUnreadableFilesFailFind) {
  ASSERT_TRUE(fs_->writeRaw(std::string(kMali) + "/available_frequencies", "300000000 abc\n").ok());
  auto bad = DevfreqDevice::find(fs_->sysRoot(), "fb000000.gpu", journal_, clock_);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error(), "available_frequencies: not a list of frequencies"));
  ASSERT_TRUE(fs_->writeRaw(std::string(kMali) + "/available_frequencies", "\n").ok());
  bad = DevfreqDevice::find(fs_->sysRoot(), "fb000000.gpu", journal_, clock_);
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error(), "available_frequencies: empty")) << bad.error().message();
  ASSERT_EQ(::unlink(file("available_frequencies").c_str()), 0);
  bad = DevfreqDevice::find(fs_->sysRoot(), "fb000000.gpu", journal_, clock_);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().errnum(), ENOENT);

  auto fs = FakeSysfs::rk3588(dir_.file("other"));
  ASSERT_TRUE(fs.ok());
  std::string curFreq = fs.value()->path(std::string(kMali) + "/cur_freq");
  test::DenyAccess deny(curFreq);
  if (!deny.active()) GTEST_SKIP() << "cannot make a file unreadable here";
  auto denied = DevfreqDevice::find(fs.value()->sysRoot(), "fb000000.gpu", journal_, clock_);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().errnum(), EACCES);
  EXPECT_TRUE(contains(denied.error(), curFreq)) << denied.error().message();
}

TEST(DevfreqTransStat, ParsesTheKernelLayout) {
  // As drivers/devfreq/devfreq.c prints it for a 3-OPP device.
  const char* text =
      "     From  :   To\n"
      "           : 200000000 400000000 800000000   time(ms)\n"
      "* 200000000:         0         2         1       150\n"
      "  400000000:         1         0         1        70\n"
      "  800000000:         2         0         0123456789012\n"  // time runs into a count
      "Total transition : 7\n";
  FreqTable table;
  for (uint64_t hz : {200000000ull, 400000000ull, 800000000ull})
    table.push_back(hz);
  TimeInState tis;
  Status st = parseDevfreqTransStat(text, "trans_stat", table, &tis);
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(tis.timeMs[0], 150u);
  EXPECT_EQ(tis.timeMs[1], 70u);
  EXPECT_EQ(tis.timeMs[2], 123456789012ull);
}

TEST(DevfreqTransStat, RejectsMalformedRowsNamingTheLine) {
  FreqTable table;
  table.push_back(200000000);
  TimeInState tis;
  const char* badRow =
      "     From  :   To\n"
      "           : 200000000   time(ms)\n"
      "* 200000000:         x       150\n"
      "Total transition : 0\n";
  Status st = parseDevfreqTransStat(badRow, "trans_stat", table, &tis);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "trans_stat:3: malformed row")) << st.error().message();
  const char* noRows = "     From  :   To\n           :   time(ms)\nTotal transition : 0\n";
  st = parseDevfreqTransStat(noRows, "trans_stat", table, &tis);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODATA);
  st = parseDevfreqTransStat("", "trans_stat", table, &tis);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODATA);
}

TEST(JetsonDevfreq, GpuWithTheNvidiaGovernor) {
  test::TempDir dir;
  auto fs = FakeSysfs::jetsonOrinNano(dir.path());
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  SettingsJournal journal;
  SimClock clock;
  auto gpu = DevfreqDevice::find(fs.value()->sysRoot(), "17000000.gpu", journal, clock);
  ASSERT_TRUE(gpu.ok()) << gpu.error().message();
  char gov[32];
  ASSERT_TRUE(gpu.value()->governor(gov, sizeof gov).ok());
  EXPECT_STREQ(gov, "nvhost_podgov");
  // board-data.json: gpu.max_clock_hz_super (1020 MHz) is the top OPP; 820 MHz (25 W) is one.
  EXPECT_EQ(gpu.value()->hwMaxHz(), 1020000000u);
  bool has820 = false;
  for (uint64_t hz : gpu.value()->availableHz())
    has820 = has820 || hz == 820000000;
  EXPECT_TRUE(has820);
  ASSERT_TRUE(gpu.value()->setMaxLimitHz(820000000).ok());
  ASSERT_TRUE(fs.value()->setCurFreqHz("17000000.gpu", 820000000).ok());
  EXPECT_DOUBLE_EQ(gpu.value()->readCurHz().value, 8.2e8);
  ASSERT_TRUE(journal.restoreAll().ok());
  EXPECT_EQ(gpu.value()->maxLimitHz().value(), 1020000000u);
}

}  // namespace
}  // namespace qeil
