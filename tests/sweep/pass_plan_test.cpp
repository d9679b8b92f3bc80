// plan_passes: which tasks share one read of the data. Tasks reading the same data, in
// plan order, split evenly: auto = at most 32 per pass, as many passes as keeps every
// worker busy; a given engines_per_pass caps each pass.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "ml4t/backtest/sweep/sweep.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

std::vector<SweepTask> tasks_on(const std::vector<std::string>& prices) {
  const std::filesystem::path dir = testing::scratch_dir();
  std::ofstream(dir / "s.parquet") << "";
  for (const auto& p : prices) std::ofstream(dir / p) << "";  // the config loader checks that files exist
  std::vector<SweepTask> out;
  for (size_t i = 0; i < prices.size(); ++i) {
    SweepTask t;
    t.index = i;
    t.config = BacktestConfig::from_string(
        fmt::format("data_sources: {{prices: {}, signals: s.parquet}}\nstrategy: {{entry: {}}}\n", prices[i], 0.5 + 0.001 * i),
        dir);
    out.push_back(std::move(t));
  }
  return out;
}

std::vector<std::vector<size_t>> passes(const std::vector<SweepTask>& tasks, size_t workers, int per_pass) {
  std::vector<const SweepTask*> p;
  for (const auto& t : tasks) p.push_back(&t);
  return plan_passes(p, workers, per_pass);
}

using Passes = std::vector<std::vector<size_t>>;

TEST(PassPlan, AutoSpreadsTenTasksOverTwoWorkers) {
  const auto t = tasks_on(std::vector<std::string>(10, "p.parquet"));
  EXPECT_EQ(passes(t, 2, 0), (Passes{{0, 1, 2, 3, 4}, {5, 6, 7, 8, 9}}));
  EXPECT_EQ(passes(t, 1, 0), (Passes{{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}}));
}

TEST(PassPlan, AutoKeepsAtMost32EnginesPerPass) {
  // 100 tasks: ceil(100 / 32) = 4 passes (a multiple of 2 workers), 25 each.
  const auto t = tasks_on(std::vector<std::string>(100, "p.parquet"));
  const Passes p = passes(t, 2, 0);
  ASSERT_EQ(p.size(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    ASSERT_EQ(p[k].size(), 25u);
    EXPECT_EQ(p[k].front(), 25 * k);
  }
  // Three tasks on four workers: one task per pass, three passes.
  EXPECT_EQ(passes(tasks_on({"p.parquet", "p.parquet", "p.parquet"}), 4, 0), (Passes{{0}, {1}, {2}}));
}

TEST(PassPlan, AGivenSizeCapsEachPass) {
  const auto t = tasks_on(std::vector<std::string>(10, "p.parquet"));
  EXPECT_EQ(passes(t, 2, 4), (Passes{{0, 1, 2, 3}, {4, 5, 6, 7}, {8, 9}}));
  EXPECT_EQ(passes(t, 2, 1).size(), 10u);  // every task reads the data itself
}

TEST(PassPlan, TasksOnOtherDataNeverShareAPass) {
  const auto t = tasks_on({"a.parquet", "b.parquet", "a.parquet", "b.parquet", "a.parquet"});
  EXPECT_EQ(passes(t, 1, 0), (Passes{{0, 2, 4}, {1, 3}}));
}

}  // namespace
}  // namespace ml4t::backtest
