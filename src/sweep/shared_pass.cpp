// One data pass feeding many engines (see shared_pass.hpp).
#include "sweep/shared_pass.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <condition_variable>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <semaphore>
#include <thread>

#include "ml4t/backtest/config/runner.hpp"
#include "ml4t/backtest/config/strategy_factory.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/engine/backtest_engine.hpp"
#include "ml4t/backtest/engine/metrics.hpp"
#include "ml4t/backtest/engine/result_sink.hpp"
#include "ml4t/backtest/results/stream_writer.hpp"

namespace ml4t::backtest::detail {

namespace {

// Whole timestamp groups per chunk (at least): big enough that the hand-over costs
// nothing next to the engines' work, small enough that a few chunks are little memory.
constexpr size_t kChunkRows = 16384;
// How far the producer may run ahead of the slowest engine, in chunks.
constexpr uint64_t kChunksAhead = 4;

// A run of groups copied out of the source feed. `known[g]` is the size of the source's
// symbol table right after it handed out group g: the replay feeds grow theirs the same
// way, so an engine sees the very symbol table a single run's feed would show it.
struct Chunk {
  Chunk(const Schema& schema, uint64_t position) : batch(&schema, &symbols), index(position) {}
  SymbolTable symbols;  // the source's symbols up to this chunk's last group
  Batch batch;
  std::vector<uint32_t> known;
  uint64_t index;
  std::shared_ptr<Chunk> next;  // set by the producer, under the stream's mutex
};

// What the producer and the replay feeds share.
class SharedStream {
 public:
  SharedStream(const Schema& schema, size_t consumers, int workers)
      : tail_(std::make_shared<Chunk>(schema, 0)), positions_(consumers, 0), tokens_(std::max(1, workers)) {}

  std::shared_ptr<Chunk> head() const { return tail_; }

  // Producer: publish a full chunk once the slowest live consumer is close enough.
  // False when every consumer has ended (nobody reads further).
  bool publish(std::shared_ptr<Chunk> chunk) {
    std::unique_lock lock(mutex_);
    producer_wait_.wait(lock, [&] { return all_ended() || chunk->index <= slowest() + kChunksAhead; });
    if (all_ended()) return false;
    tail_->next = chunk;
    tail_ = std::move(chunk);
    consumer_wait_.notify_all();
    return true;
  }
  void finish(std::exception_ptr error) {
    std::lock_guard lock(mutex_);
    done_ = true;
    error_ = std::move(error);
    consumer_wait_.notify_all();
  }

  // Consumer `me`: the chunk after `current`, or nullptr at the end (rethrows the
  // producer's error there). The compute token is given back while waiting.
  std::shared_ptr<Chunk> next_after(size_t me, const Chunk& current) {
    std::unique_lock lock(mutex_);
    if (!current.next && !done_) {
      lock.unlock();
      tokens_.release();
      lock.lock();
      consumer_wait_.wait(lock, [&] { return current.next || done_; });
      lock.unlock();
      tokens_.acquire();
      lock.lock();
    }
    if (!current.next) {
      if (error_) std::rethrow_exception(error_);
      return nullptr;
    }
    positions_[me] = current.next->index;
    producer_wait_.notify_all();
    return current.next;
  }
  void ended(size_t me) {
    std::lock_guard lock(mutex_);
    positions_[me] = kEnded;
    producer_wait_.notify_all();
  }
  std::counting_semaphore<>& tokens() { return tokens_; }

 private:
  static constexpr uint64_t kEnded = std::numeric_limits<uint64_t>::max();
  bool all_ended() const {
    for (uint64_t p : positions_) {
      if (p != kEnded) return false;
    }
    return true;
  }
  uint64_t slowest() const {
    uint64_t s = kEnded;
    for (uint64_t p : positions_) s = std::min(s, p);
    return s;
  }

