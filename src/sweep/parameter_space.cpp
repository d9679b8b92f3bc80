// Grid files -> parameter sets. Values are kept as YAML text and handed to the config
// loader as --set overrides, so the loader (not this file) decides what a value means
// and reports a bad one with its usual message.
#include "ml4t/backtest/sweep/parameter_space.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <fstream>
#include <random>
#include <set>
#include <sstream>

#include "config/yaml_loading.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

namespace {

// Far more than any machine runs; a typo like a 1000-value range times five keys is
// caught here instead of after planning a billion tasks.
constexpr size_t kMaxSets = 1'000'000;

// A value as the text --set takes: scalars as written, lists/maps in flow style.
std::string value_text(const YAML::Node& node) {
  if (node.IsScalar()) return node.Scalar();
  YAML::Emitter out;
  out << YAML::Flow << node;
  return out.c_str();
}

std::string describe_node(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "nothing";
  if (node.IsScalar()) return fmt::format("\"{}\"", node.Scalar());
  return node.IsSequence() ? "a list" : "a mapping";
}

[[noreturn]] void fail(const std::string& origin, const std::string& where, const std::string& message) {
  throw ConfigError(fmt::format("{}: {}: {}", origin, where, message));
}

void check_key(const std::string& origin, const std::string& where, const std::string& key) {
  if (key.empty() || key.find('=') != std::string::npos || key.front() == '.' || key.back() == '.') {
    fail(origin, where,
         fmt::format("\"{}\" is not a config key path; write it like strategy.entry (sections joined by dots)", key));
  }
}

ParameterSpace parse_grid(const YAML::Node& grid, const std::string& origin) {
  if (!grid.IsMap() || grid.size() == 0) {
    fail(origin, "grid", fmt::format("expected a mapping of key paths to value lists, e.g. grid: {{strategy.entry: "
                                     "[0.6, 0.7]}}, got {}",
                                     describe_node(grid)));
  }
  ParameterSpace space;
  space.kind = "grid";
  std::vector<std::vector<std::string>> values;
  size_t total = 1;
  for (const auto& item : grid) {
    const std::string key = item.first.as<std::string>();
    const std::string where = fmt::format("grid.{}", key);
    check_key(origin, where, key);
    const YAML::Node& list = item.second;
    if (!list.IsSequence() || list.size() == 0) {
      fail(origin, where, fmt::format("expected a non-empty list of values, e.g. [0.6, 0.7], got {}",
                                      describe_node(list)));
    }
    std::vector<std::string> texts;
    for (const auto& v : list) texts.push_back(value_text(v));
    if (std::set<std::string>(texts.begin(), texts.end()).size() != texts.size()) {
      fail(origin, where, "a value is listed twice; every combination must be distinct, so list each value once");
    }
    total *= texts.size();
    if (total > kMaxSets) {
      fail(origin, "grid", fmt::format("more than {} combinations; sweep fewer values per key", kMaxSets));
    }
    space.keys.push_back(key);
    values.push_back(std::move(texts));
  }
  // Odometer over the value lists, the last key turning fastest.
  std::vector<size_t> at(values.size(), 0);
  for (size_t n = 0; n < total; ++n) {
    ParameterSet set;
    for (size_t k = 0; k < values.size(); ++k) set.values.emplace_back(space.keys[k], values[k][at[k]]);
    space.sets.push_back(std::move(set));
    for (size_t k = values.size(); k-- > 0;) {
      if (++at[k] < values[k].size()) break;
      at[k] = 0;
    }
  }
  return space;
}

struct Dimension {
  std::string key;
  bool uniform = false;
  double lo = 0, hi = 0;
  std::vector<std::string> choices;
};

Dimension parse_dimension(const std::string& key, const YAML::Node& spec, const std::string& origin) {
  const std::string where = fmt::format("random.space.{}", key);
  check_key(origin, where, key);
  Dimension d;
  d.key = key;
  if (!spec.IsMap() || spec.size() != 1 || !(spec["uniform"] || spec["choice"])) {
    fail(origin, where, fmt::format("expected {{uniform: [low, high]}} or {{choice: [a, b, ...]}}, got {}",
                                    describe_node(spec)));
  }
  if (const auto u = spec["uniform"]) {
    d.uniform = true;
    try {
      if (!u.IsSequence() || u.size() != 2) throw YAML::Exception(YAML::Mark::null_mark(), "");
      d.lo = u[0].as<double>();
      d.hi = u[1].as<double>();
    } catch (const YAML::Exception&) {
      fail(origin, where + ".uniform", fmt::format("expected two numbers [low, high], got {}", describe_node(u)));
    }
    if (!(d.lo < d.hi)) {
      fail(origin, where + ".uniform", fmt::format("low {} must be below high {}", d.lo, d.hi));
    }
  } else {
    const auto c = spec["choice"];
    if (!c.IsSequence() || c.size() == 0) {
      fail(origin, where + ".choice", fmt::format("expected a non-empty list, got {}", describe_node(c)));
    }
    for (const auto& v : c) d.choices.push_back(value_text(v));
  }
  return d;
}

ParameterSpace parse_random(const YAML::Node& random, const std::string& origin) {
  if (!random.IsMap()) fail(origin, "random", "expected {n: 100, seed: 1, space: {key: {uniform: [lo, hi]}}}");
  for (const auto& item : random) {
    const auto k = item.first.as<std::string>();
    if (k != "n" && k != "seed" && k != "space") {
      fail(origin, "random." + k, "unknown key; random takes n, seed and space");
    }
  }
  int64_t n = 0;
  uint64_t seed = 0;
  try {
    n = random["n"].as<int64_t>();
  } catch (const YAML::Exception&) {
    fail(origin, "random.n", fmt::format("expected the number of draws, got {}", describe_node(random["n"])));
  }
  if (n < 1 || static_cast<uint64_t>(n) > kMaxSets) {
    fail(origin, "random.n", fmt::format("{} draws; give 1 to {}", n, kMaxSets));
  }
  try {
    seed = random["seed"].as<uint64_t>();
  } catch (const YAML::Exception&) {
    fail(origin, "random.seed",
         fmt::format("expected a non-negative integer seed (it makes the draws repeatable), got {}",
                     describe_node(random["seed"])));
  }
  const YAML::Node space_node = random["space"];
  if (!space_node.IsMap() || space_node.size() == 0) {
    fail(origin, "random.space", fmt::format("expected a mapping of key paths to {{uniform: ...}} or {{choice: ...}}, "
                                             "got {}",
                                             describe_node(space_node)));
  }
  std::vector<Dimension> dims;
  ParameterSpace space;
  space.kind = "random";
  for (const auto& item : space_node) {
    dims.push_back(parse_dimension(item.first.as<std::string>(), item.second, origin));
    space.keys.push_back(dims.back().key);
  }
  // mt19937_64's output sequence is fixed by the standard; unit_interval turns it into
  // doubles the same way on every platform. Draws go key by key within a set.
  std::mt19937_64 rng(seed);
  std::set<std::vector<std::string>> seen;
  for (int64_t i = 0; i < n; ++i) {
    ParameterSet set;
    std::vector<std::string> texts;
    for (const auto& d : dims) {
      const double u = unit_interval(rng());
      std::string text;
      if (d.uniform) {
        text = fmt::format("{}", d.lo + (d.hi - d.lo) * u);  // shortest text that reads back to the same double
      } else {
        text = d.choices[std::min(d.choices.size() - 1, static_cast<size_t>(u * static_cast<double>(d.choices.size())))];
      }
      texts.push_back(text);
      set.values.emplace_back(d.key, text);
    }
    if (!seen.insert(texts).second) continue;  // a repeated draw (choices only, in practice) is one task
    space.sets.push_back(std::move(set));
  }
  return space;
}

ParameterSpace parse_list(const YAML::Node& list, const std::string& origin) {
  if (!list.IsSequence() || list.size() == 0) {
    fail(origin, "list", fmt::format("expected a non-empty list of mappings, e.g. list: [{{strategy.entry: 0.7}}], "
                                     "got {}",
                                     describe_node(list)));
  }
  ParameterSpace space;
  space.kind = "list";
  std::set<std::string> known;
  std::set<std::vector<std::pair<std::string, std::string>>> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = fmt::format("list[{}]", i);
    const YAML::Node& entry = list[i];
    if (!entry.IsMap() || entry.size() == 0) {
      fail(origin, where, fmt::format("expected a mapping of key paths to values, got {}", describe_node(entry)));
    }
    ParameterSet set;
    for (const auto& item : entry) {
      const std::string key = item.first.as<std::string>();
      check_key(origin, where, key);
      if (known.insert(key).second) space.keys.push_back(key);
      set.values.emplace_back(key, value_text(item.second));
    }
    if (!seen.insert(set.values).second) {
      fail(origin, where, "repeats an earlier entry; every entry must be distinct");
    }
    space.sets.push_back(std::move(set));
  }
  return space;
}

}  // namespace

