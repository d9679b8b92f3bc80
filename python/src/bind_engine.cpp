// Engine-side bindings: the engine settings, Strategy with a trampoline so Python
// subclasses receive the hooks, the engine run (GIL released while C++ works, re-taken
// per Python callback; Ctrl-C checked in callbacks and every few thousand events),
// Results as numpy columns, result files and report, and BacktestConfig.
#include <pybind11/stl/filesystem.h>

#include <atomic>
#include <fstream>
#include <optional>

#include "common.hpp"
#include "exclusive_use.hpp"
#include "ml4t/backtest/config/backtest_config.hpp"
#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/config/strategy_factory.hpp"
#include "ml4t/backtest/config/strategy_plugin.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"
#include "ml4t/backtest/engine/strategy.hpp"
#include "ml4t/backtest/results/metrics.hpp"
#include "ml4t/backtest/results/reader.hpp"
#include "ml4t/backtest/results/report.hpp"
#include "ml4t/backtest/results/writer.hpp"

namespace ml4t::backtest::python {

namespace {

template <typename E>
E parse_enum(const std::string& text, std::initializer_list<std::pair<const char*, E>> table, const char* what) {
  std::string known;
  for (const auto& [name, value] : table) {
    if (text == name) return value;
    known += (known.empty() ? "'" : ", '") + std::string(name) + "'";
  }
  throw ConfigError(std::string(what) + " '" + text + "' is not one of " + known);
}

CommissionType parse_commission(const std::string& s) {
  return parse_enum<CommissionType>(s,
                                    {{"none", CommissionType::kNone},
                                     {"per_share", CommissionType::kPerShare},
                                     {"percentage", CommissionType::kPercentage},
                                     {"fixed", CommissionType::kFixed}},
                                    "commission type");
}
SlippageType parse_slippage(const std::string& s) {
  return parse_enum<SlippageType>(s,
                                  {{"none", SlippageType::kNone},
                                   {"percentage", SlippageType::kPercentage},
                                   {"fixed", SlippageType::kFixed},
                                   {"volume_share", SlippageType::kVolumeShare}},
                                  "slippage type");
}
// The execution profile and rule switches by their config names (rule_names::*).
template <typename E, size_t N>
E parse_rule(const std::string& text, const char* const (&names)[N], const char* what) {
  std::string known;
  for (size_t i = 0; i < N; ++i) {
    if (text == names[i]) return static_cast<E>(i);
    known += (known.empty() ? "'" : ", '") + std::string(names[i]) + "'";
  }
  throw ConfigError(std::string(what) + " '" + text + "' is not one of " + known);
}

// A string property over an enum member, named by `names`.
template <typename E, size_t N>
auto rule_property(E ExecutionRules::*member, const char* const (&names)[N], const char* what) {
  return std::pair{[member, &names](const ExecutionRules& r) { return std::string(names[static_cast<size_t>(r.*member)]); },
                   [member, &names, what](ExecutionRules& r, const std::string& s) {
                     r.*member = parse_rule<E>(s, names, what);
                   }};
}

FillTiming parse_fill_timing(const std::string& s) {
  return parse_enum<FillTiming>(s, {{"next_bar", FillTiming::kNextBar}, {"same_bar_close", FillTiming::kSameBarClose}},
                                "fill_timing");
}
StrategySide parse_side(const std::string& s) {
  return parse_enum<StrategySide>(s, {{"long", StrategySide::kLong}, {"short", StrategySide::kShort}, {"both", StrategySide::kBoth}},
                                  "side");
}
OrderType parse_order_type(const std::string& s) {
  return parse_enum<OrderType>(s,
                               {{"market", OrderType::kMarket},
                                {"limit", OrderType::kLimit},
                                {"stop", OrderType::kStop},
                                {"stop_limit", OrderType::kStopLimit},
                                {"trailing_stop", OrderType::kTrailingStop}},
                               "order_type");
}
TimeInForce parse_tif(const std::string& s) {
  return parse_enum<TimeInForce>(s, {{"gtc", TimeInForce::kGtc}, {"day", TimeInForce::kDay}}, "time_in_force");
}

double price_or_nan(const py::object& v) { return v.is_none() ? Strategy::kNoPrice : v.cast<double>(); }

// Strategy with its protected helpers made public, plus asset arguments given as a
// symbol (str) or an asset id (int), as Python users write them.
class StrategyBase : public Strategy {
 public:
  AssetId resolve(py::handle asset) const {
    if (py::isinstance<py::str>(asset)) return id_or_unknown(asset.cast<std::string>());
    if (py::isinstance<py::int_>(asset)) {
      int overflow = 0;
      const long long id = PyLong_AsLongLongAndOverflow(asset.ptr(), &overflow);
      if (overflow != 0 || id < 0 || id >= static_cast<long long>(kNoAsset)) {
        throw ConfigError("asset id " + py::repr(asset).cast<std::string>() + " is out of range: the feed has " +
                          std::to_string(symbols().size()) +
                          " asset(s) so far, numbered from 0; pass the symbol (str) or an id below that");
      }
      return static_cast<AssetId>(id);
    }
    throw ConfigError("an asset must be a symbol (str) or an asset id (int), got " + py::repr(asset).cast<std::string>());
  }
  using Strategy::buy_percent;
  using Strategy::cancel;
  using Strategy::cancel_all;
  using Strategy::cash;
  using Strategy::close_position;
  using Strategy::config;
  using Strategy::equity;
  using Strategy::last_price;
  using Strategy::now;
  using Strategy::open_orders;
  using Strategy::open_positions;
  using Strategy::order;
  using Strategy::order_target_percent;
  using Strategy::order_target_quantity;
  using Strategy::order_trailing_stop;
  using Strategy::position;
  using Strategy::position_info;
  using Strategy::schema;
  using Strategy::sell_percent;
  using Strategy::symbols;

