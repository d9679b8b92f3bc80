// Rewrites price files (Parquet or CSV, files or globs) into a sorted, zstd-compressed,
// month-partitioned Parquet dataset with a dictionary-encoded symbol column — what
// `ml4t-backtest data optimize` does — and prints what it read and wrote.
// docs/data-optimization.md includes it.
//
//   build/examples/optimize_dataset out/sample-data/prices.parquet out/prices_ds
#include <cstdio>
#include <string>
#include <vector>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/optimize.hpp"

namespace bt = ml4t::backtest;

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s INPUT OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  try {
    // [doc:optimize]
    bt::OptimizeOptions options;
    options.compression = bt::Compression::kZstd;
    options.categorical = {"asset_id"};                 // symbols as a dictionary (ENUM)
    options.partition_by = bt::PartitionBy::kMonth;     // year=YYYY/month=M/data_0.parquet
    options.overwrite = true;
    const bt::OptimizeSummary summary = bt::write_optimized_parquet({argv[1]}, argv[2], options);
    std::printf("%llu rows, %zu file(s) -> %zu file(s), size ratio in/out %.2f\n",
                static_cast<unsigned long long>(summary.rows), summary.inputs.size(), summary.outputs.size(),
                summary.ratio());
    // [doc:optimize]
  } catch (const bt::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
