// ResultStreamWriter: the five result tables as TableStreams (one writer thread per
// table and format), the metrics and report gathered row by row, and the staging
// folder of an OutputClaim moved into place at the end.
#include "ml4t/backtest/results/stream_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <system_error>
#include <thread>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/results/output_claim.hpp"
#include "table_stream.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;
using detail::CellKind;
using detail::Cells;
using detail::SharedNames;
using detail::TableLayout;

namespace {

// The tables' columns, in file order, and how a row fills them.
TableLayout<EquityPoint> equity_layout() {
  return {"equity",
          {{"timestamp", CellKind::kTimestamp},
           {"cash", CellKind::kDouble},
           {"positions_value", CellKind::kDouble},
           {"equity", CellKind::kDouble},
           {"drawdown", CellKind::kDouble},
           {"gross_value", CellKind::kDouble}},
          [](Cells& c, const EquityPoint& p, const SharedNames&, size_t, std::string&) {
            c.time(p.timestamp).num(p.cash).num(p.positions_value).num(p.equity).num(p.drawdown).num(p.gross_value);
          }};
}

TableLayout<Trade> trades_layout() {
  return {"trades",
          {{"asset", CellKind::kText},
           {"side", CellKind::kText},
           {"entry_time", CellKind::kTimestamp},
           {"exit_time", CellKind::kTimestamp},
           {"quantity", CellKind::kDouble},
           {"entry_price", CellKind::kDouble},
           {"exit_price", CellKind::kDouble},
           {"pnl", CellKind::kDouble},
           {"return", CellKind::kDouble},
           {"commission", CellKind::kDouble},
           {"slippage", CellKind::kDouble},
           {"bars_held", CellKind::kInt},
           {"exit_reason", CellKind::kText},
           {"open", CellKind::kBool}},
          [](Cells& c, const Trade& t, const SharedNames& names, size_t known, std::string& scratch) {
            c.text(names.name(t.asset, known, scratch))
                .text(to_string(t.side))
                .time(t.entry_time)
                .time(t.exit_time)
                .num(t.quantity)
                .num(t.entry_price)
                .num(t.exit_price)
                .num(t.pnl)
                .num(t.return_fraction)
                .num(t.commission)
                .num(t.slippage)
                .integer(t.bars_held)
                .text(to_string(t.exit_reason))
                .flag(t.open);
          }};
}

TableLayout<Fill> fills_layout() {
  return {"fills",
          {{"order_id", CellKind::kInt},
           {"timestamp", CellKind::kTimestamp},
           {"asset", CellKind::kText},
           {"side", CellKind::kText},
           {"quantity", CellKind::kDouble},
           {"price", CellKind::kDouble},
           {"commission", CellKind::kDouble},
           {"slippage", CellKind::kDouble}},
          [](Cells& c, const Fill& f, const SharedNames& names, size_t known, std::string& scratch) {
            c.integer(static_cast<int64_t>(f.order_id))
                .time(f.timestamp)
                .text(names.name(f.asset, known, scratch))
                .text(to_string(f.side))
                .num(f.quantity)
                .num(f.price)
                .num(f.commission)
                .num(f.slippage);
          }};
}

TableLayout<OrderRecord> orders_layout() {
  return {"orders",
          {{"id", CellKind::kInt},
           {"created", CellKind::kTimestamp},
           {"updated", CellKind::kTimestamp},
           {"asset", CellKind::kText},
           {"side", CellKind::kText},
           {"type", CellKind::kText},
           {"quantity", CellKind::kDouble},
           {"filled_quantity", CellKind::kDouble},
           {"limit_price", CellKind::kDouble},
           {"stop_price", CellKind::kDouble},
           {"trail_percent", CellKind::kDouble},
           {"time_in_force", CellKind::kText},
           {"avg_fill_price", CellKind::kDouble},
           {"status", CellKind::kText},
           {"reason", CellKind::kText}},
          [](Cells& c, const OrderRecord& o, const SharedNames& names, size_t known, std::string& scratch) {
            c.integer(static_cast<int64_t>(o.id))
                .time(o.created)
                .time(o.updated)
                .text(names.name(o.asset, known, scratch))
                .text(to_string(o.side))
                .text(to_string(o.type))
                .num(o.quantity)
                .num(o.filled_quantity)
                .num(o.limit_price)
                .num(o.stop_price)
                .num(o.trail_percent)
                .text(to_string(o.time_in_force))
                .num(o.avg_fill_price)
                .text(to_string(o.status))
                .text(o.reason);
            if (!detail::valid_utf8(o.reason)) {
              throw DataError(fmt::format("order {}: reason \"{}\" is not UTF-8 text, which result files must hold",
                                          o.id, detail::printable(o.reason)));
            }
          }};
}

TableLayout<CashFlow> cashflows_layout() {
  return {"cashflows",
          {{"timestamp", CellKind::kTimestamp},
           {"asset", CellKind::kText},
           {"type", CellKind::kText},
           {"amount", CellKind::kDouble},
           {"balance", CellKind::kDouble},
           {"rate", CellKind::kDouble},
           {"days", CellKind::kInt}},
          [](Cells& c, const CashFlow& f, const SharedNames& names, size_t known, std::string& scratch) {
            c.time(f.timestamp)
                .text(names.name(f.asset, known, scratch))
                .text(to_string(f.type))
                .num(f.amount)
                .num(f.balance)
                .num(f.rate)
                .integer(f.days);
          }};
}

void write_text_file(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw OutputError(fmt::format("cannot create {}: check that the folder is writable", path.string()));
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  out.close();
  if (!out) throw OutputError(fmt::format("writing {} failed (disk full?)", path.string()));
}

std::vector<detail::TableFile> files_of(const std::string& table, const fs::path& staging, const WriteOptions& o) {
  std::vector<detail::TableFile> files;
  if (o.parquet) files.push_back({(staging / (table + ".parquet")).string(), duck::ExportFormat::kParquet});
  if (o.csv) files.push_back({(staging / (table + ".csv")).string(), duck::ExportFormat::kCsv});
  return files;
}

}  // namespace

