// The built-in strategies a config can name without writing C++: `signal_threshold`
// (enter/exit one asset at a time when its signal crosses thresholds) and `top_k`
// (periodically hold the k best-ranked assets long, and the k worst short).
#pragma once

#include <memory>

#include "ml4t/backtest/core/schema.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

namespace ml4t::backtest {

/// Build the strategy `spec.type` names. Throws ConfigError naming the problem (unknown
/// type, a signal/confidence/context field the schema lacks — listing the known ones —
/// or parameters out of range) and how to fix it; paths are `strategy.<key>`.
std::unique_ptr<Strategy> make_builtin_strategy(const StrategySpec& spec, const Schema& schema);

}  // namespace ml4t::backtest
