// Pressure stall information: /proc/pressure and cgroup *.pressure files.
#include "hal/linux/psi.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>
#include <vector>

#include "hal/sim/fake_sysfs.h"
#include "tests/support/alloc_counter.h"
#include "tests/support/deny_access.h"
#include "tests/support/temp_dir.h"
#include "tests/unit/hal/fake_board.h"

namespace qeil {
namespace {

using test::contains;

PsiStats stats(double some10, double some60, double some300, uint64_t someUs, double full10,
               uint64_t fullUs) {
  PsiStats s;
  s.some = {some10, some60, some300, someUs};
  s.full = {full10, full10 / 2, full10 / 4, fullUs};
  s.hasFull = true;
  return s;
}

class Rk3588Psi : public test::Rk3588Tree {};

TEST_F(Rk3588Psi, ReadsSomeAndFullForEachResource) {
  const PsiResource all[] = {PsiResource::Cpu, PsiResource::Memory, PsiResource::Io};
  for (PsiResource r : all) {
    auto reader = PsiReader::create(fs_->sysRoot(), r);
    ASSERT_TRUE(reader.ok()) << reader.error().message();
    EXPECT_EQ(reader.value()->resource(), r);
    double k = 1.0 + static_cast<int>(r);
    ASSERT_TRUE(
        fs_->setPressure(r, stats(12.5 * k, 8.25 * k, 3.0 * k, 123456789ull * 7, 4.5 * k, 98765ull))
            .ok());
    PsiStats got;
    Status st = reader.value()->read(&got);
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_NEAR(got.some.avg10, 12.5 * k, 0.005);
    EXPECT_NEAR(got.some.avg60, 8.25 * k, 0.005);
    EXPECT_NEAR(got.some.avg300, 3.0 * k, 0.005);
    EXPECT_EQ(got.some.totalUs, 123456789ull * 7);
    ASSERT_TRUE(got.hasFull);
    EXPECT_NEAR(got.full.avg10, 4.5 * k, 0.005);
    EXPECT_NEAR(got.full.avg60, 2.25 * k, 0.005);
    EXPECT_EQ(got.full.totalUs, 98765u);
    EXPECT_NE(reader.value()->path().find(std::string("/proc/pressure/") + psiResourceName(r)),
              std::string::npos);
  }
}

TEST_F(Rk3588Psi, ReadsDoNotAllocate) {
  auto reader = PsiReader::create(fs_->sysRoot(), PsiResource::Memory);
  ASSERT_TRUE(reader.ok());
  PsiStats got;
  uint64_t allocations = 0;
  bool ok = true;
  {
    test::AllocationScope scope;
    for (int i = 0; i < 100; ++i)
      ok = ok && reader.value()->read(&got).ok();
    allocations = scope.count();
  }
  EXPECT_TRUE(ok);
  EXPECT_EQ(allocations, 0u);
}

TEST_F(Rk3588Psi, CgroupPressureFiles) {
  ASSERT_TRUE(
      fs_->setCgroupPressure("qeil/w1", PsiResource::Cpu, stats(55.0, 40.0, 20.0, 777, 10.0, 333))
          .ok());
  auto reader = PsiReader::createForCgroup(fs_->sysRoot(), "qeil/w1", PsiResource::Cpu);
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  EXPECT_NE(reader.value()->path().find("/sys/fs/cgroup/qeil/w1/cpu.pressure"), std::string::npos);
  PsiStats got;
  ASSERT_TRUE(reader.value()->read(&got).ok());
  EXPECT_NEAR(got.some.avg10, 55.0, 0.005);
  EXPECT_EQ(got.full.totalUs, 333u);
  auto missing = PsiReader::createForCgroup(fs_->sysRoot(), "qeil/w2", PsiResource::Io);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().errnum(), ENOTSUP);
}

TEST_F(Rk3588Psi, SystemCpuBefore513HasNoFullLine) {
  ASSERT_TRUE(
      fs_->writeRaw("/proc/pressure/cpu", "some avg10=1.00 avg60=2.00 avg300=3.00 total=4\n").ok());
  auto reader = PsiReader::create(fs_->sysRoot(), PsiResource::Cpu);
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  PsiStats got;
  ASSERT_TRUE(reader.value()->read(&got).ok());
  EXPECT_FALSE(got.hasFull);
  EXPECT_DOUBLE_EQ(got.some.avg300, 3.0);
  EXPECT_EQ(got.some.totalUs, 4u);
}

TEST(Psi, MissingFilesMeanPsiIsNotAvailable) {
  test::TempDir dir;
  auto reader = PsiReader::create(SysRoot(dir.path()), PsiResource::Io);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().errnum(), ENOTSUP);
  EXPECT_TRUE(contains(reader.error(), "PSI is not available")) << reader.error().message();
  EXPECT_TRUE(contains(reader.error(), "psi=0"));
  EXPECT_TRUE(contains(reader.error(), dir.file("proc/pressure/io")));
}

TEST_F(Rk3588Psi, MalformedFilesAreClearErrors) {
  auto reader = PsiReader::create(fs_->sysRoot(), PsiResource::Io);
  ASSERT_TRUE(reader.ok());
  const std::string full = "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n";
  struct Case {
    std::string content;
    int errnum;
    std::string words;
  };
  const std::vector<Case> cases = {
      {"", ENODATA, "empty"},
      {"pressure: lots\n", EINVAL, "not a pressure 'some' line"},
      {"some avg10=abc avg60=0.00 avg300=0.00 total=0\n", EINVAL, "'some' line"},
      {"some avg10=1.00 avg60=0.00 total=0\n", EINVAL, "'some' line"},
      {"some avg10=1.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=x\n", EINVAL, "'full' line"},
      {"some avg10=100.01 avg60=0.00 avg300=0.00 total=0\n" + full, ERANGE, "outside 0..100 %"},
      {"some avg10=1.00 avg60=0.00 avg300=0.00 total=99999999999999999999999\n", EINVAL,
       "'some' line"},
      {"some avg10=1.00 avg60=0.00 avg300=0.00 total=-5\n", EINVAL, "'some' line"},
      {"some avg10=1.00 avg60=0.00 avg300=0.00 total=1 extra\n", EINVAL, "unexpected text"},
      {std::string(10000, 's'), EFBIG, "longer than"},
  };
  for (const Case& c : cases) {
    ASSERT_TRUE(fs_->writeRaw("/proc/pressure/io", c.content).ok());
    PsiStats got;
    uint64_t allocations = 0;
    Status st;
    {
      test::AllocationScope scope;
      st = reader.value()->read(&got);
      allocations = scope.count();
    }
    EXPECT_EQ(allocations, 0u);
    ASSERT_FALSE(st.ok()) << c.content.substr(0, 40);
    EXPECT_EQ(st.error().errnum(), c.errnum) << st.error().message();
    EXPECT_TRUE(contains(st.error(), c.words)) << st.error().message();
    EXPECT_TRUE(contains(st.error(), fs_->path("/proc/pressure/io"))) << st.error().message();
  }
}

TEST_F(Rk3588Psi, PermissionDeniedIsNotMistakenForMissingPsi) {
  std::string path = fs_->path("/proc/pressure/memory");
  test::DenyAccess deny(path);
  if (!deny.active()) GTEST_SKIP() << "cannot make a file unreadable here";
  auto reader = PsiReader::create(fs_->sysRoot(), PsiResource::Memory);
  ASSERT_FALSE(reader.ok());
  EXPECT_EQ(reader.error().errnum(), EACCES);
  EXPECT_TRUE(contains(reader.error(), path)) << reader.error().message();
}

}  // namespace
}  // namespace qeil
