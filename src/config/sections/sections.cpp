// The table of config sections (see sections.hpp).
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

const std::vector<ConfigSection>& config_sections() {
  static const std::vector<ConfigSection> sections = {
      {"data_sources", load_data_sources, dump_data_sources},
      {"features", load_features, dump_features},
      {"execution", load_execution, dump_execution},
      {"risk_rules", load_risk_rules, dump_risk_rules},
      {"signal_timing", load_signal_timing, dump_signal_timing},
      {"strategy", load_strategy, dump_strategy},
      {"universe", load_universe, dump_universe},
      {"output", load_output, dump_output},
      {"resources", load_resources, dump_resources},
      {"data_quality", load_data_quality, dump_data_quality},
  };
  return sections;
}

const std::vector<std::string>& top_level_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> out;
    for (const auto& s : config_sections()) out.emplace_back(s.key);
    return out;
  }();
  return keys;
}

}  // namespace ml4t::backtest::config_detail
