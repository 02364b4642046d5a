// cpufreq policies on fake RK3588 and Jetson Orin Nano trees.
#include "hal/linux/cpufreq.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "hal/linux/journal.h"
#include "hal/linux/sysfs_util.h"
#include "hal/sim/fake_sysfs.h"
#include "hal/sim/sim_clock.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/deny_access.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/hal/fake_board.h"

namespace qeil {
namespace {

using test::contains;

std::vector<uint64_t> toVector(const FreqTable& t) {
  return std::vector<uint64_t>(t.begin(), t.end());
}

// board-data.json, boards.rk3588.cpu_clusters[*].freqs_hz
const std::vector<uint64_t> kA55Hz = {1008000000, 1200000000, 1416000000, 1608000000, 1800000000};
const std::vector<uint64_t> kA76Hz = {1200000000, 1416000000, 1608000000, 1800000000,
                                      2016000000, 2208000000, 2400000000};

class Rk3588Cpufreq : public test::Rk3588Tree {
 protected:
  std::unique_ptr<CpufreqPolicy> policy(const char* name) {
    auto p = CpufreqPolicy::find(fs_->sysRoot(), name, journal_, clock_);
    EXPECT_TRUE(p.ok()) << p.error().message();
    return p.ok() ? std::move(p.value()) : nullptr;
  }
  std::string file(const char* policyName, const char* name) {
    return fs_->path(std::string("/sys/devices/system/cpu/cpufreq/") + policyName + "/" + name);
  }

  SettingsJournal journal_;
  SimClock clock_{kNsPerS};
};

TEST_F(Rk3588Cpufreq, ThreePoliciesWithTheirCpusAndOpps) {
  auto names = CpufreqPolicy::list(fs_->sysRoot());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), (std::vector<std::string>{"policy0", "policy4", "policy6"}));
  struct Expected {
    const char* name;
    CpuSet cpus;
    const std::vector<uint64_t>* opps;
  };
  const Expected expected[] = {{"policy0", CpuSet::range(0, 3), &kA55Hz},
                               {"policy4", CpuSet::range(4, 5), &kA76Hz},
                               {"policy6", CpuSet::range(6, 7), &kA76Hz}};
  for (const Expected& e : expected) {
    auto p = policy(e.name);
    ASSERT_NE(p, nullptr);
    EXPECT_STREQ(p->name(), e.name);
    EXPECT_EQ(p->kind(), FreqKind::Cpufreq);
    EXPECT_EQ(p->cpus(), e.cpus) << e.name;
    EXPECT_EQ(toVector(p->availableHz()), *e.opps) << e.name;
    EXPECT_EQ(p->hwMinHz(), e.opps->front());
    EXPECT_EQ(p->hwMaxHz(), e.opps->back());
  }
}

TEST_F(Rk3588Cpufreq, FindByCpuPicksThePolicyCoveringIt) {
  const std::pair<int, const char*> cases[] = {{0, "policy0"}, {3, "policy0"}, {4, "policy4"},
                                               {5, "policy4"}, {6, "policy6"}, {7, "policy6"}};
  for (const auto& [cpu, name] : cases) {
    auto p = CpufreqPolicy::findByCpu(fs_->sysRoot(), cpu, journal_, clock_);
    ASSERT_TRUE(p.ok()) << p.error().message();
    EXPECT_STREQ(p.value()->name(), name) << cpu;
  }
  auto none = CpufreqPolicy::findByCpu(fs_->sysRoot(), 8, journal_, clock_);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().errnum(), ENODEV);
  EXPECT_TRUE(contains(none.error(), "no policy covers cpu8 (3 policies)"))
      << none.error().message();
  auto missing = CpufreqPolicy::find(fs_->sysRoot(), "policy2", journal_, clock_);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(contains(missing.error(), "policy2: no such cpufreq policy"));
}