  /// The run's feed has naive timestamps: now() and fills hand times back naive.
  bool naive_times = false;
  /// The run's feed has integer volumes: events hand them back as int.
  bool integer_volume = false;
};

// The trampoline: forwards the engine's hooks to the Python subclass. Overridden hooks
// are looked up once in on_start; a hook the subclass does not define costs no GIL.
class PyStrategy : public StrategyBase {
 public:
  void on_start() override {
    py::gil_scoped_acquire gil;
    names_.naive = naive_times;
    names_.integer_volume = integer_volume;
    md_ = lookup("on_market_data");
    ts_ = lookup("on_timestamp");
    fill_ = lookup("on_fill");
    end_ = lookup("on_end");
    md_context_ = true;
    if (md_) {
      py::object self = py::cast(static_cast<StrategyBase*>(this), py::return_value_policy::reference);
      md_context_ = py::getattr(self, "_ml4t_pass_context", py::bool_(true)).cast<bool>();
    }
    if (py::function start = lookup("on_start")) start();
  }
  void on_market_data(const MarketEvent& event, const FieldValues& /*context*/) override {
    if (!md_) return;
    // Take the GIL once per timestamp group, not per event: on_timestamp (always
    // called after the group's events) gives it back.
    if (!group_gil_) group_gil_.emplace();
    check_signals();
    py::object ev = py::cast(make_event(event, names_));
    if (md_context_) {
      // The event's own context, kept alive by the event (cheaper than ev.context).
      auto& pe = ev.cast<PyMarketEvent&>();
      md_(ev, py::cast(&pe.context, py::return_value_policy::reference_internal, ev));
    } else {
      md_(ev);
    }
  }
  void on_timestamp(const TimestampGroup& group) override {
    if (ts_) {
      if (!group_gil_) group_gil_.emplace();
      check_signals();
      ts_(make_cross_section(group, names_));
    }
    group_gil_.reset();
  }
  void on_fill(const Fill& fill) override {
    if (!fill_) return;
    py::gil_scoped_acquire gil;
    py::dict d;
    d["order_id"] = fill.order_id;
    d["timestamp"] = to_py_time(fill.timestamp, naive_times);
    d["asset_id"] = fill.asset < symbols().size() ? py::str(symbols().name(fill.asset)) : py::str("");
    d["asset"] = fill.asset;
    d["side"] = std::string(to_string(fill.side));
    d["quantity"] = fill.quantity;
    d["price"] = fill.price;
    d["commission"] = fill.commission;
    d["slippage"] = fill.slippage;
    fill_(d);
  }
  void on_end() override {
    if (!end_) return;
    py::gil_scoped_acquire gil;
    end_();
  }
  /// Drop the cached hooks (with the GIL held) after a run.
  void release_hooks() { md_ = ts_ = fill_ = end_ = py::function(); }
  /// Give back a GIL held across a group (a hook raised mid-group); before the run's
  /// GIL release ends, which takes it again.
  void drop_group_gil() { group_gil_.reset(); }

