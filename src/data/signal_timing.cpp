#include "ml4t/backtest/data/signal_timing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "data/timing_check.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace ml4t::backtest {

int SignalTiming::lag_bars() const {
  switch (mode) {
    case SignalTimingMode::kStrict:
      return 0;
    case SignalTimingMode::kNextBar:
      return 1;
    case SignalTimingMode::kCustom:
      return lag;
  }
  return 1;
}

SignalTimingMode parse_signal_timing_mode(std::string_view text) {
  std::string t(text);
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "strict") return SignalTimingMode::kStrict;
  if (t == "next_bar" || t == "nextbar" || t == "next-bar") return SignalTimingMode::kNextBar;
  if (t == "custom") return SignalTimingMode::kCustom;
  throw ConfigError(fmt::format("unknown signal timing mode \"{}\"; use strict, next_bar or custom", text));
}

std::string_view to_string(SignalTimingMode mode) {
  switch (mode) {
    case SignalTimingMode::kStrict:
      return "STRICT";
    case SignalTimingMode::kNextBar:
      return "NEXT_BAR";
    case SignalTimingMode::kCustom:
      return "CUSTOM";
  }
  return "?";
}

std::string_view to_string(TimingViolation::Kind kind) {
  switch (kind) {
    case TimingViolation::Kind::kNotOnBar:
      return "not_on_bar";
    case TimingViolation::Kind::kDuplicate:
      return "duplicate";
    case TimingViolation::Kind::kAfterLastBar:
      return "after_last_bar";
    case TimingViolation::Kind::kUnknownAsset:
      return "unknown_asset";
    case TimingViolation::Kind::kBeforeFirstBar:
      return "before_first_bar";
  }
  return "?";
}

namespace detail {

std::string describe_violation(const TimingViolation& v, int lag) {
  const std::string used = v.used_at ? "used at the bar " + v.used_at->to_string() : "never used";
  const std::string stamp = v.signal_time.to_string();
  switch (v.kind) {
    case TimingViolation::Kind::kNotOnBar:
      return fmt::format(
          "asset {}: signal stamped {} is not on a bar of {} ({} with lag {}); a join on exact or "
          "rounded-down timestamps would use it too early",
          v.asset, stamp, v.asset, used, lag);
    case TimingViolation::Kind::kDuplicate:
      return fmt::format("asset {}: more than one signal stamped {} (the last row wins)", v.asset, stamp);
    case TimingViolation::Kind::kAfterLastBar:
      return fmt::format("asset {}: signal stamped {} is after the asset's last bar (never used)", v.asset, stamp);
    case TimingViolation::Kind::kUnknownAsset:
      return fmt::format("asset {}: signal stamped {} but the prices have no bars for {}", v.asset, stamp, v.asset);
    case TimingViolation::Kind::kBeforeFirstBar:
      return fmt::format("asset {}: signal stamped {} is before the asset's first bar ({})", v.asset, stamp, used);
  }
  return "";
}

std::string timing_violation_error(const TimingReport& report, const SignalTiming& timing, std::string_view source,
                                   std::string_view prices) {
  std::string list;
  const size_t shown = std::min<size_t>(report.violations.size(), 5);
  for (size_t i = 0; i < shown; ++i) {
    const auto& v = report.violations[i];
    list += "\n  - " + v.message;
    if (!v.file.empty()) list += v.row >= 0 ? fmt::format(" [{} row {}]", v.file, v.row) : fmt::format(" [{}]", v.file);
  }
  return fmt::format(
      "signal timing ({}, lag {} bars): {} violation(s) in {} against {}; first {}:{}\nFix: stamp each signal "
      "with the time of the bar it was computed from (or later), remove duplicates and rows for unknown assets, "
      "or run with validate_signal_timing off to accept them",
      to_string(timing.mode), timing.lag_bars(), report.total, source, prices, shown, list);
}

}  // namespace detail

TimingReport validate_signal_timing(const DataSource& signals, const DataSource& prices, const SignalTiming& timing,
                                    bool fail_on_violation, const std::vector<std::string>& assets) {
  // The same check as a run's: the feed's merge of the signals with the bars, streamed
  // to the end without a strategy. Bad bars are skipped here (a run decides about them).
  ColumnarFeedOptions options;
  options.prices = prices;
  options.signals = signals;
  options.assets = assets;
  options.timing = timing;
  options.timing.validate = true;
  options.timing.fail_on_violation = fail_on_violation;
  options.bad_data = BadDataPolicy::kDrop;
  TimingReport report;
  options.on_timing_report = [&report](const TimingReport& r) { report = r; };
  ColumnarDataFeed feed(std::move(options));
  while (feed.next_group().valid()) {
  }
  return report;
}

}  // namespace ml4t::backtest
