// The sweep's ledger: a task is finished when tasks/<id>/summary.json exists (the
// results writer renames it into place only when complete). Summaries are read back
// with yaml-cpp (JSON is YAML 1.2); the manifest is written with the results' JsonWriter.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "ml4t/backtest/sweep/sweep.hpp"
#include "sweep/table_file.hpp"

namespace ml4t::backtest {

/// out/tasks/<id>
std::filesystem::path task_dir(const std::filesystem::path& out, const std::string& id);

/// What the sweep table takes from a finished task's summary.json.
struct TaskSummary {
  /// final_equity, then the metrics, in sweep_metric_columns() order; nullopt for null
  /// (NaN or infinite values, which JSON cannot spell).
  std::vector<std::optional<double>> values;
  double elapsed_seconds = 0;
};

/// The task's summary, or nullopt when it has none (not run, or interrupted). Throws
/// OutputError when the file exists but is not a summary this version wrote.
std::optional<TaskSummary> read_task_summary(const std::filesystem::path& out, const std::string& id);

/// Write out/manifest.json (staged, then renamed): the plan, each task's status and timing.
void write_manifest(const SweepPlan& plan, const std::vector<TaskOutcome>& outcomes, const SweepOptions& options);

/// The same document to another file (a chunk's manifest).
void write_manifest(const SweepPlan& plan, const std::vector<TaskOutcome>& outcomes, const SweepOptions& options,
                    const std::filesystem::path& file);

/// out/sweep-plan.json: what --collect needs to plan the sweep again (the config, the
/// overrides and every parameter set, as planned).
inline constexpr const char* kPlanFile = "sweep-plan.json";
void write_plan_file(const SweepPlan& plan, const std::filesystem::path& out);
struct PlanFile {
  std::filesystem::path config;
  std::vector<std::string> overrides;
  ParameterSpace space;
};
PlanFile read_plan_file(const std::filesystem::path& out);

/// Sweep-table columns of the swept keys (DOUBLE when every value is a number, else
/// VARCHAR), and one row's cells for a parameter set.
std::vector<TableColumn> parameter_columns(const ParameterSpace& space, const std::vector<ParameterSet>& sets);
void append_parameter_cells(const std::vector<TableColumn>& columns, const ParameterSet& set,
                            std::vector<TableCell>& row);
/// Columns and cells of final_equity and the metrics (sweep_metric_columns()).
std::vector<TableColumn> metric_table_columns();
void append_metric_cells(const std::vector<std::optional<double>>& values, std::vector<TableCell>& row);

}  // namespace ml4t::backtest
