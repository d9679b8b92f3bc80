// The `signal_timing` section: the lag mode (strict, next_bar, custom) and validation.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

void load_signal_timing(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  if (const auto st =
          L.section(root, "signal_timing", "signal_timing", {"mode", "lag", "validate", "fail_on_violation"})) {
    auto& s = cfg.signal_timing;
    static const std::vector<std::string> modes = {"strict", "next_bar", "custom"};
    if (const auto m = L.choice(*st, "mode", "signal_timing", modes)) s.mode = modes[*m];
    const bool has_lag = Loader::present(*st, "lag").has_value();
    const int mode_lag = s.mode == "strict" ? 0 : 1;
    int lag = mode_lag;
    L.integer(*st, "lag", "signal_timing", lag, 0, 100000);
    // A lag equal to the mode's own is harmless (the resolved dump writes it); any other
    // lag outside custom mode would be silently ignored, so it is an error.
    if (has_lag && s.mode != "custom" && lag != mode_lag) {
      L.error("signal_timing.lag", fmt::format("applies only to mode custom (mode {} has lag {}); set mode: custom "
                                               "or remove lag",
                                               s.mode, mode_lag));
    }
    s.lag = s.mode == "strict" ? 0 : s.mode == "next_bar" ? 1 : lag;
    L.boolean(*st, "validate", "signal_timing", s.validate);
    L.boolean(*st, "fail_on_violation", "signal_timing", s.fail_on_violation);
  }
}

void dump_signal_timing(ConfigWriter& w, const BacktestConfig& c) {
  const auto& st = c.signal_timing;
  w.key("signal_timing").begin_map();
  w.key("mode").str(st.mode);
  w.key("lag").num(st.lag);
  w.key("validate").boolean(st.validate);
  w.key("fail_on_violation").boolean(st.fail_on_violation);
  w.end_map();
}

}  // namespace ml4t::backtest::config_detail
