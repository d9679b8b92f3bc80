// Loading and validating BacktestConfig. The YAML tree is walked once; every problem is
// collected (never thrown on the first) so a user fixes a config in one pass.
#include "ml4t/backtest/config/backtest_config.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "ml4t/backtest/core/error.hpp"
#include "config_loader.hpp"
#include "config_writer.hpp"
#include "sections/sections.hpp"
#include "yaml_loading.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

std::string_view config_name(CommissionType type) {
  switch (type) {
    case CommissionType::kNone:
      return "none";
    case CommissionType::kPerShare:
      return "per_share";
    case CommissionType::kPercentage:
      return "percentage";
    case CommissionType::kFixed:
      return "fixed";
  }
  return "none";
}

std::string_view config_name(SlippageType type) {
  switch (type) {
    case SlippageType::kNone:
      return "none";
    case SlippageType::kPercentage:
      return "percentage";
    case SlippageType::kFixed:
      return "fixed";
    case SlippageType::kVolumeShare:
      return "volume_share";
  }
  return "none";
}

std::string_view config_name(FillTiming timing) {
  return timing == FillTiming::kSameBarClose ? "same_bar_close" : "next_bar";
}

std::string_view config_name(StrategySide side) {
  switch (side) {
    case StrategySide::kLong:
      return "long";
    case StrategySide::kShort:
      return "short";
    case StrategySide::kBoth:
      return "both";
  }
  return "long";
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

namespace {

using namespace config_detail;

// --set key.path=value: the value is read as YAML (a scalar or a flow list/map).
void apply_override(YAML::Node root, const std::string& text, Loader& loader) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    loader.error(fmt::format("--set {}", text), "expected key.path=value, e.g. --set execution.initial_capital=50000");
    return;
  }
  const std::string key_path = text.substr(0, eq);
  std::vector<std::string> parts;
  std::stringstream ss(key_path);
  for (std::string part; std::getline(ss, part, '.');) parts.push_back(part);
  if (std::any_of(parts.begin(), parts.end(), [](const std::string& p) { return p.empty(); })) {
    loader.error(fmt::format("--set {}", text),
                 "empty part in the key path; write e.g. execution.commission.rate=0.001");
    return;
  }
  const std::string value_text = text.substr(eq + 1);
  if (value_text.find_first_not_of(" \t") == std::string::npos) {
    // Usually an unset shell variable (--set key=$UNSET); resetting to the default must be explicit.
    loader.error(fmt::format("--set {}", text),
                 fmt::format("empty value (an unset shell variable?); give a value, or write {}=null to use "
                             "the default",
                             key_path));
    return;
  }
  YAML::Node value;
  try {
    value = yaml_loading::load_checked(value_text, fmt::format("--set {}", text), "the value");
  } catch (const ConfigError& e) {
    loader.error_text(e.what());  // already names "--set ...:line:column"
    return;
  }
  if (!value.IsDefined()) value = YAML::Node(YAML::NodeType::Null);
  // Text YAML reads as nothing (e.g. "%d/%m/%Y" looks like a directive) is meant as text;
  // only an explicit null resets the key to its default.
  static const std::set<std::string> kNullWords = {"null", "Null", "NULL", "~"};
  if (value.IsNull() && kNullWords.count(value_text.substr(value_text.find_first_not_of(" \t"))) == 0 &&
      value_text.find_first_of("#") != value_text.find_first_not_of(" \t")) {
    value = YAML::Node(value_text);
  }
  YAML::Node node = root;
  std::string walked;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    walked = child_path(walked, parts[i]);
    YAML::Node child = node[parts[i]];
    if (!child.IsDefined() || child.IsNull()) {
      node[parts[i]] = YAML::Node(YAML::NodeType::Map);
    } else if (!child.IsMap()) {
      loader.error(fmt::format("--set {}", text),
                   fmt::format("{} is not a mapping, so it has no key \"{}\"", walked, parts[i + 1]));
      return;
    }
    node.reset(node[parts[i]]);
  }
  node[parts.back()] = value;
}

BacktestConfig load(YAML::Node root, const fs::path& base_dir, const std::vector<std::string>& overrides,
                    const std::string& origin) {
  Loader L(base_dir, origin);
  BacktestConfig cfg;
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw ConfigError(fmt::format("{}: the config must be a mapping with keys {}, got {}", origin,
                                  quoted_list(top_level_keys()), describe(root)));
  }
  for (const auto& o : overrides) apply_override(root, o, L);
  L.expand_tree(root, "");
  L.check_keys(root, "", top_level_keys());

  for (const auto& section : config_sections()) section.load(L, root, cfg);

  if (!L.errors().empty()) {
    const auto& errs = L.errors();
    throw ConfigError(fmt::format("invalid configuration {} ({} problem{}):\n  {}", origin, errs.size(),
                                  errs.size() == 1 ? "" : "s", join(errs, "\n  ")));
  }
  return cfg;
}

YAML::Node parse_text(std::string_view text, const std::string& origin) {
  return yaml_loading::load_checked(text, origin);
}

BacktestConfig load_file(const fs::path& path, const std::vector<std::string>& overrides) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    throw ConfigError(fmt::format("config file {} is a directory; pass the YAML/JSON file inside it", path.string()));
  }
  if (!fs::is_regular_file(path, ec)) {
    throw ConfigError(fmt::format("config file {} not found; check the path", path.string()));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("cannot open config file {}; check its permissions", path.string()));
  std::stringstream buffer;
  buffer << in.rdbuf();
  if (buffer.view().find('\0') != std::string_view::npos) {
    throw ConfigError(fmt::format("config file {} is binary, not YAML or JSON text; pass the .yaml/.json config",
                                  path.string()));
  }
  const fs::path absolute = fs::absolute(path, ec).lexically_normal();
  auto cfg = load(parse_text(buffer.str(), path.string()), absolute.parent_path(), overrides, path.string());
  cfg.source_file = absolute;
  return cfg;
}

// Writes the resolved config through either emitter, so YAML and JSON agree.
std::string dump(std::unique_ptr<ConfigWriter> w, const BacktestConfig& c) {
  w->begin_map();
  for (const auto& section : config_sections()) section.dump(*w, c);
  w->end_map();
  return w->text();
}

}  // namespace

BacktestConfig BacktestConfig::from_yaml(const fs::path& path, const std::vector<std::string>& overrides) {
  return load_file(path, overrides);
}

BacktestConfig BacktestConfig::from_json(const fs::path& path, const std::vector<std::string>& overrides) {
  return load_file(path, overrides);
}

BacktestConfig BacktestConfig::from_string(std::string_view text, const fs::path& base_dir,
                                           const std::vector<std::string>& overrides, std::string_view origin) {
  const std::string name(origin);
  return load(parse_text(text, name), base_dir, overrides, name);
}

std::string BacktestConfig::to_yaml() const {
  return dump(make_yaml_writer(), *this);
}

std::string BacktestConfig::to_json() const {
  return dump(make_json_writer(), *this);
}

}  // namespace ml4t::backtest
