#pragma once

// What the sysfs backend tests share: a board preset's fake sysfs tree in a fresh temporary
// directory, and finding words in an error message.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>

#include "hal/result.h"
#include "hal/sim/fake_sysfs.h"
#include "tests/support/temp_dir.h"

namespace qeil::test {

inline bool contains(const Error& e, const std::string& words) {
  return std::string(e.message()).find(words) != std::string::npos;
}

// Builds the tree of one board preset before each test. A fixture that overrides SetUp() calls
// this one first and returns if HasFatalFailure().
template <Result<std::unique_ptr<FakeSysfs>> (*kPreset)(const std::string& rootDir)>
class FakeBoardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fs = kPreset(dir_.path());
    ASSERT_TRUE(fs.ok()) << fs.error().message();
    fs_ = std::move(fs.value());
  }

  TempDir dir_;
  std::unique_ptr<FakeSysfs> fs_;
};

using Rk3588Tree = FakeBoardTest<&FakeSysfs::rk3588>;
using JetsonOrinNanoTree = FakeBoardTest<&FakeSysfs::jetsonOrinNano>;

}  // namespace qeil::test
