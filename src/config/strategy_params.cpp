#include "ml4t/backtest/config/strategy_params.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>

#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

namespace {

std::string_view kind_name(StrategyParam::Kind kind) {
  switch (kind) {
    case StrategyParam::Kind::kNumber: return "a number";
    case StrategyParam::Kind::kInteger: return "an integer";
    case StrategyParam::Kind::kBool: return "true/false";
    case StrategyParam::Kind::kText: return "text";
    case StrategyParam::Kind::kList: return "a list";
  }
  return "a value";
}

bool is_number(const StrategyParam& v) {
  return v.kind == StrategyParam::Kind::kNumber || v.kind == StrategyParam::Kind::kInteger;
}

}  // namespace

std::string StrategyParams::path_of(std::string_view name) { return fmt::format("strategy.params.{}", name); }

void StrategyParams::set(std::string name, StrategyParam value) {
  for (size_t i = 0; i < values_.size(); ++i) {
    if (values_[i].first == name) {
      values_[i].second = std::move(value);
      return;
    }
  }
  values_.emplace_back(std::move(name), std::move(value));
  read_.push_back(false);
}

bool StrategyParams::has(std::string_view name) const {
  if (std::find(asked_.begin(), asked_.end(), name) == asked_.end()) asked_.emplace_back(name);
  for (const auto& [n, v] : values_) {
    if (n == name) return true;
  }
  return false;
}

std::vector<std::string> StrategyParams::names() const {
  std::vector<std::string> out;
  for (const auto& [n, v] : values_) out.push_back(n);
  return out;
}

const StrategyParam* StrategyParams::find(std::string_view name) const {
  if (std::find(asked_.begin(), asked_.end(), name) == asked_.end()) asked_.emplace_back(name);
  for (size_t i = 0; i < values_.size(); ++i) {
    if (values_[i].first == name) {
      read_[i] = true;
      return &values_[i].second;
    }
  }
  return nullptr;
}

const StrategyParam& StrategyParams::required(std::string_view name, std::string_view expected) const {
  if (const auto* v = find(name)) return *v;
  throw ConfigError(fmt::format("{}: missing; {} needs it: add {} ({}) under strategy.params", path_of(name), reader_,
                                name, expected));
}

void StrategyParams::wrong_type(std::string_view name, const StrategyParam& value, std::string_view expected) const {
  throw ConfigError(fmt::format("{}: expected {} for {}, got {} \"{}\"", path_of(name), expected, reader_,
                                kind_name(value.kind), value.text));
}

double StrategyParams::number(std::string_view name) const {
  const auto& v = required(name, "a number");
  if (!is_number(v)) wrong_type(name, v, "a number");
  return v.number;
}

double StrategyParams::number(std::string_view name, double fallback) const {
  return has(name) ? number(name) : fallback;
}

int64_t StrategyParams::integer(std::string_view name) const {
  const auto& v = required(name, "an integer");
  if (v.kind != StrategyParam::Kind::kInteger) wrong_type(name, v, "an integer");
  return v.integer;
}

int64_t StrategyParams::integer(std::string_view name, int64_t fallback) const {
  return has(name) ? integer(name) : fallback;
}

bool StrategyParams::flag(std::string_view name) const {
  const auto& v = required(name, "true or false");
  if (v.kind != StrategyParam::Kind::kBool) wrong_type(name, v, "true or false");
  return v.flag;
}

bool StrategyParams::flag(std::string_view name, bool fallback) const { return has(name) ? flag(name) : fallback; }

std::string StrategyParams::text(std::string_view name) const {
  const auto& v = required(name, "text");
  if (v.kind == StrategyParam::Kind::kList) wrong_type(name, v, "text");
  return v.text;
}

std::string StrategyParams::text(std::string_view name, std::string_view fallback) const {
  return has(name) ? text(name) : std::string(fallback);
}

std::vector<double> StrategyParams::numbers(std::string_view name) const {
  const auto& v = required(name, "a list of numbers");
  std::vector<double> out;
  if (v.kind != StrategyParam::Kind::kList) {
    if (!is_number(v)) wrong_type(name, v, "a list of numbers");
    return {v.number};
  }
  for (const auto& item : v.items) {
    if (!is_number(item)) wrong_type(name, item, "a list of numbers");
    out.push_back(item.number);
  }
  return out;
}

std::vector<std::string> StrategyParams::texts(std::string_view name) const {
  const auto& v = required(name, "a list of texts");
  if (v.kind != StrategyParam::Kind::kList) return {v.text};
  std::vector<std::string> out;
  for (const auto& item : v.items) out.push_back(item.text);
  return out;
}

std::vector<std::string> StrategyParams::unread() const {
  std::vector<std::string> out;
  for (size_t i = 0; i < values_.size(); ++i) {
    if (!read_[i]) out.push_back(values_[i].first);
  }
  return out;
}

void StrategyParams::reset_reads() const {
  std::fill(read_.begin(), read_.end(), false);
  asked_.clear();
}

void StrategyParams::require_all_read() const {
  const auto never = unread();
  if (never.empty()) return;
  const std::vector<std::string>& used = asked_;
  const std::string& name = never.front();
  std::string hint;
  size_t best = std::numeric_limits<size_t>::max();
  for (const auto& u : used) {
    const size_t d = edit_distance(name, u);
    if (u != name && d < best && d <= std::max<size_t>(2, name.size() / 3)) {
      best = d;
      hint = fmt::format("; did you mean \"{}\"?", u);
    }
  }
  throw ConfigError(fmt::format("{}: not used by {} (it asks for [{}]){}; remove it or fix its name", path_of(name),
                                reader_, fmt::join(used, ", "), hint));
}

}  // namespace ml4t::backtest
