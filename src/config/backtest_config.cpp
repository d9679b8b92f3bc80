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
#include "ml4t/backtest/engine/limits.hpp"
#include "ml4t/backtest/results/writer.hpp"
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

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    out += items[i];
  }
  return out;
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::vector<std::string> q;
  for (const auto& s : items) q.push_back(fmt::format("\"{}\"", s));
  return join(q, ", ");
}

std::string child_path(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : fmt::format("{}.{}", parent, key);
}

// The closest candidate within a small edit distance, for "did you mean".
std::optional<std::string> suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::optional<std::string> best;
  size_t best_d = std::numeric_limits<size_t>::max();
  for (const auto& c : candidates) {
    const size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  const size_t limit = std::max<size_t>(2, word.size() / 3);
  if (best && best_d <= limit) return best;
  return std::nullopt;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Null:
      return "nothing";
    case YAML::NodeType::Scalar:
      return fmt::format("\"{}\"", node.Scalar());
    default:
      return "nothing";
  }
}

// Stands in for a value whose ${VAR} could not be expanded.
constexpr std::string_view kUnresolved = "\x01unresolved";

bool is_glob(std::string_view path) { return path.find_first_of("*?[") != std::string_view::npos; }

class Loader {
 public:
  Loader(fs::path base_dir, std::string origin) : base_(std::move(base_dir)), origin_(std::move(origin)) {}

  void error(const std::string& path, const std::string& message) {
    errors_.push_back(fmt::format("{}: {}", path, message));
  }
  void error_text(std::string message) { errors_.push_back(std::move(message)); }
  const std::vector<std::string>& errors() const { return errors_; }

  // ${VAR} / ${VAR:-default} in every scalar, in place.
  void expand_tree(YAML::Node node, const std::string& path) {
    if (node.IsScalar()) {
      if (node.Scalar().find("${") == std::string::npos) return;
      if (auto text = expand(node.Scalar(), path)) {
        node = *text;
      } else {
        node = std::string(kUnresolved);  // already reported; checks of this value stay quiet
      }
    } else if (node.IsSequence()) {
      for (size_t i = 0; i < node.size(); ++i) expand_tree(node[i], fmt::format("{}[{}]", path, i));
    } else if (node.IsMap()) {
      for (auto it = node.begin(); it != node.end(); ++it) {
        expand_tree(it->second, child_path(path, it->first.Scalar()));
      }
    }
  }

