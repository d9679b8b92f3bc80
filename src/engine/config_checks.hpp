// Validation of an EngineConfig (ranges of amounts, rates and fractions).
#pragma once

#include "ml4t/backtest/engine/engine_config.hpp"

namespace ml4t::backtest::detail {

/// Throws ConfigError naming the key (e.g. execution.commission.rate), the value and the fix.
void validate_engine_config(const EngineConfig& config);
/// The `account` and `financing` parts of it.
void validate_account(const AccountConfig& account, const FinancingConfig& financing);

}  // namespace ml4t::backtest::detail
