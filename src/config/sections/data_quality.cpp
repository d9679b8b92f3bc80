// The `data_quality` section: what to do with bad price rows and mixed time zones.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

void load_data_quality(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  if (const auto dq = L.section(root, "data_quality", "data_quality", {"bad_data", "mixed_time_zones"})) {
    static const std::vector<std::string> policies = {"error", "drop", "warn"};
    if (const auto i = L.choice(*dq, "bad_data", "data_quality", policies)) cfg.data_quality.bad_data = policies[*i];
    static const std::vector<std::string> zones = {"error", "naive_is_utc"};
    if (const auto i = L.choice(*dq, "mixed_time_zones", "data_quality", zones)) {
      cfg.data_quality.mixed_time_zones = zones[*i];
    }
  }
}

void dump_data_quality(ConfigWriter& w, const BacktestConfig& c) {
  const auto& dq = c.data_quality;
  if (dq.bad_data != "error" || dq.mixed_time_zones != "error") {  // only when set
    w.key("data_quality").begin_map();
    w.key("bad_data").str(dq.bad_data);
    w.key("mixed_time_zones").str(dq.mixed_time_zones);
    w.end_map();
  }
}

}  // namespace ml4t::backtest::config_detail
