// StrategyParams: the `strategy.params` of a config, handed to a custom strategy's
// constructor (a C++ plugin or a Python class). Values keep their YAML type: numbers,
// integers, booleans, text and flat lists of them. Reading a missing or mistyped value
// throws a ConfigError naming `strategy.params.<name>` and the strategy; after
// construction the loader refuses params the strategy never read (a typo would
// otherwise silently run the default).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ml4t::backtest {

/// One parameter value.
struct StrategyParam {
  /// What YAML made of the value (quoted scalars are always text).
  enum class Kind { kNumber, kInteger, kBool, kText, kList };
  Kind kind = Kind::kText;  //!< which of the fields below holds it
  double number = 0;          //!< kNumber and kInteger (as double)
  int64_t integer = 0;        //!< kInteger
  bool flag = false;          //!< kBool
  std::string text;           //!< the value as written (every scalar kind)
  std::vector<StrategyParam> items;  //!< kList (scalars only)
};

/// The named parameters of a custom strategy, in the order the config lists them.
class StrategyParams {
 public:
  /// Add (or replace) a value.
  void set(std::string name, StrategyParam value);
  /// Who reads them, for messages, e.g. "MomentumStrategy (/path/libmomentum.so)".
  void set_reader(std::string reader) { reader_ = std::move(reader); }

  /// Whether the config gives `name` (counts as asked for, for the typo hint).
  bool has(std::string_view name) const;
  /// No params at all.
  bool empty() const { return values_.empty(); }
  /// The names, in config order.
  std::vector<std::string> names() const;
  /// Every (name, value), in config order (does not count as reading them).
  const std::vector<std::pair<std::string, StrategyParam>>& entries() const { return values_; }
  /// The raw value (marks it read), or nullptr.
  const StrategyParam* find(std::string_view name) const;

  /// A number (an integer is one too). Throws ConfigError when missing or not a number.
  double number(std::string_view name) const;
  /// number(), or `fallback` when the config does not give `name`.
  double number(std::string_view name, double fallback) const;
  /// A whole number. Throws ConfigError when missing or not an integer.
  int64_t integer(std::string_view name) const;
  /// integer(), or `fallback` when absent.
  int64_t integer(std::string_view name, int64_t fallback) const;
  /// true/false.
  bool flag(std::string_view name) const;
  /// flag(), or `fallback` when absent.
  bool flag(std::string_view name, bool fallback) const;
  /// Text (any scalar, as written).
  std::string text(std::string_view name) const;
  /// text(), or `fallback` when absent.
  std::string text(std::string_view name, std::string_view fallback) const;
  /// A list of numbers (a single number is a list of one).
  std::vector<double> numbers(std::string_view name) const;
  /// A list of texts (a single scalar is a list of one).
  std::vector<std::string> texts(std::string_view name) const;

  /// Names never read since the last reset_reads() (by find, number, text, ...).
  std::vector<std::string> unread() const;
  /// Forget which names were read (before handing the params to a constructor).
  void reset_reads() const;
  /// Throws a ConfigError for the first name never read, with a suggestion among the
  /// names the strategy asked for (read or looked up with a fallback).
  void require_all_read() const;

  /// `strategy.params.<name>`.
  static std::string path_of(std::string_view name);

 private:
  const StrategyParam& required(std::string_view name, std::string_view expected) const;
  [[noreturn]] void wrong_type(std::string_view name, const StrategyParam& value, std::string_view expected) const;

  std::vector<std::pair<std::string, StrategyParam>> values_;
  mutable std::vector<bool> read_;
  mutable std::vector<std::string> asked_;  // every name looked up, present or not
  std::string reader_ = "the strategy";
};

}  // namespace ml4t::backtest
