#include "engine/risk.hpp"

#include <fmt/format.h>

#include "engine/common.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::detail {

EntryLimits::EntryLimits(const RiskRules& rules, const Schema& schema)
    : rules_(rules),
      active_(rules.min_vix || rules.max_vix || rules.max_position_size > 0 || rules.max_positions > 0 ||
              rules.max_gross_exposure > 0) {
  // Resolved here so a missing field fails before anything is read.
  if (!rules.min_vix && !rules.max_vix) return;
  context_field_ = schema.find_context(rules.context_field);
  if (!context_field_) {
    std::string known;
    for (const auto& n : schema.context_names()) known += (known.empty() ? "" : ", ") + n;
    throw ConfigError(
        fmt::format("risk_rules.context_field: the feed has no context field \"{}\" (needed by min_vix/max_vix); known "
                    "context fields: [{}]; add a context source with that column or set risk_rules.context_field",
                    rules.context_field, known));
  }
}

std::string EntryLimits::check(const EntryCheck& order, const Portfolio& portfolio, std::span<const AssetOrders> book,
                               const Market& market, const SymbolTable& symbols) const {
  const RiskRules& r = rules_;
  if (context_field_) {
    const double v = market.context(*context_field_);
    if (!std::isnan(v) && ((r.min_vix && v < *r.min_vix) || (r.max_vix && v > *r.max_vix))) {
      return fmt::format("new entries blocked: {} = {} is outside [{}, {}] (risk_rules.min_vix/max_vix)",
                         r.context_field, v, r.min_vix ? fmt::format("{}", *r.min_vix) : "-inf",
                         r.max_vix ? fmt::format("{}", *r.max_vix) : "inf");
    }
  }
  const double eq = portfolio.equity();
  const double after_abs = std::abs(order.after);
  if (r.max_position_size > 0 && after_abs * order.price > r.max_position_size * eq * (1 + 1e-12)) {
    return fmt::format(
        "position limit: {} of {} at {} is {:.2f}, above risk_rules.max_position_size {} x equity {:.2f}; order less",
        order.after, asset_name(symbols, order.asset), order.price, after_abs * order.price, r.max_position_size, eq);
  }
  if (r.max_positions > 0 && order.projected == 0) {
    int holding = 0;
    for (size_t a = 0; a < portfolio.size(); ++a) {
      holding += (portfolio.position(static_cast<AssetId>(a)).qty + book[a].pending_qty) != 0 ? 1 : 0;
    }
    if (holding >= r.max_positions) {
      return fmt::format(
          "position count limit: {} positions (with open orders) already, risk_rules.max_positions is {}; cannot "
          "open {}",
          holding, r.max_positions, asset_name(symbols, order.asset));
    }
  }
  if (r.max_gross_exposure > 0) {
    double gross = 0;
    for (size_t a = 0; a < portfolio.size(); ++a) {
      const Position& p = portfolio.position(static_cast<AssetId>(a));
      const double q = p.qty + book[a].pending_qty;
      if (q != 0) gross += std::abs(q) * p.last_close;
    }
    gross += order.added * order.price;
    if (gross > r.max_gross_exposure * eq * (1 + 1e-12)) {
      return fmt::format(
          "gross exposure limit: {:.2f} after this order exceeds risk_rules.max_gross_exposure {} x equity {:.2f}",
          gross, r.max_gross_exposure, eq);
    }
  }
  return {};
}

}  // namespace ml4t::backtest::detail
