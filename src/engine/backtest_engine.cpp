#include "ml4t/backtest/engine/backtest_engine.hpp"

#include <chrono>

#include <fmt/format.h>

#include "ml4t/backtest/core/error.hpp"

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

// Reaches the engines' cores for run_in_one_pass (a friend of BacktestEngine).
struct OnePass {
  static detail::EngineCore& core(BacktestEngine& engine) { return *engine.core_; }
};

std::vector<PassOutcome> run_in_one_pass(DataFeed& feed, const std::vector<BacktestEngine*>& engines) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<detail::EngineCore*> cores;
  for (size_t i = 0; i < engines.size(); ++i) {
    detail::EngineCore& core = OnePass::core(*engines[i]);
    if (&core.feed() != &feed) {
      throw ConfigError(fmt::format("run_in_one_pass: engine {} was built on another feed; build every engine of a "
                                    "pass on the feed the pass reads",
                                    i));
    }
    cores.push_back(&core);
  }
  std::vector<PassOutcome> outcomes(engines.size());
  std::vector<bool> running(engines.size(), false);
  size_t left = 0;
  const auto fail = [&](size_t i, std::exception_ptr error) {
    cores[i]->detach();
    outcomes[i].error = std::move(error);
    running[i] = false;
    --left;
  };
  for (size_t i = 0; i < cores.size(); ++i) {
    try {
      cores[i]->begin();
      running[i] = true;
      ++left;
    } catch (...) {
      cores[i]->detach();
      outcomes[i].error = std::current_exception();
    }
  }
  try {
    for (TimestampGroup group = feed.next_group(); left > 0 && group.valid(); group = feed.next_group()) {
      for (size_t i = 0; i < cores.size(); ++i) {
        if (!running[i]) continue;
        try {
          cores[i]->step(group);
        } catch (...) {
          fail(i, std::current_exception());
        }
      }
    }
  } catch (...) {  // the feed's own error reaches every engine still running
    const std::exception_ptr error = std::current_exception();
    for (size_t i = 0; i < cores.size(); ++i) {
      if (running[i]) fail(i, error);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  for (size_t i = 0; i < cores.size(); ++i) {
    if (!running[i]) continue;
    try {
      outcomes[i].results = cores[i]->end();
      outcomes[i].results.elapsed_seconds = seconds;
    } catch (...) {
      fail(i, std::current_exception());
    }
  }
  return outcomes;
}

}  // namespace ml4t::backtest
