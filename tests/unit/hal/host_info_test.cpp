// The host's self-description read from a fake procfs/sysfs tree: CPU model, flags, clock, the
// last-level cache, available memory, CPU times and load average.
#include "hal/linux/host_info.h"

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

TEST(HostInfo, ReadsCpuCachesAndMemory) {
  test::TempDir root;
  root.write("proc/cpuinfo",
             "processor\t: 0\nmodel name\t: Test CPU\ncpu MHz\t\t: 2100.000\n"
             "flags\t\t: fpu sse2 avx2 fma\n\nprocessor\t: 1\nmodel name\t: Other\n"
             "cpu MHz\t\t: 800.000\n");
  const std::string cache = "sys/devices/system/cpu/cpu0/cache/";
  auto level = [&](int i, const char* type, const char* lvl, const char* size) {
    const std::string dir = cache + "index" + std::to_string(i) + "/";
    root.write(dir + "type", std::string(type) + "\n");
    root.write(dir + "level", std::string(lvl) + "\n");
    root.write(dir + "size", std::string(size) + "\n");
  };
  level(0, "Data", "1", "48K");
  level(1, "Instruction", "1", "32K");
  level(2, "Unified", "2", "2048K");
  level(3, "Unified", "3", "300M");
  root.write("proc/meminfo", "MemTotal:       8000000 kB\nMemAvailable:   4000000 kB\n");

  const HostCpuInfo info = readHostCpuInfo(SysRoot(root.path()));
  EXPECT_EQ(info.model, "Test CPU");  // the first CPU's
  EXPECT_DOUBLE_EQ(info.mhz, 2100.0);
  EXPECT_EQ(info.flags, "fpu sse2 avx2 fma");
  EXPECT_EQ(info.llcLevel, 3);
  EXPECT_EQ(info.llcBytes, 300L * 1024 * 1024);
  EXPECT_DOUBLE_EQ(info.memAvailableBytes, 4000000.0 * 1024);
}

TEST(HostInfo, MissingFilesLeaveTheDefaults) {
  test::TempDir root;
  const HostCpuInfo info = readHostCpuInfo(SysRoot(root.path()));
  EXPECT_EQ(info.model, "unknown");
  EXPECT_EQ(info.llcBytes, 0);
  const HostCpuTimes t = readHostCpuTimes(SysRoot(root.path()));
  EXPECT_EQ(t.total, 0.0);
  EXPECT_EQ(readLoadAverage(SysRoot(root.path())), "");
}

TEST(HostInfo, CpuTimesAndLoadAverage) {
  test::TempDir root;
  // user nice system idle iowait irq softirq steal guest guest_nice
  root.write("proc/stat", "cpu  100 2 30 500 7 1 2 9 0 0\ncpu0 50 1 15 250 3 0 1 4 0 0\n");
  // A command name with a space and a parenthesis; utime 11 and stime 4 (fields 14 and 15).
  root.write("proc/self/stat",
             "42 (a (b) c) S 1 42 42 0 -1 4194304 10 0 0 0 11 4 0 0 20 0 1 0 5 0 0\n");
  root.write("proc/loadavg", "0.17 1.14 1.72 3/84 8522\n");
  const HostCpuTimes t = readHostCpuTimes(SysRoot(root.path()));
  EXPECT_DOUBLE_EQ(t.busy, 100 + 2 + 30 + 1 + 2);
  EXPECT_DOUBLE_EQ(t.steal, 9);
  EXPECT_DOUBLE_EQ(t.total, 135 + 500 + 7 + 9);
  EXPECT_DOUBLE_EQ(t.self, 15);
  EXPECT_EQ(readLoadAverage(SysRoot(root.path())), "0.17 1.14 1.72");
}

}  // namespace
}  // namespace qeil
