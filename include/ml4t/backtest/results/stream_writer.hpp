// Result files written while the run goes (the CLI's default). A ResultStreamWriter is
// the engine's ResultSink: each row goes into a small batch, batches go to one writer
// thread per table and format, which streams them through DuckDB into the staged
// Parquet/CSV file; metrics and the report's inputs are gathered row by row. Memory is
// bounded by the batch size, not by the number of fills. Like write_results, files are
// staged in a hidden folder of the claimed output folder and moved in only by finish():
// a failed or interrupted run leaves nothing new and keeps earlier results.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ml4t/backtest/results/metrics.hpp"
#include "ml4t/backtest/results/report.hpp"
#include "ml4t/backtest/engine/result_sink.hpp"
#include "ml4t/backtest/results/writer.hpp"

namespace ml4t::backtest {

/// How a ResultStreamWriter buffers and computes (the defaults suit every run).
struct StreamOptions {
  /// Rows per batch handed to a writer thread.
  size_t batch_rows = 16'384;
  /// Batches that may wait per table and format before the run waits for the disk.
  size_t queue_depth = 4;
  /// For the metrics: bars per year (0 = detect) and the capital before the first bar
  /// (0 = the first equity point), as compute_metrics takes them.
  double periods_per_year = 0;
  double initial_capital = 0;  //!< see periods_per_year
  /// A writer that ends without calling finish() also removes the output folder it
  /// created (a failure inside finish() keeps the empty folder, as write_results does).
  bool remove_created_dir = true;
};

/// Rows written by a ResultStreamWriter so far, for progress and the memory bound.
struct StreamStats {
  /// Row copies handed to the writer threads (a row counts once per format).
  uint64_t rows_pushed = 0;
  /// Row copies DuckDB has taken into its files.
  uint64_t rows_written = 0;
  /// Most row copies waiting in batches at any moment (bounded by the batch size,
  /// queue depth and number of files, whatever the number of rows).
  uint64_t peak_buffered_rows = 0;
};

/// Writes a run's result files as the run goes: give it to RunHooks::stream (or to
/// BacktestEngine::set_result_sink), then call finish() with the run's scalars.
class ResultStreamWriter final : public ResultSink {
 public:
  /// Claim `dir` (created if missing; refused unless empty or `options.overwrite`, as by
  /// write_results) and start the writer threads. Throws OutputError.
  ResultStreamWriter(const std::filesystem::path& dir, const WriteOptions& options, StreamOptions stream = {});
  /// Without finish(): stop the writers and remove everything staged (earlier results
  /// stay as they were).
  ~ResultStreamWriter() override;
  ResultStreamWriter(const ResultStreamWriter&) = delete;
  ResultStreamWriter& operator=(const ResultStreamWriter&) = delete;

  /// Where asset names come from: names by AssetId, which may grow during the run and
  /// is read only on the thread that hands the rows. Must outlive the rows' writing.
  void set_symbols(const std::vector<std::string>* names);

  void equity(const EquityPoint& point) override;
  void fill(const Fill& fill) override;
  void trade(const Trade& trade) override;
  void order(const OrderRecord& order) override;
  void cashflow(const CashFlow& flow) override;

  /// Metrics of the rows so far.
  Metrics metrics() const;
  /// What the report draws, gathered so far.
  const ReportAccumulator& report_rows() const;
  /// Rows handed and written so far.
  StreamStats stats() const;

  /// Called while finish() waits for the files: row copies written, row copies in all.
  using WriteProgress = std::function<void(uint64_t written, uint64_t total)>;
  /// Complete the tables, write summary.json and report.html from `results`' scalars
  /// (metrics, capital, final equity, events, symbols; its row vectors are not read)
  /// and `info`, and move every file into the output folder. Returns the written paths.
  /// Throws OutputError (and then nothing new is left behind).
  std::vector<std::filesystem::path> finish(const Results& results, const RunInfo& info,
                                            const WriteProgress& progress = {});

  /// Delete what is staged and release the claim now, from any thread, for a process
  /// about to exit without unwinding. The writer is unusable afterwards.
  void discard_now() noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ml4t::backtest