TEST_F(Rk3588Cpufreq, ReadsCurrentFrequencyInHzWithoutAllocating) {
  auto p = policy("policy4");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(fs_->setCurFreqHz("policy4", 1800000000).ok());
  clock_.advanceNs(10 * kNsPerMs);
  Reading r = p->readCurHz();
  ASSERT_TRUE(r.valid) << p->lastError().message();
  EXPECT_DOUBLE_EQ(r.value, 1.8e9);
  EXPECT_EQ(r.timestampNs, kNsPerS + 10 * kNsPerMs);
  uint64_t allocations = 0;
  {
    test::AllocationScope scope;
    for (int i = 0; i < 100; ++i)
      r = p->readCurHz();
    allocations = scope.count();
  }
  EXPECT_EQ(allocations, 0u);
  ASSERT_TRUE(fs_->setCurFreqHz("policy4", 1200000000).ok());
  EXPECT_DOUBLE_EQ(p->readCurHz().value, 1.2e9);
}

TEST_F(Rk3588Cpufreq, LimitsAreWrittenInKhzThroughTheJournalAndRestored) {
  auto p = policy("policy6");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->maxLimitHz().value(), 2400000000u);
  EXPECT_EQ(p->minLimitHz().value(), 1200000000u);
  ASSERT_TRUE(p->setMaxLimitHz(1608000000).ok());
  ASSERT_TRUE(p->setMinLimitHz(1416000000).ok());
  EXPECT_EQ(test::readFile(file("policy6", "scaling_max_freq")), "1608000");
  EXPECT_EQ(p->maxLimitHz().value(), 1608000000u);
  EXPECT_EQ(p->minLimitHz().value(), 1416000000u);
  EXPECT_EQ(journal_.size(), 2u);
  ASSERT_TRUE(journal_.restoreAll().ok());
  EXPECT_EQ(p->maxLimitHz().value(), 2400000000u);
  EXPECT_EQ(p->minLimitHz().value(), 1200000000u);
}

TEST_F(Rk3588Cpufreq, LimitsOutsideTheHardwareRangeAreRefusedBeforeAnyWrite) {
  auto p = policy("policy0");
  ASSERT_NE(p, nullptr);
  const uint64_t bad[] = {2400000000, 408000000, 0, UINT64_MAX};
  for (uint64_t hz : bad) {
    Status max = p->setMaxLimitHz(hz);
    ASSERT_FALSE(max.ok()) << hz;
    EXPECT_EQ(max.error().errnum(), EINVAL);
    EXPECT_TRUE(contains(max.error(), "policy0: " + std::to_string(hz) +
                                          " Hz is outside the hardware range "
                                          "1008000000..1800000000 Hz"))
        << max.error().message();
    EXPECT_FALSE(p->setMinLimitHz(hz).ok());
  }
  EXPECT_EQ(journal_.size(), 0u);
  EXPECT_EQ(test::readFile(file("policy0", "scaling_max_freq")), "1800000\n");
  // The ends themselves are fine.
  EXPECT_TRUE(p->setMaxLimitHz(1800000000).ok());
  EXPECT_TRUE(p->setMinLimitHz(1008000000).ok());
}

TEST_F(Rk3588Cpufreq, GovernorIsCheckedAgainstTheAvailableOnes) {
  auto p = policy("policy4");
  ASSERT_NE(p, nullptr);
  char gov[32];
  ASSERT_TRUE(p->governor(gov, sizeof gov).ok());
  EXPECT_STREQ(gov, "schedutil");
  ASSERT_TRUE(p->setGovernor("performance").ok());
  ASSERT_TRUE(p->governor(gov, sizeof gov).ok());
  EXPECT_STREQ(gov, "performance");
  for (const char* bad : {"turbo", "", "perf", "performance schedutil"}) {
    Status st = p->setGovernor(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().errnum(), EINVAL);
    EXPECT_TRUE(contains(st.error(), "is not available (available: conservative"))
        << st.error().message();
  }
  EXPECT_EQ(journal_.size(), 1u);
  ASSERT_TRUE(journal_.restoreAll().ok());
  ASSERT_TRUE(p->governor(gov, sizeof gov).ok());
  EXPECT_STREQ(gov, "schedutil");
  char tiny[4];
  Status st = p->governor(tiny, sizeof tiny);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOBUFS);
}

