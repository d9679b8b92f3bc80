// Task summaries read back, and manifest.json.
#include "sweep/ledger.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "config/yaml_loading.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/results/writer.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

fs::path task_dir(const fs::path& out, const std::string& id) { return out / "tasks" / id; }

const std::vector<std::string>& sweep_metric_columns() {
  // final_equity, then summary.json's "metrics" object key by key (a test checks that
  // this list and the summary agree, so a new metric cannot be left out silently).
  static const std::vector<std::string> columns = {
      "final_equity",  "total_return", "cagr",     "annual_volatility", "sharpe",   "sortino",
      "max_drawdown",  "max_drawdown_duration_bars", "calmar", "win_rate", "profit_factor",
      "avg_win",       "avg_loss",     "exposure", "turnover",          "num_trades", "periods_per_year"};
  return columns;
}

std::optional<TaskSummary> read_task_summary(const fs::path& out, const std::string& id) {
  const fs::path file = task_dir(out, id) / "summary.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  YAML::Node root;
  try {
    root = yaml_loading::load_checked(ss.str(), file.string(), "the task summary");
  } catch (const ConfigError& e) {
    throw OutputError(fmt::format("{}; delete that task folder and rerun with --resume", e.what()));
  }
  TaskSummary summary;
  const auto& columns = sweep_metric_columns();
  try {
    for (size_t i = 0; i < columns.size(); ++i) {
      const YAML::Node v = i == 0 ? root["final_equity"] : root["metrics"][columns[i]];
      if (!v.IsDefined()) {
        throw OutputError(fmt::format("{}: no \"{}\"; this summary was not written by this version: delete {} and "
                                      "rerun with --resume",
                                      file.string(), columns[i], task_dir(out, id).string()));
      }
      if (v.IsNull()) {
        summary.values.emplace_back(std::nullopt);
      } else {
        summary.values.emplace_back(v.as<double>());
      }
    }
    if (root["elapsed_seconds"] && !root["elapsed_seconds"].IsNull()) {
      summary.elapsed_seconds = root["elapsed_seconds"].as<double>();
    }
  } catch (const YAML::Exception& e) {
    throw OutputError(fmt::format("{}: unreadable value ({}); delete {} and rerun with --resume", file.string(),
                                  e.msg, task_dir(out, id).string()));
  }
  return summary;
}

namespace {

void write_staged(const fs::path& path, const std::string& text) {
  const fs::path tmp = path.parent_path() / fmt::format(".{}.tmp", path.filename().string());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.close();
    if (!out) throw OutputError(fmt::format("writing {} failed; check that the folder is writable", tmp.string()));
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) throw OutputError(fmt::format("cannot rename {} to {}: {}", tmp.string(), path.string(), ec.message()));
}

}  // namespace

void write_manifest(const SweepPlan& plan, const std::vector<TaskOutcome>& outcomes, const SweepOptions& options) {
  write_manifest(plan, outcomes, options, options.out / "manifest.json");
}

void write_manifest(const SweepPlan& plan, const std::vector<TaskOutcome>& outcomes, const SweepOptions& options,
                    const fs::path& file) {
  JsonWriter w;
  w.begin_object();
  w.key("version").value(options.version);
  w.key("config").value(plan.config_file.string());
  w.key("overrides").begin_array();
  for (const auto& o : plan.base_overrides) w.value(o);
  w.end_array();
  w.key("space").value(plan.space.kind);
  w.key("keys").begin_array();
  for (const auto& k : plan.space.keys) w.value(k);
  w.end_array();
  size_t finished = 0;
  for (const auto& o : outcomes) finished += (o.status == "done" || o.status == "resumed") ? 1 : 0;
  w.key("finished").value(static_cast<uint64_t>(finished));
  w.key("total").value(static_cast<uint64_t>(outcomes.size()));
  w.key("tasks").begin_array();
  for (size_t i = 0; i < outcomes.size(); ++i) {
    const auto& o = outcomes[i];
    w.begin_object();
    w.key("task_id").value(o.id);
    w.key("index").value(static_cast<uint64_t>(o.index));
    w.key("params").begin_object();
    for (const auto& [key, value] : plan.tasks[i].params.values) w.key(key).value(value);
    w.end_object();
    w.key("status").value(o.status);
    w.key("seconds").value(o.seconds);
    if (!o.error.empty()) w.key("error").value(o.error);
    w.end_object();
  }
  w.end_array();
  w.end_object();
  write_staged(file, w.str() + "\n");
}

void write_plan_file(const SweepPlan& plan, const fs::path& out) {
  JsonWriter w;
  w.begin_object();
  w.key("config").value(fs::absolute(plan.config_file).string());
  w.key("overrides").begin_array();
  for (const auto& o : plan.base_overrides) w.value(o);
  w.end_array();
  w.key("kind").value(plan.space.kind);
  w.key("keys").begin_array();
  for (const auto& k : plan.space.keys) w.value(k);
  w.end_array();
  w.key("sets").begin_array();
  for (const auto& set : plan.space.sets) {
    w.begin_array();
    for (const auto& [key, value] : set.values) w.begin_array().value(key).value(value).end_array();
    w.end_array();
  }
  w.end_array();
  w.end_object();
  write_staged(out / kPlanFile, w.str() + "\n");
}

PlanFile read_plan_file(const fs::path& out) {
  const fs::path file = out / kPlanFile;
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) {
    throw ConfigError(fmt::format("--collect {}: no {} there: not a sweep folder (every sweep, chunked or not, "
                                  "writes it); give the --out folder of the sweep",
                                  out.string(), kPlanFile));
  }
  try {
    const YAML::Node doc = YAML::LoadFile(file.string());
    PlanFile p;
    p.config = doc["config"].as<std::string>();
    for (const auto& o : doc["overrides"]) p.overrides.push_back(o.as<std::string>());
    p.space.kind = doc["kind"].as<std::string>();
    for (const auto& k : doc["keys"]) p.space.keys.push_back(k.as<std::string>());
    for (const auto& set : doc["sets"]) {
      ParameterSet ps;
      for (const auto& kv : set) ps.values.emplace_back(kv[0].as<std::string>(), kv[1].as<std::string>());
      p.space.sets.push_back(std::move(ps));
    }
    return p;
  } catch (const YAML::Exception& e) {
    throw OutputError(fmt::format("{}: not a sweep plan this version wrote ({}); rerun the sweep", file.string(),
                                  e.what()));
  }
}

}  // namespace ml4t::backtest