 private:
  py::function lookup(const char* name) { return py::get_override(static_cast<const StrategyBase*>(this), name); }
  py::function md_, ts_, fill_, end_;
  bool md_context_ = true;
  NamesCache names_;
  std::optional<py::gil_scoped_acquire> group_gil_;
};

py::dict position_dict(const PositionInfo& p) {
  py::dict d;
  d["quantity"] = p.quantity;
  d["avg_cost"] = p.avg_cost;
  d["last_price"] = p.last_price;
  d["market_value"] = p.market_value;
  d["unrealized_pnl"] = p.unrealized_pnl;
  d["realized_pnl"] = p.realized_pnl;
  return d;
}

void bind_strategy(py::module_& m) {
  using S = StrategyBase;
  py::class_<S, PyStrategy>(m, "StrategyBase", "C++ base of ml4t.backtest.Strategy (subclass Strategy, not this).")
      .def(py::init<>())
      .def("on_start", [](S&) {}, "Called once before the first bar.")
      .def("on_market_data", [](S&, py::object, py::object) {}, py::arg("event"), py::arg("context") = py::none(),
           "Called for every event (one asset's bar); override to trade.")
      .def("on_timestamp", [](S&, py::object) {}, py::arg("cross_section"),
           "Called once per timestamp with the whole CrossSection (numpy arrays).")
      .def("on_fill", [](S&, py::object) {}, py::arg("fill"), "Called for each fill of this strategy's orders (a dict).")
      .def("on_end", [](S&) {}, "Called once after the last bar.")
      .def(
          "order",
          [](S& s, py::handle asset, double quantity, const std::string& order_type, py::object limit_price,
             py::object stop_price, const std::string& time_in_force) {
            return s.order(s.resolve(asset), quantity, parse_order_type(order_type), price_or_nan(limit_price),
                           price_or_nan(stop_price), parse_tif(time_in_force));
          },
          py::arg("asset_id"), py::arg("quantity"), py::arg("order_type") = "market", py::arg("limit_price") = py::none(),
          py::arg("stop_price") = py::none(), py::arg("time_in_force") = "gtc",
          "Place an order for ``quantity`` shares (> 0 buy, < 0 sell). order_type: 'market', 'limit', 'stop', "
          "'stop_limit'. Returns the order id (0 when nothing was placed). Fills on the next bar by default.")
      .def(
          "order_trailing_stop",
          [](S& s, py::handle asset, double quantity, double trail_percent, const std::string& tif) {
            return s.order_trailing_stop(s.resolve(asset), quantity, trail_percent, parse_tif(tif));
          },
          py::arg("asset_id"), py::arg("quantity"), py::arg("trail_percent"), py::arg("time_in_force") = "gtc",
          "A trailing stop ``trail_percent`` (e.g. 0.05) below the high-water mark (above the low for a buy).")
      .def(
          "buy_percent",
          [](S& s, py::handle asset, double pct, py::object price) {
            const AssetId id = s.resolve(asset);
            return s.buy_percent(id, pct, price.is_none() ? s.last_price(id) : price.cast<double>());
          },
          py::arg("asset_id"), py::arg("pct"), py::arg("price") = py::none(),
          "Buy ``pct`` (e.g. 0.10) of current equity worth of the asset, sized at ``price`` (default: last close).")
      .def(
          "sell_percent",
          [](S& s, py::handle asset, double pct, py::object price) {
            const AssetId id = s.resolve(asset);
            return s.sell_percent(id, pct, price.is_none() ? s.last_price(id) : price.cast<double>());
          },
          py::arg("asset_id"), py::arg("pct"), py::arg("price") = py::none(),
          "Sell (short when flat) ``pct`` of current equity worth of the asset, sized at ``price``.")
      .def(
          "order_target_percent",
          [](S& s, py::handle asset, double pct) { return s.order_target_percent(s.resolve(asset), pct); },
          py::arg("asset_id"), py::arg("pct"),
          "Trade toward holding ``pct`` of equity (signed; < 0 short), counting open orders.")
      .def(
          "order_target_quantity",
          [](S& s, py::handle asset, double q) { return s.order_target_quantity(s.resolve(asset), q); },
          py::arg("asset_id"), py::arg("quantity"), "Trade toward holding ``quantity`` shares (signed).")
      .def(
          "close_position", [](S& s, py::handle asset) { return s.close_position(s.resolve(asset)); },
          py::arg("asset_id"), "Cancel the asset's open orders and close its position at market.")
      .def("cancel", [](S& s, uint64_t id) { return s.cancel(id); }, py::arg("order_id"),
           "Cancel an open order; False when unknown or no longer open.")
      .def(
          "cancel_all", [](S& s, py::handle asset) { return s.cancel_all(s.resolve(asset)); }, py::arg("asset_id"),
          "Cancel every open order of the asset; returns how many.")
      .def(
          "position", [](const S& s, py::handle asset) { return s.position(s.resolve(asset)); }, py::arg("asset_id"),
          "Signed quantity held (0 when flat).")
      .def(
          "position_info", [](const S& s, py::handle asset) { return position_dict(s.position_info(s.resolve(asset))); },
          py::arg("asset_id"), "Dict: quantity, avg_cost, last_price, market_value, unrealized_pnl, realized_pnl.")
      .def(
          "open_positions",
          [](const S& s) {
            std::vector<std::string> out;
            for (AssetId id : s.open_positions()) out.push_back(s.symbols().name(id));
            return out;
          },
          "Symbols with a non-zero position, in the order they were opened.")
      .def(
          "open_orders", [](const S& s, py::handle asset) { return s.open_orders(s.resolve(asset)); },
          py::arg("asset_id"), "Number of open orders of the asset.")
      .def("cash", [](const S& s) { return s.cash(); }, "Cash.")
      .def("equity", [](const S& s) { return s.equity(); }, "Cash plus positions at their last close.")
      .def("now", [](const S& s) { return to_py_time(s.now(), s.naive_times); },
           "Time of the bar being processed (naive when the feed's timestamps are, else UTC).")
      .def(
          "last_price", [](const S& s, py::handle asset) { return s.last_price(s.resolve(asset)); }, py::arg("asset_id"),
          "Last close seen (NaN before the first bar).")
      .def(
          "asset_id",
          [](const S& s, const std::string& symbol) -> py::object {
            auto id = s.symbols().find(symbol);
            return id ? py::cast(*id) : py::none();
          },
          py::arg("symbol"), "The integer id of ``symbol``, or None when not seen yet.")
      .def("signal_names", [](const S& s) { return s.schema().signal_names(); }, "The feed's per-asset field names.")
      .def("context_names", [](const S& s) { return s.schema().context_names(); }, "The feed's market-wide field names.")
      .def("symbols", [](const S& s) { return s.symbols().names(); }, "Symbols seen so far, by asset id.");

  // For the Python host of `strategy: {type: python}` configs (src/python_host/): the C++
  // Strategy inside a Python one, and the ABI it must agree on with the host.
  m.def(
      "_native_strategy",
      [](S& s) { return py::capsule(static_cast<Strategy*>(&s), "ml4t.backtest.Strategy"); }, py::arg("strategy"),
      "The C++ Strategy inside a Python one (the caller keeps the Python object alive).");
  m.attr("_strategy_abi") = strategy_plugin_abi();
}

void bind_config_structs(py::module_& m) {
  py::class_<CommissionConfig>(m, "CommissionConfig", "Commission per fill: per_share, percentage or fixed.")
      .def(py::init<>())
      .def_property(
          "type", [](const CommissionConfig& c) { return std::string(config_name(c.type)); },
          [](CommissionConfig& c, const std::string& s) { c.type = parse_commission(s); })
      .def_readwrite("rate", &CommissionConfig::rate)
      .def_readwrite("minimum", &CommissionConfig::minimum);
  py::class_<SlippageConfig>(m, "SlippageConfig", "Price slippage: percentage, fixed or volume_share.")
      .def(py::init<>())
      .def_property(
          "type", [](const SlippageConfig& c) { return std::string(config_name(c.type)); },
          [](SlippageConfig& c, const std::string& s) { c.type = parse_slippage(s); })
      .def_readwrite("rate", &SlippageConfig::rate);
  namespace rn = rule_names;
  py::class_<ExecutionRules> rules(m, "ExecutionRules",
                                   "The execution rule switches a profile presets (docs/execution.md).");
  rules.def(py::init<>());
  auto add_rule = [&rules](const char* name, auto getter_setter) {
    rules.def_property(name, getter_setter.first, getter_setter.second);
  };
  add_rule("order_sequence",
           rule_property(&ExecutionRules::order_sequence, rn::kOrderSequence, "execution.rules.order_sequence"));
  add_rule("cash_check", rule_property(&ExecutionRules::cash_check, rn::kCashCheck, "execution.rules.cash_check"));
  add_rule("target_rounding",
           rule_property(&ExecutionRules::target_rounding, rn::kTargetRounding, "execution.rules.target_rounding"));
  rules.def_readwrite("target_nets_open_orders", &ExecutionRules::target_nets_open_orders);
  add_rule("trail_reference",
           rule_property(&ExecutionRules::trail_reference, rn::kTrailReference, "execution.rules.trail_reference"));
  add_rule("commission_minimum", rule_property(&ExecutionRules::commission_minimum, rn::kCommissionMinimum,
                                               "execution.rules.commission_minimum"));
  add_rule("market_fill_price", rule_property(&ExecutionRules::market_fill_price, rn::kMarketFillPrice,
                                              "execution.rules.market_fill_price"));
  add_rule("trigger_price",
           rule_property(&ExecutionRules::trigger_price, rn::kTriggerPrice, "execution.rules.trigger_price"));
  py::class_<ExecutionConfig>(m, "ExecutionConfig", "Capital, costs, fill timing, share rounding, shorting.")
      .def(py::init<>())
      .def_property(
          "profile", [](const ExecutionConfig& c) { return std::string(rn::kProfile[static_cast<int>(c.profile)]); },
          [](ExecutionConfig& c, const std::string& s) {
            // Setting a profile presets the rules (and vectorbt's fill timing); set
            // individual rules after it.
            apply_execution_profile(c, parse_rule<ExecutionProfile>(s, rn::kProfile, "execution.profile"));
          })
      .def_readwrite("rules", &ExecutionConfig::rules)
      .def_property(
          "backtrader_checksubmit", [](const ExecutionConfig& c) { return c.backtrader.checksubmit; },
          [](ExecutionConfig& c, bool v) { c.backtrader.checksubmit = v; })
      .def_readwrite("initial_capital", &ExecutionConfig::initial_capital)
      .def_readwrite("commission", &ExecutionConfig::commission)
      .def_readwrite("slippage", &ExecutionConfig::slippage)
      .def_property(
          "fill_timing", [](const ExecutionConfig& c) { return std::string(config_name(c.fill_timing)); },
          [](ExecutionConfig& c, const std::string& s) { c.fill_timing = parse_fill_timing(s); })
      .def_readwrite("fractional_shares", &ExecutionConfig::fractional_shares)
      .def_readwrite("allow_short", &ExecutionConfig::allow_short)
      .def_readwrite("max_volume_participation", &ExecutionConfig::max_volume_participation)
      .def_readwrite("close_positions_at_end", &ExecutionConfig::close_positions_at_end)
      .def_readwrite("periods_per_year", &ExecutionConfig::periods_per_year);
  py::class_<RiskRules>(m, "RiskRules", "Position and portfolio risk rules; 0/None disables a rule.")
      .def(py::init<>())
      .def_readwrite("max_position_size", &RiskRules::max_position_size)
      .def_readwrite("stop_loss", &RiskRules::stop_loss)
      .def_readwrite("take_profit", &RiskRules::take_profit)
      .def_readwrite("trailing_stop", &RiskRules::trailing_stop)
      .def_readwrite("max_positions", &RiskRules::max_positions)
      .def_readwrite("max_gross_exposure", &RiskRules::max_gross_exposure)
      .def_readwrite("min_vix", &RiskRules::min_vix)
      .def_readwrite("max_vix", &RiskRules::max_vix)
      .def_readwrite("context_field", &RiskRules::context_field);
  py::class_<EngineConfig>(m, "EngineConfig")
      .def(py::init<>())
      .def_readwrite("execution", &EngineConfig::execution)
      .def_readwrite("risk_rules", &EngineConfig::risk_rules);

  py::class_<StrategySpec::ContextRule>(m, "ContextRule")
      .def(py::init([](std::string field, std::string op, double value) {
             return StrategySpec::ContextRule{std::move(field), std::move(op), value};
           }),
           py::arg("field"), py::arg("op"), py::arg("value"))
      .def_readwrite("field", &StrategySpec::ContextRule::field)
      .def_readwrite("op", &StrategySpec::ContextRule::op)
      .def_readwrite("value", &StrategySpec::ContextRule::value);
  py::class_<StrategySpec>(m, "StrategySpec", "A built-in strategy (signal_threshold or top_k) and its parameters.")
      .def(py::init<>())
      .def_readwrite("type", &StrategySpec::type)
      .def_readwrite("signal", &StrategySpec::signal)
      .def_property(
          "side", [](const StrategySpec& s) { return std::string(config_name(s.side)); },
          [](StrategySpec& s, const std::string& v) { s.side = parse_side(v); })
      .def_readwrite("entry", &StrategySpec::entry)
      .def_readwrite("exit", &StrategySpec::exit)
      .def_readwrite("short_entry", &StrategySpec::short_entry)
      .def_readwrite("short_exit", &StrategySpec::short_exit)
      .def_readwrite("size_pct", &StrategySpec::size_pct)
      .def_readwrite("k", &StrategySpec::k)
      .def_readwrite("rebalance_every", &StrategySpec::rebalance_every)
      .def_readwrite("weight_per_asset", &StrategySpec::weight_per_asset)
      .def_readwrite("gross_exposure", &StrategySpec::gross_exposure)
      .def_readwrite("min_confidence", &StrategySpec::min_confidence)
      .def_readwrite("confidence_signal", &StrategySpec::confidence_signal)
      .def_readwrite("context_filters", &StrategySpec::context_filters);
}

// ---- results -------------------------------------------------------------------

// A run's results with its provenance (what summary.json records besides the results).
struct NativeRun {
  Results results;
  RunInfo info;
  bool naive_times = false;  //!< the feed's timestamps were naive: the tables' times are too
};

template <typename T, typename F>
py::array_t<T> column(size_t n, F&& get) {
  py::array_t<T> out(n);
  T* p = out.mutable_data();
  for (size_t i = 0; i < n; ++i) p[i] = get(i);
  return out;
}

std::string symbol_of(const Results& r, AssetId id) { return id < r.symbols.size() ? r.symbols[id] : std::string(); }

template <typename F>
py::list strings(size_t n, F&& get) {
  py::list out(n);
  for (size_t i = 0; i < n; ++i) out[i] = py::str(get(i));
  return out;
}

py::dict table(const Results& r, const std::string& name) {
  py::dict d;
  if (name == "equity_curve") {
    const auto& v = r.equity_curve;
    d["timestamp"] = column<int64_t>(v.size(), [&](size_t i) { return v[i].timestamp.nanos(); });
    d["cash"] = column<double>(v.size(), [&](size_t i) { return v[i].cash; });
    d["positions_value"] = column<double>(v.size(), [&](size_t i) { return v[i].positions_value; });
    d["equity"] = column<double>(v.size(), [&](size_t i) { return v[i].equity; });
    d["drawdown"] = column<double>(v.size(), [&](size_t i) { return v[i].drawdown; });
    d["gross_value"] = column<double>(v.size(), [&](size_t i) { return v[i].gross_value; });
  } else if (name == "trades") {
    const auto& v = r.trades;
    d["asset_id"] = strings(v.size(), [&](size_t i) { return symbol_of(r, v[i].asset); });
    d["entry_time"] = column<int64_t>(v.size(), [&](size_t i) { return v[i].entry_time.nanos(); });
    d["exit_time"] = column<int64_t>(v.size(), [&](size_t i) { return v[i].exit_time.nanos(); });
    d["side"] = strings(v.size(), [&](size_t i) { return std::string(to_string(v[i].side)); });
    d["quantity"] = column<double>(v.size(), [&](size_t i) { return v[i].quantity; });
    d["entry_price"] = column<double>(v.size(), [&](size_t i) { return v[i].entry_price; });
    d["exit_price"] = column<double>(v.size(), [&](size_t i) { return v[i].exit_price; });
    d["pnl"] = column<double>(v.size(), [&](size_t i) { return v[i].pnl; });
    d["return"] = column<double>(v.size(), [&](size_t i) { return v[i].return_fraction; });
    d["commission"] = column<double>(v.size(), [&](size_t i) { return v[i].commission; });
    d["slippage"] = column<double>(v.size(), [&](size_t i) { return v[i].slippage; });
    d["bars_held"] = column<int64_t>(v.size(), [&](size_t i) { return v[i].bars_held; });
    d["exit_reason"] = strings(v.size(), [&](size_t i) { return std::string(to_string(v[i].exit_reason)); });
    d["open"] = column<bool>(v.size(), [&](size_t i) { return v[i].open; });
  } else if (name == "fills") {
    const auto& v = r.fills;
    d["order_id"] = column<uint64_t>(v.size(), [&](size_t i) { return v[i].order_id; });
    d["timestamp"] = column<int64_t>(v.size(), [&](size_t i) { return v[i].timestamp.nanos(); });
    d["asset_id"] = strings(v.size(), [&](size_t i) { return symbol_of(r, v[i].asset); });
    d["side"] = strings(v.size(), [&](size_t i) { return std::string(to_string(v[i].side)); });
    d["quantity"] = column<double>(v.size(), [&](size_t i) { return v[i].quantity; });
    d["price"] = column<double>(v.size(), [&](size_t i) { return v[i].price; });
    d["commission"] = column<double>(v.size(), [&](size_t i) { return v[i].commission; });
    d["slippage"] = column<double>(v.size(), [&](size_t i) { return v[i].slippage; });
  } else if (name == "orders") {
    const auto& v = r.orders;
    d["order_id"] = column<uint64_t>(v.size(), [&](size_t i) { return v[i].id; });
    d["created"] = column<int64_t>(v.size(), [&](size_t i) { return v[i].created.nanos(); });
    d["updated"] = column<int64_t>(v.size(), [&](size_t i) { return v[i].updated.nanos(); });
    d["asset_id"] = strings(v.size(), [&](size_t i) { return symbol_of(r, v[i].asset); });
    d["side"] = strings(v.size(), [&](size_t i) { return std::string(to_string(v[i].side)); });
    d["type"] = strings(v.size(), [&](size_t i) { return std::string(to_string(v[i].type)); });
    d["quantity"] = column<double>(v.size(), [&](size_t i) { return v[i].quantity; });
    d["filled_quantity"] = column<double>(v.size(), [&](size_t i) { return v[i].filled_quantity; });
    d["limit_price"] = column<double>(v.size(), [&](size_t i) { return v[i].limit_price; });
    d["stop_price"] = column<double>(v.size(), [&](size_t i) { return v[i].stop_price; });
    d["trail_percent"] = column<double>(v.size(), [&](size_t i) { return v[i].trail_percent; });
    d["time_in_force"] = strings(v.size(), [&](size_t i) { return std::string(to_string(v[i].time_in_force)); });
    d["avg_fill_price"] = column<double>(v.size(), [&](size_t i) { return v[i].avg_fill_price; });
    d["status"] = strings(v.size(), [&](size_t i) { return std::string(to_string(v[i].status)); });
    d["reason"] = strings(v.size(), [&](size_t i) { return v[i].reason; });
  } else {
    throw ConfigError("unknown results table '" + name + "': use equity_curve, trades, fills or orders");
  }
  return d;
}

py::dict metrics_dict(const Metrics& x) {
  py::dict d;
  d["total_return"] = x.total_return;
  d["cagr"] = x.cagr;
  d["annual_volatility"] = x.annual_volatility;
  d["sharpe"] = x.sharpe;
  d["sortino"] = x.sortino;
  d["max_drawdown"] = x.max_drawdown;
  d["max_drawdown_duration_bars"] = x.max_drawdown_duration_bars;
  d["calmar"] = x.calmar;
  d["win_rate"] = x.win_rate;
  d["profit_factor"] = x.profit_factor;
  d["avg_win"] = x.avg_win;
  d["avg_loss"] = x.avg_loss;
  d["exposure"] = x.exposure;
  d["turnover"] = x.turnover;
  d["num_trades"] = x.num_trades;
  d["periods_per_year"] = x.periods_per_year;
  return d;
}

// A result file read back (Results.from_dir): {column: numpy array or list of str}.
// `columns` is [(name, kind)], kind one of timestamp (int64 ns), double, int, text, bool.
py::dict read_result_file(const std::filesystem::path& file, const std::vector<std::pair<std::string, std::string>>& columns) {
  std::vector<ResultColumnSpec> specs;
  for (const auto& [name, kind] : columns) {
    specs.push_back({name, parse_enum<ResultColumnKind>(kind,
                                                        {{"timestamp", ResultColumnKind::kTimestamp},
                                                         {"double", ResultColumnKind::kDouble},
                                                         {"int", ResultColumnKind::kInt},
                                                         {"text", ResultColumnKind::kText},
                                                         {"bool", ResultColumnKind::kBool}},
                                                        "result column kind")});
  }
  ResultTable table;
  {
    py::gil_scoped_release release;
    table = read_result_table(file, specs);
  }
  py::dict d;
  for (const auto& c : table.columns) {
    switch (c.kind) {
      case ResultColumnKind::kDouble:
        d[py::str(c.name)] = column<double>(table.rows, [&](size_t i) { return c.doubles[i]; });
        break;
      case ResultColumnKind::kText:
        d[py::str(c.name)] = strings(table.rows, [&](size_t i) { return c.texts[i]; });
        break;
      case ResultColumnKind::kBool:
        d[py::str(c.name)] = column<bool>(table.rows, [&](size_t i) { return c.ints[i] != 0; });
        break;
      default:
        d[py::str(c.name)] = column<int64_t>(table.rows, [&](size_t i) { return c.ints[i]; });
    }
  }
  return d;
}

void bind_results(py::module_& m) {
  m.def("read_result_file", &read_result_file, py::arg("file"), py::arg("columns"),
        "Read one result table (.parquet or .csv) back as {column: numpy array / list of str}; "
        "columns is [(name, kind)] with kind timestamp, double, int, text or bool.");
  py::class_<NativeRun>(m, "NativeResults", "C++ results (wrapped by ml4t.backtest.Results).")
      .def(
          "table", [](const NativeRun& r, const std::string& name) { return table(r.results, name); }, py::arg("name"),
          "Columns of a results table as numpy arrays / lists.")
      .def_property_readonly("metrics", [](const NativeRun& r) { return metrics_dict(r.results.metrics); })
      .def_property_readonly("symbols", [](const NativeRun& r) { return r.results.symbols; })
      .def_property_readonly("initial_capital", [](const NativeRun& r) { return r.results.initial_capital; })
      .def_property_readonly("final_equity", [](const NativeRun& r) { return r.results.final_equity; })
      .def_property_readonly("events", [](const NativeRun& r) { return r.results.events; })
      .def_property_readonly("naive_timestamps", [](const NativeRun& r) { return r.naive_times; },
                             "The run's feed had naive timestamps: the tables' times are naive (UTC wall time).")
      .def_property_readonly("strategy", [](const NativeRun& r) { return r.info.strategy; },
                             "What traded (summary.json's `strategy`).")
      .def(
          "write",
          [](const NativeRun& r, const std::filesystem::path& dir, bool parquet, bool csv, bool report, bool overwrite,
             const std::string& title) {
            WriteOptions o;
            o.parquet = parquet;
            o.csv = csv;
            o.report = report;
            o.overwrite = overwrite;
            o.overwrite_hint = "overwrite=True";
            RunInfo info = r.info;
            info.title = title;
            py::gil_scoped_release release;
            return write_results(r.results, dir, o, info);
          },
          py::arg("dir"), py::arg("parquet") = true, py::arg("csv") = false, py::arg("report") = false,
          py::arg("overwrite") = false, py::arg("title") = "ml4t-backtest report")
      .def(
          "report_html",
          [](const NativeRun& r, const std::string& title) {
            RunInfo info = r.info;
            info.title = title;
            return render_report_html(r.results, info);
          },
          py::arg("title") = "ml4t-backtest report")
      .def(
          "summary_json", [](const NativeRun& r) { return summary_json(r.results, r.info); },
          "The summary.json document (metrics, counts, config or strategy, input files, version, elapsed).");
}

// ---- running ---------------------------------------------------------------------

// Ctrl-C while C++ runs with the GIL released: the progress hook takes the GIL every
// few thousand events, asks Python whether a signal arrived and, if so, keeps the
// KeyboardInterrupt and raises the engine's cancel flag; the run then stops with
// Interrupted, and the KeyboardInterrupt is re-raised in its place.
struct InterruptWatch {
  std::atomic<bool> cancel{false};
  PyObject *type = nullptr, *value = nullptr, *trace = nullptr;
  py::object progress;
  bool naive_times = false;

