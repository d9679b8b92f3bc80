// The one-line progress bar the CLI draws on a terminal (stderr) while it reads the data:
// `run` during the backtest and while it writes the results, `validate` while it streams
// the data for the timing check.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

#include "ml4t/backtest/core/timestamp.hpp"

namespace ml4t::backtest::cli {

/// "MM:SS" or "H:MM:SS"; "--:--" when unknown.
inline std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e7) return "--:--";
  const auto s = static_cast<long>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{:02d}:{:02d}", s / 60, s % 60);
}

/// A one-line progress bar redrawn in place (stderr is a terminal). `total`: the events
/// expected (bar and ETA), or unknown (count and rate only). `label` starts the line.
class ProgressBar {
 public:
  explicit ProgressBar(std::optional<uint64_t> total, std::string label = "")
      : total_(total), label_(label.empty() ? label : label + " "), start_(std::chrono::steady_clock::now()) {}
  void update(uint64_t events, Timestamp now) {
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = elapsed > 0 ? static_cast<double>(events) / elapsed : 0.0;
    std::string line;
    if (total_ && *total_ > 0) {
      const double frac = std::min(1.0, static_cast<double>(events) / static_cast<double>(*total_));
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(frac * kWidth);
      const double eta = rate > 0 ? static_cast<double>(*total_ - std::min(events, *total_)) / rate : -1;
      line = fmt::format("\r{}[{}{}] {:5.1f}% {} events  {:.0f} events/s  ETA {}  {}", label_,
                         std::string(filled, '#'), std::string(kWidth - filled, '.'), frac * 100, events, rate,
                         format_duration(eta), now.to_string());
    } else {
      line = fmt::format("\r{}{} events  {:.0f} events/s  {}", label_, events, rate, now.to_string());
    }
    fmt::print(stderr, "{}\033[K", line);
    std::fflush(stderr);
  }
  /// The writing phase: row copies written of the total.
  void update_writing(uint64_t written, uint64_t total) {
    const double frac = total > 0 ? std::min(1.0, static_cast<double>(written) / static_cast<double>(total)) : 1.0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(frac * kWidth);
    fmt::print(stderr, "\rwriting results [{}{}] {:5.1f}% {} of {} rows\033[K", std::string(filled, '#'),
               std::string(kWidth - filled, '.'), frac * 100, written, total);
    std::fflush(stderr);
  }
  void finish() { fmt::print(stderr, "\n"); }

 private:
  std::optional<uint64_t> total_;
  std::string label_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace ml4t::backtest::cli
