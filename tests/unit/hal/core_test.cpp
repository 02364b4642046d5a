// The HAL's foundations: errors, CPU lists, logging levels, attribute-file reading.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "hal/cpu_set.h"
#include "hal/linux/sys_root.h"
#include "hal/linux/sysfs_file.h"
#include "hal/log.h"
#include "hal/result.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

TEST(Error, PrefixKeepsErrnoAndAddsContext) {
  Error e = Error::make(EIO, "read failed");
  e.prefix("rail %s", "VDD_IN");
  EXPECT_EQ(e.errnum(), EIO);
  EXPECT_STREQ(e.message(), "rail VDD_IN: read failed");
}

TEST(Error, LongMessagesAreTruncatedNotOverflowed) {
  std::string longText(1000, 'x');
  Error e = Error::make(EINVAL, "%s", longText.c_str());
  EXPECT_EQ(std::string(e.message()).size(), Error::kMessageBytes - 1);
}

TEST(Result, ValueAndError) {
  Result<int> good(7);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good.value(), 7);
  Result<int> bad(Error::make(ENOENT, "missing"));
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().errnum(), ENOENT);
  EXPECT_EQ(bad.valueOr(-1), -1);
  Status st;
  EXPECT_TRUE(st.ok());
  Status failed(Error::make(EPERM, "nope"));
  EXPECT_FALSE(failed.ok());
}

TEST(CpuSet, ParsesLinuxListFormat) {
  Result<CpuSet> s = CpuSet::parse("0-3,6\n", "test");
  ASSERT_TRUE(s.ok()) << s.error().message();
  EXPECT_EQ(s.value().count(), 5);
  EXPECT_TRUE(s.value().contains(6));
  EXPECT_FALSE(s.value().contains(4));
  char buf[32];
  ASSERT_TRUE(s.value().format(buf, sizeof buf));
  EXPECT_STREQ(buf, "0-3,6");
  EXPECT_TRUE(CpuSet::parse("", "test").value().empty());
}

TEST(CpuSet, RejectsGarbageNamingTheSource) {
  for (const char* bad : {"a", "3-1", "0-", "1,,2", "64", "-1", "0 1"}) {
    Result<CpuSet> s = CpuSet::parse(bad, "policy0/related_cpus");
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_NE(std::string(s.error().message()).find("policy0/related_cpus"), std::string::npos);
  }
}

TEST(CpuSet, FormatReportsTooSmallBuffer) {
  char small[3];
  EXPECT_FALSE(CpuSet::range(0, 3).format(small, sizeof small));  // "0-3" needs 4 bytes
  char exact[4];
  ASSERT_TRUE(CpuSet::range(0, 3).format(exact, sizeof exact));
  EXPECT_STREQ(exact, "0-3");
}

LogModule gTestLog("testmod", LogLevel::Warn);
int gLines = 0;

TEST(Log, LevelsAreSetAtRunTimeAndDisabledLinesAreNotWritten) {
  setLogSink([](const LogModule&, LogLevel, const char*) { ++gLines; });
  gLines = 0;
  QEIL_LOG(gTestLog, Info, "hidden %d", 1);
  EXPECT_EQ(gLines, 0);
  ASSERT_TRUE(setLogLevels("testmod=debug"));
  QEIL_LOG(gTestLog, Debug, "shown %d", 2);
  EXPECT_EQ(gLines, 1);
  EXPECT_FALSE(setLogLevels("nosuchmodule=debug"));
  EXPECT_FALSE(setLogLevels("testmod=loud"));
  EXPECT_TRUE(gTestLog.enabled(LogLevel::Debug));  // a rejected spec changes nothing
  ASSERT_TRUE(setLogLevels("warn"));
  EXPECT_FALSE(gTestLog.enabled(LogLevel::Info));
  setLogSink(nullptr);
}

TEST(SysRoot, BuildsPathsUnderTheRoot) {
  EXPECT_EQ(SysRoot("/").path("/sys/class/thermal"), "/sys/class/thermal");
  EXPECT_EQ(SysRoot("/tmp/x/").path("/sys/class/thermal"), "/tmp/x/sys/class/thermal");
}

class SysfsFileTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
};

TEST_F(SysfsFileTest, ReadsAndRereadsAnInteger) {
  dir_.write("temp", "45000\n");
  SysfsFile f;
  ASSERT_TRUE(f.open(dir_.file("temp")).ok());
  EXPECT_EQ(f.readInt().value(), 45000);
  dir_.write("temp", "46500\n");  // rewritten in place, as the twin does
  EXPECT_EQ(f.readInt().value(), 46500);
}

TEST_F(SysfsFileTest, MalformedContentsGiveErrorsNamingTheFile) {
  struct Case {
    const char* content;
    int errnum;
    const char* words;
  };
  const Case cases[] = {
      {"", ENODATA, "empty"},
      {"\n", ENODATA, "empty"},
      {"abc\n", EINVAL, "not a number"},
      {"12abc", EINVAL, "not a number"},
      {"99999999999999999999999", ERANGE, "out of range"},
  };
  for (const Case& c : cases) {
    dir_.write("attr", c.content);
    Result<int64_t> r = readIntFile(dir_.file("attr"));
    ASSERT_FALSE(r.ok()) << c.content;
    EXPECT_EQ(r.error().errnum(), c.errnum) << c.content;
    std::string msg = r.error().message();
    EXPECT_NE(msg.find(c.words), std::string::npos) << msg;
    EXPECT_NE(msg.find(dir_.file("attr")), std::string::npos) << msg;
  }
}

TEST_F(SysfsFileTest, HugeFileIsRejectedNotTruncated) {
  dir_.write("huge", std::string(1 << 20, '7'));
  char buf[64];
  Result<size_t> r = readTextFile(dir_.file("huge"), buf, sizeof buf);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errnum(), EFBIG);
  EXPECT_FALSE(readIntFile(dir_.file("huge")).ok());
}

TEST_F(SysfsFileTest, MissingFileNamesPathAndReason) {
  Result<int64_t> r = readIntFile(dir_.file("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().errnum(), ENOENT);
  EXPECT_NE(std::string(r.error().message()).find("No such file"), std::string::npos);
}

TEST_F(SysfsFileTest, FileThatDisappearsIsReopenedWhenItComesBack) {
  dir_.write("temp", "1000");
  SysfsFile f;
  ASSERT_TRUE(f.open(dir_.file("temp")).ok());
  ASSERT_EQ(::remove(dir_.file("temp").c_str()), 0);
  // The open descriptor still reads the unlinked file; a replacement needs a reopen, which
  // happens after a failed read. Simulate the device going away by making the read fail.
  f.close();
  EXPECT_FALSE(f.readInt().ok());
  dir_.write("temp", "2000");
  EXPECT_EQ(f.readInt().value(), 2000);
}

TEST_F(SysfsFileTest, WriteReportsPathValueAndReason) {
  dir_.write("scaling_max_freq", "2400000");
  ASSERT_TRUE(writeTextFile(dir_.file("scaling_max_freq"), "1800000").ok());
  EXPECT_EQ(dir_.read("scaling_max_freq"), "1800000");
  Status st = writeTextFile(dir_.file("missing/scaling_max_freq"), "1");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(std::string(st.error().message()).find("missing/scaling_max_freq"), std::string::npos);
}

TEST(ParseInt, AcceptsSurroundingWhitespaceAndSign) {
  EXPECT_EQ(parseInt("  -42 \n", "x").value(), -42);
  EXPECT_FALSE(parseInt("4 2", "x").ok());
}

}  // namespace
}  // namespace qeil
