// CPU placement with cgroups on fake v2 and v1 trees: detection, every operation, validation,
// malformed kernel files, and restore putting the tree back as it was.
#include "hal/linux/cgroup.h"

#include <ftw.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "hal/linux/journal.h"
#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"
#include "hal/sim/fake_cgroup_tree.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

constexpr const char* kParent = "qeil";
constexpr const char* kCg = "sys/fs/cgroup";

std::string trimmed(std::string s) {
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

// Every directory, symlink and file (with its contents) under a root, to compare trees.
std::map<std::string, std::string>* gSnapshot = nullptr;
int addToSnapshot(const char* path, const struct stat* st, int type, struct FTW*) {
  if (type == FTW_SL) {
    (*gSnapshot)[path] = "<symlink>";
  } else if (S_ISDIR(st->st_mode)) {
    (*gSnapshot)[path] = "<dir>";
  } else {
    (*gSnapshot)[path] = trimmed(test::readFile(path));
  }
  return 0;
}
std::map<std::string, std::string> snapshot(const std::string& root) {
  std::map<std::string, std::string> out;
  gSnapshot = &out;
  nftw(root.c_str(), addToSnapshot, 16, FTW_PHYS);
  gSnapshot = nullptr;
  return out;
}

std::string message(const Status& st) {
  return st.ok() ? "(ok)" : st.error().message();
}

class CgroupTest : public ::testing::Test {
 protected:
  // Lays out the tree; the journal keeps a state file so tests can see what restore will do.
  void makeTree(const FakeCgroupOptions& options) {
    auto tree = FakeCgroupTree::create(root_, options);
    ASSERT_TRUE(tree.ok()) << tree.error().message();
    tree_ = std::move(tree.value());
    tree_->attach(journal_);
  }
  void makePlacement() {
    auto p = createCpuPlacement(root_, journal_, kParent);
    ASSERT_TRUE(p.ok()) << p.error().message();
    placement_ = std::move(p.value());
  }
  std::string cg(const std::string& rel) const { return dir_.file(std::string(kCg) + "/" + rel); }
  std::string readCg(const std::string& rel) const { return trimmed(test::readFile(cg(rel))); }
  int stateLines(char kind) const {
    std::ifstream in(dir_.file("journal.state"));
    int n = 0;
    for (std::string line; std::getline(in, line);)
      n += !line.empty() && line[0] == kind;
    return n;
  }

  test::TempDir dir_;
  SysRoot root_{dir_.path()};
  SettingsJournal journal_{dir_.file("journal.state")};
  std::unique_ptr<FakeCgroupTree> tree_;
  std::unique_ptr<CpuPlacement> placement_;
};

FakeCgroupOptions v2Options() {
  return FakeCgroupOptions{};
}
FakeCgroupOptions v1Options() {
  FakeCgroupOptions o;
  o.version = CgroupVersion::V1;
  return o;
}

// ---- detection ----

TEST_F(CgroupTest, ChoosesV2WhenItsControllersListCpuset) {
  makeTree(v2Options());
  makePlacement();
  EXPECT_STREQ(placement_->backendName(), "cgroup2");
  EXPECT_TRUE(pathExists(cg("qeil/cpuset.cpus.effective")));  // the fake kernel filled it
  EXPECT_EQ(readCg("qeil/cgroup.subtree_control"), "+cpuset +cpu");
  EXPECT_EQ(readCg("cgroup.subtree_control"), "cpuset cpu io memory pids");  // already enabled
}

TEST_F(CgroupTest, ChoosesV1WhenOnlyV1HasCpusetEvenWithAHybridCgroup2Mount) {
  makeTree(v1Options());
  // As on this machine: cgroup2 mounted at .../unified with only hugetlb.
  dir_.write(std::string(kCg) + "/unified/cgroup.controllers", "hugetlb\n");
  makePlacement();
  EXPECT_STREQ(placement_->backendName(), "cgroup1");
  EXPECT_EQ(readCg("cpuset/qeil/cpuset.cpus"), "0-7");  // copied from the root
  EXPECT_EQ(readCg("cpuset/qeil/cpuset.mems"), "0");
  EXPECT_TRUE(pathExists(cg("cpu,cpuacct/qeil/cpu.shares")));
}

TEST_F(CgroupTest, V2WithoutCpusetFallsBackToV1) {
  makeTree(v1Options());
  dir_.write(std::string(kCg) + "/cgroup.controllers", "cpu io memory pids\n");
  makePlacement();
  EXPECT_STREQ(placement_->backendName(), "cgroup1");
}

TEST_F(CgroupTest, NoCpusetAnywhereNamesWhatWasLookedFor) {
  auto p = createCpuPlacement(root_, journal_, kParent);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().errnum(), ENOENT);
  std::string msg = p.error().message();
  EXPECT_NE(msg.find(cg("cgroup.controllers")), std::string::npos) << msg;
  EXPECT_NE(msg.find(cg("cpuset/cpuset.cpus")), std::string::npos) << msg;

  FakeCgroupOptions o = v2Options();
  o.cpusetController = false;
  makeTree(o);
  p = createCpuPlacement(root_, journal_, kParent);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(std::string(p.error().message()).find("no cpuset in 'cpu io memory pids'"),
            std::string::npos)
      << p.error().message();
  EXPECT_EQ(journal_.size(), 0u);  // nothing was changed
}

