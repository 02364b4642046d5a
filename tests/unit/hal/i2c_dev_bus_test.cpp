// The i2c-dev bus on a fake root. This machine has no I2C adapters (CONFIG_I2C is off), so only
// the failures that name a wrong node can be checked here; transfers run on the boards.
#include "hal/linux/i2c_dev_bus.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "tests/support/temp_dir.h"

namespace qeil {
namespace {

bool contains(const char* text, const std::string& part) {
  return std::string(text).find(part) != std::string::npos;
}

TEST(I2cDevBus, MissingNodeNamesThePathAndTheLikelyCause) {
  test::TempDir root;
  root.mkdirs("dev");
  auto bus = I2cDevBus::open(SysRoot(root.path()), 3);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.error().errnum(), ENOENT);
  EXPECT_TRUE(contains(bus.error().message(), root.file("dev/i2c-3"))) << bus.error().message();
  EXPECT_TRUE(contains(bus.error().message(), "i2c-dev")) << bus.error().message();
}

TEST(I2cDevBus, RegularFileInPlaceOfTheNodeIsRejected) {
  test::TempDir root;
  root.write("dev/i2c-1", "");
  auto bus = I2cDevBus::open(SysRoot(root.path()), 1);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.error().errnum(), ENOTTY);
  EXPECT_TRUE(contains(bus.error().message(), root.file("dev/i2c-1"))) << bus.error().message();
  EXPECT_TRUE(contains(bus.error().message(), "not a character device")) << bus.error().message();
}

TEST(I2cDevBus, CharacterDeviceThatIsNoAdapterFailsTheFunctionalityQuery) {
  test::TempDir root;
  root.mkdirs("dev");
  ASSERT_EQ(symlink("/dev/null", root.file("dev/i2c-2").c_str()), 0);
  auto bus = I2cDevBus::open(SysRoot(root.path()), 2);
  ASSERT_FALSE(bus.ok());
  EXPECT_NE(bus.error().errnum(), 0);
  EXPECT_TRUE(contains(bus.error().message(), "I2C_FUNCS")) << bus.error().message();
  EXPECT_TRUE(contains(bus.error().message(), "not an i2c-dev adapter")) << bus.error().message();
}

TEST(I2cDevBus, NegativeBusNumberIsRejected) {
  auto bus = I2cDevBus::open(SysRoot("/nonexistent"), -1);
  ASSERT_FALSE(bus.ok());
  EXPECT_EQ(bus.error().errnum(), EINVAL);
}

}  // namespace
}  // namespace qeil