  std::optional<std::string> expand(const std::string& text, const std::string& path) {
    std::string out;
    bool ok = true;
    size_t i = 0;
    while (i < text.size()) {
      if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
        const size_t close = text.find('}', i + 2);
        if (close == std::string::npos) {
          error(path, fmt::format("unterminated \"${{\" in \"{}\"; write ${{NAME}} or ${{NAME:-default}}", text));
          return std::nullopt;
        }
        const std::string inner = text.substr(i + 2, close - i - 2);
        const size_t dash = inner.find(":-");
        const std::string name = inner.substr(0, dash);
        const bool valid_name = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                                std::all_of(name.begin(), name.end(), [](char c) {
                                  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                                });
        if (!valid_name) {
          error(path, fmt::format("bad variable reference \"${{{}}}\"; write ${{NAME}} or ${{NAME:-default}}", inner));
          ok = false;
        } else if (const char* value = std::getenv(name.c_str()); value != nullptr && *value != '\0') {
          out += value;
        } else if (dash != std::string::npos) {
          out += inner.substr(dash + 2);
        } else {
          error(path, fmt::format("environment variable {} is not defined; export {}=... or write ${{{}:-default}}",
                                  name, name, name));
          ok = false;
        }
        i = close + 1;
      } else {
        out += text[i++];
      }
    }
    if (!ok) return std::nullopt;
    return out;
  }

  // Report keys of `node` not in `allowed`, with a suggestion.
  void check_keys(const YAML::Node& node, const std::string& path, const std::vector<std::string>& allowed) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      if (auto s = suggest(key, allowed)) {
        error(child_path(path, key), fmt::format("unknown key; did you mean \"{}\"?", *s));
      } else {
        error(child_path(path, key), fmt::format("unknown key; expected one of {}", quoted_list(allowed)));
      }
    }
  }

  // A mapping section (absent or null = nullopt; anything else that is not a map = error).
  std::optional<YAML::Node> section(const YAML::Node& parent, std::string_view key, const std::string& path,
                                    const std::vector<std::string>& allowed) {
    const YAML::Node node = parent[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) return std::nullopt;
    if (!node.IsMap()) {
      error(path, fmt::format("expected a mapping of {}, got {}", quoted_list(allowed), describe(node)));
      return std::nullopt;
    }
    check_keys(node, path, allowed);
    return node;
  }

  static std::optional<YAML::Node> present(const YAML::Node& parent, std::string_view key) {
    const YAML::Node node = parent[std::string(key)];
    if (!node.IsDefined() || node.IsNull()) return std::nullopt;
    return node;
  }

  std::optional<std::string> scalar(const YAML::Node& node, const std::string& path, std::string_view expected) {
    if (node.IsScalar() && node.Scalar() == kUnresolved) return std::nullopt;
    if (!node.IsScalar()) {
      error(path, fmt::format("expected {}, got {}", expected, describe(node)));
      return std::nullopt;
    }
    return node.Scalar();
  }

  // A finite number within [lo, hi] (hi_open: < hi). `hint` says what the value means.
  void number(const YAML::Node& parent, std::string_view key, const std::string& parent_path, double& out,
              double lo = -std::numeric_limits<double>::infinity(), double hi = std::numeric_limits<double>::infinity(),
              bool lo_open = false, bool hi_open = false) {
    std::optional<double> v;
    number_opt(parent, key, parent_path, v, lo, hi, lo_open, hi_open);
    if (v) out = *v;
  }

  void number_opt(const YAML::Node& parent, std::string_view key, const std::string& parent_path,
                  std::optional<double>& out, double lo = -std::numeric_limits<double>::infinity(),
                  double hi = std::numeric_limits<double>::infinity(), bool lo_open = false, bool hi_open = false) {
    const auto node = present(parent, key);
    if (!node) return;
    const std::string path = child_path(parent_path, key);
    const auto text = scalar(*node, path, "a number");
    if (!text) return;
    double value = 0;
    const char* begin = text->data();
    const char* end = begin + text->size();
    const auto res = std::from_chars(begin, end, value);
    if (res.ec != std::errc() || res.ptr != end || text->empty()) {
      error(path, fmt::format("expected a number, got \"{}\"", *text));
      return;
    }
    if (!std::isfinite(value)) {
      error(path, fmt::format("expected a finite number, got \"{}\"", *text));
      return;
    }
    const bool below = lo_open ? value <= lo : value < lo;
    const bool above = hi_open ? value >= hi : value > hi;
    if (below || above) {
      error(path, fmt::format("{} is out of range; use a value {}", *text, range_text(lo, hi, lo_open, hi_open)));
      return;
    }
    out = value;
  }

  static std::string range_text(double lo, double hi, bool lo_open, bool hi_open) {
    const bool has_lo = std::isfinite(lo), has_hi = std::isfinite(hi);
    if (has_lo && has_hi) {
      return fmt::format("{} {} and {} {}", lo_open ? ">" : ">=", lo, hi_open ? "<" : "<=", hi);
    }
    if (has_lo) return fmt::format("{} {}", lo_open ? ">" : ">=", lo);
    return fmt::format("{} {}", hi_open ? "<" : "<=", hi);
  }

  void integer(const YAML::Node& parent, std::string_view key, const std::string& parent_path, int& out,
               int lo = std::numeric_limits<int>::min(), int hi = std::numeric_limits<int>::max()) {
    const auto node = present(parent, key);
    if (!node) return;
    const std::string path = child_path(parent_path, key);
    const auto text = scalar(*node, path, "a whole number");
    if (!text) return;
    int value = 0;
    const char* begin = text->data();
    const char* end = begin + text->size();
    const auto res = std::from_chars(begin, end, value);
    if (res.ec == std::errc::result_out_of_range && res.ptr == end) {
      error(path, fmt::format("{} is too large a number; use a value {}", *text,
                              hi == std::numeric_limits<int>::max() ? fmt::format(">= {} and <= {}", lo, hi)
                                                                    : fmt::format("between {} and {}", lo, hi)));
      return;
    }
    if (res.ec != std::errc() || res.ptr != end || text->empty()) {
      error(path, fmt::format("expected a whole number, got \"{}\"", *text));
      return;
    }
    if (value < lo || value > hi) {
      error(path, fmt::format("{} is out of range; use a value {}", *text,
                              hi == std::numeric_limits<int>::max() ? fmt::format(">= {}", lo)
                                                                    : fmt::format("between {} and {}", lo, hi)));
      return;
    }
    out = value;
  }

  void boolean(const YAML::Node& parent, std::string_view key, const std::string& parent_path, bool& out) {
    const auto node = present(parent, key);
    if (!node) return;
    const std::string path = child_path(parent_path, key);
    const auto text = scalar(*node, path, "true or false");
    if (!text) return;
    std::string lower = *text;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "true" || lower == "yes" || lower == "on") {
      out = true;
    } else if (lower == "false" || lower == "no" || lower == "off") {
      out = false;
    } else {
      error(path, fmt::format("expected true or false, got \"{}\"", *text));
    }
  }

  void string(const YAML::Node& parent, std::string_view key, const std::string& parent_path, std::string& out,
              bool allow_empty = false) {
    const auto node = present(parent, key);
    if (!node) return;
    const std::string path = child_path(parent_path, key);
    const auto text = scalar(*node, path, "a string");
    if (!text) return;
    if (text->empty() && !allow_empty) {
      error(path, "must not be empty; remove the key to use the default");
      return;
    }
    out = *text;
  }

  // One of `choices`; returns the index.
  std::optional<size_t> choice(const YAML::Node& parent, std::string_view key, const std::string& parent_path,
                               const std::vector<std::string>& choices) {
    const auto node = present(parent, key);
    if (!node) return std::nullopt;
    const std::string path = child_path(parent_path, key);
    const auto text = scalar(*node, path, fmt::format("one of {}", quoted_list(choices)));
    if (!text) return std::nullopt;
    const auto it = std::find(choices.begin(), choices.end(), *text);
    if (it != choices.end()) return static_cast<size_t>(it - choices.begin());
    if (auto s = suggest(*text, choices)) {
      error(path,
            fmt::format("unknown value \"{}\"; did you mean \"{}\"? (one of {})", *text, *s, quoted_list(choices)));
    } else {
      error(path, fmt::format("unknown value \"{}\"; use one of {}", *text, quoted_list(choices)));
    }
    return std::nullopt;
  }

  // A list of non-empty strings (a single scalar counts as a list of one).
  void string_list(const YAML::Node& parent, std::string_view key, const std::string& parent_path,
                   std::vector<std::string>& out) {
    const auto node = present(parent, key);
    if (!node) return;
    const std::string path = child_path(parent_path, key);
    std::vector<std::string> items;
    if (node->IsScalar()) {
      items.push_back(node->Scalar());
    } else if (node->IsSequence()) {
      for (size_t i = 0; i < node->size(); ++i) {
        const YAML::Node item = (*node)[i];
        if (!item.IsScalar() || item.Scalar().empty()) {
          error(fmt::format("{}[{}]", path, i), fmt::format("expected a name, got {}", describe(item)));
          return;
        }
        items.push_back(item.Scalar());
      }
    } else {
      error(path, fmt::format("expected a list of names, got {}", describe(*node)));
      return;
    }
    std::set<std::string> seen;
    for (const auto& item : items) {
      if (!seen.insert(item).second) {
        error(path, fmt::format("\"{}\" is listed twice; list each name once", item));
        return;
      }
    }
    out = std::move(items);
  }

  fs::path resolve(const std::string& text) const {
    fs::path p(text);
    if (p.is_relative()) p = base_ / p;
    return p.lexically_normal();
  }

  // An input path that must exist (for a glob: the folder before the first wildcard).
  std::optional<fs::path> input_path(const YAML::Node& parent, const std::string& parent_path) {
    const std::string path = child_path(parent_path, "path");
    const auto node = present(parent, "path");
    if (!node) {
      error(path, "missing; add the data file, e.g. path: data/prices.parquet");
      return std::nullopt;
    }
    const auto text = scalar(*node, path, "a file path");
    if (!text) return std::nullopt;
    if (text->empty()) {
      error(path, "must not be empty; give the data file");
      return std::nullopt;
    }
    const fs::path resolved = resolve(*text);
    std::error_code ec;
    if (is_glob(resolved.string())) {
      fs::path folder;
      for (const auto& part : resolved) {
        if (is_glob(part.string())) break;
        folder /= part;
      }
      if (!fs::is_directory(folder, ec)) {
        error(path, fmt::format("folder {} of the pattern \"{}\" does not exist; check the path (relative paths "
                                "are resolved against {})",
                                folder.string(), *text, base_.string()));
        return std::nullopt;
      }
    } else if (!fs::exists(resolved, ec)) {
      // exists() sets ec only when the answer is unknown: a loop or a permission, not absence.
      if (ec == std::errc::too_many_symbolic_link_levels) {
        error(path, fmt::format("cannot open {}: it is a symbolic link loop; point the path at the real file",
                                resolved.string()));
      } else if (ec == std::errc::permission_denied) {
        error(path, fmt::format("cannot reach {}: permission denied on a folder of its path; make the folders "
                                "readable (chmod +rx) or copy the file somewhere you can read",
                                resolved.string()));
      } else {
        error(path, fmt::format("file not found: {}; check the path (relative paths are resolved against {})",
                                resolved.string(), base_.string()));
      }
      return std::nullopt;
    }
    return resolved;
  }

  std::optional<SourceConfig> source(const YAML::Node& parent, std::string_view key, const std::string& parent_path,
                                     bool keyed_by_asset) {
    const std::string path = child_path(parent_path, key);
    const auto raw = present(parent, key);
    if (!raw) return std::nullopt;
    SourceConfig src;
    if (!keyed_by_asset) src.asset_column.clear();
    YAML::Node node = *raw;
    if (node.IsScalar()) {  // shorthand: `signals: data/signals.parquet`
      YAML::Node map(YAML::NodeType::Map);
      map["path"] = node.Scalar();
      node = map;
    }
    static const std::vector<std::string> keys = {"path",         "format",  "timestamp_column", "timestamp_format",
                                                  "asset_column", "columns"};
    if (!node.IsMap()) {
      error(path, fmt::format("expected a file path or a mapping of {}, got {}", quoted_list(keys), describe(node)));
      return std::nullopt;
    }
    check_keys(node, path, keys);
    fill_source(node, path, src);
    return src;
  }

  void fill_source(const YAML::Node& node, const std::string& path, SourceConfig& src) {
    const auto resolved = input_path(node, path);
    if (resolved) src.path = *resolved;
    if (const auto f = choice(node, "format", path, {"parquet", "csv"})) {
      src.format = *f == 0 ? "parquet" : "csv";
    } else if (!present(node, "format") && resolved) {
      std::string name = resolved->filename().string();
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      auto ends_with = [&](std::string_view suffix) {
        return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
      };
      std::error_code ec;
      if (ends_with(".parquet") || ends_with(".pq") || fs::is_directory(*resolved, ec)) {
        src.format = "parquet";
      } else if (ends_with(".csv") || ends_with(".csv.gz") || ends_with(".tsv")) {
        src.format = "csv";
      } else {
        error(child_path(path, "format"),
              fmt::format("cannot tell the format of \"{}\" from its name; add format: parquet or format: csv",
                          resolved->filename().string()));
      }
    }
    string(node, "timestamp_column", path, src.timestamp_column);
    string(node, "timestamp_format", path, src.timestamp_format);
    if (present(node, "asset_column")) {
      string(node, "asset_column", path, src.asset_column, /*allow_empty=*/true);
    } else if (node["asset_column"].IsDefined() && node["asset_column"].IsNull()) {
      src.asset_column.clear();  // `asset_column: null`: keyed by time alone
    }
    string_list(node, "columns", path, src.columns);
  }

  std::vector<std::string> errors_;
  fs::path base_;
  std::string origin_;
};

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