struct ResultStreamWriter::Impl {
  Impl(const fs::path& out, const WriteOptions& o, const StreamOptions& s)
      : dir(out),
        options(o),
        claim(out, o.overwrite, o.overwrite_hint),
        db(duck::DatabaseOptions{"", "", 1}),  // one thread per query: the writer threads are the parallelism
        metrics(s.periods_per_year, s.initial_capital),
        equity(db, equity_layout(), files_of("equity", claim.staging(), o), names, counters, s.batch_rows,
               s.queue_depth),
        trades(db, trades_layout(), files_of("trades", claim.staging(), o), names, counters, s.batch_rows,
               s.queue_depth),
        fills(db, fills_layout(), files_of("fills", claim.staging(), o), names, counters, s.batch_rows, s.queue_depth),
        orders(db, orders_layout(), files_of("orders", claim.staging(), o), names, counters, s.batch_rows,
               s.queue_depth),
        cashflows(db, cashflows_layout(), files_of("cashflows", claim.staging(), o), names, counters, s.batch_rows,
                  s.queue_depth) {
    claim.set_remove_created_folder(s.remove_created_dir);
  }

  // A writer thread's failure (disk full, ...) reaches the run at a batch hand-over.
  template <class Row>
  void push(detail::TableStream<Row>& table, const Row& row) {
    try {
      table.push(row);
    } catch (const OutputError&) {
      throw;
    } catch (const Error& e) {
      throw OutputError(fmt::format("writing results into {} failed, nothing was written: {}", dir.string(), e.what()));
    }
  }

  // A row naming an asset not copied yet: take the new names (engine thread).
  void see(AssetId asset) {
    if (asset >= names.size() && asset != kNoAsset && source != nullptr) names.sync(*source);
  }

