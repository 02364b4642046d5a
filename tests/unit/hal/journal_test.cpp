// The settings journal: every change recorded before it is made, undone on exit and after a crash.
#include "hal/linux/journal.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>

#include "hal/linux/sysfs_file.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

class JournalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("policy0/scaling_max_freq", "1800000\n");
    dir_.write("policy4/scaling_governor", "schedutil\n");
  }
  std::string state() const { return dir_.file("journal.state"); }
  test::TempDir dir_;
};

TEST_F(JournalTest, RestoreAllPutsOriginalValuesBack) {
  SettingsJournal j(state());
  ASSERT_TRUE(j.write(dir_.file("policy0/scaling_max_freq"), "1008000").ok());
  ASSERT_TRUE(j.write(dir_.file("policy0/scaling_max_freq"), "1416000").ok());
  ASSERT_TRUE(j.write(dir_.file("policy4/scaling_governor"), "performance").ok());
  EXPECT_EQ(dir_.read("policy0/scaling_max_freq"), "1416000");
  EXPECT_EQ(j.size(), 2u);  // the second write to the same file keeps the first original
  ASSERT_TRUE(j.restoreAll().ok());
  EXPECT_EQ(dir_.read("policy0/scaling_max_freq"), "1800000");
  EXPECT_EQ(dir_.read("policy4/scaling_governor"), "schedutil");
  EXPECT_EQ(j.size(), 0u);
  EXPECT_EQ(dir_.read("journal.state"), "");
}

TEST_F(JournalTest, RecoverAfterACrashRestoresFromTheStateFile) {
  {
    SettingsJournal crashed(state());
    dir_.mkdirs("cgroup");
    ASSERT_TRUE(crashed.write(dir_.file("policy0/scaling_max_freq"), "1008000").ok());
    ASSERT_TRUE(crashed.makeDir(dir_.file("cgroup/qeil")).ok());
    ASSERT_TRUE(crashed.write(dir_.file("policy4/scaling_governor"), "powersave").ok());
    // No restoreAll: the process died here.
  }
  SettingsJournal next(state());
  ASSERT_TRUE(next.recover().ok());
  EXPECT_EQ(dir_.read("policy0/scaling_max_freq"), "1800000");
  EXPECT_EQ(dir_.read("policy4/scaling_governor"), "schedutil");
  EXPECT_FALSE(pathExists(dir_.file("cgroup/qeil")));
  EXPECT_EQ(dir_.read("journal.state"), "");
  EXPECT_TRUE(next.recover().ok());  // nothing left: a second recover is a no-op
}

TEST_F(JournalTest, ValuesWithSpacesAndColonsSurviveTheStateFile) {
  dir_.write("grp/cpu.max", "max 100000\n");
  {
    SettingsJournal crashed(state());
    ASSERT_TRUE(crashed.write(dir_.file("grp/cpu.max"), "50000 100000").ok());
  }
  SettingsJournal next(state());
  ASSERT_TRUE(next.recover().ok());
  EXPECT_EQ(dir_.read("grp/cpu.max"), "max 100000");
}

TEST_F(JournalTest, FilesInsideACreatedDirectoryAreUndoneByRemovingIt) {
  SettingsJournal j(state());
  ASSERT_TRUE(j.makeDir(dir_.file("cg")).ok());
  dir_.write("cg/cpuset.cpus", "");  // the kernel creates the files of a new group
  ASSERT_TRUE(j.write(dir_.file("cg/cpuset.cpus"), "4-7").ok());
  EXPECT_EQ(j.size(), 1u);
  ::remove(dir_.file("cg/cpuset.cpus").c_str());  // cgroupfs files vanish with the group
  ASSERT_TRUE(j.restoreAll().ok());
  EXPECT_FALSE(pathExists(dir_.file("cg")));
}

TEST_F(JournalTest, AFileGoneWithItsDeviceIsNothingToRestore) {
  dir_.write("dev/max_freq", "1000000");
  dir_.write("other/max_freq", "2000000");
  SettingsJournal j(state());
  ASSERT_TRUE(j.write(dir_.file("dev/max_freq"), "300000").ok());
  ASSERT_TRUE(j.write(dir_.file("other/max_freq"), "400000").ok());
  ::remove(dir_.file("dev/max_freq").c_str());  // the device disappeared
  ASSERT_TRUE(j.restoreAll().ok());
  EXPECT_EQ(dir_.read("other/max_freq"), "2000000");
  EXPECT_FALSE(pathExists(dir_.file("dev/max_freq")));  // not created by the restore
}

TEST_F(JournalTest, MkdirObserverSeesEachCreatedDirectory) {
  SettingsJournal j(state());
  std::string seen;
  j.setMkdirObserver([&](const std::string& path) { seen = path; });
  ASSERT_TRUE(j.makeDir(dir_.file("grp")).ok());
  EXPECT_EQ(seen, dir_.file("grp"));
  seen.clear();
  ASSERT_TRUE(j.makeDir(dir_.file("grp")).ok());  // already there: not created, not observed
  EXPECT_EQ(seen, "");
}

TEST_F(JournalTest, MovedPidGoesBackToItsOriginalGroup) {
  dir_.write("root/cgroup.procs", "");
  dir_.write("qeil/w1/cgroup.procs", "");
  SettingsJournal j(state());
  ASSERT_TRUE(
      j.movePid(dir_.file("qeil/w1/cgroup.procs"), 4242, dir_.file("root/cgroup.procs")).ok());
  EXPECT_EQ(dir_.read("qeil/w1/cgroup.procs"), "4242");
  ASSERT_TRUE(j.restoreAll().ok());
  EXPECT_EQ(dir_.read("root/cgroup.procs"), "4242");
}

TEST_F(JournalTest, AWriteThatFailsLeavesNoChangeAndAnError) {
  SettingsJournal j(state());
  Status st = j.write(dir_.file("policy9/scaling_max_freq"), "1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.error().message()).find("policy9/scaling_max_freq"), std::string::npos);
  EXPECT_EQ(j.size(), 0u);
}

TEST_F(JournalTest, MalformedStateFileLinesAreReportedWithTheirNumberAndTheRestRestored) {
  dir_.write("policy0/scaling_max_freq", "1008000");
  std::string good = "W " + std::to_string(dir_.file("policy0/scaling_max_freq").size()) + ":" +
                     dir_.file("policy0/scaling_max_freq") + " 7:1800000\n";
  dir_.write("journal.state", "garbage line\n" + good + "W 999:short 1:x\n");
  SettingsJournal j(state());
  Status st = j.recover();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.error().message()).find("journal.state:1"), std::string::npos)
      << st.error().message();
  EXPECT_EQ(dir_.read("policy0/scaling_max_freq"), "1800000");
}

TEST_F(JournalTest, UnwritableStateFileRefusesTheChange) {
  SettingsJournal j(dir_.file("no/such/dir/journal.state"));
  Status st = j.write(dir_.file("policy0/scaling_max_freq"), "1008000");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(dir_.read("policy0/scaling_max_freq"), "1800000\n");  // never changed unjournaled
}

}  // namespace
}  // namespace qeil