// A DuckDB size such as "512MB", "1.5 GB" or "4GiB" (checked here so that a typo is a
// config error listed with the others, not a failure when DuckDB starts).
bool is_memory_size(std::string_view text) {
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < text.size() && text[i] == ' ') ++i;
  };
  auto digits = [&] {
    const size_t from = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > from;
  };
  skip_spaces();
  if (!digits()) return false;
  if (i < text.size() && text[i] == '.' && (++i, !digits())) return false;
  skip_spaces();
  std::string unit;
  for (; i < text.size() && text[i] != ' '; ++i) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  skip_spaces();
  static const std::set<std::string> kUnits = {"B", "KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB"};
  return i == text.size() && kUnits.count(unit) > 0;
}

// A scalar of strategy.params with the type YAML gives it: quoted = text; plain scalars
// are tried as integer, number, then boolean (yaml-cpp's own conversions).
std::optional<StrategyParam> param_scalar(const YAML::Node& node) {
  StrategyParam v;
  v.text = node.Scalar();
  if (node.Tag() == "!") return v;  // quoted
  int64_t i = 0;
  double d = 0;
  bool b = false;
  if (YAML::convert<int64_t>::decode(node, i)) {
    v.kind = StrategyParam::Kind::kInteger;
    v.integer = i;
    v.number = static_cast<double>(i);
  } else if (YAML::convert<double>::decode(node, d) && std::isfinite(d)) {
    v.kind = StrategyParam::Kind::kNumber;
    v.number = d;
  } else if (YAML::convert<bool>::decode(node, b)) {
    v.kind = StrategyParam::Kind::kBool;
    v.flag = b;
  }
  return v;
}