std::vector<std::string> ParameterSet::overrides() const {
  std::vector<std::string> out;
  out.reserve(values.size());
  for (const auto& [key, value] : values) out.push_back(key + "=" + value);
  return out;
}

std::string ParameterSet::describe() const {
  std::string out;
  for (const auto& [key, value] : values) out += fmt::format("{}{}={}", out.empty() ? "" : ", ", key, value);
  return out;
}

double unit_interval(uint64_t bits) { return static_cast<double>(bits >> 11) * 0x1.0p-53; }

ParameterSpace parse_parameter_space(std::string_view text, const std::string& origin) {
  const YAML::Node root = yaml_loading::load_checked(text, origin, "the grid file");
  if (!root.IsMap()) {
    throw ConfigError(fmt::format("{}: the grid file must be a mapping with one of grid, random or list", origin));
  }
  std::vector<std::string> given;
  for (const auto& item : root) {
    const auto key = item.first.as<std::string>();
    if (key != "grid" && key != "random" && key != "list") {
      fail(origin, key, "unknown key; a grid file holds exactly one of grid, random or list");
    }
    given.push_back(key);
  }
  if (given.size() != 1) {
    fail(origin, given.empty() ? "(top)" : given.front(),
         fmt::format("a grid file holds exactly one of grid, random or list, got {}", given.size()));
  }
  if (given.front() == "grid") return parse_grid(root["grid"], origin);
  if (given.front() == "random") return parse_random(root["random"], origin);
  return parse_list(root["list"], origin);
}

ParameterSpace load_parameter_space(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("{}: cannot open the grid file; check the path", path.string()));
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_parameter_space(ss.str(), path.string());
}

}  // namespace ml4t::backtest
