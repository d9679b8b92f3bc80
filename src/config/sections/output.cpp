// The `output` section: the result folder, file formats and the report.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

void load_output(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  cfg.output.dir = L.resolve("results");
  if (const auto out = L.section(root, "output", "output", {"dir", "formats", "report"})) {
    std::string dir;
    L.string(*out, "dir", "output", dir);
    if (!dir.empty()) cfg.output.dir = L.resolve(dir);
    std::vector<std::string> formats = cfg.output.formats;
    L.string_list(*out, "formats", "output", formats);
    bool ok = true;
    for (const auto& f : formats) {
      if (f != "parquet" && f != "csv") {
        L.error("output.formats", fmt::format("unknown format \"{}\"; use parquet and/or csv", f));
        ok = false;
      }
    }
    if (ok) cfg.output.formats = formats;
    L.boolean(*out, "report", "output", cfg.output.report);
  }
}

void dump_output(ConfigWriter& w, const BacktestConfig& c) {
  w.key("output").begin_map();
  w.key("dir").str(c.output.dir.string());
  w.key("formats").begin_list();
  for (const auto& f : c.output.formats) w.str(f);
  w.end_list();
  w.key("report").boolean(c.output.report);
  w.end_map();
}

}  // namespace ml4t::backtest::config_detail
