// Feeds and strategies are single-threaded objects: a feed is a cursor over one stream and
// a strategy holds the state of one run. The engine releases the GIL while it works, so
// Python threads could otherwise drive one object from two places at once (a crash, or a
// silently wrong run). ExclusiveUse marks an object busy for the length of a call and
// refuses a second concurrent user with a ConfigError that says what to do instead.
#pragma once

#include <mutex>
#include <string>
#include <unordered_map>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::python {

class ExclusiveUse {
 public:
  /// Claim `object` (described as `what`, e.g. "this feed") for `user` (e.g. "a running
  /// BacktestEngine"). `fix` says how to avoid the clash. Throws ConfigError when busy.
  ExclusiveUse(const void* object, const char* what, const char* user, const char* fix) : object_(object) {
    const std::lock_guard lock(mutex());
    auto [it, inserted] = users().emplace(object, user);
    if (!inserted) {
      object_ = nullptr;
      throw ConfigError(std::string(what) + " is already in use by " + it->second +
                        " (another thread, or a callback of that run); feeds and strategies serve one user at a "
                        "time: " + fix);
    }
  }
  ~ExclusiveUse() {
    if (object_ == nullptr) return;
    const std::lock_guard lock(mutex());
    users().erase(object_);
  }
  ExclusiveUse(const ExclusiveUse&) = delete;
  ExclusiveUse& operator=(const ExclusiveUse&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static std::unordered_map<const void*, const char*>& users() {
    static std::unordered_map<const void*, const char*> u;
    return u;
  }
  const void* object_;
};

inline constexpr const char* kFeedFix = "give each engine (and each thread) its own feed";
inline constexpr const char* kStrategyFix = "give each engine its own Strategy instance";

}  // namespace ml4t::backtest::python