TEST_F(Rk3588Cpufreq, TimeInStateIsInHzAndMsInTableOrder) {
  auto p = policy("policy4");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(fs_->addResidencyMs("policy4", 2400000000, 1230).ok());
  ASSERT_TRUE(fs_->addResidencyMs("policy4", 1200000000, 500).ok());
  ASSERT_TRUE(fs_->addResidencyMs("policy4", 1200000000, 70).ok());
  TimeInState tis;
  uint64_t allocations = 0;
  {
    test::AllocationScope scope;
    Status st = p->timeInState(&tis);
    allocations = scope.count();
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  EXPECT_EQ(allocations, 0u);
  ASSERT_EQ(tis.freqHz.size(), kA76Hz.size());
  ASSERT_EQ(tis.timeMs.size(), kA76Hz.size());
  for (size_t i = 0; i < kA76Hz.size(); ++i)
    EXPECT_EQ(tis.freqHz[i], kA76Hz[i]);
  EXPECT_EQ(tis.timeMs[0], 570u);   // 57 ticks of 10 ms
  EXPECT_EQ(tis.timeMs[6], 1230u);  // 123 ticks
  EXPECT_EQ(tis.timeMs[3], 0u);
}

TEST_F(Rk3588Cpufreq, MalformedCurrentFrequencyGivesInvalidReadings) {
  auto p = policy("policy0");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(fs_->setCurFreqHz("policy0", 1416000000).ok());
  ASSERT_TRUE(p->readCurHz().valid);
  const std::string path = file("policy0", "scaling_cur_freq");
  struct Case {
    std::string content;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"", "empty"},
      {"fast\n", "not a number: 'fast'"},
      {"0\n", "0 kHz is outside 1..10000000 kHz"},
      {"20000000\n", "20000000 kHz is outside 1..10000000 kHz"},
      {"-1416000\n", "outside"},
      {std::string(70000, '9'), "longer than"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(
        fs_->writeRaw("/sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq", c.content).ok());
    uint64_t allocations = 0;
    Reading r;
    {
      test::AllocationScope scope;
      r = p->readCurHz();
      allocations = scope.count();
    }
    EXPECT_EQ(allocations, 0u);
    EXPECT_FALSE(r.valid);
    EXPECT_DOUBLE_EQ(r.value, 1.416e9);
    EXPECT_TRUE(contains(p->lastError(), c.words)) << p->lastError().message();
    EXPECT_TRUE(contains(p->lastError(), path)) << p->lastError().message();
  }
  ASSERT_TRUE(fs_->writeRaw("/sys/devices/system/cpu/cpufreq/policy0/scaling_max_freq", "x").ok());
  Result<uint64_t> max = p->maxLimitHz();
  ASSERT_FALSE(max.ok());
  EXPECT_TRUE(contains(max.error(), "scaling_max_freq: not a number"));
}

TEST_F(Rk3588Cpufreq, MalformedPolicyFilesFailFindNamingTheFile) {
  struct Case {
    const char* file;
    std::string content;  // empty with remove = true: the file is deleted
    bool remove;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"related_cpus", "0-3\n", false, "related_cpus: not a list of CPU numbers"},
      {"related_cpus", "\n", false, "related_cpus: no CPUs"},
      {"related_cpus", "", true, "related_cpus: open: No such file"},
      {"cpuinfo_max_freq", "", true, "cpuinfo_max_freq: open: No such file"},
      {"cpuinfo_max_freq", "", false, "cpuinfo_max_freq: empty"},
      {"cpuinfo_max_freq", "99999999999999999999999", false, "out of range"},
      {"cpuinfo_min_freq", "2000000\n", false, "is above cpuinfo_max_freq"},
      {"scaling_available_frequencies", "1008000 abc\n", false, "not a list of frequencies"},
      {"scaling_available_frequencies", "1008000 0\n", false, "outside"},
      {"scaling_available_frequencies", std::string(8000, '1'), false, "longer than"},
      {"scaling_cur_freq", "", true, "scaling_cur_freq: open: No such file"},
  };
  for (const Case& c : cases) {
    std::string rel = std::string("/sys/devices/system/cpu/cpufreq/policy0/") + c.file;
    std::string original = test::readFile(fs_->path(rel));
    if (c.remove) {
      ASSERT_EQ(::unlink(fs_->path(rel).c_str()), 0);
    } else {
      ASSERT_TRUE(fs_->writeRaw(rel, c.content).ok());
    }
    auto p = CpufreqPolicy::find(fs_->sysRoot(), "policy0", journal_, clock_);
    ASSERT_FALSE(p.ok()) << c.file << " '" << c.content.substr(0, 20) << "'";
    EXPECT_TRUE(contains(p.error(), c.words)) << p.error().message();
    ASSERT_TRUE(fs_->writeRaw(rel, original).ok());
    ASSERT_TRUE(CpufreqPolicy::find(fs_->sysRoot(), "policy0", journal_, clock_).ok());
  }
}

