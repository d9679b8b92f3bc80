// signal_threshold: per asset, enter when the signal crosses a threshold and exit when
// it crosses back. Long: enter above `entry`, exit below `exit`. Short (side short or
// both): enter below `short_entry`, cover above `short_exit` (default `exit`). Entries
// are market orders sized at size_pct of current equity at the bar's close (whole
// shares unless fractional); exits close the whole position. An asset with an open
// order is left alone until it fills, so a signal never stacks orders.
#include <fmt/format.h>

#include <cmath>

#include "engine/strategies/builtin_common.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::builtin {

namespace {

class SignalThreshold final : public Strategy {
 public:
  SignalThreshold(const StrategySpec& spec, FieldId signal, EntryGates gates)
      : signal_(signal),
        gates_(std::move(gates)),
        long_(spec.side != StrategySide::kShort),
        short_(spec.side != StrategySide::kLong),
        entry_(spec.entry),
        exit_(spec.exit),
        short_entry_(spec.short_entry.value_or(0.0)),
        short_exit_(spec.short_exit.value_or(spec.exit)),
        size_pct_(spec.size_pct) {}

  void on_market_data(const MarketEvent& event, const FieldValues& /*context*/) override {
    const Batch& batch = event.batch();
    const double s = batch.signal_column(signal_)[event.row()];
    if (std::isnan(s)) return;
    const AssetId asset = event.asset();
    if (open_orders(asset) > 0) return;
    const double pos = position(asset);
    if (pos > 0) {
      if (s < exit_) close_position(asset);
      return;
    }
    if (pos < 0) {
      if (s > short_exit_) close_position(asset);
      return;
    }
    const bool go_long = long_ && s > entry_;
    const bool go_short = !go_long && short_ && s < short_entry_;
    if (!go_long && !go_short) return;
    if (!gates_.confidence_allows(batch, event.row()) || !gates_.context_allows(batch, event.group())) return;
    const double qty = size_pct_ * equity() / event.close();
    order(asset, go_long ? qty : -qty);
  }

 private:
  FieldId signal_;
  EntryGates gates_;
  bool long_, short_;
  double entry_, exit_, short_entry_, short_exit_, size_pct_;
};

}  // namespace

std::unique_ptr<Strategy> make_signal_threshold(const StrategySpec& spec, const Schema& schema) {
  const FieldId signal = resolve_signal(spec, schema);
  if (!(spec.size_pct > 0) || !std::isfinite(spec.size_pct)) {
    throw ConfigError(
        fmt::format("strategy.size_pct: {} is out of range; use a fraction of equity > 0, e.g. 0.1", spec.size_pct));
  }
  if (spec.side != StrategySide::kShort && !(spec.exit <= spec.entry)) {
    throw ConfigError(
        fmt::format("strategy.exit: {} is above strategy.entry {}; a long exits below its entry "
                    "threshold, so set exit <= entry",
                    spec.exit, spec.entry));
  }
  if (spec.side != StrategySide::kLong) {
    if (!spec.short_entry) {
      throw ConfigError(
          "strategy.short_entry: required when strategy.side is short or both; set the signal level "
          "below which to go short, e.g. 0.4");
    }
    const double short_exit = spec.short_exit.value_or(spec.exit);
    if (!(short_exit >= *spec.short_entry)) {
      throw ConfigError(
          fmt::format("strategy.short_exit: {} is below strategy.short_entry {}; a short is covered "
                      "above its entry threshold, so set short_exit >= short_entry",
                      short_exit, *spec.short_entry));
    }
  }
  return std::make_unique<SignalThreshold>(spec, signal, resolve_gates(spec, schema));
}

}  // namespace ml4t::backtest::builtin
