// libFuzzer target: arbitrary bytes as a config. Every bad config must end in
// ml4t::backtest::Error (a ConfigError listing the problems); any other exception, a
// crash or a sanitizer report is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    // Paths resolve against a folder that exists; loading reads no data file.
    const auto config = ml4t::backtest::BacktestConfig::from_string(text, "/tmp", {}, "fuzz.yaml");
    (void)config.to_yaml();
    (void)config.to_json();
  } catch (const ml4t::backtest::Error&) {
  }
  return 0;
}
