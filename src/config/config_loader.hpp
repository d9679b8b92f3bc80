// The config loader's reading tools: a Loader walks one YAML tree, reads typed values
// (numbers in a range, choices, paths that must exist, data sources) and collects every
// problem as "path.to.key: problem; fix" instead of throwing on the first. The sections
// (sections/*.cpp) read their keys through it.
#pragma once

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/config/backtest_config.hpp"

namespace ml4t::backtest::config_detail {

namespace fs = std::filesystem;

std::string join(const std::vector<std::string>& items, std::string_view sep);
std::string quoted_list(const std::vector<std::string>& items);
std::string child_path(const std::string& parent, std::string_view key);
// The closest candidate within a small edit distance, for "did you mean".
std::optional<std::string> suggest(std::string_view word, const std::vector<std::string>& candidates);
std::string describe(const YAML::Node& node);

// Stands in for a value whose ${VAR} could not be expanded.
inline constexpr std::string_view kUnresolved = "\x01unresolved";

inline bool is_glob(std::string_view path) { return path.find_first_of("*?[") != std::string_view::npos; }

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

 private:
  std::vector<std::string> errors_;
  fs::path base_;
  std::string origin_;
};

}  // namespace ml4t::backtest::config_detail