TEST_F(Rk3588Cpufreq, PermissionDeniedIsAClearError) {
  std::string cur = file("policy4", "scaling_cur_freq");
  {
    test::DenyAccess deny(cur);
    if (!deny.active()) GTEST_SKIP() << "cannot make a file unreadable here";
    auto p = CpufreqPolicy::find(fs_->sysRoot(), "policy4", journal_, clock_);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.error().errnum(), EACCES);
    EXPECT_TRUE(contains(p.error(), cur)) << p.error().message();
  }
  auto p = policy("policy4");
  ASSERT_NE(p, nullptr);
  std::string max = file("policy4", "scaling_max_freq");
  test::DenyAccess deny(max);
  ASSERT_TRUE(deny.active());
  Status st = p->setMaxLimitHz(2016000000);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EACCES);
  EXPECT_TRUE(contains(st.error(), max)) << st.error().message();
  EXPECT_EQ(journal_.size(), 0u);
}

TEST_F(Rk3588Cpufreq, MalformedTimeInStateNamesTheLine) {
  auto p = policy("policy6");
  ASSERT_NE(p, nullptr);
  ASSERT_TRUE(fs_->writeRaw("/sys/devices/system/cpu/cpufreq/policy6/stats/time_in_state",
                            "1200000 5\n1416000 x\n")
                  .ok());
  TimeInState tis;
  Status st = p->timeInState(&tis);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(contains(st.error(), "time_in_state:2: not '<kHz> <time>'")) << st.error().message();
  ASSERT_TRUE(
      fs_->writeRaw("/sys/devices/system/cpu/cpufreq/policy6/stats/time_in_state", "").ok());
  st = p->timeInState(&tis);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENODATA);
}

TEST(CpufreqTable, FallsBackToTimeInStateWhenNoAvailableFrequencies) {
  test::TempDir dir;
  FakeSysfs fs(dir.path());
  ASSERT_TRUE(fs.addCpus(2).ok());
  FakePolicy p;
  p.id = 0;
  p.cpus = CpuSet::range(0, 1);
  p.freqsHz = {600000000, 816000000, 1200000000};
  p.availableFrequencies = false;
  ASSERT_TRUE(fs.addCpufreqPolicy(p).ok());
  SettingsJournal journal;
  SimClock clock;
  auto policy = CpufreqPolicy::find(fs.sysRoot(), "policy0", journal, clock);
  ASSERT_TRUE(policy.ok()) << policy.error().message();
  EXPECT_EQ(toVector(policy.value()->availableHz()), p.freqsHz);
}

