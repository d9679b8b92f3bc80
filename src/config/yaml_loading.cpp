// A first pass over yaml-cpp's parse events checks what YAML::Load would accept blindly:
// every alias is counted as the size of the node it names (so "billion laughs" is refused
// after reading a few hundred bytes, not after walking 10^9 nodes), nesting is bounded,
// and a key repeated in one mapping is an error. The second pass is YAML::Load itself.
#include "yaml_loading.hpp"

#include <fmt/format.h>
#include <yaml-cpp/eventhandler.h>

#include <array>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::yaml_loading {
namespace {

class LimitChecker final : public YAML::EventHandler {
 public:
  LimitChecker(const std::string& origin, std::string_view what) : origin_(origin), what_(what) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    before_node(mark, "~", true);
    finish(anchor, 1);
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    before_node(mark, "", false);
    const auto it = sizes_.find(anchor);
    finish(YAML::NullAnchor, it == sizes_.end() ? 1 : it->second, &mark);
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor, const std::string& value) override {
    before_node(mark, value, true);
    finish(anchor, 1);
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    open(mark, anchor, false);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    open(mark, anchor, true);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    bool is_map = false;
    bool expecting_key = true;          //!< maps alternate key, value
    YAML::anchor_t anchor = YAML::NullAnchor;
    size_t size = 1;                    //!< nodes below and including this one, aliases expanded
    std::map<std::string, int> keys;    //!< key -> line (1-based) of its first occurrence
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& message) const {
    throw ConfigError(fmt::format("{}:{}:{}: {}", origin_, mark.line + 1, mark.column + 1, message));
  }

  // A node begins: as a mapping key it must not repeat an earlier key of that mapping.
  void before_node(const YAML::Mark& mark, const std::string& scalar_key, bool is_scalar) {
    if (stack_.empty() || !stack_.back().is_map) return;
    Frame& parent = stack_.back();
    const bool is_key = parent.expecting_key;
    parent.expecting_key = !parent.expecting_key;
    if (!is_key || !is_scalar) return;
    const auto [it, inserted] = parent.keys.emplace(scalar_key, mark.line + 1);
    if (!inserted) {
      fail(mark, fmt::format("duplicate key \"{}\" (first given on line {}) in {}; keep one of the two, since "
                             "which one would win is not defined",
                             scalar_key, it->second, what_));
    }
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor, bool is_map) {
    before_node(mark, "", false);
    if (stack_.size() >= kMaxDepth) {
      fail(mark, fmt::format("{} is nested more than {} levels deep; a config needs a handful, so this is not a "
                             "config (check for runaway nesting)",
                             what_, kMaxDepth));
    }
    Frame frame;
    frame.is_map = is_map;
    frame.anchor = anchor;
    stack_.push_back(std::move(frame));
    add(1, mark);
  }

  void close() {
    const Frame frame = std::move(stack_.back());
    stack_.pop_back();
    if (frame.anchor != YAML::NullAnchor) sizes_[frame.anchor] = frame.size;
    if (!stack_.empty()) stack_.back().size += frame.size;
  }

  // A leaf (scalar, null, alias) of `size` expanded nodes is complete.
  void finish(YAML::anchor_t anchor, size_t size, const YAML::Mark* alias_mark = nullptr) {
    if (anchor != YAML::NullAnchor) sizes_[anchor] = size;
    if (!stack_.empty()) stack_.back().size += size;
    add(size, alias_mark ? *alias_mark : last_mark_);
  }

  void add(size_t nodes, const YAML::Mark& mark) {
    last_mark_ = mark;
    total_ += nodes;
    if (total_ > kMaxExpandedNodes) {
      fail(mark, fmt::format("{} expands to more than {} values once its aliases (*name) are resolved; a config "
                             "needs far fewer, so this looks like an alias bomb: write the values out or use "
                             "fewer nested aliases",
                             what_, kMaxExpandedNodes));
    }
  }

  const std::string& origin_;
  std::string_view what_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, size_t> sizes_;
  size_t total_ = 0;
  YAML::Mark last_mark_ = YAML::Mark::null_mark();
};

}  // namespace

YAML::Node load_checked(std::string_view text, const std::string& origin, std::string_view what) {
  try {
    {
      std::istringstream in{std::string(text)};
      YAML::Parser parser(in);
      LimitChecker checker(origin, what);
      parser.HandleNextDocument(checker);
    }
    return YAML::Load(std::string(text));
  } catch (const YAML::ParserException& e) {
    throw ConfigError(fmt::format("{}:{}:{}: cannot parse {}: {}; fix the YAML/JSON syntax there", origin,
                                  e.mark.line + 1, e.mark.column + 1, what, e.msg));
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: cannot parse {}: {}", origin, what, e.msg));
  }
}

std::optional<std::string> non_text_scalar(const YAML::Node& node) {
  // yaml-cpp tags a plain scalar "?" and a quoted one "!".
  if (!node.IsScalar() || node.Tag() != "?") return std::nullopt;
  const std::string& text = node.Scalar();
  static constexpr std::array<std::string_view, 6> kBooleans{"true", "false", "True", "False", "TRUE", "FALSE"};
  for (const auto b : kBooleans) {
    if (text == b) return fmt::format("the boolean {}", text);
  }
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  std::strtod(text.c_str(), &end);
  const bool number = end == text.c_str() + text.size() && text.find_first_of("0123456789") != std::string::npos;
  if (number) return fmt::format("the number {}", text);
  return std::nullopt;
}

}  // namespace ml4t::backtest::yaml_loading
