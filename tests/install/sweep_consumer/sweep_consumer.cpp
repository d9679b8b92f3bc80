// Sweeps CONFIG over `strategy.entry: [0.6, 0.7]` into OUT with the installed library and
// prints each task's final equity, one per line, in grid order.
//   sweep_consumer CONFIG OUT
#include <cstdio>
#include <variant>

#include "ml4t/backtest/sweep/parameter_space.hpp"
#include "ml4t/backtest/sweep/sweep.hpp"

namespace bt = ml4t::backtest;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  const auto space = bt::parse_parameter_space("grid:\n  strategy.entry: [0.6, 0.7]\n", "the consumer's grid");
  const auto plan = bt::plan_sweep(argv[1], {}, space);
  bt::SweepOptions options;
  options.out = argv[2];
  options.workers = 2;
  bt::run_sweep(plan, options);
  const auto table = bt::read_sweep_table(plan, options.out);
  size_t column = 0;
  while (table.columns[column] != "final_equity") ++column;
  for (const auto& row : table.rows) std::printf("%.17g\n", std::get<double>(row[column]));
  return 0;
}
