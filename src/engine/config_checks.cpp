// Checks of an EngineConfig before a run: every amount, rate and fraction in range,
// with the path of the offending key and the fix in the message.
#include "engine/config_checks.hpp"

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/engine/limits.hpp"

namespace ml4t::backtest::detail {

void validate_account(const AccountConfig& a, const FinancingConfig& f) {
  auto fail = [](const std::string& path, double value, std::string_view rule) {
    throw ConfigError(fmt::format("{}: {} is out of range; {}", path, value, rule));
  };
  if (!(a.leverage >= 0 && a.leverage <= 100)) {
    fail("account.leverage", a.leverage, "use a ratio of gross exposure to equity in (0, 100], e.g. 2 (0 = default)");
  }
  if (!(a.initial_margin >= 0 && a.initial_margin <= 1)) {
    fail("account.initial_margin", a.initial_margin, "use a fraction in (0, 1], e.g. 0.5 (Reg-T; 0 = default)");
  }
  if (!(a.maintenance_margin >= 0 && a.maintenance_margin <= 1)) {
    fail("account.maintenance_margin", a.maintenance_margin, "use a fraction in [0, 1], e.g. 0.25");
  }
  if (a.type == AccountType::kMargin && a.maintenance_margin > initial_margin_rate(a)) {
    throw ConfigError(fmt::format(
        "account.maintenance_margin: {} is above the initial margin {} (account.initial_margin / 1 / leverage); a "
        "position opened at the limit would be in a margin call at once; use maintenance_margin <= initial margin",
        a.maintenance_margin, initial_margin_rate(a)));
  }
  for (const auto& [path, v] : {std::pair{"financing.borrow_rate", f.borrow_rate},
                                std::pair{"financing.hard_to_borrow_rate", f.hard_to_borrow_rate},
                                std::pair{"financing.margin_interest_rate", f.margin_interest_rate},
                                std::pair{"financing.credit_interest_rate", f.credit_interest_rate}}) {
    if (!(v >= 0 && v <= 10)) fail(path, v, "use an annual rate in [0, 10] (0.05 = 5% a year)");
  }
}

void validate_engine_config(const EngineConfig& config) {
  const ExecutionConfig& e = config.execution;
  const RiskRules& r = config.risk_rules;
  auto fail = [](const std::string& path, double value, std::string_view rule) {
    throw ConfigError(fmt::format("{}: {} is out of range; {}", path, value, rule));
  };
  if (!(e.initial_capital > 0) || !std::isfinite(e.initial_capital)) {
    fail("execution.initial_capital", e.initial_capital, "use a positive amount, e.g. 100000");
  }
  // Amounts beyond kMaxAmount cannot be kept to the cent (see limits.hpp).
  auto amount = [&](const char* path, double v) {
    if (!(v <= kMaxAmount)) fail(path, v, fmt::format("use at most {:g} (cents are lost beyond it)", kMaxAmount));
  };
  amount("execution.initial_capital", e.initial_capital);
  amount("execution.commission.minimum", e.commission.minimum);
  if (e.commission.type == CommissionType::kFixed || e.commission.type == CommissionType::kPerShare) {
    amount("execution.commission.rate", e.commission.rate);
  }
  if (e.slippage.type == SlippageType::kFixed) amount("execution.slippage.rate", e.slippage.rate);
  if (!(e.periods_per_year <= kMaxPeriodsPerYear)) {
    fail("execution.periods_per_year", e.periods_per_year, fmt::format("use at most {:g}", kMaxPeriodsPerYear));
  }
  for (const auto& [path, v] : {std::pair{"risk_rules.take_profit", r.take_profit},
                                std::pair{"risk_rules.max_gross_exposure", r.max_gross_exposure}}) {
    if (!(v <= kMaxRatio)) fail(path, v, fmt::format("use at most {:g}", kMaxRatio));
  }
  if (!(e.commission.rate >= 0)) fail("execution.commission.rate", e.commission.rate, "use a rate >= 0");
  if (!(e.commission.minimum >= 0)) fail("execution.commission.minimum", e.commission.minimum, "use a minimum >= 0");
  if (e.commission.type == CommissionType::kPercentage && !(e.commission.rate < 1)) {
    fail("execution.commission.rate", e.commission.rate, "a percentage commission is a fraction < 1 (0.001 = 0.1%)");
  }
  if (!(e.slippage.rate >= 0)) fail("execution.slippage.rate", e.slippage.rate, "use a rate >= 0");
  if ((e.slippage.type == SlippageType::kPercentage || e.slippage.type == SlippageType::kVolumeShare) &&
      !(e.slippage.rate < 1)) {
    fail("execution.slippage.rate", e.slippage.rate, "a percentage slippage is a fraction < 1 (0.001 = 0.1%)");
  }
  if (!(e.max_volume_participation >= 0 && e.max_volume_participation <= 1)) {
    fail("execution.max_volume_participation", e.max_volume_participation, "use a fraction in [0, 1] (0 = no limit)");
  }
  if (!(e.periods_per_year >= 0)) fail("execution.periods_per_year", e.periods_per_year, "use 0 (detect) or > 0");
  auto fraction = [&](const char* path, double v, bool below_one) {
    if (!(v >= 0) || (below_one && !(v < 1))) {
      fail(path, v, below_one ? "use a fraction in [0, 1) (0 = off)" : "use a value >= 0 (0 = off)");
    }
  };
  fraction("risk_rules.max_position_size", r.max_position_size, false);
  fraction("risk_rules.stop_loss", r.stop_loss, true);
  fraction("risk_rules.take_profit", r.take_profit, false);
  fraction("risk_rules.trailing_stop", r.trailing_stop, true);
  fraction("risk_rules.max_gross_exposure", r.max_gross_exposure, false);
  if (r.max_positions < 0) fail("risk_rules.max_positions", r.max_positions, "use a count >= 0 (0 = off)");
  validate_account(config.account, config.financing);
  if (r.min_vix && r.max_vix && *r.min_vix > *r.max_vix) {
    throw ConfigError(fmt::format("risk_rules.max_vix: {} is below risk_rules.min_vix {}; make max_vix >= min_vix",
                                  *r.max_vix, *r.min_vix));
  }
}

}  // namespace ml4t::backtest::detail
