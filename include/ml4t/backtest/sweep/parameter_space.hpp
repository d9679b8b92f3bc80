// The parameters a sweep tries, read from a grid file: a cartesian `grid` over config
// key paths, `random` draws from uniform ranges or choices (seeded, so the same file
// gives the same draws everywhere), or an explicit `list`. Each parameter set is a list
// of `key.path=value` overrides, exactly what `ml4t-backtest run --set` takes, so a
// sweep task and a single run with the same --set values load the same config.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ml4t::backtest {

/// One combination: (key path, value as YAML text) in the order of ParameterSpace::keys.
struct ParameterSet {
  std::vector<std::pair<std::string, std::string>> values;  //!< (key path, YAML text)
  /// The values as `--set` overrides: "key.path=value".
  std::vector<std::string> overrides() const;
  /// "key=value, key=value" for messages.
  std::string describe() const;
};

/// Every combination a grid file describes, in a fixed order: for a grid, the last key
/// varies fastest (like nested loops written in file order); for random, draw order;
/// for a list, list order.
struct ParameterSpace {
  std::vector<std::string> keys;  //!< every swept key, in file order
  std::vector<ParameterSet> sets;  //!< every combination, in order
  /// "grid", "random" or "list".
  std::string kind;
};

/// Read a grid file (YAML or JSON). Throws ConfigError naming the file and the key.
ParameterSpace load_parameter_space(const std::filesystem::path& path);
/// The same from text; `origin` names it in messages.
ParameterSpace parse_parameter_space(std::string_view text, const std::string& origin);

/// A uniform double in [0, 1) from a 64-bit draw (53 high bits): the same everywhere,
/// unlike std::uniform_real_distribution, whose algorithm the standard leaves open.
double unit_interval(uint64_t bits);

}  // namespace ml4t::backtest