TEST_F(CgroupTest, GarbageInCgroupControllersIsAnErrorNotAGuess) {
  makeTree(v2Options());
  dir_.write(std::string(kCg) + "/cgroup.controllers", "cpuset\x01\x7f;rm -rf\n");
  auto p = createCpuPlacement(root_, journal_, kParent);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().errnum(), EINVAL);
  std::string msg = p.error().message();
  EXPECT_NE(msg.find(cg("cgroup.controllers")), std::string::npos) << msg;
  EXPECT_NE(msg.find("malformed"), std::string::npos) << msg;
  EXPECT_FALSE(pathExists(cg("qeil")));
}

TEST_F(CgroupTest, BadParentNameIsRejectedBeforeAnyChange) {
  makeTree(v2Options());
  for (const char* bad : {"", "..", "a/b", ".x", "a b"}) {
    auto p = createCpuPlacement(root_, journal_, bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.error().errnum(), EINVAL) << bad;
  }
  EXPECT_EQ(journal_.size(), 0u);
}

// ---- cgroup v2 ----

TEST_F(CgroupTest, V2GroupLifecycleWritesTheKernelFiles) {
  makeTree(v2Options());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  // Before setCpus the group runs where its parent does.
  auto cpus = placement_->cpus("w1");
  ASSERT_TRUE(cpus.ok()) << cpus.error().message();
  EXPECT_EQ(cpus.value(), CpuSet::range(0, 7));

  CpuSet big = CpuSet::range(4, 7);
  big.add(1);
  ASSERT_TRUE(placement_->setCpus("w1", big).ok());
  EXPECT_EQ(readCg("qeil/w1/cpuset.cpus"), "1,4-7");
  cpus = placement_->cpus("w1");
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(cpus.value(), big);

  ASSERT_TRUE(placement_->setCpuWeight("w1", 250).ok());
  EXPECT_EQ(readCg("qeil/w1/cpu.weight"), "250");
  ASSERT_TRUE(placement_->setCpuMax("w1", 50000, 100000).ok());
  EXPECT_EQ(readCg("qeil/w1/cpu.max"), "50000 100000");
  ASSERT_TRUE(placement_->setCpuMax("w1", -1, 20000).ok());
  EXPECT_EQ(readCg("qeil/w1/cpu.max"), "max 20000");

  ASSERT_TRUE(tree_->addProcess(4242).ok());
  Status st = placement_->movePid("w1", 4242);
  ASSERT_TRUE(st.ok()) << message(st);
  EXPECT_EQ(readCg("qeil/w1/cgroup.procs"), "4242");
}

TEST_F(CgroupTest, V2RestoreAllPutsTheWholeTreeBack) {
  makeTree(v2Options());
  ASSERT_TRUE(tree_->addProcess(4242).ok());
  auto before = snapshot(dir_.file("sys"));
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  ASSERT_TRUE(placement_->createGroup("w2").ok());
  ASSERT_TRUE(placement_->setCpus("w1", CpuSet::range(0, 3)).ok());
  ASSERT_TRUE(placement_->setCpuWeight("w1", 50).ok());
  ASSERT_TRUE(placement_->setCpuMax("w2", 10000, 100000).ok());
  ASSERT_TRUE(placement_->movePid("w1", 4242).ok());
  ASSERT_NE(snapshot(dir_.file("sys")), before);

  Status st = journal_.restoreAll();
  ASSERT_TRUE(st.ok()) << message(st);
  EXPECT_EQ(snapshot(dir_.file("sys")), before);  // pid back in the root, groups gone
  EXPECT_EQ(journal_.size(), 0u);
}

