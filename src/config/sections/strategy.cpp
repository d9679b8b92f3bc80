// The `strategy` section: a built-in strategy (signal_threshold, top_k) with its
// cross-field checks, or a custom one (plugin, python) with its params.
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <sstream>
#include "../config_loader.hpp"
#include "../config_writer.hpp"
#include "sections.hpp"

namespace ml4t::backtest::config_detail {

namespace {

// A scalar of strategy.params with the type YAML gives it: quoted = text; plain scalars
// are tried as integer, number, then boolean (yaml-cpp's own conversions).
std::optional<StrategyParam> param_scalar(const YAML::Node& node) {
  StrategyParam v;
  v.text = node.Scalar();
  if (node.Tag() == "!") return v;  // quoted
  int64_t i = 0;
  double d = 0;
  bool b = false;
  if (YAML::convert<int64_t>::decode(node, i)) {
    v.kind = StrategyParam::Kind::kInteger;
    v.integer = i;
    v.number = static_cast<double>(i);
  } else if (YAML::convert<double>::decode(node, d) && std::isfinite(d)) {
    v.kind = StrategyParam::Kind::kNumber;
    v.number = d;
  } else if (YAML::convert<bool>::decode(node, b)) {
    v.kind = StrategyParam::Kind::kBool;
    v.flag = b;
  }
  return v;
}

void load_strategy_params(Loader& L, const YAML::Node& node, StrategyParams& out) {
  if (!node.IsMap()) {
    L.error("strategy.params", fmt::format("expected a mapping of name: value, got {}", describe(node)));
    return;
  }
  for (auto it = node.begin(); it != node.end(); ++it) {
    const std::string name = it->first.Scalar();
    const std::string path = StrategyParams::path_of(name);
    const YAML::Node value = it->second;
    if (value.IsScalar() && value.Scalar() == kUnresolved) continue;
    if (value.IsScalar()) {
      out.set(name, *param_scalar(value));
    } else if (value.IsSequence()) {
      StrategyParam list;
      list.kind = StrategyParam::Kind::kList;
      bool ok = true;
      for (size_t i = 0; i < value.size() && ok; ++i) {
        if (!value[i].IsScalar()) {
          L.error(fmt::format("{}[{}]", path, i), fmt::format("expected a number or text, got {}", describe(value[i])));
          ok = false;
        } else {
          list.items.push_back(*param_scalar(value[i]));
          list.text += (i ? ", " : "") + value[i].Scalar();
        }
      }
      list.text = "[" + list.text + "]";
      if (ok) out.set(name, std::move(list));
    } else if (value.IsNull()) {
      L.error(path, "has no value; give one (e.g. 0.5) or remove it");
    } else {
      L.error(path, fmt::format("expected a number, text or a list of them, got {}", describe(value)));
    }
  }
}

// strategy: {type: plugin|python, path, class, params}.
void load_custom_strategy(Loader& L, const YAML::Node& node, BacktestConfig& cfg) {
  CustomStrategyConfig c;
  c.type = node["type"].Scalar();
  L.check_keys(node, "strategy", {"type", "path", "class", "params"});
  const bool python = c.type == "python";
  const auto path_node = Loader::present(node, "path");
  if (!path_node) {
    L.error("strategy.path", python ? "missing; give the Python file, e.g. path: my_strategy.py"
                                    : "missing; give the plugin library, e.g. path: build/libmy_strategy.so");
  } else if (const auto text = L.scalar(*path_node, "strategy.path", "a file path")) {
    c.path = L.resolve(*text);
    std::error_code ec;
    if (text->empty()) {
      L.error("strategy.path", "must not be empty");
    } else if (!fs::is_regular_file(c.path, ec)) {
      L.error("strategy.path", fmt::format("{} not found: {}; check the path (relative paths are resolved against "
                                           "the config's folder)",
                                           python ? "Python file" : "plugin library", c.path.string()));
    }
  }
  L.string(node, "class", "strategy", c.class_name);
  if (python && c.class_name.empty() && !Loader::present(node, "class")) {
    L.error("strategy.class", "missing; name the Strategy subclass in the file, e.g. class: MyStrategy");
  }
  if (const auto params = Loader::present(node, "params")) load_strategy_params(L, *params, c.params);
  cfg.custom_strategy = std::move(c);
}

// strategy.context_filters: rules like "vix < 20" or {field, op, value}.
void load_context_filters(Loader& L, const YAML::Node& cf, BacktestConfig& cfg) {
  auto& s = cfg.strategy;
  const std::string path = "strategy.context_filters";
  if (!cf.IsSequence()) {
    L.error(path, fmt::format("expected a list of rules like \"vix < 20\", got {}", describe(cf)));
  } else {
    static const std::vector<std::string> ops = {"<", "<=", ">", ">=", "==", "!="};
    for (size_t i = 0; i < cf.size(); ++i) {
      const std::string item_path = fmt::format("{}[{}]", path, i);
      const YAML::Node item = cf[i];
      StrategySpec::ContextRule rule;
      std::string op_text, value_text;
      if (item.IsScalar()) {
        std::istringstream in(item.Scalar());
        std::string extra;
        if (!(in >> rule.field >> op_text >> value_text) || (in >> extra)) {
          L.error(item_path,
                  fmt::format("cannot read rule \"{}\"; write it as \"field op value\", e.g. \"vix < 20\"",
                              item.Scalar()));
          continue;
        }
      } else if (item.IsMap()) {
        L.check_keys(item, item_path, {"field", "op", "value"});
        if (!item["field"] || !item["op"] || !item["value"] || !item["field"].IsScalar() ||
            !item["op"].IsScalar() || !item["value"].IsScalar()) {
          L.error(item_path, "needs field, op and value, e.g. {field: vix, op: \"<\", value: 20}");
          continue;
        }
        rule.field = item["field"].Scalar();
        op_text = item["op"].Scalar();
        value_text = item["value"].Scalar();
      } else {
        L.error(item_path, fmt::format("expected a rule like \"vix < 20\", got {}", describe(item)));
        continue;
      }
      if (std::find(ops.begin(), ops.end(), op_text) == ops.end()) {
        L.error(item_path, fmt::format("unknown operator \"{}\"; use one of {}", op_text, quoted_list(ops)));
        continue;
      }
      rule.op = op_text;
      const auto res = std::from_chars(value_text.data(), value_text.data() + value_text.size(), rule.value);
      if (res.ec != std::errc() || res.ptr != value_text.data() + value_text.size() || !std::isfinite(rule.value)) {
        L.error(item_path, fmt::format("expected a number to compare with, got \"{}\"", value_text));
        continue;
      }
      s.context_filters.push_back(rule);
    }
    if (!s.context_filters.empty() && !cfg.data_sources.context && !cfg.features) {
      L.error(path, "needs market context values; add data_sources.context");
    }
  }
}

void dump_builtin_strategy(ConfigWriter& w, const StrategySpec& s) {
  w.key("strategy").begin_map();
  w.key("type").str(s.type);
  w.key("signal").str(s.signal);
  w.key("side").str(config_name(s.side));
  w.key("entry").num(s.entry);
  w.key("exit").num(s.exit);
  opt_num(w, "short_entry", s.short_entry);
  opt_num(w, "short_exit", s.short_exit);
  w.key("size_pct").num(s.size_pct);
  w.key("k").num(s.k);
  w.key("rebalance_every").num(s.rebalance_every);
  opt_num(w, "weight_per_asset", s.weight_per_asset);
  w.key("gross_exposure").num(s.gross_exposure);
  opt_num(w, "min_confidence", s.min_confidence);
  w.key("confidence_signal").str(s.confidence_signal);
  w.key("context_filters").begin_list();
  for (const auto& rule : s.context_filters) w.str(fmt::format("{} {} {}", rule.field, rule.op, rule.value));
  w.end_list();
  w.end_map();
}

void dump_param(ConfigWriter& w, const StrategyParam& v) {
  switch (v.kind) {
    case StrategyParam::Kind::kInteger:
    case StrategyParam::Kind::kNumber: w.num(v.number); break;
    case StrategyParam::Kind::kBool: w.boolean(v.flag); break;
    case StrategyParam::Kind::kText: w.quoted(v.text); break;
    case StrategyParam::Kind::kList:
      w.begin_list();
      for (const auto& item : v.items) dump_param(w, item);
      w.end_list();
      break;
  }
}

void dump_custom_strategy(ConfigWriter& w, const CustomStrategyConfig& s) {
  w.key("strategy").begin_map();
  w.key("type").str(s.type);
  w.key("path").str(s.path.string());
  if (!s.class_name.empty()) w.key("class").str(s.class_name);
  w.key("params").begin_map();
  for (const auto& [name, value] : s.params.entries()) {
    w.key(name);
    dump_param(w, value);
  }
  w.end_map();
  w.end_map();
}

}  // namespace

void load_strategy(Loader& L, const YAML::Node& root, BacktestConfig& cfg) {
  static const std::vector<std::string> strategy_keys = {"type",
                                                         "signal",
                                                         "side",
                                                         "entry",
                                                         "exit",
                                                         "short_entry",
                                                         "short_exit",
                                                         "size_pct",
                                                         "k",
                                                         "rebalance_every",
                                                         "weight_per_asset",
                                                         "gross_exposure",
                                                         "min_confidence",
                                                         "confidence_signal",
                                                         "context_filters"};
  // Read-only lookups: operator[] on a non-const node would add the keys it looks for.
  const YAML::Node strategy_node = static_cast<const YAML::Node&>(root)["strategy"];
  const YAML::Node strategy_type = strategy_node.IsDefined() && strategy_node.IsMap()
                                       ? static_cast<const YAML::Node&>(strategy_node)["type"]
                                       : YAML::Node();
  const bool custom = strategy_type.IsDefined() && strategy_type.IsScalar() &&
                      (strategy_type.Scalar() == "plugin" || strategy_type.Scalar() == "python");
  if (custom) {
    load_custom_strategy(L, strategy_node, cfg);
  } else if (const auto sn = L.section(root, "strategy", "strategy", strategy_keys)) {
    auto& s = cfg.strategy;
    static const std::vector<std::string> types = {"signal_threshold", "top_k", "plugin", "python"};
    if (const auto t = L.choice(*sn, "type", "strategy", types)) s.type = types[*t];
    L.string(*sn, "signal", "strategy", s.signal);
    if (const auto side = L.choice(*sn, "side", "strategy", {"long", "short", "both"})) {
      s.side = static_cast<StrategySide>(*side);
    }
    L.number(*sn, "entry", "strategy", s.entry);
    L.number(*sn, "exit", "strategy", s.exit);
    L.number_opt(*sn, "short_entry", "strategy", s.short_entry);
    L.number_opt(*sn, "short_exit", "strategy", s.short_exit);
    L.number(*sn, "size_pct", "strategy", s.size_pct, 0, 1, true, false);
    L.integer(*sn, "k", "strategy", s.k, 1);
    L.integer(*sn, "rebalance_every", "strategy", s.rebalance_every, 1);
    L.number_opt(*sn, "weight_per_asset", "strategy", s.weight_per_asset, 0, 1, true, false);
    L.number(*sn, "gross_exposure", "strategy", s.gross_exposure, 0, 10, true, false);
    L.number_opt(*sn, "min_confidence", "strategy", s.min_confidence);
    L.string(*sn, "confidence_signal", "strategy", s.confidence_signal);
    if (const auto cf = Loader::present(*sn, "context_filters")) load_context_filters(L, *cf, cfg);
    // Cross-field rules.
    if (s.type == "signal_threshold") {
      if (s.exit > s.entry && Loader::present(*sn, "exit")) {
        L.error("strategy.exit", fmt::format("{} is above entry {}: a position would be closed as soon as it is "
                                             "opened; make exit <= entry",
                                             s.exit, s.entry));
      }
      if (s.side != StrategySide::kLong && !s.short_entry) {
        L.error("strategy.short_entry", fmt::format("missing for side {}; add short_entry (enter short when the "
                                                    "signal is below it)",
                                                    config_name(s.side)));
      }
      // A short is covered when the signal rises above short_exit (default: exit).
      if (s.short_entry && s.short_exit.value_or(s.exit) < *s.short_entry) {
        L.error("strategy.short_exit",
                fmt::format("{}{} is below short_entry {}: a short would be covered as soon "
                            "as it is opened; make short_exit >= short_entry",
                            s.short_exit.value_or(s.exit), s.short_exit ? "" : " (from exit)", *s.short_entry));
      }
    }
    if (s.side != StrategySide::kLong && !cfg.execution.allow_short) {
      L.error("strategy.side", fmt::format("\"{}\" sells short but execution.allow_short is false; set allow_short: "
                                           "true or side: long",
                                           config_name(s.side)));
    }
  }
  // The strategy's signal must come from somewhere (a custom strategy reads what it likes).
  if (!custom && !cfg.data_sources.signals && !cfg.features && L.errors().empty()) {
    L.error("strategy.signal",
            fmt::format("\"{}\" needs a signals source; add data_sources.signals (or features)", cfg.strategy.signal));
  }
  auto listed = [&](const std::string& name) {
    // Only checkable when every signal/feature source names its columns.
    const bool sig_all = cfg.data_sources.signals && cfg.data_sources.signals->columns.empty();
    const bool feat_all = cfg.features && cfg.features->source.columns.empty();
    if (sig_all || feat_all) return true;
    auto has = [&](const std::vector<std::string>& cols) {
      return std::find(cols.begin(), cols.end(), name) != cols.end();
    };
    return (cfg.data_sources.signals && has(cfg.data_sources.signals->columns)) ||
           (cfg.features && has(cfg.features->source.columns));
  };
  if (!custom && (cfg.data_sources.signals || cfg.features) && !listed(cfg.strategy.signal)) {
    L.error("strategy.signal", fmt::format("\"{}\" is not among the listed signal/feature columns; add it to "
                                           "data_sources.signals.columns or pick a listed one",
                                           cfg.strategy.signal));
  }
  if (!custom && cfg.strategy.min_confidence && (cfg.data_sources.signals || cfg.features) &&
      !listed(cfg.strategy.confidence_signal)) {
    L.error("strategy.confidence_signal", fmt::format("\"{}\" is not among the listed signal/feature columns; add it "
                                                      "to data_sources.signals.columns",
                                                      cfg.strategy.confidence_signal));
  }
}

void dump_strategy(ConfigWriter& w, const BacktestConfig& c) {
  if (c.custom_strategy) {
    dump_custom_strategy(w, *c.custom_strategy);
  } else {
    dump_builtin_strategy(w, c.strategy);
  }
}

}  // namespace ml4t::backtest::config_detail
