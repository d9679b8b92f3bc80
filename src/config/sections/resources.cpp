// The `resources` section: DuckDB's memory limit, spill folder and threads.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

namespace {

// A DuckDB size such as "512MB", "1.5 GB" or "4GiB" (checked here so that a typo is a
// config error listed with the others, not a failure when DuckDB starts).
bool is_memory_size(std::string_view text) {
  size_t i = 0;
  auto skip_spaces = [&] {
    while (i < text.size() && text[i] == ' ') ++i;
  };
  auto digits = [&] {
    const size_t from = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return i > from;
  };
  skip_spaces();
  if (!digits()) return false;
  if (i < text.size() && text[i] == '.' && (++i, !digits())) return false;
  skip_spaces();
  std::string unit;
  for (; i < text.size() && text[i] != ' '; ++i) unit += static_cast<char>(std::toupper(static_cast<unsigned char>(text[i])));
  skip_spaces();
  static const std::set<std::string> kUnits = {"B", "KB", "MB", "GB", "TB", "KIB", "MIB", "GIB", "TIB"};
  return i == text.size() && kUnits.count(unit) > 0;
}

}  // namespace

void load_resources(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  if (const auto rs = L.section(root, "resources", "resources", {"memory_limit", "temp_directory", "threads"})) {
    std::string limit;
    L.string(*rs, "memory_limit", "resources", limit);
    if (!limit.empty() && !is_memory_size(limit)) {
      L.error("resources.memory_limit", fmt::format("\"{}\" is not a size; write e.g. 512MB or 4GB", limit));
    } else {
      cfg.resources.memory_limit = limit;
    }
    std::string temp;
    L.string(*rs, "temp_directory", "resources", temp);
    if (!temp.empty()) cfg.resources.temp_directory = L.resolve(temp);
    L.integer(*rs, "threads", "resources", cfg.resources.threads, 0, 4096);
  }
}

void dump_resources(ConfigWriter& w, const BacktestConfig& c) {
  const auto& rs = c.resources;
  if (!rs.memory_limit.empty() || !rs.temp_directory.empty() || rs.threads != 0) {  // only when set
    w.key("resources").begin_map();
    w.key("memory_limit").str(rs.memory_limit);
    w.key("temp_directory").str(rs.temp_directory.string());
    w.key("threads").num(rs.threads);
    w.end_map();
  }
}

}  // namespace ml4t::backtest::config_detail
