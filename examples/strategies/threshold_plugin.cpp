// A C++ strategy as a plugin that a config loads (docs/configuration.md#custom-strategies):
//
//   strategy: {type: plugin, path: libthreshold_plugin.so, class: ThresholdStrategy,
//              params: {signal: ml_pred, entry: 0.65, exit: 0.45, size_pct: 0.3}}
//
// Long when the signal is above `entry`, flat again below `exit`, `size_pct` of equity per
// entry. Build: examples/strategies/CMakeLists.txt (a MODULE library linked to
// ml4t::backtest).
// [doc:plugin]
#include <cmath>
#include <string>

#include "ml4t/backtest/config/strategy_plugin.hpp"

namespace bt = ml4t::backtest;

class ThresholdStrategy : public bt::Strategy {
 public:
  // Params reach the constructor; a missing required one or a wrong type throws a
  // ConfigError naming strategy.params.<name>, and one never read is refused.
  explicit ThresholdStrategy(const bt::StrategyParams& params)
      : signal_name_(params.text("signal", "ml_pred")),
        entry_(params.number("entry")),
        exit_(params.number("exit", entry_)),
        size_pct_(params.number("size_pct", 0.1)) {
    if (exit_ > entry_) throw bt::ConfigError("strategy.params.exit: must be <= entry");
  }

  void on_start() override { signal_ = schema().signal_id(signal_name_); }

  void on_market_data(const bt::MarketEvent& event, const bt::FieldValues& /*context*/) override {
    const double s = event.batch().signal_column(signal_)[event.row()];
    if (std::isnan(s) || open_orders(event.asset()) > 0) return;
    const double held = position(event.asset());
    if (held > 0 && s < exit_) {
      close_position(event.asset());
    } else if (held == 0 && s > entry_) {
      order(event.asset(), size_pct_ * equity() / event.close());
    }
  }

 private:
  std::string signal_name_;
  double entry_, exit_, size_pct_;
  bt::FieldId signal_{};
};

ML4T_STRATEGY_PLUGIN(ThresholdStrategy)
// [doc:plugin]
