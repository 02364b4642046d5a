// The fake tree itself: real-looking layout, in-place updates, a hwmon rebind.
#include "hal/sim/fake_sysfs.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "hal/linux/psi.h"
#include "hal/linux/sysfs_file.h"
#include "hal/linux/sysfs_util.h"
#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

ino_t inode(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::string linkTarget(const std::string& path) {
  char buf[512];
  ssize_t n = ::readlink(path.c_str(), buf, sizeof buf - 1);
  return n < 0 ? "" : std::string(buf, static_cast<size_t>(n));
}

TEST(FakeSysfs, ClassEntriesAreSymlinksIntoDevicesAsOnABoard) {
  test::TempDir dir;
  auto fs = FakeSysfs::jetsonOrinNano(dir.path());
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  const FakeSysfs& f = *fs.value();
  EXPECT_EQ(linkTarget(f.path("/sys/class/thermal/thermal_zone0")),
            "../../devices/virtual/thermal/thermal_zone0");
  EXPECT_EQ(linkTarget(f.path("/sys/class/hwmon/hwmon1")),
            "../../devices/platform/bus@0/c240000.i2c/i2c-1/1-0040/hwmon/hwmon1");
  EXPECT_EQ(linkTarget(f.path("/sys/class/hwmon/hwmon1/device")), "../../../1-0040");
  EXPECT_EQ(readLinkBase(f.path("/sys/class/hwmon/hwmon1/device")).value(), "1-0040");
  EXPECT_EQ(linkTarget(f.path("/sys/devices/system/cpu/cpu5/cpufreq")), "../cpufreq/policy4");
  EXPECT_EQ(linkTarget(f.path("/sys/class/devfreq/17000000.gpu")),
            "../../devices/platform/bus@0/17000000.gpu/devfreq/17000000.gpu");
  EXPECT_FALSE(pathExists(f.path("/sys/devices/system/cpu/cpu0/online")));
  EXPECT_EQ(test::readFile(f.path("/sys/devices/system/cpu/online")), "0-5\n");
  EXPECT_EQ(test::readFile(f.path("/sys/devices/system/cpu/cpufreq/policy4/related_cpus")),
            "4 5\n");
  EXPECT_EQ(test::readFile(f.path("/sys/class/hwmon/hwmon1/in2_label")), "VDD_CPU_GPU_CV\n");
  EXPECT_EQ(test::readFile(f.path("/sys/class/hwmon/hwmon1/shunt3_resistor")), "5000\n");
}

TEST(FakeSysfs, SettersRewriteInPlaceSoOpenDescriptorsSeeNewValues) {
  test::TempDir dir;
  auto fs = FakeSysfs::rk3588(dir.path());
  ASSERT_TRUE(fs.ok()) << fs.error().message();
  FakeSysfs& f = *fs.value();
  std::string temp = f.path(f.zoneDir("gpu-thermal").value() + "/temp");
  ino_t before = inode(temp);
  SysfsFile held;
  ASSERT_TRUE(held.open(temp).ok());
  ASSERT_TRUE(f.setTempC("gpu-thermal", 71.234).ok());
  EXPECT_EQ(inode(temp), before);
  EXPECT_EQ(held.readInt().value(), 71234);
  EXPECT_FALSE(f.setTempC("no-thermal", 1.0).ok());
  EXPECT_FALSE(f.setCurFreqHz("policy9", 1).ok());
  EXPECT_FALSE(f.addResidencyMs("policy0", 12345, 1).ok());  // not an OPP
}

TEST(FakeSysfs, PressureTextParsesBack) {
  test::TempDir dir;
  FakeSysfs f(dir.path());
  PsiStats s;
  s.some = {1.5, 2.25, 3.0, 42};
  s.full = {0.5, 0.25, 0.0, 7};
  s.hasFull = true;
  ASSERT_TRUE(f.setPressure(PsiResource::Memory, s).ok());
  std::string text = test::readFile(f.path("/proc/pressure/memory"));
  EXPECT_EQ(text,
            "some avg10=1.50 avg60=2.25 avg300=3.00 total=42\n"
            "full avg10=0.50 avg60=0.25 avg300=0.00 total=7\n");
}

TEST(FakeSysfs, RebindMovesTheChipAndEmptiesTheOldFiles) {
  test::TempDir dir;
  auto fs = FakeSysfs::jetsonOrinNano(dir.path());
  ASSERT_TRUE(fs.ok());
  FakeSysfs& f = *fs.value();
  ASSERT_TRUE(f.setRail("VDD_IN", 5.0, 1.0).ok());
  SysfsFile held;
  ASSERT_TRUE(held.open(f.path("/sys/class/hwmon/hwmon1/curr1_input")).ok());
  EXPECT_EQ(held.readInt().value(), 1000);
  ASSERT_TRUE(f.rebindHwmon(1, 3).ok());
  EXPECT_FALSE(held.readInt().ok());  // the removed attribute answers nothing
  EXPECT_FALSE(pathExists(f.path("/sys/class/hwmon/hwmon1")));
  EXPECT_EQ(test::readFile(f.path("/sys/class/hwmon/hwmon3/curr1_input")), "1000\n");
  EXPECT_EQ(readLinkBase(f.path("/sys/class/hwmon/hwmon3/device")).value(), "1-0040");
  ASSERT_TRUE(f.setRail("VDD_IN", 5.0, 2.0).ok());  // setters follow the chip
  EXPECT_EQ(test::readFile(f.path("/sys/class/hwmon/hwmon3/curr1_input")), "2000\n");
  EXPECT_FALSE(f.rebindHwmon(1, 5).ok());  // hwmon1 is gone
  EXPECT_FALSE(f.rebindHwmon(3, 0).ok());  // hwmon0 is taken (the fan)
}

}  // namespace
}  // namespace qeil