TEST_F(CgroupTest, V2EnablesControllersAtTheRootWhenMissingAndRestoreDisablesThem) {
  FakeCgroupOptions o = v2Options();
  o.v2EnabledAtRoot = false;
  makeTree(o);
  makePlacement();
  EXPECT_EQ(readCg("cgroup.subtree_control"), "+cpuset +cpu");
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  EXPECT_TRUE(pathExists(cg("qeil/w1/cpuset.cpus")));
  ASSERT_TRUE(journal_.restoreAll().ok());
  // The kernel's syntax to disable (the plain file keeps what was written).
  EXPECT_EQ(readCg("cgroup.subtree_control"), "-cpuset -cpu");
  EXPECT_FALSE(pathExists(cg("qeil")));
}

TEST_F(CgroupTest, V2WithoutCpuControllerPlacesButRefusesWeightAndCap) {
  FakeCgroupOptions o = v2Options();
  o.cpuController = false;
  makeTree(o);
  makePlacement();
  EXPECT_EQ(readCg("qeil/cgroup.subtree_control"), "+cpuset");
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  EXPECT_TRUE(placement_->setCpus("w1", CpuSet::range(2, 2)).ok());
  Status st = placement_->setCpuWeight("w1", 100);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOTSUP);
  EXPECT_NE(std::string(message(st)).find("no cpu controller"), std::string::npos) << message(st);
  st = placement_->setCpuMax("w1", 10000, 100000);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOTSUP);
  EXPECT_FALSE(pathExists(cg("qeil/w1/cpu.weight")));
}

TEST_F(CgroupTest, CpusOutsideTheParentsCpusetAreRejected) {
  FakeCgroupOptions o = v2Options();
  o.cpus = CpuSet::range(0, 3);
  makeTree(o);
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  CpuSet cpus = CpuSet::range(2, 5);
  Status st = placement_->setCpus("w1", cpus);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EINVAL);
  std::string msg = message(st);
  EXPECT_NE(msg.find("CPU 4 is not in the parent's cpuset '0-3'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("w1"), std::string::npos) << msg;
  EXPECT_EQ(readCg("qeil/w1/cpuset.cpus"), "");  // unchanged

  st = placement_->setCpus("w1", CpuSet());
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(message(st)).find("empty CPU set"), std::string::npos) << message(st);
}

TEST_F(CgroupTest, WeightAndCapOutOfRangeAreRejected) {
  makeTree(v2Options());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  for (int w : {0, -5, 10001}) {
    Status st = placement_->setCpuWeight("w1", w);
    ASSERT_FALSE(st.ok()) << w;
    EXPECT_EQ(st.error().errnum(), EINVAL);
    EXPECT_NE(std::string(message(st)).find(std::to_string(w)), std::string::npos);
  }
  EXPECT_EQ(readCg("qeil/w1/cpu.weight"), "100");
  EXPECT_TRUE(placement_->setCpuWeight("w1", 1).ok());
  EXPECT_TRUE(placement_->setCpuWeight("w1", 10000).ok());

  EXPECT_FALSE(placement_->setCpuMax("w1", 50000, 999).ok());      // period too short
  EXPECT_FALSE(placement_->setCpuMax("w1", 50000, 1000001).ok());  // period too long
  EXPECT_FALSE(placement_->setCpuMax("w1", 999, 100000).ok());     // quota below 1 ms
  EXPECT_EQ(readCg("qeil/w1/cpu.max"), "max 100000");
  EXPECT_TRUE(placement_->setCpuMax("w1", 200000, 100000).ok());  // two CPUs' worth is fine
}

TEST_F(CgroupTest, BadGroupNamesAreRejectedAndCreateNothing) {
  makeTree(v2Options());
  makePlacement();
  auto before = snapshot(dir_.file("sys"));
  std::string tooLong(kMaxCgroupNameBytes + 1, 'a');
  for (const char* bad :
       {"", "..", ".", "../../etc", "a/b", ".hidden", "a b", "cpu*", tooLong.c_str()}) {
    Status st = placement_->createGroup(bad);
    ASSERT_FALSE(st.ok()) << bad;
    EXPECT_EQ(st.error().errnum(), EINVAL) << bad;
    EXPECT_FALSE(placement_->setCpus(bad, CpuSet::range(0, 0)).ok()) << bad;
    EXPECT_FALSE(placement_->movePid(bad, 1).ok()) << bad;
  }
  EXPECT_FALSE(placement_->createGroup(nullptr).ok());
  EXPECT_EQ(snapshot(dir_.file("sys")), before);

  std::string longest(kMaxCgroupNameBytes, 'b');
  EXPECT_TRUE(placement_->createGroup(longest.c_str()).ok());
  EXPECT_TRUE(placement_->createGroup("llm-7b_q4.0").ok());
  for (const auto& [path, content] : snapshot(dir_.file("sys"))) {
    if (before.count(path)) continue;
    EXPECT_TRUE(path.rfind(cg("qeil/" + longest), 0) == 0 ||
                path.rfind(cg("qeil/llm-7b_q4.0"), 0) == 0)
        << path;
  }
}

