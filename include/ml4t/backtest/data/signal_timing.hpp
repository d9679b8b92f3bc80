// Signal timing: the point-in-time rule that attaches signals, features and context to
// bars without look-ahead, and validate_signal_timing, the report of stamps that do not
// line up with the price bars.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest {

struct DataSource;

/// How many bars a value waits before it becomes visible (the reference's modes).
enum class SignalTimingMode {
  kStrict,   //!< lag 0: a value stamped 10:00 is visible on the 10:00 bar
  kNextBar,  //!< lag 1: a value stamped 10:00 is first visible on the next bar (10:01)
  kCustom,   //!< lag = SignalTiming::lag bars
};

/// The lag rule. A value stamped t for asset A is attached to A's bar that is
/// lag_bars() bars at or after t (A's first bar with time >= t, shifted by the lag), and
/// stays visible on A's later bars until a newer value becomes visible. Context values
/// follow the same rule on the sequence of timestamps. Default: NEXT_BAR, the safe
/// choice for signals computed from a bar's close.
struct SignalTiming {
  /// The lag rule: strict (0), next bar (1) or custom (`lag`).
  SignalTimingMode mode = SignalTimingMode::kNextBar;
  int lag = 1;                    //!< bars, used only by kCustom (>= 0)
  /// Check the stamps of the signals (and of a feature file) against the bars while the
  /// feed streams: the report validate_signal_timing gives, at the end of the stream.
  bool validate = false;
  /// With validate: throw SignalTimingViolation as soon as the stream ends (a violation
  /// found earlier stops the events at once; the rest is only counted); false = report
  /// through ColumnarFeedOptions::on_timing_report or on_warning.
  bool fail_on_violation = true;

  /// 0 for kStrict, 1 for kNextBar, `lag` for kCustom.
  int lag_bars() const;
};

/// Parses "strict", "next_bar" or "custom" (any case); ConfigError otherwise.
SignalTimingMode parse_signal_timing_mode(std::string_view text);
std::string_view to_string(SignalTimingMode mode);

/// One problem found by validate_signal_timing.
struct TimingViolation {
  /// What is wrong with the stamp.
  enum class Kind {
    kNotOnBar,        //!< stamp falls between the asset's bars (an exact join would miss it
                      //!< or, after rounding down, place it too early)
    kDuplicate,       //!< the same (timestamp, asset) appears more than once
    kAfterLastBar,    //!< stamped after the asset's last bar: never used
    kUnknownAsset,    //!< the asset has no price bars at all
    kBeforeFirstBar,  //!< stamped before the asset's first bar: visible from its first bars
  };
  /// What is wrong.
  Kind kind = Kind::kNotOnBar;
  /// The asset symbol of the signal row.
  std::string asset;
  /// The signal row's timestamp.
  Timestamp signal_time;
  std::optional<Timestamp> used_at;  //!< the bar the feed attaches it to, if any
  std::string file;                  //!< the signal row's file, when known
  int64_t row = -1;                  //!< 0-based row within that file, when known
  /// A sentence naming the asset, the times and the consequence.
  std::string message;
};

std::string_view to_string(TimingViolation::Kind kind);

/// What validate_signal_timing (or a feed with SignalTiming::validate) found.
struct TimingReport {
  /// True when no violation was found.
  bool is_valid = true;
  /// The violations in (asset, signal_time, kind) order: all of them, or the first
  /// 100000 when there are more (see `total`).
  std::vector<TimingViolation> violations;
  /// How many violations there are in all.
  uint64_t total = 0;
};

/// Compare signal stamps with price bars under `timing` (its mode/lag). Returns every
/// violation; with `fail_on_violation` a non-empty report throws SignalTimingViolation
/// naming the first few (asset, timestamps, file, row). Streams the prices and the
/// signals once, through the same check a ColumnarDataFeed runs with
/// SignalTiming::validate (prices need their OHLC columns; bad bars are skipped).
TimingReport validate_signal_timing(const DataSource& signals, const DataSource& prices, const SignalTiming& timing,
                                    bool fail_on_violation, const std::vector<std::string>& assets = {});

}  // namespace ml4t::backtest
