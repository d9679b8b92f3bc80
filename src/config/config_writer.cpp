// The YAML and JSON emitters behind ConfigWriter, and the pieces several sections share.
#include "config_writer.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "ml4t/backtest/results/writer.hpp"

namespace ml4t::backtest::config_detail {

namespace {

class JsonDump final : public ConfigWriter {
 public:
  ConfigWriter& begin_map() override { return w_.begin_object(), *this; }
  ConfigWriter& end_map() override { return w_.end_object(), *this; }
  ConfigWriter& begin_list() override { return w_.begin_array(), *this; }
  ConfigWriter& end_list() override { return w_.end_array(), *this; }
  ConfigWriter& key(std::string_view k) override { return w_.key(k), *this; }
  ConfigWriter& str(std::string_view v) override { return w_.value(v), *this; }
  ConfigWriter& quoted(std::string_view v) override { return str(v); }
  ConfigWriter& num(double v) override { return w_.value(v), *this; }
  ConfigWriter& boolean(bool v) override { return w_.value(v), *this; }
  ConfigWriter& null() override { return w_.null(), *this; }
  std::string text() const override { return w_.str(); }

 private:
  JsonWriter w_;
};

class YamlDump final : public ConfigWriter {
 public:
  ConfigWriter& begin_map() override { return e_ << YAML::BeginMap, *this; }
  ConfigWriter& end_map() override { return e_ << YAML::EndMap, *this; }
  ConfigWriter& begin_list() override { return e_ << YAML::Flow << YAML::BeginSeq, *this; }
  ConfigWriter& end_list() override { return e_ << YAML::EndSeq, *this; }
  ConfigWriter& key(std::string_view k) override { return e_ << YAML::Key << std::string(k) << YAML::Value, *this; }
  ConfigWriter& str(std::string_view v) override { return e_ << std::string(v), *this; }
  // Text that must stay text when read back (a param "0.5").
  ConfigWriter& quoted(std::string_view v) override { return e_ << YAML::DoubleQuoted << std::string(v), *this; }
  ConfigWriter& num(double v) override { return e_ << fmt::format("{}", v), *this; }
  ConfigWriter& boolean(bool v) override { return e_ << v, *this; }
  ConfigWriter& null() override { return e_ << YAML::Null, *this; }
  std::string text() const override { return std::string(e_.c_str()) + "\n"; }

 private:
  YAML::Emitter e_;
};

}  // namespace

std::unique_ptr<ConfigWriter> make_yaml_writer() { return std::make_unique<YamlDump>(); }
std::unique_ptr<ConfigWriter> make_json_writer() { return std::make_unique<JsonDump>(); }

void opt_num(ConfigWriter& w, std::string_view key, const std::optional<double>& v) {
  w.key(key);
  if (v) {
    w.num(*v);
  } else {
    w.null();
  }
}

void dump_source_keys(ConfigWriter& w, const SourceConfig& s) {
  w.key("path").str(s.path.string());
  w.key("format").str(s.format);
  w.key("timestamp_column").str(s.timestamp_column);
  if (!s.timestamp_format.empty()) w.key("timestamp_format").str(s.timestamp_format);
  w.key("asset_column");
  if (s.asset_column.empty()) {
    w.null();
  } else {
    w.str(s.asset_column);
  }
  w.key("columns").begin_list();
  for (const auto& c : s.columns) w.str(c);
  w.end_list();
}

void dump_source(ConfigWriter& w, const SourceConfig& s) {
  w.begin_map();
  dump_source_keys(w, s);
  w.end_map();
}

}  // namespace ml4t::backtest::config_detail
