// The `risk_rules` section: position limits, stops and the market-context entry filter.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ml4t/backtest/engine/limits.hpp"
#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

void load_risk_rules(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  static const std::vector<std::string> risk_keys = {"max_position_size", "stop_loss",     "take_profit",
                                                     "trailing_stop",     "max_positions", "max_gross_exposure",
                                                     "min_vix",           "max_vix",       "context_field"};
  if (const auto rr = L.section(root, "risk_rules", "risk_rules", risk_keys)) {
    auto& r = cfg.risk_rules;
    L.number(*rr, "max_position_size", "risk_rules", r.max_position_size, 0, 1);
    L.number(*rr, "stop_loss", "risk_rules", r.stop_loss, 0, 1, false, true);
    L.number(*rr, "take_profit", "risk_rules", r.take_profit, 0, kMaxRatio);
    L.number(*rr, "trailing_stop", "risk_rules", r.trailing_stop, 0, 1, false, true);
    L.integer(*rr, "max_positions", "risk_rules", r.max_positions, 0);
    L.number(*rr, "max_gross_exposure", "risk_rules", r.max_gross_exposure, 0, kMaxRatio);
    L.number_opt(*rr, "min_vix", "risk_rules", r.min_vix, 0);
    L.number_opt(*rr, "max_vix", "risk_rules", r.max_vix, 0);
    L.string(*rr, "context_field", "risk_rules", r.context_field);
    if (r.min_vix && r.max_vix && *r.max_vix < *r.min_vix) {
      L.error("risk_rules.max_vix",
              fmt::format("{} is below min_vix {}; make max_vix >= min_vix", *r.max_vix, *r.min_vix));
    }
    if ((r.min_vix || r.max_vix) && !cfg.data_sources.context && !cfg.features) {
      L.error(r.max_vix ? "risk_rules.max_vix" : "risk_rules.min_vix",
              fmt::format("needs the market context field \"{}\"; add data_sources.context with that column",
                          r.context_field));
    }
  }
}

void dump_risk_rules(ConfigWriter& w, const BacktestConfig& c) {
  const auto& r = c.risk_rules;
  w.key("risk_rules").begin_map();
  w.key("max_position_size").num(r.max_position_size);
  w.key("stop_loss").num(r.stop_loss);
  w.key("take_profit").num(r.take_profit);
  w.key("trailing_stop").num(r.trailing_stop);
  w.key("max_positions").num(r.max_positions);
  w.key("max_gross_exposure").num(r.max_gross_exposure);
  opt_num(w, "min_vix", r.min_vix);
  opt_num(w, "max_vix", r.max_vix);
  w.key("context_field").str(r.context_field);
  w.end_map();
}

}  // namespace ml4t::backtest::config_detail
