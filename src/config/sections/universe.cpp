// The `universe` section: which assets and which time range to trade.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ml4t/backtest/core/error.hpp"
#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

void load_universe(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  if (const auto un = L.section(root, "universe", "universe", {"assets", "start", "end"})) {
    L.string_list(*un, "assets", "universe", cfg.universe.assets);
    auto time = [&](std::string_view key, std::optional<Timestamp>& out) {
      const auto node = Loader::present(*un, key);
      if (!node) return;
      const std::string path = child_path("universe", key);
      const auto text = L.scalar(*node, path, "a date");
      if (!text) return;
      try {
        out = Timestamp::parse(*text);
      } catch (const Error&) {
        L.error(path, fmt::format("expected a date like 2024-01-02 or 2024-01-02T09:30:00Z, got \"{}\"", *text));
      }
    };
    time("start", cfg.universe.start);
    time("end", cfg.universe.end);
    if (cfg.universe.start && cfg.universe.end && *cfg.universe.end < *cfg.universe.start) {
      L.error("universe.end", fmt::format("{} is before start {}; make end >= start", cfg.universe.end->to_string(),
                                          cfg.universe.start->to_string()));
    }
  }
}

void dump_universe(ConfigWriter& w, const BacktestConfig& c) {
  w.key("universe").begin_map();
  w.key("assets").begin_list();
  for (const auto& a : c.universe.assets) w.str(a);
  w.end_list();
  w.key("start");
  c.universe.start ? w.str(c.universe.start->to_string()) : w.null();
  w.key("end");
  c.universe.end ? w.str(c.universe.end->to_string()) : w.null();
  w.end_map();
}

}  // namespace ml4t::backtest::config_detail
