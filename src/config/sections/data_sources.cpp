// The `data_sources` section (prices, signals, context) and the flat `features` section.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

void load_data_sources(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  if (const auto ds = L.section(root, "data_sources", "data_sources", {"prices", "signals", "context"})) {
    if (auto prices = L.source(*ds, "prices", "data_sources", true)) {
      cfg.data_sources.prices = *prices;
    } else if (!Loader::present(*ds, "prices")) {
      L.error("data_sources.prices", "missing; add the price file, e.g. prices: {path: data/prices.parquet}");
    }
    cfg.data_sources.signals = L.source(*ds, "signals", "data_sources", true);
    cfg.data_sources.context = L.source(*ds, "context", "data_sources", false);
  } else if (!Loader::present(root, "data_sources")) {
    L.error("data_sources", "missing; add data_sources: {prices: {path: data/prices.parquet}}");
  }
}

void dump_data_sources(ConfigWriter& w, const BacktestConfig& c) {
  w.key("data_sources").begin_map();
  w.key("prices");
  dump_source(w, c.data_sources.prices);
  for (const auto& [name, src] :
       {std::pair{"signals", &c.data_sources.signals}, std::pair{"context", &c.data_sources.context}}) {
    w.key(name);
    if (*src) {
      dump_source(w, **src);
    } else {
      w.null();
    }
  }
  w.end_map();
}

void load_features(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  static const std::vector<std::string> feature_keys = {"type",         "path",   "format", "timestamp_column",
                                                        "asset_column", "columns",  "timestamp_format"};
  if (const auto fe = L.section(root, "features", "features", feature_keys)) {
    FeaturesConfig features;
    L.choice(*fe, "type", "features", {"precomputed"});
    L.fill_source(*fe, "features", features.source);
    cfg.features = features;
  }
}

void dump_features(ConfigWriter& w, const BacktestConfig& c) {
  w.key("features");
  if (c.features) {
    w.begin_map();
    // Flat, as the config spells it (features: {type, path, columns, ...}), so the dump loads back.
    w.key("type").str(c.features->type);
    dump_source_keys(w, c.features->source);
    w.end_map();
  } else {
    w.null();
  }
}

}  // namespace ml4t::backtest::config_detail
