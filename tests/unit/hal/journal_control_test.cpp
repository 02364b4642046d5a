// Journal additions made for cgroups: undo values that differ from the read-back, removing a
// created directory early, the rmdir observer, and one pid moved in several hierarchies.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <string>
#include <vector>

#include "hal/linux/journal.h"
#include "hal/linux/sysfs_file.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

class JournalControlTest : public ::testing::Test {
 protected:
  std::string state() const { return dir_.file("journal.state"); }
  test::TempDir dir_;
};

TEST_F(JournalControlTest, WriteWithUndoRestoresTheGivenUndoValue) {
  dir_.write("cg/cgroup.subtree_control", "memory\n");
  SettingsJournal j(state());
  ASSERT_TRUE(j.writeWithUndo(dir_.file("cg/cgroup.subtree_control"), "+cpuset", "-cpuset").ok());
  EXPECT_EQ(dir_.read("cg/cgroup.subtree_control"), "+cpuset");
  ASSERT_TRUE(j.restoreAll().ok());
  EXPECT_EQ(dir_.read("cg/cgroup.subtree_control"), "-cpuset");
}

TEST_F(JournalControlTest, WriteWithUndoSurvivesACrash) {
  dir_.write("cg/cgroup.subtree_control", "");
  {
    SettingsJournal crashed(state());
    ASSERT_TRUE(crashed.writeWithUndo(dir_.file("cg/cgroup.subtree_control"), "+cpu", "-cpu").ok());
  }
  SettingsJournal next(state());
  ASSERT_TRUE(next.recover().ok());
  EXPECT_EQ(dir_.read("cg/cgroup.subtree_control"), "-cpu");
}

TEST_F(JournalControlTest, RemoveDirRemovesOnlyDirectoriesItCreated) {
  dir_.mkdirs("theirs");
  SettingsJournal j(state());
  ASSERT_TRUE(j.makeDir(dir_.file("ours")).ok());
  ASSERT_TRUE(j.removeDir(dir_.file("ours")).ok());
  EXPECT_FALSE(pathExists(dir_.file("ours")));
  Status st = j.removeDir(dir_.file("theirs"));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EPERM);
  EXPECT_NE(std::string(st.error().message()).find("theirs"), std::string::npos);
  EXPECT_TRUE(pathExists(dir_.file("theirs")));
  EXPECT_TRUE(j.restoreAll().ok());  // the early removal leaves nothing for restore to fail on
}

TEST_F(JournalControlTest, RmdirObserverRunsBeforeEveryRemoval) {
  SettingsJournal j(state());
  std::vector<std::string> seen;
  j.setRmdirObserver([&](const std::string& path) {
    seen.push_back(path);
    ::remove((path + "/cpu.weight").c_str());  // what the kernel does for a cgroup
  });
  ASSERT_TRUE(j.makeDir(dir_.file("a")).ok());
  ASSERT_TRUE(j.makeDir(dir_.file("b")).ok());
  dir_.write("a/cpu.weight", "100");
  dir_.write("b/cpu.weight", "100");
  ASSERT_TRUE(j.removeDir(dir_.file("a")).ok());
  ASSERT_TRUE(j.restoreAll().ok());
  EXPECT_FALSE(pathExists(dir_.file("b")));
  ASSERT_EQ(seen.size(), 3u);  // removeDir(a), then restore: b, a (already gone)
  EXPECT_EQ(seen[0], dir_.file("a"));
  EXPECT_EQ(seen[1], dir_.file("b"));
}

TEST_F(JournalControlTest, PidMovedInTwoHierarchiesGoesBackInBoth) {
  dir_.write("cpuset/cgroup.procs", "");
  dir_.write("cpu/cgroup.procs", "");
  dir_.write("cpuset/q/cgroup.procs", "");
  dir_.write("cpu/q/cgroup.procs", "");
  SettingsJournal j(state());
  ASSERT_TRUE(
      j.movePid(dir_.file("cpuset/q/cgroup.procs"), 77, dir_.file("cpuset/cgroup.procs")).ok());
  ASSERT_TRUE(j.movePid(dir_.file("cpu/q/cgroup.procs"), 77, dir_.file("cpu/cgroup.procs")).ok());
  // A second move in the same hierarchy keeps the first origin.
  ASSERT_TRUE(
      j.movePid(dir_.file("cpuset/q/cgroup.procs"), 77, dir_.file("cpuset/cgroup.procs")).ok());
  EXPECT_EQ(j.size(), 2u);
  ASSERT_TRUE(j.restoreAll().ok());
  EXPECT_EQ(dir_.read("cpuset/cgroup.procs"), "77");
  EXPECT_EQ(dir_.read("cpu/cgroup.procs"), "77");
}

}  // namespace
}  // namespace qeil
