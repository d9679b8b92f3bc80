// Paths for tests: a fresh scratch folder per test under the build tree.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace ml4t::backtest::testing {

/// A new empty folder named after the running test.
inline std::filesystem::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::path(ML4T_TEST_TMP) / (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::filesystem::path source_dir() { return ML4T_SOURCE_DIR; }

}  // namespace ml4t::backtest::testing