void load_strategy_params(Loader& L, const YAML::Node& node, StrategyParams& out) {
  if (!node.IsMap()) {
    L.error("strategy.params", fmt::format("expected a mapping of name: value, got {}", describe(node)));
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string name = it->first.Scalar();
    const std::string path = StrategyParams::path_of(name);
    const YAML::Node value = it->second;
    if (value.IsScalar() && value.Scalar() == kUnresolved) continue;
    if (value.IsScalar()) {
      out.set(name, *param_scalar(value));
    } else if (value.IsSequence()) {
      StrategyParam list;
      list.kind = StrategyParam::Kind::kList;
      bool ok = true;
      for (size_t i = 0; i < value.size() && ok; ++i) {
        if (!value[i].IsScalar()) {
          L.error(fmt::format("{}[{}]", path, i), fmt::format("expected a number or text, got {}", describe(value[i])));
          ok = false;
        } else {
          list.items.push_back(*param_scalar(value[i]));
          list.text += (i ? ", " : "") + value[i].Scalar();
        }
      }
      list.text = "[" + list.text + "]";
      if (ok) out.set(name, std::move(list));
    } else if (value.IsNull()) {
      L.error(path, "has no value; give one (e.g. 0.5) or remove it");
    } else {
      L.error(path, fmt::format("expected a number, text or a list of them, got {}", describe(value)));
    }
  }
}

// strategy: {type: plugin|python, path, class, params}.
void load_custom_strategy(Loader& L, const YAML::Node& node, BacktestConfig& cfg) {
  CustomStrategyConfig c;
  c.type = node["type"].Scalar();
  L.check_keys(node, "strategy", {"type", "path", "class", "params"});
  const bool python = c.type == "python";
  const auto path_node = Loader::present(node, "path");
  if (!path_node) {
    L.error("strategy.path", python ? "missing; give the Python file, e.g. path: my_strategy.py"
                                    : "missing; give the plugin library, e.g. path: build/libmy_strategy.so");
  } else if (const auto text = L.scalar(*path_node, "strategy.path", "a file path")) {
    c.path = L.resolve(*text);
    std::error_code ec;
    if (text->empty()) {
      L.error("strategy.path", "must not be empty");
    } else if (!fs::is_regular_file(c.path, ec)) {
      L.error("strategy.path", fmt::format("{} not found: {}; check the path (relative paths are resolved against "
                                           "the config's folder)",
                                           python ? "Python file" : "plugin library", c.path.string()));
    }
  }
  L.string(node, "class", "strategy", c.class_name);
  if (python && c.class_name.empty() && !Loader::present(node, "class")) {
    L.error("strategy.class", "missing; name the Strategy subclass in the file, e.g. class: MyStrategy");
  }
  if (const auto params = Loader::present(node, "params")) load_strategy_params(L, *params, c.params);
  cfg.custom_strategy = std::move(c);
}

const std::vector<std::string> kTopKeys = {"data_sources",  "features", "execution", "risk_rules",
                                           "signal_timing", "strategy", "universe",  "output", "resources",
                                           "data_quality"};

