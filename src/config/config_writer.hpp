// Writing a resolved config: one ConfigWriter interface with a YAML and a JSON emitter
// behind it, so every section writes its keys once and both dumps agree.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ml4t/backtest/config/backtest_config.hpp"

namespace ml4t::backtest::config_detail {

/// The calls a section makes to write itself; chainable (`w.key("k").num(1)`).
class ConfigWriter {
 public:
  virtual ~ConfigWriter() = default;
  virtual ConfigWriter& begin_map() = 0;
  virtual ConfigWriter& end_map() = 0;
  virtual ConfigWriter& begin_list() = 0;
  virtual ConfigWriter& end_list() = 0;
  virtual ConfigWriter& key(std::string_view k) = 0;
  virtual ConfigWriter& str(std::string_view v) = 0;
  //! Text that must stay text when read back (a param "0.5").
  virtual ConfigWriter& quoted(std::string_view v) = 0;
  virtual ConfigWriter& num(double v) = 0;
  virtual ConfigWriter& boolean(bool v) = 0;
  virtual ConfigWriter& null() = 0;
  virtual std::string text() const = 0;
};

std::unique_ptr<ConfigWriter> make_yaml_writer();
std::unique_ptr<ConfigWriter> make_json_writer();

/// `key: number` or `key: null`.
void opt_num(ConfigWriter& w, std::string_view key, const std::optional<double>& v);
/// A source's keys (path, format, columns, ...) into the current map.
void dump_source_keys(ConfigWriter& w, const SourceConfig& s);
/// A source as a map of its keys.
void dump_source(ConfigWriter& w, const SourceConfig& s);

}  // namespace ml4t::backtest::config_detail