  std::mutex mutex_;
  std::condition_variable producer_wait_, consumer_wait_;
  std::shared_ptr<Chunk> tail_;
  std::vector<uint64_t> positions_;  // chunk index each consumer reads, kEnded once done
  bool done_ = false;
  std::exception_ptr error_;
  std::counting_semaphore<> tokens_;  // engines computing at once
};

// Reads the source to its end into chunks. Runs on its own thread.
void produce(ColumnarDataFeed& source, SharedStream& stream) {
  try {
    const Schema& schema = source.schema();
    const auto num_signals = static_cast<uint32_t>(schema.num_signals());
    const auto num_context = static_cast<uint32_t>(schema.num_context());
    uint64_t index = 1;
    auto chunk = std::make_shared<Chunk>(schema, index);
    auto cut = [&] {
      for (size_t i = chunk->symbols.size(); i < source.symbols().size(); ++i) {
        chunk->symbols.intern(source.symbols().names()[i]);
      }
      const bool more = stream.publish(chunk);
      chunk = std::make_shared<Chunk>(schema, ++index);
      return more;
    };
    for (TimestampGroup group = source.next_group(); group.valid(); group = source.next_group()) {
      const Batch& from = group.batch();
      Batch& to = chunk->batch;
      const uint32_t g = to.begin_group(group.timestamp());
      for (uint32_t f = 0; f < num_context; ++f) to.set_context(g, FieldId{f}, from.context_column(FieldId{f})[group.group()]);
      for (uint32_t row = group.row_begin(); row < group.row_end(); ++row) {
        const uint32_t r = to.add_row(from.asset()[row], Bar{from.open()[row], from.high()[row], from.low()[row],
                                                             from.close()[row], from.volume()[row]});
        for (uint32_t f = 0; f < num_signals; ++f) to.set_signal(r, FieldId{f}, from.signal_column(FieldId{f})[row]);
      }
      chunk->known.push_back(static_cast<uint32_t>(source.symbols().size()));
      if (to.num_rows() >= kChunkRows && !cut()) break;
    }
    if (chunk->batch.num_groups() > 0) cut();
    stream.finish(nullptr);
  } catch (...) {
    stream.finish(std::current_exception());
  }
}

// One engine's view of the shared stream: the source's groups, in order.
class ReplayFeed final : public DataFeed {
 public:
  ReplayFeed(SharedStream& stream, size_t me, const Schema& schema)
      : stream_(stream), me_(me), schema_(schema), chunk_(stream.head()) {}

  const Schema& schema() const override { return schema_; }
  const SymbolTable& symbols() const override { return symbols_; }

 protected:
  TimestampGroup fetch_group() override {
    if (!has_more_groups()) return {};
    const uint32_t g = group_++;
    for (size_t i = symbols_.size(); i < chunk_->known[g]; ++i) symbols_.intern(chunk_->symbols.names()[i]);
    return TimestampGroup(chunk_->batch, g);
  }
  bool has_more_groups() override {
    while (group_ >= chunk_->batch.num_groups()) {
      auto next = stream_.next_after(me_, *chunk_);
      if (!next) return false;
      chunk_ = std::move(next);
      group_ = 0;
    }
    return true;
  }

 private:
  SharedStream& stream_;
  size_t me_;
  const Schema& schema_;
  SymbolTable symbols_;
  std::shared_ptr<Chunk> chunk_;
  uint32_t group_ = 0;
};

// A task that keeps only its summary needs only the metrics: its rows go here, into the
// accumulator compute_metrics itself uses, instead of piling up in memory (a task's
// fills, orders and trades are tens of MB on the daily benchmark data).
class SummarySink final : public ResultSink {
 public:
  explicit SummarySink(const StreamOptions& o) : metrics_(o.periods_per_year, o.initial_capital) {}
  void equity(const EquityPoint& point) override {
    if (points_++ == 0) first_ = point.timestamp;
    last_ = point.timestamp;
    metrics_.add(point);
  }
  void fill(const Fill& fill) override { metrics_.add(fill); }
  void trade(const Trade& trade) override { metrics_.add(trade); }
  void order(const OrderRecord&) override {}
  Metrics metrics() const { return metrics_.metrics(); }
  std::optional<std::pair<Timestamp, Timestamp>> range() const {
    if (points_ == 0) return std::nullopt;
    return std::pair{first_, last_};
  }

