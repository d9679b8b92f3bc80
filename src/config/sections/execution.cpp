// The `execution` section: capital, commission, slippage and fill rules.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ml4t/backtest/engine/limits.hpp"
#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

void load_execution(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  static const std::vector<std::string> exec_keys = {"initial_capital",
                                                     "commission",
                                                     "slippage",
                                                     "fill_timing",
                                                     "fractional_shares",
                                                     "allow_short",
                                                     "max_volume_participation",
                                                     "close_positions_at_end",
                                                     "periods_per_year"};
  if (const auto ex = L.section(root, "execution", "execution", exec_keys)) {
    auto& e = cfg.execution;
    L.number(*ex, "initial_capital", "execution", e.initial_capital, 0, kMaxAmount, true);
    if (const auto c = L.section(*ex, "commission", "execution.commission", {"type", "rate", "minimum", "min"})) {
      if (const auto t = L.choice(*c, "type", "execution.commission", {"none", "per_share", "percentage", "fixed"})) {
        e.commission.type = static_cast<CommissionType>(*t);
      }
      const bool bounded = e.commission.type != CommissionType::kFixed;
      L.number(*c, "rate", "execution.commission", e.commission.rate, 0, bounded ? 1.0 : kMaxAmount, false, bounded);
      L.number(*c, "minimum", "execution.commission", e.commission.minimum, 0, kMaxAmount);
      L.number(*c, "min", "execution.commission", e.commission.minimum, 0, kMaxAmount);
      if (!Loader::present(*c, "type") && e.commission.rate > 0) {
        L.error("execution.commission.type", "missing while rate is set; add type: per_share, percentage or fixed");
      }
    }
    if (const auto s = L.section(*ex, "slippage", "execution.slippage", {"type", "rate"})) {
      if (const auto t = L.choice(*s, "type", "execution.slippage", {"none", "percentage", "fixed", "volume_share"})) {
        e.slippage.type = static_cast<SlippageType>(*t);
      }
      const bool bounded = e.slippage.type != SlippageType::kFixed;
      L.number(*s, "rate", "execution.slippage", e.slippage.rate, 0, bounded ? 1.0 : kMaxAmount, false, bounded);
      if (!Loader::present(*s, "type") && e.slippage.rate > 0) {
        L.error("execution.slippage.type", "missing while rate is set; add type: percentage, fixed or volume_share");
      }
    }
    if (const auto t = L.choice(*ex, "fill_timing", "execution", {"next_bar", "same_bar_close"})) {
      e.fill_timing = *t == 0 ? FillTiming::kNextBar : FillTiming::kSameBarClose;
    }
    L.boolean(*ex, "fractional_shares", "execution", e.fractional_shares);
    L.boolean(*ex, "allow_short", "execution", e.allow_short);
    L.number(*ex, "max_volume_participation", "execution", e.max_volume_participation, 0, 1);
    L.boolean(*ex, "close_positions_at_end", "execution", e.close_positions_at_end);
    L.number(*ex, "periods_per_year", "execution", e.periods_per_year, 0, kMaxPeriodsPerYear);
  }
}

void dump_execution(ConfigWriter& w, const BacktestConfig& c) {
  const auto& e = c.execution;
  w.key("execution").begin_map();
  w.key("initial_capital").num(e.initial_capital);
  w.key("commission").begin_map();
  w.key("type").str(config_name(e.commission.type));
  w.key("rate").num(e.commission.rate);
  w.key("minimum").num(e.commission.minimum);
  w.end_map();
  w.key("slippage").begin_map();
  w.key("type").str(config_name(e.slippage.type));
  w.key("rate").num(e.slippage.rate);
  w.end_map();
  w.key("fill_timing").str(config_name(e.fill_timing));
  w.key("fractional_shares").boolean(e.fractional_shares);
  w.key("allow_short").boolean(e.allow_short);
  w.key("max_volume_participation").num(e.max_volume_participation);
  w.key("close_positions_at_end").boolean(e.close_positions_at_end);
  w.key("periods_per_year").num(e.periods_per_year);
  w.end_map();
}

}  // namespace ml4t::backtest::config_detail
