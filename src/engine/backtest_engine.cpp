#include "ml4t/backtest/engine/backtest_engine.hpp"

#include <chrono>

#include "engine/engine_core.hpp"

namespace ml4t::backtest {

BacktestEngine::BacktestEngine(DataFeed& feed, Strategy& strategy, EngineConfig config)
    : core_(std::make_unique<detail::EngineCore>(feed, strategy, std::move(config))) {}

BacktestEngine::~BacktestEngine() = default;

void BacktestEngine::set_progress_callback(ProgressCallback callback, uint64_t every_events) {
  core_->set_progress_callback(std::move(callback), every_events);
}

void BacktestEngine::set_cancel_flag(const std::atomic<bool>* flag) { core_->set_cancel_flag(flag); }

void BacktestEngine::set_result_sink(ResultSink* sink) { core_->set_result_sink(sink); }

Results BacktestEngine::run() {
  const auto started = std::chrono::steady_clock::now();
  Results results = core_->run();
  results.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return results;
}

}  // namespace ml4t::backtest
