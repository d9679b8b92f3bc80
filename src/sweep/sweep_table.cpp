// sweep.parquet / sweep.csv, built from the finished tasks' summaries (fresh and resumed
// tasks alike, so a resumed sweep's table equals a fresh one's).
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "ml4t/backtest/sweep/sweep.hpp"
#include "sweep/ledger.hpp"
#include "sweep/table_file.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

bool is_integer_metric(const std::string& name) { return name == "num_trades" || name == "max_drawdown_duration_bars"; }

// A value read the way the config loader reads a number (yaml-cpp), or nullopt.
std::optional<double> as_number(const std::string& text) {
  try {
    const YAML::Node node = YAML::Load(text);
    if (!node.IsScalar()) return std::nullopt;
    return node.as<double>();
  } catch (const YAML::Exception&) {
    return std::nullopt;
  }
}

}  // namespace

std::vector<TableColumn> parameter_columns(const ParameterSpace& space, const std::vector<ParameterSet>& sets) {
  std::vector<TableColumn> columns;
  for (const auto& key : space.keys) {
    // A swept key is a DOUBLE column when every value of it is a number, else VARCHAR
    // (the values as written).
    bool numeric = true;
    for (const auto& set : sets) {
      for (const auto& [k, value] : set.values) {
        if (k == key && numeric && !as_number(value)) numeric = false;
      }
    }
    columns.push_back({key, numeric ? TableColumn::Kind::kDouble : TableColumn::Kind::kText});
  }
  return columns;
}

void append_parameter_cells(const std::vector<TableColumn>& columns, const ParameterSet& set,
                            std::vector<TableCell>& row) {
  for (const auto& column : columns) {
    TableCell cell;  // null: a list entry that does not set this key
    for (const auto& [key, value] : set.values) {
      if (key != column.name) continue;
      if (column.kind == TableColumn::Kind::kDouble) {
        cell = *as_number(value);
      } else {
        cell = value;
      }
    }
    row.push_back(std::move(cell));
  }
}

std::vector<TableColumn> metric_table_columns() {
  std::vector<TableColumn> columns;
  for (const auto& c : sweep_metric_columns()) {
    columns.push_back({c, is_integer_metric(c) ? TableColumn::Kind::kInt : TableColumn::Kind::kDouble});
  }
  return columns;
}

void append_metric_cells(const std::vector<std::optional<double>>& values, std::vector<TableCell>& row) {
  const auto& names = sweep_metric_columns();
  for (size_t i = 0; i < names.size(); ++i) {
    const auto& v = values.at(i);
    if (!v) {
      row.emplace_back(std::monostate{});
    } else if (is_integer_metric(names[i])) {
      row.emplace_back(static_cast<int64_t>(std::llround(*v)));
    } else {
      row.emplace_back(*v);
    }
  }
}

namespace {

// The table's columns and rows, shared by the files and the Python API.
std::pair<std::vector<TableColumn>, std::vector<std::vector<TableCell>>> build_sweep_table(const SweepPlan& plan,
                                                                                          const fs::path& dir) {
  std::vector<ParameterSet> sets;
  for (const auto& t : plan.tasks) sets.push_back(t.params);
  std::vector<TableColumn> columns = {{"task_id", TableColumn::Kind::kText}};
  const auto params = parameter_columns(plan.space, sets);
  columns.insert(columns.end(), params.begin(), params.end());
  const auto metrics = metric_table_columns();
  columns.insert(columns.end(), metrics.begin(), metrics.end());
  std::vector<std::vector<TableCell>> rows;
  for (const auto& task : plan.tasks) {
    const auto summary = read_task_summary(dir, task.id);
    if (!summary) continue;  // failed or not run: listed in manifest.json
    std::vector<TableCell> row = {task.id};
    append_parameter_cells(params, task.params, row);
    append_metric_cells(summary->values, row);
    rows.push_back(std::move(row));
  }
  return {std::move(columns), std::move(rows)};
}

}  // namespace

std::vector<fs::path> write_sweep_tables(const SweepPlan& plan, const fs::path& dir) {
  const auto [columns, rows] = build_sweep_table(plan, dir);
  return write_table_files(dir, "sweep", columns, rows);
}

SweepTable read_sweep_table(const SweepPlan& plan, const fs::path& dir) {
  auto [columns, rows] = build_sweep_table(plan, dir);
  SweepTable table;
  for (const auto& c : columns) table.columns.push_back(c.name);
  for (auto& row : rows) {
    std::vector<SweepCell> cells;
    for (auto& cell : row) {
      std::visit(
          [&cells](auto&& v) {
            using V = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<V, TimestampCell>) {
              cells.emplace_back(v.nanos);  // the sweep table has no timestamp columns
            } else {
              cells.emplace_back(std::move(v));
            }
          },
          cell);
    }
    table.rows.push_back(std::move(cells));
  }
  return table;
}

}  // namespace ml4t::backtest
