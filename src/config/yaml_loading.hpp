// Safe YAML/JSON loading for configs: yaml-cpp's parser with limits a hostile document
// cannot get past (alias expansion, nesting depth) and duplicate keys refused, because
// yaml-cpp keeps one of two equal keys by accident of its implementation.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace ml4t::backtest::yaml_loading {

//! More nodes than this, counting every alias as a full copy of what it names, is refused:
//! a real config has a few hundred; a "billion laughs" document has 10^9.
inline constexpr size_t kMaxExpandedNodes = 1000000;
//! Deeper nesting than this is refused (the config's own depth is 4).
inline constexpr size_t kMaxDepth = 64;

/// Parses the first document of `text`. Throws ConfigError naming `origin`, the line and
/// column, and the fix for a syntax error, a duplicate key, too many expanded aliases or
/// too deep nesting. `what` names the text in messages ("the config", "the value").
YAML::Node load_checked(std::string_view text, const std::string& origin, std::string_view what = "the config");

/// For a plain (unquoted) scalar that YAML reads as a number or a boolean: how to name it
/// in a wrong-type message ("the number 7", "the boolean true"); nullopt for text, and for
/// any quoted scalar ("7" in quotes is the text 7). Where a config wants names or paths,
/// such a value is a wrong type, not a name.
std::optional<std::string> non_text_scalar(const YAML::Node& node);

}  // namespace ml4t::backtest::yaml_loading
