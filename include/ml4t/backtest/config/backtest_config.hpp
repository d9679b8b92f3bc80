// BacktestConfig: a whole backtest declared in YAML or JSON (data sources, features,
// execution, risk rules, signal timing, strategy, universe, output). Loading expands
// ${VAR} / ${VAR:-default}, resolves relative paths against the config file's folder,
// applies `--set key.path=value` overrides and validates everything at once: a bad
// config throws one ConfigError listing every problem as `path.to.key: problem; fix`.
// Nothing is read from the data files and nothing is written while loading.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ml4t/backtest/config/strategy_params.hpp"
#include "ml4t/backtest/core/timestamp.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"

namespace ml4t::backtest {

/// One input file (or glob) and how to read it.
struct SourceConfig {
  std::filesystem::path path;      //!< absolute after loading (may hold a glob)
  std::string format = "parquet";  //!< "parquet" or "csv" (inferred from the extension)
  /// Name of the timestamp column.
  std::string timestamp_column = "timestamp";
  std::string timestamp_format;           //!< CSV: strptime format, e.g. "%d/%m/%Y"; empty = detected
  std::string asset_column = "asset_id";  //!< empty for context files keyed by time alone
  std::vector<std::string> columns;       //!< value columns to use; empty = all of them
};

/// The `data_sources` section: which files hold prices, signals and context.
struct DataSourcesConfig {
  SourceConfig prices;                  //!< required
  std::optional<SourceConfig> signals;  //!< ML predictions per (timestamp, asset)
  std::optional<SourceConfig> context;  //!< market-wide values per timestamp
};

/// Precomputed features: another per-(timestamp, asset) file, joined like signals.
struct FeaturesConfig {
  /// Provider type; only "precomputed" exists.
  std::string type = "precomputed";
  /// The features file (or glob) and its columns.
  SourceConfig source;
};

/// When a value stamped t may be seen: strict = on the bar at t, next_bar = one bar
/// later, custom = `lag` bars later.
struct SignalTimingConfig {
  std::string mode = "next_bar";   //!< "strict", "next_bar" or "custom"
  int lag = 1;                     //!< bars; 0 for strict, 1 for next_bar
  bool validate = true;            //!< run the signal-timing report before the backtest
  bool fail_on_violation = false;  //!< a non-empty report stops the run
};

/// The `universe` section: which assets and which time range to trade.
struct UniverseConfig {
  std::vector<std::string> assets;  //!< empty = every asset in the data
  std::optional<Timestamp> start;   //!< first bar (inclusive)
  std::optional<Timestamp> end;     //!< last bar (inclusive)
};

/// The `output` section: where and in which formats results are written.
struct OutputConfig {
  std::filesystem::path dir;                       //!< absolute after loading
  std::vector<std::string> formats = {"parquet"};  //!< "parquet" and/or "csv"
  bool report = true;                              //!< write report.html
};

/// The `resources` section: DuckDB's memory budget and spill folder while reading data.
/// Sorting unsorted input larger than memory_limit spills to temp_directory.
struct ResourcesConfig {
  std::string memory_limit;              //!< e.g. "512MB", "4GB"; empty = DuckDB's default (80% of RAM)
  std::filesystem::path temp_directory;  //!< spill folder, absolute after loading; empty = DuckDB's default
  int threads = 0;                       //!< DuckDB threads; 0 = all cores (1 needs the least memory)
};

/// The `data_quality` section: what reading the data does with bad price rows (NaN,
/// non-positive or inconsistent prices, duplicate bars, values for assets without bars)
/// and with text timestamps that mix rows with and without a time zone.
struct DataQualityConfig {
  std::string bad_data = "error";          //!< "error", "drop" or "warn"
  std::string mixed_time_zones = "error";  //!< "error" or "naive_is_utc"
};

/// A strategy of one's own, named by `strategy: {type: plugin|python, path, class, params}`:
/// a C++ shared library (config/strategy_plugin.hpp) or a Python file with a Strategy
/// subclass. make_strategy() (config/strategy_factory.hpp) builds it.
struct CustomStrategyConfig {
  std::string type;            //!< "plugin" or "python"
  std::filesystem::path path;  //!< the .so or .py file, absolute after loading
  std::string class_name;      //!< `class`: python: required; plugin: optional check
  StrategyParams params;       //!< `params`: handed to the constructor
};

/// A validated, fully resolved backtest configuration.
class BacktestConfig {
 public:
  /// Input files (`data_sources`).
  DataSourcesConfig data_sources;
  /// Precomputed features (`features`), if any.
  std::optional<FeaturesConfig> features;
  /// Capital, costs and fill rules (`execution`).
  ExecutionConfig execution;
  /// Position and entry limits (`risk_rules`).
  RiskRules risk_rules;
  /// Point-in-time lag and validation (`signal_timing`).
  SignalTimingConfig signal_timing;
  /// The built-in strategy and its parameters (`strategy`).
  StrategySpec strategy;
  /// Set when `strategy.type` is plugin or python (then `strategy` is unused).
  std::optional<CustomStrategyConfig> custom_strategy;
  /// Assets and time range (`universe`).
  UniverseConfig universe;
  /// Result folder and formats (`output`).
  OutputConfig output;
  /// DuckDB memory limit, spill folder and threads (`resources`).
  ResourcesConfig resources;
  /// Bad rows and mixed time zones: error, drop or warn (`data_quality`).
  DataQualityConfig data_quality;
  std::filesystem::path source_file;  //!< the file it was loaded from (empty for strings)

  /// Load a YAML file. `overrides` are `key.path=value` strings (the CLI's --set); each
  /// value is read as a YAML scalar or flow list. Throws ConfigError listing every problem.
  static BacktestConfig from_yaml(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});
  /// Load a JSON file (JSON is YAML 1.2, so this reads it the same way).
  static BacktestConfig from_json(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});
  /// Load from text; relative paths resolve against `base_dir`; `origin` names the
  /// text in messages.
  static BacktestConfig from_string(std::string_view text, const std::filesystem::path& base_dir,
                                    const std::vector<std::string>& overrides = {},
                                    std::string_view origin = "<string>");

  /// The resolved configuration (defaults filled in, paths absolute) as YAML.
  std::string to_yaml() const;
  /// The same as one JSON object (for summary.json).
  std::string to_json() const;
};

/// Names of the enum values as they are written in a config.
std::string_view config_name(CommissionType type);
std::string_view config_name(SlippageType type);
std::string_view config_name(FillTiming timing);
std::string_view config_name(StrategySide side);

/// Levenshtein distance, for "did you mean" suggestions.
size_t edit_distance(std::string_view a, std::string_view b);

}  // namespace ml4t::backtest
