// One result table streamed to its file(s) while the run goes: the engine's thread
// collects rows into batches; each batch is handed to one writer thread per format,
// which feeds it to DuckDB (duck::export_rows) chunk by chunk. At most `depth` batches
// wait per format: a slow disk slows the run instead of filling memory. Internal to
// the results component (see ResultStreamWriter).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "data/duckdb/table_export.hpp"
#include "ml4t/backtest/core/symbol_table.hpp"
#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest::detail {

/// True when `text` is well-formed UTF-8 (what DuckDB's files must hold).
bool valid_utf8(std::string_view text);
/// `text` with bytes outside printable ASCII as \\xNN, for messages.
std::string printable(std::string_view text);

/// Asset names by id, appended on the engine's thread and read on the writer threads.
/// Blocks of names never move once written, and a batch only names ids that existed
/// when it was handed over (the hand-over's lock orders the writes before the reads).
class SharedNames {
 public:
  SharedNames() : blocks_(kMaxBlocks) {}
  /// Take the names of `source` not copied yet (engine thread).
  void sync(const std::vector<std::string>& source);
  size_t size() const { return size_; }
  /// The name of `id`: "" for no asset, "#id" for an id without a name.
  std::string_view name(uint64_t id, size_t known, std::string& scratch) const;

 private:
  static constexpr size_t kBlock = 4096, kMaxBlocks = 1 << 14;
  std::vector<std::unique_ptr<std::string[]>> blocks_;
  size_t size_ = 0;
};

/// A column of a result table; timestamps are TIMESTAMPTZ in Parquet and ISO-8601 UTC
/// text in CSV (exact, whatever DuckDB's TimeZone).
enum class CellKind { kTimestamp, kDouble, kInt, kText, kBool };

struct TableColumn {
  std::string name;
  CellKind kind;
};

/// Writes one row's cells, in column order, into a DuckDB output chunk.
class Cells {
 public:
  Cells(duck::OutputChunk& out, size_t columns, bool csv);
  void row(size_t r) {
    row_ = r;
    col_ = 0;
  }
  Cells& time(Timestamp t);
  Cells& num(double v);
  Cells& integer(int64_t v);
  Cells& text(std::string_view v);
  Cells& flag(bool v);

 private:
  duck::OutputChunk& out_;
  std::vector<void*> data_;
  bool csv_;
  size_t row_ = 0, col_ = 0;
};

/// Counters shared by the streams of one writer, for progress and the memory bound.
struct StreamCounters {
  std::atomic<uint64_t> pushed{0};        //!< rows handed to the streams (per format)
  std::atomic<uint64_t> written{0};       //!< rows DuckDB has taken (per format)
  std::atomic<uint64_t> buffered{0};      //!< rows waiting in handed-over batches (per format)
  std::atomic<uint64_t> peak_buffered{0};  //!< most rows held at once
};

/// The batches waiting for one writer thread.
template <class Row>
struct Batch {
  std::vector<Row> rows;
  size_t names = 0;  //!< names known when it was handed over
};

template <class Row>
class BatchQueue {
 public:
  using Ptr = std::shared_ptr<const Batch<Row>>;
  /// Wait for room (or a stop), then queue. False when stopped.
  bool push(Ptr batch, size_t depth) {
    std::unique_lock lock(mutex_);
    room_.wait(lock, [&] { return stopped_ || queue_.size() < depth; });
    if (stopped_) return false;
    queue_.push_back(std::move(batch));
    ready_.notify_one();
    return true;
  }
  /// The next batch; nullptr at the end. Throws when stopped.
  Ptr pop() {
    std::unique_lock lock(mutex_);
    ready_.wait(lock, [&] { return stopped_ || closed_ || !queue_.empty(); });
    if (stopped_) throw std::runtime_error("stopped");
    if (queue_.empty()) return nullptr;
    Ptr batch = std::move(queue_.front());
    queue_.pop_front();
    room_.notify_one();
    return batch;
  }
  void close() {
    const std::lock_guard lock(mutex_);
    closed_ = true;
    ready_.notify_all();
  }
  void stop() {
    const std::lock_guard lock(mutex_);
    stopped_ = true;
    ready_.notify_all();
    room_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable ready_, room_;
  std::deque<Ptr> queue_;
  bool closed_ = false, stopped_ = false;
};

/// What a stream needs to know about its table: name, columns and how a row fills them.
template <class Row>
struct TableLayout {
  std::string name;
  std::vector<TableColumn> columns;
  void (*put)(Cells& cells, const Row& row, const SharedNames& names, size_t known, std::string& scratch);
};

/// One file of a table: where and in which format.
struct TableFile {
  std::string path;
  duck::ExportFormat format;
};

/// Feeds one queue's batches to DuckDB, `capacity()` rows per chunk.
template <class Row>
class BatchProducer : public duck::ChunkProducer {
 public:
  BatchProducer(BatchQueue<Row>& queue, const TableLayout<Row>& layout, const SharedNames& names, bool csv,
                StreamCounters& counters)
      : queue_(queue), layout_(layout), names_(names), csv_(csv), counters_(counters) {}
  size_t produce(duck::OutputChunk& out) override {
    if (!batch_ || next_ == batch_->rows.size()) {
      if (batch_) release();
      batch_ = queue_.pop();
      next_ = 0;
      if (!batch_) return 0;
    }
    Cells cells(out, layout_.columns.size(), csv_);
    const size_t n = std::min(out.capacity(), batch_->rows.size() - next_);
    for (size_t r = 0; r < n; ++r) {
      cells.row(r);
      layout_.put(cells, batch_->rows[next_ + r], names_, batch_->names, scratch_);
    }
    next_ += n;
    counters_.written.fetch_add(n, std::memory_order_relaxed);
    return n;
  }
  ~BatchProducer() override {
    if (batch_) release();
  }

