// The config's sections, one unit each (sections/<name>.cpp): how a section is read from
// YAML and written back. load() and dump() walk config_sections() in order, so the order
// here is the order of the checks (a section may look at those loaded before it, e.g.
// strategy reads execution.allow_short) and of the keys in the resolved dump.
// A new section: a file here with its load_/dump_ pair and one row in config_sections().
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/config/backtest_config.hpp"

namespace ml4t::backtest::config_detail {

class Loader;
class ConfigWriter;

/// One top-level key of the config: its reader and its writer.
struct ConfigSection {
  std::string_view key;
  //! Reads `root[key]` (absent is fine unless the section is required) into `cfg`.
  void (*load)(Loader& L, const YAML::Node& root, BacktestConfig& cfg);
  //! Writes the section's `key: {...}` (or nothing, for a section dumped only when set).
  void (*dump)(ConfigWriter& w, const BacktestConfig& c);
};

/// Every section, in load and dump order.
const std::vector<ConfigSection>& config_sections();
/// The keys of config_sections(), for "unknown key" checks.
const std::vector<std::string>& top_level_keys();

#define ML4T_CONFIG_SECTION(name)                                             \
  void load_##name(Loader& L, const YAML::Node& root, BacktestConfig& cfg); \
  void dump_##name(ConfigWriter& w, const BacktestConfig& c);
ML4T_CONFIG_SECTION(data_sources)
ML4T_CONFIG_SECTION(features)
ML4T_CONFIG_SECTION(execution)
ML4T_CONFIG_SECTION(risk_rules)
ML4T_CONFIG_SECTION(signal_timing)
ML4T_CONFIG_SECTION(strategy)
ML4T_CONFIG_SECTION(universe)
ML4T_CONFIG_SECTION(output)
ML4T_CONFIG_SECTION(resources)
ML4T_CONFIG_SECTION(data_quality)
#undef ML4T_CONFIG_SECTION

}  // namespace ml4t::backtest::config_detail
