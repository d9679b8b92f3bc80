// Custom strategies from a config: a C++ plugin (examples/strategies/threshold_plugin.cpp)
// loaded with dlopen must trade exactly like the built-in signal_threshold with the same
// parameters (an independent implementation of the same rule), so params provably reach
// its constructor; every way of getting the plugin or its params wrong is a ConfigError
// naming the file, class or strategy.params.<name>.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/config/strategy_factory.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kPlugin = ML4T_EXAMPLE_PLUGIN;
const fs::path kPythonStrategy = fs::path(ML4T_SOURCE_DIR) / "examples/strategies/threshold_strategy.py";

class CustomStrategy : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    SampleDataOptions s;
    s.out_dir = dir_ / "data";
    s.symbols = 3;
    s.days = 80;
    generate_sample_data(s);
  }

  BacktestConfig config(const std::string& strategy) const {
    return BacktestConfig::from_string(
        "data_sources:\n"
        "  prices: {path: data/prices.parquet}\n"
        "  signals: {path: data/signals.parquet, columns: [ml_pred, confidence]}\n"
        "signal_timing: {mode: strict}\n"
        "strategy: " + strategy + "\n",
        dir_);
  }

  std::string plugin(const std::string& params, const std::string& extra = "") const {
    return "{type: plugin, path: " + kPlugin.string() + extra + ", params: " + params + "}";
  }

  // The ConfigError text of building the strategy, or "" when it builds.
  std::string build_error(const std::string& strategy) const {
    try {
      run_backtest(config(strategy));
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

TEST_F(CustomStrategy, PluginTradesLikeTheBuiltInRuleWithTheSameParams) {
  const auto builtin =
      run_backtest(config("{type: signal_threshold, signal: ml_pred, entry: 0.65, exit: 0.45, size_pct: 0.3}"));
  const auto plugged = run_backtest(config(plugin("{signal: ml_pred, entry: 0.65, exit: 0.45, size_pct: 0.3}")));
  ASSERT_GT(builtin.results.fills.size(), 4u);  // the comparison means something
  EXPECT_EQ(plugged.results.fills.size(), builtin.results.fills.size());
  EXPECT_EQ(plugged.results.trades.size(), builtin.results.trades.size());
  EXPECT_EQ(plugged.results.final_equity, builtin.results.final_equity);  // bit-identical

  // Other params, another result: they did reach the constructor.
  const auto other = run_backtest(config(plugin("{entry: 0.55, exit: 0.5}")));
  EXPECT_NE(other.results.fills.size(), plugged.results.fills.size());
}

TEST_F(CustomStrategy, TheCliRunsThePluginConfigLikeTheLibrary) {
  const std::string strategy = plugin("{entry: 0.65, exit: 0.45, size_pct: 0.3}");
  std::ofstream(dir_ / "plugin.yaml") << "data_sources:\n"
                                         "  prices: {path: data/prices.parquet}\n"
                                         "  signals: {path: data/signals.parquet, columns: [ml_pred, confidence]}\n"
                                         "signal_timing: {mode: strict}\n"
                                         "strategy: " << strategy << "\n";
  const auto library = run_backtest(config(strategy));
  const auto cli = testing::run_captured(
      dir_, std::string(ML4T_CLI) + " run " + (dir_ / "plugin.yaml").string() + " --out " + (dir_ / "out").string());
  ASSERT_EQ(cli.code, 0) << cli.err;
  EXPECT_THAT(testing::read_file(dir_ / "out/summary.json"),
              HasSubstr(fmt::format("\"final_equity\": {}", library.results.final_equity)));
  EXPECT_THAT(testing::read_file(dir_ / "out/summary.json"), HasSubstr("\"type\": \"plugin\""));
}

TEST_F(CustomStrategy, ConfigKeepsTypePathClassAndTypedParams) {
  const auto c = config(plugin("{signal: ml_pred, entry: 0.65, n: 3, on: true, name: \"0.5\", xs: [1, 2.5]}",
                               ", class: ThresholdStrategy"));
  ASSERT_TRUE(c.custom_strategy.has_value());
  const auto& s = *c.custom_strategy;
  EXPECT_EQ(s.type, "plugin");
  EXPECT_EQ(s.path, kPlugin);
  EXPECT_EQ(s.class_name, "ThresholdStrategy");
  EXPECT_EQ(s.params.number("entry"), 0.65);
  EXPECT_EQ(s.params.integer("n"), 3);
  EXPECT_EQ(s.params.flag("on"), true);
  EXPECT_EQ(s.params.text("name"), "0.5");  // quoted: text, not a number
  EXPECT_THAT(s.params.numbers("xs"), ::testing::ElementsAre(1.0, 2.5));
  EXPECT_THAT(c.to_json(), HasSubstr("\"class\": \"ThresholdStrategy\",\n    \"params\": {\n      \"signal\": "
                                     "\"ml_pred\",\n      \"entry\": 0.65,\n      \"n\": 3,"));
  // The resolved YAML reads back to the same params.
  const auto again = BacktestConfig::from_string(c.to_yaml(), dir_);
  ASSERT_TRUE(again.custom_strategy.has_value());
  EXPECT_EQ(again.custom_strategy->params.names(), s.params.names());
  EXPECT_EQ(again.custom_strategy->params.integer("n"), 3);
  EXPECT_EQ(again.custom_strategy->params.number("entry"), 0.65);
  EXPECT_EQ(again.custom_strategy->params.text("name"), "0.5");
  EXPECT_EQ(again.custom_strategy->params.find("name")->kind, StrategyParam::Kind::kText);
  EXPECT_EQ(describe_strategy(c), "plugin ThresholdStrategy (" + kPlugin.string() + ")");
}

TEST_F(CustomStrategy, SetOverridesReachStrategyParams) {
  const auto c = BacktestConfig::from_string(
      "data_sources: {prices: {path: data/prices.parquet}, signals: {path: data/signals.parquet}}\n"
      "strategy: " + plugin("{entry: 0.65}") + "\n",
      dir_, {"strategy.params.entry=0.7", "strategy.params.exit=0.4"});
  EXPECT_EQ(c.custom_strategy->params.number("entry"), 0.7);
  EXPECT_EQ(c.custom_strategy->params.number("exit"), 0.4);
}

TEST_F(CustomStrategy, ParamErrorsNameTheParamAndTheStrategy) {
  EXPECT_THAT(build_error(plugin("{exit: 0.4}")),
              HasSubstr("strategy.params.entry: missing; the plugin (libthreshold_plugin.so) needs it"));
  EXPECT_THAT(build_error(plugin("{entry: high}")),
              HasSubstr("strategy.params.entry: expected a number for the plugin (libthreshold_plugin.so), got text "
                        "\"high\""));
  EXPECT_THAT(build_error(plugin("{entry: 0.6, thresold: 3}")),
              HasSubstr("strategy.params.thresold: not used by the plugin (libthreshold_plugin.so)"));
  EXPECT_THAT(build_error(plugin("{entry: 0.6, sizepct: 0.2}")), HasSubstr("did you mean \"size_pct\"?"));
  EXPECT_THAT(build_error(plugin("{entry: 0.4, exit: 0.6}")), HasSubstr("strategy.params.exit: must be <= entry"));
  EXPECT_THAT(build_error(plugin("{entry: 0.6}", ", class: Momentum")),
              HasSubstr("strategy.class: this plugin provides ThresholdStrategy, not Momentum"));
}

TEST_F(CustomStrategy, FileErrorsNameTheFile) {
  EXPECT_THAT(build_error("{type: plugin, path: nowhere/libx.so}"),
              HasSubstr("strategy.path: plugin library not found: " + (dir_ / "nowhere/libx.so").string()));
  std::ofstream(dir_ / "libtext.so") << "not a library\n";
  EXPECT_THAT(build_error("{type: plugin, path: libtext.so}"),
              HasSubstr("strategy.path: cannot load " + (dir_ / "libtext.so").string() + ": "));
  // A real shared library that is no plugin: DuckDB's.
  const fs::path duckdb = fs::path(ML4T_SOURCE_DIR) / ".deps/duckdb-1.4.4/lib/libduckdb.so";
  if (fs::exists(duckdb)) {
    EXPECT_THAT(build_error("{type: plugin, path: " + duckdb.string() + "}"),
                HasSubstr("is not an ml4t-backtest strategy plugin: it lacks the entry points "
                          "ml4t_strategy_plugin_abi, ml4t_create_strategy and ml4t_destroy_strategy"));
  }
  EXPECT_THAT(build_error("{type: plugin, path: " + kPlugin.string() + ", params: {entry: {a: 1}}}"),
              HasSubstr("strategy.params.entry: expected a number, text or a list of them"));
  EXPECT_THAT(build_error("{type: python, path: " + kPlugin.string() + "}"),
              HasSubstr("strategy.class: missing; name the Strategy subclass in the file"));
  EXPECT_THAT(build_error("{type: plugin, path: " + kPlugin.string() + ", clas: X}"),
              HasSubstr("strategy.clas: unknown key; did you mean \"class\"?"));
}

#ifdef ML4T_HAS_PYTHON_HOST
// examples/strategies/threshold_strategy.py is the plugin's rule in Python: run through
// the embedded interpreter it must trade exactly like the built-in rule.
TEST_F(CustomStrategy, PythonStrategyTradesLikeTheBuiltInRuleWithTheSameParams) {
  const auto builtin =
      run_backtest(config("{type: signal_threshold, signal: ml_pred, entry: 0.65, exit: 0.45, size_pct: 0.3}"));
  const std::string python = "{type: python, path: " + kPythonStrategy.string() + ", class: ThresholdStrategy, params: ";
  const auto hosted = run_backtest(config(python + "{signal: ml_pred, entry: 0.65, exit: 0.45, size_pct: 0.3}}"));
  ASSERT_GT(builtin.results.fills.size(), 4u);
  EXPECT_EQ(hosted.results.fills.size(), builtin.results.fills.size());
  EXPECT_EQ(hosted.results.trades.size(), builtin.results.trades.size());
  EXPECT_EQ(hosted.results.final_equity, builtin.results.final_equity);  // bit-identical
  const auto other = run_backtest(config(python + "{entry: 0.55, exit: 0.5}}"));
  EXPECT_NE(other.results.fills.size(), hosted.results.fills.size());
}

TEST_F(CustomStrategy, PythonStrategyErrorsNameTheFileClassAndParam) {
  const std::string file = (dir_ / "mine.py").string();
  std::ofstream(dir_ / "mine.py") << "from ml4t.backtest import Strategy\n"
                                     "class Good(Strategy):\n"
                                     "    def __init__(self, level=1.0):\n"
                                     "        super().__init__()\n"
                                     "        if level < 0: raise ValueError('level must be >= 0')\n"
                                     "class NoSuper(Strategy):\n"
                                     "    def __init__(self): pass\n"
                                     "class Plain: pass\n";
  EXPECT_THAT(build_error("{type: python, path: mine.py, class: Missing}"),
              HasSubstr("strategy.class: " + file + " has no class Missing; Strategy subclasses in it: Good, NoSuper"));
  EXPECT_THAT(build_error("{type: python, path: mine.py, class: Plain}"),
              HasSubstr("strategy.class: Plain in " + file + " is not a subclass of ml4t.backtest.Strategy"));
  EXPECT_THAT(build_error("{type: python, path: mine.py, class: Good, params: {levl: 2}}"),
              HasSubstr("strategy: Good(levl) in " + file + ": "));
  EXPECT_THAT(build_error("{type: python, path: mine.py, class: Good, params: {levl: 2}}"),
              HasSubstr("unexpected keyword argument 'levl'; check strategy.params against the constructor's "
                        "arguments (self, level=1.0)"));
  EXPECT_THAT(build_error("{type: python, path: mine.py, class: Good, params: {level: -1}}"),
              HasSubstr("strategy: Good's constructor in " + file + " raised (line 5) ValueError: level must be >= 0"));
  // The reference's habit (issue 19): a subclass whose __init__ skips super().__init__()
  // still builds and runs.
  EXPECT_EQ(build_error("{type: python, path: mine.py, class: NoSuper}"), "");

  std::ofstream(dir_ / "broken.py") << "import math\n\ndef f(:\n";
  EXPECT_THAT(build_error("{type: python, path: broken.py, class: X}"),
              HasSubstr("strategy.path: " + (dir_ / "broken.py").string() + " failed to import: SyntaxError: "));
  std::ofstream(dir_ / "needs.py") << "import math\nimport no_such_module_ml4t\n";
  EXPECT_THAT(build_error("{type: python, path: needs.py, class: X}"),
              HasSubstr("failed to import (line 2): ModuleNotFoundError: No module named 'no_such_module_ml4t'"));
}

// The CLI embeds Python for the config and gives the library's answer; a bad class is an
// error exit with the message, not a crash.
TEST_F(CustomStrategy, TheCliRunsAPythonStrategyFromTheConfig) {
  const std::string strategy = "{type: python, path: " + kPythonStrategy.string() +
                               ", class: ThresholdStrategy, params: {entry: 0.65, exit: 0.45, size_pct: 0.3}}";
  const auto library = run_backtest(config(strategy));
  std::ofstream(dir_ / "python.yaml") << "data_sources:\n"
                                         "  prices: {path: data/prices.parquet}\n"
                                         "  signals: {path: data/signals.parquet, columns: [ml_pred, confidence]}\n"
                                         "signal_timing: {mode: strict}\n"
                                         "strategy: " << strategy << "\n";
  auto r = testing::run_captured(dir_, fmt::format("{} run {} --out {} --quiet", ML4T_CLI,
                                                   (dir_ / "python.yaml").string(), (dir_ / "out").string()));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string summary = testing::read_file(dir_ / "out" / "summary.json");
  EXPECT_THAT(summary, HasSubstr(fmt::format("\"final_equity\": {}", library.results.final_equity)));
  EXPECT_THAT(summary, HasSubstr("python ThresholdStrategy"));

  std::ofstream(dir_ / "bad.yaml") << "data_sources:\n  prices: {path: data/prices.parquet}\n"
                                      "strategy: {type: python, path: " << kPythonStrategy.string() << ", class: Nope}\n";
  r = testing::run_captured(dir_, fmt::format("{} run {} --out {}", ML4T_CLI, (dir_ / "bad.yaml").string(),
                                              (dir_ / "bad").string()));
  EXPECT_NE(r.code, 0);
  EXPECT_THAT(r.err, HasSubstr("has no class Nope; Strategy subclasses in it: ThresholdStrategy"));
}
#endif

}  // namespace
}  // namespace ml4t::backtest