 private:
  void release() {
    counters_.buffered.fetch_sub(batch_->rows.size(), std::memory_order_relaxed);
    batch_.reset();
  }
  BatchQueue<Row>& queue_;
  const TableLayout<Row>& layout_;
  const SharedNames& names_;
  bool csv_;
  StreamCounters& counters_;
  typename BatchQueue<Row>::Ptr batch_;
  size_t next_ = 0;
  std::string scratch_;
};

/// The duck column specs of a layout in a format.
std::vector<duck::ColumnSpec> column_specs(const std::vector<TableColumn>& columns, duck::ExportFormat format);

/// A table streamed to one file per format. Rows are pushed on one thread (the engine's);
/// finish() or abort() ends it. Writer-thread failures surface at the next hand-over.
template <class Row>
class TableStream {
 public:
  TableStream(duck::Database& db, TableLayout<Row> layout, std::vector<TableFile> files, SharedNames& names,
              StreamCounters& counters, size_t batch_rows, size_t depth)
      : layout_(std::move(layout)), names_(names), counters_(counters), batch_rows_(batch_rows), depth_(depth) {
    queues_.resize(files.size());
    for (auto& q : queues_) q = std::make_unique<BatchQueue<Row>>();
    current_ = std::make_shared<Batch<Row>>();
    if (!queues_.empty()) current_->rows.reserve(batch_rows_);
    for (size_t i = 0; i < files.size(); ++i) {
      threads_.emplace_back([this, &db, file = files[i], i] { write(db, file, i); });
    }
  }
  ~TableStream() { abort(); }
  TableStream(const TableStream&) = delete;
  TableStream& operator=(const TableStream&) = delete;

  void push(const Row& row) {
    if (queues_.empty()) return;  // no file of this table is written (a sweep task's summary only)
    current_->rows.push_back(row);
    if (current_->rows.size() == batch_rows_) hand_over();
  }
  /// Hand over the last batch, wait for the files to be complete; throws the first
  /// writer failure.
  void finish() {
    if (!current_->rows.empty()) hand_over();
    for (auto& q : queues_) q->close();
    join();
    rethrow();
  }
  /// Stop the writers (their files are incomplete) and wait for them. Never throws.
  void abort() noexcept {
    for (auto& q : queues_) q->stop();
    join();
  }

 private:
  void hand_over() {
    rethrow();
    current_->names = names_.size();
    counters_.pushed.fetch_add(current_->rows.size() * queues_.size(), std::memory_order_relaxed);
    const uint64_t rows = current_->rows.size() * queues_.size();
    const uint64_t now = counters_.buffered.fetch_add(rows) + rows;
    uint64_t peak = counters_.peak_buffered.load();
    while (now > peak && !counters_.peak_buffered.compare_exchange_weak(peak, now)) {
    }
    typename BatchQueue<Row>::Ptr batch = std::move(current_);
    for (auto& q : queues_) {
      if (!q->push(batch, depth_)) break;  // a writer failed: reported below
    }
    current_ = std::make_shared<Batch<Row>>();
    current_->rows.reserve(batch_rows_);
    // Dropping our reference: when the writers are done, the batch goes.
    batch.reset();
    rethrow();
  }
  void write(duck::Database& db, const TableFile& file, size_t index) {
    try {
      const bool csv = file.format == duck::ExportFormat::kCsv;
      BatchQueue<Row>& queue = *queues_[index];
      duck::export_rows(
          db, column_specs(layout_.columns, file.format),
          [&] { return std::make_unique<BatchProducer<Row>>(queue, layout_, names_, csv, counters_); }, file.path,
          file.format, "writing " + file.path);
    } catch (...) {
      {
        const std::lock_guard lock(error_mutex_);
        if (!error_) error_ = std::current_exception();  // the cause, not the others' "stopped"
        failed_.store(true);
      }
      for (auto& q : queues_) q->stop();  // wake the engine if it waits for room
    }
  }
  void join() noexcept {
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }
  void rethrow() {
    if (!failed_.load()) return;
    const std::lock_guard lock(error_mutex_);
    std::rethrow_exception(error_);
  }

  TableLayout<Row> layout_;
  SharedNames& names_;
  StreamCounters& counters_;
  size_t batch_rows_, depth_;
  std::shared_ptr<Batch<Row>> current_;
  std::vector<std::unique_ptr<BatchQueue<Row>>> queues_;
  std::vector<std::thread> threads_;
  std::mutex error_mutex_;
  std::exception_ptr error_;
  std::atomic<bool> failed_{false};
};

}  // namespace ml4t::backtest::detail
