// Parameter sweeps for Python (ml4t.backtest.sweep): the very C++ sweep the CLI runs,
// with the GIL released while backtests run, plus the two halves a Dask sweep needs:
// the plan (task ids and overrides) on the client, one task at a time on a worker.
#include <fmt/format.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>
#include <pybind11/stl/filesystem.h>

#include "ml4t/backtest/sweep/sweep.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/version.hpp"

namespace ml4t::backtest::python {

namespace py = pybind11;
namespace fs = std::filesystem;

namespace {

py::object cell_to_py(const SweepCell& cell) {
  return std::visit(
      [](const auto& v) -> py::object {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>) {
          return py::none();
        } else {
          return py::cast(v);
        }
      },
      cell);
}

py::tuple table_to_py(const SweepTable& table) {
  py::list rows;
  for (const auto& row : table.rows) {
    py::list cells;
    for (const auto& cell : row) cells.append(cell_to_py(cell));
    rows.append(cells);
  }
  return py::make_tuple(table.columns, rows);
}

SweepPlan plan_from_text(const fs::path& config, const std::string& grid_text, const std::string& origin,
                         const std::vector<std::string>& overrides) {
  return plan_sweep(config, overrides, parse_parameter_space(grid_text, origin));
}

}  // namespace

void bind_sweep(py::module_& m) {
  m.def(
      "run_sweep",
      [](const fs::path& config, const std::string& grid_text, const std::string& origin, const fs::path& out,
         int workers, const std::vector<std::string>& overrides, bool resume, bool overwrite) {
        SweepTable table;
        {
          py::gil_scoped_release release;
          SweepOptions options;
          options.out = out;
          options.workers = workers;
          options.resume = resume;
          options.overwrite = overwrite;
          options.version = std::string(version());
          check_sweep_output(options);
          const SweepPlan plan = plan_from_text(config, grid_text, origin, overrides);
          const SweepSummary summary = run_sweep(plan, options);
          if (summary.failed > 0) {
            for (const auto& o : summary.outcomes) {
              if (o.status == "failed") {
                throw DataError(fmt::format("sweep: {} task(s) failed (see {}/manifest.json); task {}: {}",
                                            summary.failed, out.string(), o.index, o.error));
              }
            }
          }
          table = read_sweep_table(plan, out);
        }
        return table_to_py(table);
      },
      py::arg("config"), py::arg("grid_text"), py::arg("grid_origin"), py::arg("out"), py::arg("workers") = 0,
      py::arg("overrides") = std::vector<std::string>{}, py::arg("resume") = false, py::arg("overwrite") = false,
      "Run a sweep into `out` (as `ml4t-backtest sweep`); returns (columns, rows) of sweep.parquet.");
  m.def(
      "check_sweep_output",
      [](const fs::path& out, bool resume, bool overwrite) {
        SweepOptions options;
        options.out = out;
        options.resume = resume;
        options.overwrite = overwrite;
        check_sweep_output(options);
      },
      py::arg("out"), py::arg("resume") = false, py::arg("overwrite") = false,
      "Refuse `out` as `ml4t-backtest sweep` does (not empty and not a sweep; a sweep without resume/overwrite).");
  m.def(
      "plan_sweep_tasks",
      [](const fs::path& config, const std::string& grid_text, const std::string& origin,
         const std::vector<std::string>& overrides) {
        std::vector<std::pair<std::string, std::vector<std::string>>> tasks;
        {
          py::gil_scoped_release release;
          for (const auto& t : plan_from_text(config, grid_text, origin, overrides).tasks) {
            tasks.emplace_back(t.id, t.overrides);
          }
        }
        return tasks;
      },
      py::arg("config"), py::arg("grid_text"), py::arg("grid_origin"),
      py::arg("overrides") = std::vector<std::string>{},
      "Check every parameter set and return [(task_id, overrides)] in plan order.");
  m.def(
      "run_sweep_task",
      [](const fs::path& config, const std::vector<std::string>& overrides, const fs::path& out) {
        TaskOutcome outcome;
        {
          py::gil_scoped_release release;
          SweepTask task;
          task.overrides = overrides;
          task.config = BacktestConfig::from_yaml(config, overrides);
          task.id = task_id(task.config);
          SweepOptions options;
          options.out = out;
          options.version = std::string(version());
          outcome = run_sweep_task(task, options);
        }
        return py::make_tuple(outcome.id, outcome.status, outcome.error);
      },
      py::arg("config"), py::arg("overrides"), py::arg("out"),
      "Run one sweep task into out/tasks/<id>/summary.json; returns (task_id, status, error).");
}

}  // namespace ml4t::backtest::python