  fs::path dir;
  WriteOptions options;
  OutputClaim claim;
  duck::Database db;
  const std::vector<std::string>* source = nullptr;
  SharedNames names;
  detail::StreamCounters counters;
  MetricsAccumulator metrics;
  ReportAccumulator report;
  // Declared last: destroyed (writers stopped) before what they read.
  detail::TableStream<EquityPoint> equity;
  detail::TableStream<Trade> trades;
  detail::TableStream<Fill> fills;
  detail::TableStream<OrderRecord> orders;
  detail::TableStream<CashFlow> cashflows;
};

ResultStreamWriter::ResultStreamWriter(const fs::path& dir, const WriteOptions& options, StreamOptions stream) {
  check_output_dir(dir, options.overwrite, options.overwrite_hint);
  stream.batch_rows = std::max<size_t>(stream.batch_rows, 1);
  stream.queue_depth = std::max<size_t>(stream.queue_depth, 1);
  impl_ = std::make_unique<Impl>(dir, options, stream);
}

ResultStreamWriter::~ResultStreamWriter() = default;

void ResultStreamWriter::set_symbols(const std::vector<std::string>* names) {
  impl_->source = names;
  if (names != nullptr) impl_->names.sync(*names);
}

void ResultStreamWriter::equity(const EquityPoint& point) {
  impl_->metrics.add(point);
  impl_->report.add(point);
  impl_->push(impl_->equity, point);
}

void ResultStreamWriter::fill(const Fill& fill) {
  impl_->see(fill.asset);
  impl_->metrics.add(fill);
  impl_->push(impl_->fills, fill);
}

void ResultStreamWriter::trade(const Trade& trade) {
  impl_->see(trade.asset);
  impl_->metrics.add(trade);
  impl_->report.add(trade);
  impl_->push(impl_->trades, trade);
}

void ResultStreamWriter::order(const OrderRecord& order) {
  impl_->see(order.asset);
  impl_->push(impl_->orders, order);
}

void ResultStreamWriter::cashflow(const CashFlow& flow) {
  impl_->see(flow.asset);
  impl_->push(impl_->cashflows, flow);
}

Metrics ResultStreamWriter::metrics() const { return impl_->metrics.metrics(); }

const ReportAccumulator& ResultStreamWriter::report_rows() const { return impl_->report; }

StreamStats ResultStreamWriter::stats() const {
  StreamStats s;
  s.rows_pushed = impl_->counters.pushed.load();
  s.rows_written = impl_->counters.written.load();
  s.peak_buffered_rows = impl_->counters.peak_buffered.load();
  return s;
}

void ResultStreamWriter::discard_now() noexcept { impl_->claim.discard_now(); }

std::vector<fs::path> ResultStreamWriter::finish(const Results& results, const RunInfo& info,
                                                 const WriteProgress& progress) {
  Impl& s = *impl_;
  const fs::path& staging = s.claim.staging();
  // From here a failure is the writing's (disk full, ...): the folder stays, as it does
  // for write_results, and only the staged files go.
  s.claim.set_remove_created_folder(false);
  try {
    // The tables end one after the other while the others drain; progress meanwhile.
    std::atomic<bool> done{false};
    std::thread reporter;
    if (progress) {
      reporter = std::thread([&] {
        while (!done.load()) {
          progress(s.counters.written.load(), s.counters.pushed.load());
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      });
    }
    struct StopReporter {
      std::atomic<bool>& done;
      std::thread& thread;
      ~StopReporter() {
        done.store(true);
        if (thread.joinable()) thread.join();
      }
    } stop_reporter{done, reporter};
    s.equity.finish();
    s.trades.finish();
    s.fills.finish();
    s.orders.finish();
    s.cashflows.finish();
    write_text_file(staging / "summary.json", summary_json(results, info));
    if (s.options.report) write_text_file(staging / "report.html", render_report_html(results, s.report, info));
  } catch (const Error& e) {
    throw OutputError(fmt::format("writing results into {} failed, nothing was written: {}", s.dir.string(), e.what()));
  }
  if (progress) progress(s.counters.written.load(), s.counters.pushed.load());
  return s.claim.commit(s.options.overwrite, result_file_names());
}

}  // namespace ml4t::backtest