TEST_F(CgroupTest, OperationsOnAMissingGroupSayCreateGroupFirst) {
  makeTree(v2Options());
  makePlacement();
  ASSERT_TRUE(tree_->addProcess(77).ok());
  Status st = placement_->setCpus("nope", CpuSet::range(0, 0));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOENT);
  EXPECT_NE(std::string(message(st)).find("createGroup first"), std::string::npos);
  EXPECT_FALSE(placement_->movePid("nope", 77).ok());
  EXPECT_FALSE(placement_->cpus("nope").ok());
  EXPECT_FALSE(placement_->removeGroup("nope").ok());
}

TEST_F(CgroupTest, RemoveGroupRefusesWhileTasksRemainAndMovesNothing) {
  makeTree(v2Options());
  makePlacement();
  ASSERT_TRUE(tree_->addProcess(4242).ok());
  ASSERT_TRUE(placement_->createGroup("busy").ok());
  ASSERT_TRUE(placement_->createGroup("idle").ok());
  ASSERT_TRUE(placement_->movePid("busy", 4242).ok());

  Status st = placement_->removeGroup("busy");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EBUSY);
  EXPECT_NE(std::string(message(st)).find("still has tasks (pid 4242"), std::string::npos)
      << message(st);
  EXPECT_TRUE(pathExists(cg("qeil/busy/cgroup.procs")));
  EXPECT_EQ(readCg("cgroup.procs"), "4242");  // the original was not written: nothing moved

  ASSERT_TRUE(placement_->removeGroup("idle").ok());
  EXPECT_FALSE(pathExists(cg("qeil/idle")));
  ASSERT_TRUE(journal_.restoreAll().ok());
  EXPECT_FALSE(pathExists(cg("qeil")));
}

TEST_F(CgroupTest, RemoveGroupWithManyTasksNamesTheFirst) {
  makeTree(v2Options());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("crowd").ok());
  std::string pids;
  for (int pid = 1000; pid < 1200; ++pid)
    pids += std::to_string(pid) + "\n";
  dir_.write(std::string(kCg) + "/qeil/crowd/cgroup.procs", pids);  // longer than one read
  Status st = placement_->removeGroup("crowd");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EBUSY);
  EXPECT_NE(std::string(message(st)).find("(pid 1000 in"), std::string::npos) << message(st);
}

TEST_F(CgroupTest, RemoveGroupRefusesGroupsQeilDidNotCreate) {
  makeTree(v2Options());
  makePlacement();
  dir_.mkdirs(std::string(kCg) + "/qeil/foreign");  // made by someone else: not journaled
  ASSERT_TRUE(tree_->populate(cg("qeil/foreign")).ok());
  Status st = placement_->removeGroup("foreign");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EPERM);
  EXPECT_TRUE(pathExists(cg("qeil/foreign")));
}

TEST_F(CgroupTest, APidMovedTwiceGoesBackToWhereItStarted) {
  makeTree(v2Options());
  dir_.mkdirs(std::string(kCg) + "/system.slice");
  ASSERT_TRUE(tree_->populate(cg("system.slice")).ok());
  ASSERT_TRUE(tree_->addProcess(900, "/system.slice").ok());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("a").ok());
  ASSERT_TRUE(placement_->createGroup("b").ok());
  ASSERT_TRUE(placement_->movePid("a", 900).ok());
  ASSERT_TRUE(placement_->movePid("b", 900).ok());
  EXPECT_EQ(stateLines('P'), 1);  // only the origin is recorded, not the intermediate group
  ASSERT_TRUE(journal_.restoreAll().ok());
  EXPECT_EQ(readCg("system.slice/cgroup.procs"), "900");
}

