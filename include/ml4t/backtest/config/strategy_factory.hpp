// The strategy a config names: a built-in one (signal_threshold, top_k) or a C++ plugin
// (`type: plugin`, config/strategy_plugin.hpp). The CLI, run_backtest() and
// ml4t.backtest.run_backtest() all build it here, so one YAML file runs the same way from
// each. `type: python` is read and checked but not run yet (a ConfigError says so).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/core/schema.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

namespace ml4t::backtest {

/// A strategy and how to dispose of it (a plugin's must be deleted by the plugin).
using StrategyPtr = std::unique_ptr<Strategy, std::function<void(Strategy*)>>;

/// Build the config's strategy. Throws ConfigError naming the file, class or
/// `strategy.params.<name>` at fault and the fix.
StrategyPtr make_strategy(const BacktestConfig& config, const Schema& schema);

/// A one-line description for summary.json and logs, e.g. "plugin MyStrategy
/// (/abs/libmy.so)" or "signal_threshold on ml_pred".
std::string describe_strategy(const BacktestConfig& config);

}  // namespace ml4t::backtest