  void check(uint64_t events, Timestamp now) {
    py::gil_scoped_acquire gil;
    if (type == nullptr && PyErr_CheckSignals() != 0) {
      PyErr_Fetch(&type, &value, &trace);
      cancel = true;
      return;
    }
    if (!progress.is_none()) progress(events, to_py_time(now, naive_times));
  }
  // With the GIL held: re-raise a kept KeyboardInterrupt.
  void rethrow_if_interrupted() {
    if (type != nullptr) {
      PyErr_Restore(type, value, trace);
      type = value = trace = nullptr;
      throw py::error_already_set();
    }
  }
  ~InterruptWatch() {
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(trace);
  }
};

template <typename Run>
auto run_watched(InterruptWatch& watch, Run&& run) {
  try {
    py::gil_scoped_release release;
    return run();
  } catch (const Interrupted&) {
    watch.rethrow_if_interrupted();
    throw;
  }
}

// summary.json's `strategy` for a Python Strategy: "python MyStrategy (its source file)".
std::string describe_python_strategy(py::handle strategy) {
  const py::handle cls = py::type::handle_of(strategy);
  const std::string name = py::str(cls.attr("__qualname__"));
  std::string where = "module " + py::str(cls.attr("__module__")).cast<std::string>();
  try {
    const py::object file = py::module_::import("inspect").attr("getsourcefile")(cls);
    if (!file.is_none()) where = py::str(file);
  } catch (const py::error_already_set&) {
    // Classes without a source file (defined in a REPL, or built-in) keep the module name.
  }
  return "python " + name + " (" + where + ")";
}

// Provenance of a run over a feed: a ColumnarDataFeed knows its files; other feeds
// (in-memory, a clock of several feeds) give the counts and time range.
RunInfo describe_feed_run(const DataFeed& feed, const Results& results, std::string strategy) {
  if (const auto* columnar = dynamic_cast<const ColumnarDataFeed*>(&feed)) {
    return describe_run(*columnar, results, std::move(strategy));
  }
  RunInfo info;
  info.strategy = std::move(strategy);
  info.rows = results.events;
  info.assets = feed.symbols().size();
  if (!results.equity_curve.empty()) {
    info.first = results.equity_curve.front().timestamp;
    info.last = results.equity_curve.back().timestamp;
  }
  return info;
}

NativeRun run_engine(DataFeed& feed, py::object strategy, const EngineConfig& config, py::object progress,
                     uint64_t check_every) {
  std::unique_ptr<Strategy> builtin;
  Strategy* s = nullptr;
  PyStrategy* py_strategy = nullptr;
  std::string description;
  if (py::isinstance<StrategySpec>(strategy)) {
    builtin = make_builtin_strategy(strategy.cast<const StrategySpec&>(), feed.schema());
    s = builtin.get();
    BacktestConfig described;
    described.strategy = strategy.cast<const StrategySpec&>();
    description = describe_strategy(described);
  } else if (py::isinstance<StrategyBase>(strategy)) {
    auto* base = strategy.cast<StrategyBase*>();
    py_strategy = dynamic_cast<PyStrategy*>(base);
    base->naive_times = feed.naive_timestamps();
    base->integer_volume = feed.integer_volume();
    s = base;
    description = describe_python_strategy(strategy);
  } else {
    throw ConfigError("strategy must be an ml4t.backtest.Strategy subclass instance or a built-in strategy "
                      "(ml4t.backtest.strategies.signal_threshold(...)/top_k(...)), got " +
                      py::repr(strategy).cast<std::string>());
  }
  // Before touching either object: a second engine on a busy feed or strategy must not
  // reach the C++ engine (a crash, or a run that silently trades nothing).
  const ExclusiveUse feed_use(&feed, "this feed", "a running BacktestEngine", kFeedFix);
  std::optional<ExclusiveUse> strategy_use;
  if (py_strategy != nullptr) strategy_use.emplace(s, "this Strategy instance", "a running BacktestEngine", kStrategyFix);
  BacktestEngine engine(feed, *s, config);
  InterruptWatch watch;
  watch.progress = std::move(progress);
  watch.naive_times = feed.naive_timestamps();
  engine.set_cancel_flag(&watch.cancel);
  engine.set_progress_callback([&watch](uint64_t events, Timestamp now) { watch.check(events, now); }, check_every);
  struct Release {
    PyStrategy* p;
    ~Release() {
      if (p) p->release_hooks();
    }
  } release_hooks{py_strategy};
  Results results = run_watched(watch, [&] {
    if (feed.is_exhausted()) {
      throw ConfigError("the feed has no events left: it was read to the end (by an earlier run or by iterating "
                        "it) or holds no bars; feeds are read once, so create a new feed for each run");
    }
    try {
      return engine.run();
    } catch (...) {
      if (py_strategy) py_strategy->drop_group_gil();
      throw;
    }
  });
  RunInfo info = describe_feed_run(feed, results, std::move(description));
  return NativeRun{std::move(results), std::move(info), feed.naive_timestamps()};
}

void bind_run(py::module_& m) {
  m.def("run_engine", &run_engine, py::arg("feed"), py::arg("strategy"), py::arg("config"),
        py::arg("progress") = py::none(), py::arg("check_every") = 4096,
        "Run a backtest over the feed (read once). The GIL is released while C++ works.");

  m.def(
      "compute_metrics",
      [](const NativeRun& run, double periods_per_year) {
        const Results& r = run.results;
        return metrics_dict(compute_metrics(r.equity_curve, r.trades, r.fills, periods_per_year, r.initial_capital));
      },
      py::arg("results"), py::arg("periods_per_year") = 0.0);
}

// ---- BacktestConfig ----------------------------------------------------------------

void bind_backtest_config(py::module_& m) {
  py::class_<SourceConfig>(m, "SourceConfig")
      .def_readwrite("path", &SourceConfig::path)
      .def_readwrite("format", &SourceConfig::format)
      .def_readwrite("timestamp_column", &SourceConfig::timestamp_column)
      .def_readwrite("asset_column", &SourceConfig::asset_column)
      .def_readwrite("columns", &SourceConfig::columns)
      .def("__repr__", [](const SourceConfig& s) { return "SourceConfig(path='" + s.path.string() + "')"; });
  py::class_<DataSourcesConfig>(m, "DataSourcesConfig")
      .def_readwrite("prices", &DataSourcesConfig::prices)
      .def_readwrite("signals", &DataSourcesConfig::signals)
      .def_readwrite("context", &DataSourcesConfig::context);
  py::class_<FeaturesConfig>(m, "FeaturesConfig")
      .def_readwrite("type", &FeaturesConfig::type)
      .def_readwrite("source", &FeaturesConfig::source)
      .def_property_readonly("path", [](const FeaturesConfig& f) { return f.source.path; })
      .def_property_readonly("columns", [](const FeaturesConfig& f) { return f.source.columns; });
  py::class_<SignalTimingConfig>(m, "SignalTimingConfig")
      .def_readwrite("mode", &SignalTimingConfig::mode)
      .def_readwrite("lag", &SignalTimingConfig::lag)
      .def_readwrite("validate", &SignalTimingConfig::validate)
      .def_readwrite("fail_on_violation", &SignalTimingConfig::fail_on_violation);
  py::class_<UniverseConfig>(m, "UniverseConfig")
      .def_readwrite("assets", &UniverseConfig::assets)
      .def_property_readonly("start",
                             [](const UniverseConfig& u) -> py::object { return u.start ? to_py_time(*u.start) : py::none(); })
      .def_property_readonly("end",
                             [](const UniverseConfig& u) -> py::object { return u.end ? to_py_time(*u.end) : py::none(); });
  py::class_<OutputConfig>(m, "OutputConfig")
      .def_readwrite("dir", &OutputConfig::dir)
      .def_readwrite("formats", &OutputConfig::formats)
      .def_readwrite("report", &OutputConfig::report);

  py::class_<BacktestConfig>(m, "BacktestConfig",
                             "A whole backtest declared in YAML or JSON: data_sources, features, execution, "
                             "risk_rules, signal_timing, strategy, universe, output. Loading expands ${VAR} and "
                             "${VAR:-default}, resolves relative paths against the file's folder and validates "
                             "everything at once (ConfigError lists every problem).")
      .def_static(
          "from_yaml",
          [](const std::filesystem::path& path, std::vector<std::string> overrides) {
            return BacktestConfig::from_yaml(path, overrides);
          },
          py::arg("path"), py::arg("overrides") = std::vector<std::string>{},
          "Load a YAML file; ``overrides`` are 'key.path=value' strings.")
      .def_static(
          "from_json",
          [](const std::filesystem::path& path, std::vector<std::string> overrides) {
            return BacktestConfig::from_json(path, overrides);
          },
          py::arg("path"), py::arg("overrides") = std::vector<std::string>{}, "Load a JSON file.")
      .def_static(
          "from_string",
          [](const std::string& text, const std::filesystem::path& base_dir, std::vector<std::string> overrides) {
            return BacktestConfig::from_string(text, base_dir, overrides);
          },
          py::arg("text"), py::arg("base_dir") = std::filesystem::path("."),
          py::arg("overrides") = std::vector<std::string>{},
          "Load YAML/JSON text; relative paths resolve against ``base_dir``.")
      .def_readwrite("data_sources", &BacktestConfig::data_sources)
      .def_readwrite("features", &BacktestConfig::features)
      .def_readwrite("execution", &BacktestConfig::execution)
      .def_readwrite("risk_rules", &BacktestConfig::risk_rules)
      .def_readwrite("signal_timing", &BacktestConfig::signal_timing)
      .def_readwrite("strategy", &BacktestConfig::strategy)
      .def_readwrite("universe", &BacktestConfig::universe)
      .def_readwrite("output", &BacktestConfig::output)
      .def_readonly("source_file", &BacktestConfig::source_file)
      .def("to_yaml", &BacktestConfig::to_yaml, "The resolved configuration as YAML.")
      .def("to_json", &BacktestConfig::to_json, "The resolved configuration as JSON.")
      .def_property_readonly(
          "engine_config", [](const BacktestConfig& c) { return to_engine_config(c); },
          "The EngineConfig (execution + risk rules) this config describes.");

  m.def(
      "feed_from_config",
      [](const BacktestConfig& c) {
        ColumnarFeedOptions o = to_feed_options(c);
        py::gil_scoped_release release;
        return std::make_unique<ColumnarDataFeed>(std::move(o));
      },
      py::arg("config"), "The ColumnarDataFeed a config describes (universe, time range, timing included).");
  m.def(
      "signal_timing_report",
      [](const BacktestConfig& c) {
        TimingReport report;
        {
          py::gil_scoped_release release;
          report = signal_timing_report(c);
        }
        py::list out;
        for (const auto& v : report.violations) out.append(py::str(v.message));
        return py::make_tuple(report.is_valid, out);
      },
      py::arg("config"));
  m.def(
      "run_config",
      [](const BacktestConfig& c, py::object progress) {
        InterruptWatch watch;
        watch.progress = std::move(progress);
        RunHooks hooks;
        hooks.cancel = &watch.cancel;
        hooks.progress_every = 4096;
        hooks.progress = [&watch](uint64_t events, Timestamp now) { watch.check(events, now); };
        {
          // The time style of the config's prices (their schema only).
          ColumnarFeedOptions o = to_feed_options(c);
          py::gil_scoped_release release;
          watch.naive_times = ColumnarDataFeed(std::move(o)).naive_timestamps();
        }
        BacktestRun run = run_watched(watch, [&] { return run_backtest(c, hooks); });
        return NativeRun{std::move(run.results), std::move(run.info), watch.naive_times};
      },
      py::arg("config"), py::arg("progress") = py::none(),
      "Run the backtest a config describes with its built-in strategy; returns NativeResults.");
}

}  // namespace

void bind_engine(py::module_& m) {
  bind_strategy(m);
  bind_config_structs(m);
  bind_results(m);
  bind_run(m);
  bind_backtest_config(m);
}

}  // namespace ml4t::backtest::python