TEST_F(CgroupTest, MissingOrMalformedProcCgroupGivesAClearError) {
  makeTree(v2Options());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  Status st = placement_->movePid("w1", 31337);  // no such process in the fake /proc
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOENT);
  std::string msg = message(st);
  EXPECT_NE(msg.find(dir_.file("proc/31337/cgroup")), std::string::npos) << msg;
  EXPECT_NE(msg.find("pid 31337"), std::string::npos) << msg;

  dir_.write("proc/55/cgroup", "garbage without colons\n");
  st = placement_->movePid("w1", 55);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), EINVAL);
  EXPECT_NE(std::string(message(st)).find("proc/55/cgroup:1: malformed line"), std::string::npos)
      << message(st);

  dir_.write("proc/56/cgroup", "0::/../../outside\n");
  st = placement_->movePid("w1", 56);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(message(st)).find("outside our cgroup namespace"), std::string::npos);

  EXPECT_FALSE(placement_->movePid("w1", 0).ok());
  EXPECT_FALSE(placement_->movePid("w1", -1).ok());
  EXPECT_EQ(readCg("qeil/w1/cgroup.procs"), "");  // nothing was moved
  EXPECT_EQ(stateLines('P'), 0);
}

TEST_F(CgroupTest, GarbageInTheParentsCpusetNamesTheFile) {
  makeTree(v2Options());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  dir_.write(std::string(kCg) + "/qeil/cpuset.cpus.effective", "zero-seven\n");
  Status st = placement_->setCpus("w1", CpuSet::range(0, 0));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(message(st)).find(cg("qeil/cpuset.cpus.effective")), std::string::npos)
      << message(st);
}

// ---- cgroup v1 ----

TEST_F(CgroupTest, V1NewGroupGetsMemsAndCpusBeforeAnyTask) {
  makeTree(v1Options());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  EXPECT_EQ(readCg("cpuset/qeil/w1/cpuset.mems"), "0");
  EXPECT_EQ(readCg("cpuset/qeil/w1/cpuset.cpus"), "0-7");
  EXPECT_EQ(readCg("cpu,cpuacct/qeil/w1/cpu.shares"), "1024");
}

TEST_F(CgroupTest, V1GroupLifecycleMapsWeightAndCapToTheV1Files) {
  FakeCgroupOptions o = v1Options();
  o.mems = "0-1";
  makeTree(o);
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  EXPECT_EQ(readCg("cpuset/qeil/w1/cpuset.mems"), "0-1");
  ASSERT_TRUE(placement_->setCpus("w1", CpuSet::range(6, 7)).ok());
  EXPECT_EQ(readCg("cpuset/qeil/w1/cpuset.cpus"), "6-7");
  auto cpus = placement_->cpus("w1");
  ASSERT_TRUE(cpus.ok());
  EXPECT_EQ(cpus.value(), CpuSet::range(6, 7));

  const std::pair<int, const char*> weights[] = {
      {100, "1024"}, {250, "2560"}, {1, "10"}, {10000, "102400"}};
  for (const auto& [weight, shares] : weights) {
    ASSERT_TRUE(placement_->setCpuWeight("w1", weight).ok());
    EXPECT_EQ(readCg("cpu,cpuacct/qeil/w1/cpu.shares"), shares) << weight;
  }
  ASSERT_TRUE(placement_->setCpuMax("w1", 25000, 50000).ok());
  EXPECT_EQ(readCg("cpu,cpuacct/qeil/w1/cpu.cfs_period_us"), "50000");
  EXPECT_EQ(readCg("cpu,cpuacct/qeil/w1/cpu.cfs_quota_us"), "25000");
  ASSERT_TRUE(placement_->setCpuMax("w1", -1, 100000).ok());
  EXPECT_EQ(readCg("cpu,cpuacct/qeil/w1/cpu.cfs_quota_us"), "-1");

  Status st = placement_->setCpus("w1", CpuSet::range(7, 8));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(message(st)).find("CPU 8 is not in the parent's cpuset '0-7'"),
            std::string::npos)
      << message(st);
}