TEST(CpufreqTable, NoTableAtAllIsAClearError) {
  test::TempDir dir;
  FakeSysfs fs(dir.path());
  FakePolicy p;
  p.cpus = CpuSet::range(0, 0);
  p.freqsHz = {600000000, 1200000000};
  p.availableFrequencies = false;
  p.stats = false;
  ASSERT_TRUE(fs.addCpufreqPolicy(p).ok());
  SettingsJournal journal;
  SimClock clock;
  auto policy = CpufreqPolicy::find(fs.sysRoot(), "policy0", journal, clock);
  ASSERT_FALSE(policy.ok());
  EXPECT_TRUE(contains(policy.error(), "no frequency table")) << policy.error().message();
}

TEST(CpufreqTable, WithoutStatsTimeInStateIsNotSupported) {
  test::TempDir dir;
  FakeSysfs fs(dir.path());
  FakePolicy p;
  p.cpus = CpuSet::range(0, 0);
  p.freqsHz = {600000000, 1200000000};
  p.stats = false;
  ASSERT_TRUE(fs.addCpufreqPolicy(p).ok());
  SettingsJournal journal;
  SimClock clock;
  auto policy = CpufreqPolicy::find(fs.sysRoot(), "policy0", journal, clock);
  ASSERT_TRUE(policy.ok()) << policy.error().message();
  TimeInState tis;
  Status st = policy.value()->timeInState(&tis);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOTSUP);
  EXPECT_TRUE(contains(st.error(), "CONFIG_CPU_FREQ_STAT"));
}

TEST(CpufreqTable, UnsortedTablesAreSortedAndDeduplicated) {
  FreqTable t;
  TimeInState tis;
  ASSERT_TRUE(
      parseFreqList("1800000 408000 1800000 1008000 \n", "x", 1000, 1000, 10000000000ull, &t).ok());
  EXPECT_EQ(toVector(t), (std::vector<uint64_t>{408000000, 1008000000, 1800000000}));
  std::string many;
  for (int i = 1; i <= 33; ++i)
    many += std::to_string(i * 1000) + " ";
  Status st = parseFreqList(many.c_str(), "x", 1000, 1000, 10000000000ull, &t);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), E2BIG);
}

TEST(JetsonCpufreq, TwoPoliciesWithTheOrinOppTable) {
  test::TempDir dir;
  auto fs = FakeSysfs::jetsonOrinNano(dir.path());
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  SettingsJournal journal;
  SimClock clock;
  auto names = CpufreqPolicy::list(fs.value()->sysRoot());
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(names.value(), (std::vector<std::string>{"policy0", "policy4"}));
  auto big = CpufreqPolicy::findByCpu(fs.value()->sysRoot(), 5, journal, clock);
  ASSERT_TRUE(big.ok()) << big.error().message();
  EXPECT_STREQ(big.value()->name(), "policy4");
  EXPECT_EQ(big.value()->cpus(), CpuSet::range(4, 5));
  // board-data.json, boards.tegra234_orin_nano.cpu_clusters[1].freqs_hz: 29 OPPs.
  EXPECT_EQ(big.value()->availableHz().size(), 29u);
  EXPECT_EQ(big.value()->hwMinHz(), 115200000u);
  EXPECT_EQ(big.value()->hwMaxHz(), 2201600000u);
  EXPECT_EQ(big.value()->maxLimitHz().value(), 1728000000u);  // MAXN_SUPER cap
  auto little = CpufreqPolicy::findByCpu(fs.value()->sysRoot(), 2, journal, clock);
  ASSERT_TRUE(little.ok());
  EXPECT_EQ(little.value()->cpus(), CpuSet::range(0, 3));
  EXPECT_FALSE(CpufreqPolicy::findByCpu(fs.value()->sysRoot(), 6, journal, clock).ok());
}

}  // namespace
}  // namespace qeil
