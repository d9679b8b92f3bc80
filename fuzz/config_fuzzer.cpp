// libFuzzer target: arbitrary bytes as a config. Every bad config must end in
// ml4t::backtest::Error (a ConfigError listing the problems); any other exception, a
// crash or a sanitizer report is a finding. Bytes after the first NUL are `--set`
// overrides, one per line, so the override parser is fuzzed too.
#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/core/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t nul = input.find('\0');
  const std::string_view text = input.substr(0, nul);
  std::vector<std::string> overrides;
  if (nul != std::string_view::npos) {
    std::istringstream lines{std::string(input.substr(nul + 1))};
    for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  }
  try {
    // Paths resolve against a folder that exists; loading reads no data file.
    const auto config = ml4t::backtest::BacktestConfig::from_string(text, "/tmp", overrides, "fuzz.yaml");
    (void)config.to_yaml();
    (void)config.to_json();
  } catch (const ml4t::backtest::Error&) {
  }
  return 0;
}