TEST_F(CgroupTest, V1MovePidMovesInBothHierarchiesAndRestoreBringsItBack) {
  makeTree(v1Options());
  ASSERT_TRUE(tree_->addProcess(4242).ok());
  auto before = snapshot(dir_.file("sys"));
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  ASSERT_TRUE(placement_->setCpus("w1", CpuSet::range(3, 3)).ok());
  ASSERT_TRUE(placement_->setCpuWeight("w1", 400).ok());
  Status st = placement_->movePid("w1", 4242);
  ASSERT_TRUE(st.ok()) << message(st);
  EXPECT_EQ(readCg("cpuset/qeil/w1/cgroup.procs"), "4242");
  EXPECT_EQ(readCg("cpu,cpuacct/qeil/w1/cgroup.procs"), "4242");
  EXPECT_EQ(stateLines('P'), 2);  // one origin per hierarchy

  st = journal_.restoreAll();
  ASSERT_TRUE(st.ok()) << message(st);
  EXPECT_EQ(snapshot(dir_.file("sys")), before);
}

TEST_F(CgroupTest, V1WithCpuAloneAndWithoutCpuHierarchy) {
  FakeCgroupOptions o = v1Options();
  o.v1CpuWithCpuacct = false;
  makeTree(o);
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  ASSERT_TRUE(placement_->setCpuWeight("w1", 200).ok());
  EXPECT_EQ(readCg("cpu/qeil/w1/cpu.shares"), "2048");
}

TEST_F(CgroupTest, V1WithoutCpuHierarchyPlacesButAnswersEnotsupForWeightAndCap) {
  FakeCgroupOptions o = v1Options();
  o.cpuController = false;
  makeTree(o);
  ASSERT_TRUE(tree_->addProcess(12).ok());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  ASSERT_TRUE(placement_->setCpus("w1", CpuSet::range(0, 1)).ok());
  ASSERT_TRUE(placement_->movePid("w1", 12).ok());
  Status st = placement_->setCpuWeight("w1", 100);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOTSUP);
  EXPECT_NE(std::string(message(st)).find("no cgroup v1 cpu hierarchy"), std::string::npos)
      << message(st);
  EXPECT_EQ(placement_->setCpuMax("w1", 5000, 10000).error().errnum(), ENOTSUP);
  ASSERT_TRUE(journal_.restoreAll().ok());
  EXPECT_FALSE(pathExists(cg("cpuset/qeil")));
}

TEST_F(CgroupTest, V1ProcCgroupWithoutACpusetLineIsAnError) {
  makeTree(v1Options());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w1").ok());
  dir_.write("proc/99/cgroup", "2:cpu,cpuacct:/\n1:name=systemd:/\n0::/\n");
  Status st = placement_->movePid("w1", 99);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().errnum(), ENOENT);
  EXPECT_NE(std::string(message(st)).find("no line for the cpuset hierarchy"), std::string::npos)
      << message(st);
}

TEST_F(CgroupTest, V1RemoveGroupRemovesBothHierarchiesOrNeither) {
  makeTree(v1Options());
  ASSERT_TRUE(tree_->addProcess(5).ok());
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("a").ok());
  ASSERT_TRUE(placement_->createGroup("b").ok());
  ASSERT_TRUE(placement_->movePid("a", 5).ok());
  EXPECT_EQ(placement_->removeGroup("a").error().errnum(), EBUSY);
  EXPECT_TRUE(pathExists(cg("cpuset/qeil/a")));
  EXPECT_TRUE(pathExists(cg("cpu,cpuacct/qeil/a")));
  ASSERT_TRUE(placement_->removeGroup("b").ok());
  EXPECT_FALSE(pathExists(cg("cpuset/qeil/b")));
  EXPECT_FALSE(pathExists(cg("cpu,cpuacct/qeil/b")));
}

TEST_F(CgroupTest, V1ParentThatAlreadyExistsKeepsItsCpusetAndIsNotRemoved) {
  makeTree(v1Options());
  dir_.mkdirs(std::string(kCg) + "/cpuset/qeil");
  ASSERT_TRUE(tree_->populate(cg("cpuset/qeil")).ok());
  dir_.write(std::string(kCg) + "/cpuset/qeil/cpuset.cpus", "4-7\n");
  dir_.write(std::string(kCg) + "/cpuset/qeil/cpuset.mems", "0\n");
  makePlacement();
  ASSERT_TRUE(placement_->createGroup("w").ok());
  EXPECT_EQ(readCg("cpuset/qeil/w/cpuset.cpus"), "4-7");
  EXPECT_FALSE(placement_->setCpus("w", CpuSet::range(0, 0)).ok());
  ASSERT_TRUE(journal_.restoreAll().ok());
  EXPECT_TRUE(pathExists(cg("cpuset/qeil")));  // not ours to remove
  EXPECT_FALSE(pathExists(cg("cpuset/qeil/w")));
}

}  // namespace
}  // namespace qeil