BacktestConfig load(YAML::Node root, const fs::path& base_dir, const std::vector<std::string>& overrides,
                    const std::string& origin) {
  Loader L(base_dir, origin);
  BacktestConfig cfg;
  if (!root.IsDefined() || root.IsNull()) root = YAML::Node(YAML::NodeType::Map);
  if (!root.IsMap()) {
    throw ConfigError(fmt::format("{}: the config must be a mapping with keys {}, got {}", origin,
                                  quoted_list(kTopKeys), describe(root)));
  }
  for (const auto& o : overrides) apply_override(root, o, L);
  L.expand_tree(root, "");
  L.check_keys(root, "", kTopKeys);

  // data_sources
  if (const auto ds = L.section(root, "data_sources", "data_sources", {"prices", "signals", "context"})) {
    if (auto prices = L.source(*ds, "prices", "data_sources", true)) {
      cfg.data_sources.prices = *prices;
    } else if (!Loader::present(*ds, "prices")) {
      L.error("data_sources.prices", "missing; add the price file, e.g. prices: {path: data/prices.parquet}");
    }
    cfg.data_sources.signals = L.source(*ds, "signals", "data_sources", true);
    cfg.data_sources.context = L.source(*ds, "context", "data_sources", false);
  } else if (!Loader::present(root, "data_sources")) {
    L.error("data_sources", "missing; add data_sources: {prices: {path: data/prices.parquet}}");
  }

  // features
  static const std::vector<std::string> feature_keys = {"type",         "path",   "format", "timestamp_column",
                                                        "asset_column", "columns",  "timestamp_format"};
  if (const auto fe = L.section(root, "features", "features", feature_keys)) {
    FeaturesConfig features;
    L.choice(*fe, "type", "features", {"precomputed"});
    L.fill_source(*fe, "features", features.source);
    cfg.features = features;
  }

  // execution
  static const std::vector<std::string> exec_keys = {"initial_capital",
                                                     "commission",
                                                     "slippage",
                                                     "fill_timing",
                                                     "fractional_shares",
                                                     "allow_short",
                                                     "max_volume_participation",
                                                     "close_positions_at_end",
                                                     "periods_per_year"};
  if (const auto ex = L.section(root, "execution", "execution", exec_keys)) {
    auto& e = cfg.execution;
    L.number(*ex, "initial_capital", "execution", e.initial_capital, 0, kMaxAmount, true);
    if (const auto c = L.section(*ex, "commission", "execution.commission", {"type", "rate", "minimum", "min"})) {
      if (const auto t = L.choice(*c, "type", "execution.commission", {"none", "per_share", "percentage", "fixed"})) {
        e.commission.type = static_cast<CommissionType>(*t);
      }
      const bool bounded = e.commission.type != CommissionType::kFixed;
      L.number(*c, "rate", "execution.commission", e.commission.rate, 0, bounded ? 1.0 : kMaxAmount, false, bounded);
      L.number(*c, "minimum", "execution.commission", e.commission.minimum, 0, kMaxAmount);
      L.number(*c, "min", "execution.commission", e.commission.minimum, 0, kMaxAmount);
      if (!Loader::present(*c, "type") && e.commission.rate > 0) {
        L.error("execution.commission.type", "missing while rate is set; add type: per_share, percentage or fixed");
      }
    }
    if (const auto s = L.section(*ex, "slippage", "execution.slippage", {"type", "rate"})) {
      if (const auto t = L.choice(*s, "type", "execution.slippage", {"none", "percentage", "fixed", "volume_share"})) {
        e.slippage.type = static_cast<SlippageType>(*t);
      }
      const bool bounded = e.slippage.type != SlippageType::kFixed;
      L.number(*s, "rate", "execution.slippage", e.slippage.rate, 0, bounded ? 1.0 : kMaxAmount, false, bounded);
      if (!Loader::present(*s, "type") && e.slippage.rate > 0) {
        L.error("execution.slippage.type", "missing while rate is set; add type: percentage, fixed or volume_share");
      }
    }
    if (const auto t = L.choice(*ex, "fill_timing", "execution", {"next_bar", "same_bar_close"})) {
      e.fill_timing = *t == 0 ? FillTiming::kNextBar : FillTiming::kSameBarClose;
    }
    L.boolean(*ex, "fractional_shares", "execution", e.fractional_shares);
    L.boolean(*ex, "allow_short", "execution", e.allow_short);
    L.number(*ex, "max_volume_participation", "execution", e.max_volume_participation, 0, 1);
    L.boolean(*ex, "close_positions_at_end", "execution", e.close_positions_at_end);
    L.number(*ex, "periods_per_year", "execution", e.periods_per_year, 0, kMaxPeriodsPerYear);
  }

  // risk_rules
  static const std::vector<std::string> risk_keys = {"max_position_size", "stop_loss",     "take_profit",
                                                     "trailing_stop",     "max_positions", "max_gross_exposure",
                                                     "min_vix",           "max_vix",       "context_field"};
  if (const auto rr = L.section(root, "risk_rules", "risk_rules", risk_keys)) {
    auto& r = cfg.risk_rules;
    L.number(*rr, "max_position_size", "risk_rules", r.max_position_size, 0, 1);
    L.number(*rr, "stop_loss", "risk_rules", r.stop_loss, 0, 1, false, true);
    L.number(*rr, "take_profit", "risk_rules", r.take_profit, 0, kMaxRatio);
    L.number(*rr, "trailing_stop", "risk_rules", r.trailing_stop, 0, 1, false, true);
    L.integer(*rr, "max_positions", "risk_rules", r.max_positions, 0);
    L.number(*rr, "max_gross_exposure", "risk_rules", r.max_gross_exposure, 0, kMaxRatio);
    L.number_opt(*rr, "min_vix", "risk_rules", r.min_vix, 0);
    L.number_opt(*rr, "max_vix", "risk_rules", r.max_vix, 0);
    L.string(*rr, "context_field", "risk_rules", r.context_field);
    if (r.min_vix && r.max_vix && *r.max_vix < *r.min_vix) {
      L.error("risk_rules.max_vix",
              fmt::format("{} is below min_vix {}; make max_vix >= min_vix", *r.max_vix, *r.min_vix));
    }
    if ((r.min_vix || r.max_vix) && !cfg.data_sources.context && !cfg.features) {
      L.error(r.max_vix ? "risk_rules.max_vix" : "risk_rules.min_vix",
              fmt::format("needs the market context field \"{}\"; add data_sources.context with that column",
                          r.context_field));
    }
  }

  // signal_timing
  if (const auto st =
          L.section(root, "signal_timing", "signal_timing", {"mode", "lag", "validate", "fail_on_violation"})) {
    auto& s = cfg.signal_timing;
    static const std::vector<std::string> modes = {"strict", "next_bar", "custom"};
    if (const auto m = L.choice(*st, "mode", "signal_timing", modes)) s.mode = modes[*m];
    const bool has_lag = Loader::present(*st, "lag").has_value();
    const int mode_lag = s.mode == "strict" ? 0 : 1;
    int lag = mode_lag;
    L.integer(*st, "lag", "signal_timing", lag, 0, 100000);
    // A lag equal to the mode's own is harmless (the resolved dump writes it); any other
    // lag outside custom mode would be silently ignored, so it is an error.
    if (has_lag && s.mode != "custom" && lag != mode_lag) {
      L.error("signal_timing.lag", fmt::format("applies only to mode custom (mode {} has lag {}); set mode: custom "
                                               "or remove lag",
                                               s.mode, mode_lag));
    }
    s.lag = s.mode == "strict" ? 0 : s.mode == "next_bar" ? 1 : lag;
    L.boolean(*st, "validate", "signal_timing", s.validate);
    L.boolean(*st, "fail_on_violation", "signal_timing", s.fail_on_violation);
  }

  // strategy
  static const std::vector<std::string> strategy_keys = {"type",
                                                         "signal",
                                                         "side",
                                                         "entry",
                                                         "exit",
                                                         "short_entry",
                                                         "short_exit",
                                                         "size_pct",
                                                         "k",
                                                         "rebalance_every",
                                                         "weight_per_asset",
                                                         "gross_exposure",
                                                         "min_confidence",
                                                         "confidence_signal",
                                                         "context_filters"};
  // Read-only lookups: operator[] on a non-const node would add the keys it looks for.
  const YAML::Node strategy_node = static_cast<const YAML::Node&>(root)["strategy"];
  const YAML::Node strategy_type = strategy_node.IsDefined() && strategy_node.IsMap()
                                       ? static_cast<const YAML::Node&>(strategy_node)["type"]
                                       : YAML::Node();
  const bool custom = strategy_type.IsDefined() && strategy_type.IsScalar() &&
                      (strategy_type.Scalar() == "plugin" || strategy_type.Scalar() == "python");
  if (custom) {
    load_custom_strategy(L, strategy_node, cfg);
  } else if (const auto sn = L.section(root, "strategy", "strategy", strategy_keys)) {
    auto& s = cfg.strategy;
    static const std::vector<std::string> types = {"signal_threshold", "top_k", "plugin", "python"};
    if (const auto t = L.choice(*sn, "type", "strategy", types)) s.type = types[*t];
    L.string(*sn, "signal", "strategy", s.signal);
    if (const auto side = L.choice(*sn, "side", "strategy", {"long", "short", "both"})) {
      s.side = static_cast<StrategySide>(*side);
    }
    L.number(*sn, "entry", "strategy", s.entry);
    L.number(*sn, "exit", "strategy", s.exit);
    L.number_opt(*sn, "short_entry", "strategy", s.short_entry);
    L.number_opt(*sn, "short_exit", "strategy", s.short_exit);
    L.number(*sn, "size_pct", "strategy", s.size_pct, 0, 1, true, false);
    L.integer(*sn, "k", "strategy", s.k, 1);
    L.integer(*sn, "rebalance_every", "strategy", s.rebalance_every, 1);
    L.number_opt(*sn, "weight_per_asset", "strategy", s.weight_per_asset, 0, 1, true, false);
    L.number(*sn, "gross_exposure", "strategy", s.gross_exposure, 0, 10, true, false);
    L.number_opt(*sn, "min_confidence", "strategy", s.min_confidence);
    L.string(*sn, "confidence_signal", "strategy", s.confidence_signal);
    if (const auto cf = Loader::present(*sn, "context_filters")) {
      const std::string path = "strategy.context_filters";
      if (!cf->IsSequence()) {
        L.error(path, fmt::format("expected a list of rules like \"vix < 20\", got {}", describe(*cf)));
      } else {
        static const std::vector<std::string> ops = {"<", "<=", ">", ">=", "==", "!="};
        for (size_t i = 0; i < cf->size(); ++i) {
          const std::string item_path = fmt::format("{}[{}]", path, i);
          const YAML::Node item = (*cf)[i];
          StrategySpec::ContextRule rule;
          std::string op_text, value_text;
          if (item.IsScalar()) {
            std::istringstream in(item.Scalar());
            std::string extra;
            if (!(in >> rule.field >> op_text >> value_text) || (in >> extra)) {
              L.error(item_path,
                      fmt::format("cannot read rule \"{}\"; write it as \"field op value\", e.g. \"vix < 20\"",
                                  item.Scalar()));
              continue;
            }
          } else if (item.IsMap()) {
            L.check_keys(item, item_path, {"field", "op", "value"});
            if (!item["field"] || !item["op"] || !item["value"] || !item["field"].IsScalar() ||
                !item["op"].IsScalar() || !item["value"].IsScalar()) {
              L.error(item_path, "needs field, op and value, e.g. {field: vix, op: \"<\", value: 20}");
              continue;
            }
            rule.field = item["field"].Scalar();
            op_text = item["op"].Scalar();
            value_text = item["value"].Scalar();
          } else {
            L.error(item_path, fmt::format("expected a rule like \"vix < 20\", got {}", describe(item)));
            continue;
          }
          if (std::find(ops.begin(), ops.end(), op_text) == ops.end()) {
            L.error(item_path, fmt::format("unknown operator \"{}\"; use one of {}", op_text, quoted_list(ops)));
            continue;
          }
          rule.op = op_text;
          const auto res = std::from_chars(value_text.data(), value_text.data() + value_text.size(), rule.value);
          if (res.ec != std::errc() || res.ptr != value_text.data() + value_text.size() || !std::isfinite(rule.value)) {
            L.error(item_path, fmt::format("expected a number to compare with, got \"{}\"", value_text));
            continue;
          }
          s.context_filters.push_back(rule);
        }
        if (!s.context_filters.empty() && !cfg.data_sources.context && !cfg.features) {
          L.error(path, "needs market context values; add data_sources.context");
        }
      }
    }
    // Cross-field rules.
    if (s.type == "signal_threshold") {
      if (s.exit > s.entry && Loader::present(*sn, "exit")) {
        L.error("strategy.exit", fmt::format("{} is above entry {}: a position would be closed as soon as it is "
                                             "opened; make exit <= entry",
                                             s.exit, s.entry));
      }
      if (s.side != StrategySide::kLong && !s.short_entry) {
        L.error("strategy.short_entry", fmt::format("missing for side {}; add short_entry (enter short when the "
                                                    "signal is below it)",
                                                    config_name(s.side)));
      }
      // A short is covered when the signal rises above short_exit (default: exit).
      if (s.short_entry && s.short_exit.value_or(s.exit) < *s.short_entry) {
        L.error("strategy.short_exit",
                fmt::format("{}{} is below short_entry {}: a short would be covered as soon "
                            "as it is opened; make short_exit >= short_entry",
                            s.short_exit.value_or(s.exit), s.short_exit ? "" : " (from exit)", *s.short_entry));
      }
    }
    if (s.side != StrategySide::kLong && !cfg.execution.allow_short) {
      L.error("strategy.side", fmt::format("\"{}\" sells short but execution.allow_short is false; set allow_short: "
                                           "true or side: long",
                                           config_name(s.side)));
    }
  }
  // The strategy's signal must come from somewhere (a custom strategy reads what it likes).
  if (!custom && !cfg.data_sources.signals && !cfg.features && L.errors().empty()) {
    L.error("strategy.signal",
            fmt::format("\"{}\" needs a signals source; add data_sources.signals (or features)", cfg.strategy.signal));
  }
  auto listed = [&](const std::string& name) {
    // Only checkable when every signal/feature source names its columns.
    const bool sig_all = cfg.data_sources.signals && cfg.data_sources.signals->columns.empty();
    const bool feat_all = cfg.features && cfg.features->source.columns.empty();
    if (sig_all || feat_all) return true;
    auto has = [&](const std::vector<std::string>& cols) {
      return std::find(cols.begin(), cols.end(), name) != cols.end();
    };
    return (cfg.data_sources.signals && has(cfg.data_sources.signals->columns)) ||
           (cfg.features && has(cfg.features->source.columns));
  };
  if (!custom && (cfg.data_sources.signals || cfg.features) && !listed(cfg.strategy.signal)) {
    L.error("strategy.signal", fmt::format("\"{}\" is not among the listed signal/feature columns; add it to "
                                           "data_sources.signals.columns or pick a listed one",
                                           cfg.strategy.signal));
  }
  if (!custom && cfg.strategy.min_confidence && (cfg.data_sources.signals || cfg.features) &&
      !listed(cfg.strategy.confidence_signal)) {
    L.error("strategy.confidence_signal", fmt::format("\"{}\" is not among the listed signal/feature columns; add it "
                                                      "to data_sources.signals.columns",
                                                      cfg.strategy.confidence_signal));
  }

  // universe
  if (const auto un = L.section(root, "universe", "universe", {"assets", "start", "end"})) {
    L.string_list(*un, "assets", "universe", cfg.universe.assets);
    auto time = [&](std::string_view key, std::optional<Timestamp>& out) {
      const auto node = Loader::present(*un, key);
      if (!node) return;
      const std::string path = child_path("universe", key);
      const auto text = L.scalar(*node, path, "a date");
      if (!text) return;
      try {
        out = Timestamp::parse(*text);
      } catch (const Error&) {
        L.error(path, fmt::format("expected a date like 2024-01-02 or 2024-01-02T09:30:00Z, got \"{}\"", *text));
      }
    };
    time("start", cfg.universe.start);
    time("end", cfg.universe.end);
    if (cfg.universe.start && cfg.universe.end && *cfg.universe.end < *cfg.universe.start) {
      L.error("universe.end", fmt::format("{} is before start {}; make end >= start", cfg.universe.end->to_string(),
                                          cfg.universe.start->to_string()));
    }
  }

  // output
  cfg.output.dir = L.resolve("results");
  if (const auto out = L.section(root, "output", "output", {"dir", "formats", "report"})) {
    std::string dir;
    L.string(*out, "dir", "output", dir);
    if (!dir.empty()) cfg.output.dir = L.resolve(dir);
    std::vector<std::string> formats = cfg.output.formats;
    L.string_list(*out, "formats", "output", formats);
    bool ok = true;
    for (const auto& f : formats) {
      if (f != "parquet" && f != "csv") {
        L.error("output.formats", fmt::format("unknown format \"{}\"; use parquet and/or csv", f));
        ok = false;
      }
    }
    if (ok) cfg.output.formats = formats;
    L.boolean(*out, "report", "output", cfg.output.report);
  }

  // resources
  if (const auto rs = L.section(root, "resources", "resources", {"memory_limit", "temp_directory", "threads"})) {
    std::string limit;
    L.string(*rs, "memory_limit", "resources", limit);
    if (!limit.empty() && !is_memory_size(limit)) {
      L.error("resources.memory_limit", fmt::format("\"{}\" is not a size; write e.g. 512MB or 4GB", limit));
    } else {
      cfg.resources.memory_limit = limit;
    }
    std::string temp;
    L.string(*rs, "temp_directory", "resources", temp);
    if (!temp.empty()) cfg.resources.temp_directory = L.resolve(temp);
    L.integer(*rs, "threads", "resources", cfg.resources.threads, 0, 4096);
  }

  // data_quality
  if (const auto dq = L.section(root, "data_quality", "data_quality", {"bad_data", "mixed_time_zones"})) {
    static const std::vector<std::string> policies = {"error", "drop", "warn"};
    if (const auto i = L.choice(*dq, "bad_data", "data_quality", policies)) cfg.data_quality.bad_data = policies[*i];
    static const std::vector<std::string> zones = {"error", "naive_is_utc"};
    if (const auto i = L.choice(*dq, "mixed_time_zones", "data_quality", zones)) {
      cfg.data_quality.mixed_time_zones = zones[*i];
    }
  }

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
template <typename W>
void dump_source_keys(W& w, const SourceConfig& s) {
  w.key("path").str(s.path.string());
  w.key("format").str(s.format);
  w.key("timestamp_column").str(s.timestamp_column);
  if (!s.timestamp_format.empty()) w.key("timestamp_format").str(s.timestamp_format);
  w.key("asset_column");
  if (s.asset_column.empty()) {
    w.null();
  } else {
    w.str(s.asset_column);
  }
  w.key("columns").begin_list();
  for (const auto& c : s.columns) w.str(c);
  w.end_list();
}

template <typename W>
void dump_source(W& w, const SourceConfig& s) {
  w.begin_map();
  dump_source_keys(w, s);
  w.end_map();
}

template <typename W>
void opt_num(W& w, std::string_view key, const std::optional<double>& v) {
  w.key(key);
  if (v) {
    w.num(*v);
  } else {
    w.null();
  }
}

template <typename W>
void dump_builtin_strategy(W& w, const StrategySpec& s) {
  w.key("strategy").begin_map();
  w.key("type").str(s.type);
  w.key("signal").str(s.signal);
  w.key("side").str(config_name(s.side));
  w.key("entry").num(s.entry);
  w.key("exit").num(s.exit);
  opt_num(w, "short_entry", s.short_entry);
  opt_num(w, "short_exit", s.short_exit);
  w.key("size_pct").num(s.size_pct);
  w.key("k").num(s.k);
  w.key("rebalance_every").num(s.rebalance_every);
  opt_num(w, "weight_per_asset", s.weight_per_asset);
  w.key("gross_exposure").num(s.gross_exposure);
  opt_num(w, "min_confidence", s.min_confidence);
  w.key("confidence_signal").str(s.confidence_signal);
  w.key("context_filters").begin_list();
  for (const auto& rule : s.context_filters) w.str(fmt::format("{} {} {}", rule.field, rule.op, rule.value));
  w.end_list();
  w.end_map();
}

template <typename W>
void dump_param(W& w, const StrategyParam& v) {
  switch (v.kind) {
    case StrategyParam::Kind::kInteger:
    case StrategyParam::Kind::kNumber: w.num(v.number); break;
    case StrategyParam::Kind::kBool: w.boolean(v.flag); break;
    case StrategyParam::Kind::kText: w.quoted(v.text); break;
    case StrategyParam::Kind::kList:
      w.begin_list();
      for (const auto& item : v.items) dump_param(w, item);
      w.end_list();
      break;
  }
}

template <typename W>
void dump_custom_strategy(W& w, const CustomStrategyConfig& s) {
  w.key("strategy").begin_map();
  w.key("type").str(s.type);
  w.key("path").str(s.path.string());
  if (!s.class_name.empty()) w.key("class").str(s.class_name);
  w.key("params").begin_map();
  for (const auto& [name, value] : s.params.entries()) {
    w.key(name);
    dump_param(w, value);
  }
  w.end_map();
  w.end_map();
}

template <typename W>
void dump(W& w, const BacktestConfig& c) {
  w.begin_map();
  w.key("data_sources").begin_map();
  w.key("prices");
  dump_source(w, c.data_sources.prices);
  for (const auto& [name, src] :
       {std::pair{"signals", &c.data_sources.signals}, std::pair{"context", &c.data_sources.context}}) {
    w.key(name);
    if (*src) {
      dump_source(w, **src);
    } else {
      w.null();
    }
  }
  w.end_map();
  w.key("features");
  if (c.features) {
    w.begin_map();
    // Flat, as the config spells it (features: {type, path, columns, ...}), so the dump loads back.
    w.key("type").str(c.features->type);
    dump_source_keys(w, c.features->source);
    w.end_map();
  } else {
    w.null();
  }
  const auto& e = c.execution;
  w.key("execution").begin_map();
  w.key("initial_capital").num(e.initial_capital);
  w.key("commission").begin_map();
  w.key("type").str(config_name(e.commission.type));
  w.key("rate").num(e.commission.rate);
  w.key("minimum").num(e.commission.minimum);
  w.end_map();
  w.key("slippage").begin_map();
  w.key("type").str(config_name(e.slippage.type));
  w.key("rate").num(e.slippage.rate);
  w.end_map();
  w.key("fill_timing").str(config_name(e.fill_timing));
  w.key("fractional_shares").boolean(e.fractional_shares);
  w.key("allow_short").boolean(e.allow_short);
  w.key("max_volume_participation").num(e.max_volume_participation);
  w.key("close_positions_at_end").boolean(e.close_positions_at_end);
  w.key("periods_per_year").num(e.periods_per_year);
  w.end_map();
  const auto& r = c.risk_rules;
  w.key("risk_rules").begin_map();
  w.key("max_position_size").num(r.max_position_size);
  w.key("stop_loss").num(r.stop_loss);
  w.key("take_profit").num(r.take_profit);
  w.key("trailing_stop").num(r.trailing_stop);
  w.key("max_positions").num(r.max_positions);
  w.key("max_gross_exposure").num(r.max_gross_exposure);
  opt_num(w, "min_vix", r.min_vix);
  opt_num(w, "max_vix", r.max_vix);
  w.key("context_field").str(r.context_field);
  w.end_map();
  const auto& st = c.signal_timing;
  w.key("signal_timing").begin_map();
  w.key("mode").str(st.mode);
  w.key("lag").num(st.lag);
  w.key("validate").boolean(st.validate);
  w.key("fail_on_violation").boolean(st.fail_on_violation);
  w.end_map();
  if (c.custom_strategy) {
    dump_custom_strategy(w, *c.custom_strategy);
  } else {
    dump_builtin_strategy(w, c.strategy);
  }
  w.key("universe").begin_map();
  w.key("assets").begin_list();
  for (const auto& a : c.universe.assets) w.str(a);
  w.end_list();
  w.key("start");
  c.universe.start ? w.str(c.universe.start->to_string()) : w.null();
  w.key("end");
  c.universe.end ? w.str(c.universe.end->to_string()) : w.null();
  w.end_map();
  w.key("output").begin_map();
  w.key("dir").str(c.output.dir.string());
  w.key("formats").begin_list();
  for (const auto& f : c.output.formats) w.str(f);
  w.end_list();
  w.key("report").boolean(c.output.report);
  w.end_map();
  const auto& rs = c.resources;
  if (!rs.memory_limit.empty() || !rs.temp_directory.empty() || rs.threads != 0) {  // only when set
    w.key("resources").begin_map();
    w.key("memory_limit").str(rs.memory_limit);
    w.key("temp_directory").str(rs.temp_directory.string());
    w.key("threads").num(rs.threads);
    w.end_map();
  }
  const auto& dq = c.data_quality;
  if (dq.bad_data != "error" || dq.mixed_time_zones != "error") {  // only when set
    w.key("data_quality").begin_map();
    w.key("bad_data").str(dq.bad_data);
    w.key("mixed_time_zones").str(dq.mixed_time_zones);
    w.end_map();
  }
  w.end_map();
}

class JsonDump {
 public:
  JsonDump& begin_map() { return w_.begin_object(), *this; }
  JsonDump& end_map() { return w_.end_object(), *this; }
  JsonDump& begin_list() { return w_.begin_array(), *this; }
  JsonDump& end_list() { return w_.end_array(), *this; }
  JsonDump& key(std::string_view k) { return w_.key(k), *this; }
  JsonDump& str(std::string_view v) { return w_.value(v), *this; }
  JsonDump& quoted(std::string_view v) { return str(v); }
  JsonDump& num(double v) { return w_.value(v), *this; }
  JsonDump& boolean(bool v) { return w_.value(v), *this; }
  JsonDump& null() { return w_.null(), *this; }
  std::string text() const { return w_.str(); }

 private:
  JsonWriter w_;
};

class YamlDump {
 public:
  YamlDump& begin_map() { return e_ << YAML::BeginMap, *this; }
  YamlDump& end_map() { return e_ << YAML::EndMap, *this; }
  YamlDump& begin_list() { return e_ << YAML::Flow << YAML::BeginSeq, *this; }
  YamlDump& end_list() { return e_ << YAML::EndSeq, *this; }
  YamlDump& key(std::string_view k) { return e_ << YAML::Key << std::string(k) << YAML::Value, *this; }
  YamlDump& str(std::string_view v) { return e_ << std::string(v), *this; }
  // Text that must stay text when read back (a param "0.5").
  YamlDump& quoted(std::string_view v) { return e_ << YAML::DoubleQuoted << std::string(v), *this; }
  YamlDump& num(double v) { return e_ << fmt::format("{}", v), *this; }
  YamlDump& boolean(bool v) { return e_ << v, *this; }
  YamlDump& null() { return e_ << YAML::Null, *this; }
  std::string text() const { return std::string(e_.c_str()) + "\n"; }

 private:
  YAML::Emitter e_;
};

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
  YamlDump w;
  dump(w, *this);
  return w.text();
}

std::string BacktestConfig::to_json() const {
  JsonDump w;
  dump(w, *this);
  return w.text();
}

}  // namespace ml4t::backtest