 private:
  MetricsAccumulator metrics_;
  uint64_t points_ = 0;
  Timestamp first_, last_;
};

// What run_backtest records about a run, for the task's summary.
RunInfo describe_task_run(const BacktestConfig& config, const Results& results, const ColumnarDataFeed& source,
                          size_t assets) {
  RunInfo info;
  info.files = describe_inputs(config);
  info.config_json = config.to_json();
  info.strategy = describe_strategy(config);
  info.title = config.source_file.empty() ? std::string("ml4t-backtest report")
                                          : fmt::format("Backtest: {}", config.source_file.filename().string());
  info.rows = source.rows_read();
  info.assets = assets;
  if (!results.equity_curve.empty()) {
    info.first = results.equity_curve.front().timestamp;
    info.last = results.equity_curve.back().timestamp;
  }
  return info;
}

bool checks_timing(const BacktestConfig& config) {
  return config.signal_timing.validate && (config.data_sources.signals || config.features);
}

}  // namespace

std::string feed_key(const BacktestConfig& config) {
  const YAML::Node all = YAML::Load(config.to_json());
  YAML::Emitter out;
  out << YAML::Flow << YAML::BeginMap;
  for (const char* key : {"data_sources", "features", "universe", "signal_timing", "resources", "data_quality"}) {
    if (all[key]) out << YAML::Key << key << YAML::Value << all[key];
  }
  out << YAML::EndMap;
  return out.c_str();
}

std::vector<TaskOutcome> run_shared_pass(const std::vector<const SweepTask*>& tasks, const SweepOptions& options,
                                         const std::function<void(size_t, const TaskOutcome&)>& on_end) {
  std::vector<TaskOutcome> outcomes(tasks.size());
  const BacktestConfig& first = tasks.front()->config;
  // The timing check runs in the source's merge, as in a single run: a violation with
  // fail_on_violation reaches every engine as the error its own run would have thrown.
  ColumnarFeedOptions feed_options = to_feed_options(first);
  if (checks_timing(first)) {
    feed_options.timing.validate = true;
    feed_options.timing_examples = 1000;
    feed_options.on_timing_report = [](const TimingReport&) {};
  }
  std::unique_ptr<ColumnarDataFeed> source;
  try {
    source = std::make_unique<ColumnarDataFeed>(std::move(feed_options));
  } catch (const std::exception&) {
    for (size_t i = 0; i < tasks.size(); ++i) {  // each task then fails with its own run's message
      outcomes[i] = run_sweep_task(*tasks[i], options);
      if (on_end) on_end(i, outcomes[i]);
    }
    return outcomes;
  }
  const int workers = options.workers > 0 ? options.workers
                                          : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  SharedStream stream(source->schema(), tasks.size(), workers);
  const auto started = std::chrono::steady_clock::now();
  std::vector<bool> empty_run(tasks.size(), false);

  auto consume = [&](size_t i) {
    const SweepTask& task = *tasks[i];
    TaskOutcome& outcome = outcomes[i];
    outcome.id = task.id;
    outcome.index = task.index;
    stream.tokens().acquire();
    try {
      ReplayFeed feed(stream, i, source->schema());
      auto strategy = make_strategy(task.config, feed.schema());
      BacktestEngine engine(feed, *strategy, to_engine_config(task.config));
      if (options.cancel) engine.set_cancel_flag(options.cancel);
      SummarySink sink(to_stream_options(task.config));
      if (!options.keep_results) engine.set_result_sink(&sink);
      Results results = engine.run();
      stream.ended(i);
      if (!options.keep_results) results.metrics = sink.metrics();
      if (results.events == 0) {
        empty_run[i] = true;  // the single run's own error message, below
      } else {
        RunInfo info = describe_task_run(task.config, results, *source, feed.symbols().size());
        if (const auto range = sink.range(); range && !options.keep_results) {
          info.first = range->first;
          info.last = range->second;
        }
        info.version = options.version;
        info.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        write_task_results(task, options, results, info);
        outcome.status = "done";
        outcome.seconds = info.elapsed_seconds;
      }
    } catch (const Interrupted& e) {
      stream.ended(i);
      outcome.status = "interrupted";
      outcome.error = e.what();
    } catch (const std::exception& e) {
      stream.ended(i);
      outcome.status = "failed";
      outcome.error = e.what();
    }
    stream.tokens().release();
    if (outcome.status != "done" && outcome.status != "pending") {
      outcome.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    }
    if (!empty_run[i] && on_end) on_end(i, outcome);
  };

  std::vector<std::thread> engines;
  engines.reserve(tasks.size());
  for (size_t i = 0; i < tasks.size(); ++i) engines.emplace_back(consume, i);
  produce(*source, stream);
  for (auto& t : engines) t.join();
  for (size_t i = 0; i < tasks.size(); ++i) {
    if (!empty_run[i]) continue;
    outcomes[i] = run_sweep_task(*tasks[i], options);
    if (on_end) on_end(i, outcomes[i]);
  }
  return outcomes;
}

}  // namespace ml4t::backtest::detail
