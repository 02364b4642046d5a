// One process's memory and CPU time read from a fake procfs tree: status, smaps_rollup, smaps
// (per mapping, the largest first) and stat (a command name with spaces and parentheses).
#include "hal/linux/process_usage.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

TEST(ProcessUsage, MemoryFromStatusRollupAndSmaps) {
  test::TempDir root;
  root.write("proc/77/status",
             "Name:\tqeild\nVmHWM:\t    5000 kB\nVmRSS:\t    4200 kB\nRssAnon:\t    1200 kB\n"
             "RssFile:\t    3000 kB\n");
  root.write("proc/77/smaps_rollup",
             "00400000-7ffff000 ---p 00000000 00:00 0  [rollup]\nRss:  4200 kB\nPss:  2100 kB\n"
             "Shared_Clean:  2500 kB\nShared_Dirty:  0 kB\nPrivate_Clean:  500 kB\n"
             "Private_Dirty:  1200 kB\n");
  root.write("proc/77/smaps",
             "5555000-5556000 r-xp 00000000 08:01 1234   /usr/sbin/qeild\nRss:  300 kB\n"
             "Pss:  300 kB\nPrivate_Clean:  300 kB\nPrivate_Dirty:  0 kB\n"
             "7f00000-7f10000 r-xp 00000000 08:01 99   /usr/lib/libstdc++.so.6\nRss:  1000 kB\n"
             "Pss:  200 kB\nPrivate_Clean:  0 kB\nPrivate_Dirty:  0 kB\n"
             "7f10000-7f11000 rw-p 00010000 08:01 99   /usr/lib/libstdc++.so.6\nRss:  40 kB\n"
             "Pss:  40 kB\nPrivate_Clean:  0 kB\nPrivate_Dirty:  40 kB\n"
             "7f20000-7f30000 rw-p 00000000 00:00 0 \nRss:  700 kB\nPss:  700 kB\n"
             "Private_Clean:  0 kB\nPrivate_Dirty:  700 kB\n");
  auto m = readProcessMemory(SysRoot(root.path()), 77);
  ASSERT_TRUE(m.ok()) << m.error().message();
  EXPECT_DOUBLE_EQ(m.value().rssKiB, 4200);
  EXPECT_DOUBLE_EQ(m.value().hwmKiB, 5000);
  EXPECT_DOUBLE_EQ(m.value().rssAnonKiB, 1200);
  EXPECT_DOUBLE_EQ(m.value().rssFileKiB, 3000);
  EXPECT_DOUBLE_EQ(m.value().pssKiB, 2100);
  EXPECT_DOUBLE_EQ(m.value().privateKiB, 1700);
  EXPECT_DOUBLE_EQ(m.value().sharedKiB, 2500);
  ASSERT_EQ(m.value().mappings.size(), 3u);
  EXPECT_EQ(m.value().mappings[0].name, "/usr/lib/libstdc++.so.6");  // two mappings summed
  EXPECT_DOUBLE_EQ(m.value().mappings[0].rssKiB, 1040);
  EXPECT_DOUBLE_EQ(m.value().mappings[0].pssKiB, 240);
  EXPECT_DOUBLE_EQ(m.value().mappings[0].privateKiB, 40);
  EXPECT_EQ(m.value().mappings[1].name, "[anon]");
  EXPECT_EQ(m.value().mappings[2].name, "/usr/sbin/qeild");
  EXPECT_FALSE(readProcessMemory(SysRoot(root.path()), 78).ok());
}

TEST(ProcessUsage, CpuSecondsSkipTheCommandName) {
  test::TempDir root;
  // utime 250 and stime 50 ticks; the name holds ") " that a naive split would trip on.
  root.write("proc/9/stat",
             "9 (q) d (x)) S 1 9 9 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 1 0 100 0 0\n");
  auto cpu = readProcessCpuSeconds(SysRoot(root.path()), 9);
  ASSERT_TRUE(cpu.ok()) << cpu.error().message();
  EXPECT_DOUBLE_EQ(cpu.value(), 300.0 / static_cast<double>(sysconf(_SC_CLK_TCK)));
  EXPECT_FALSE(readProcessCpuSeconds(SysRoot(root.path()), 10).ok());
}

}  // namespace
}  // namespace qeil
