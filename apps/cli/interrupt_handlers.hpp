// SIGINT and SIGTERM routed to a handler for as long as a scope lives: the commands that
// stop cleanly on Ctrl-C (`run`, `sweep`) install theirs with it, and the earlier
// dispositions come back however the scope is left.
#pragma once

#include <csignal>

namespace ml4t::backtest::cli {

class ScopedInterruptHandlers {
 public:
  using Handler = void (*)(int);
  explicit ScopedInterruptHandlers(Handler handler)
      : old_int_(std::signal(SIGINT, handler)), old_term_(std::signal(SIGTERM, handler)) {}
  ~ScopedInterruptHandlers() {
    std::signal(SIGINT, old_int_);
    std::signal(SIGTERM, old_term_);
  }
  ScopedInterruptHandlers(const ScopedInterruptHandlers&) = delete;
  ScopedInterruptHandlers& operator=(const ScopedInterruptHandlers&) = delete;

 private:
  Handler old_int_;
  Handler old_term_;
};

}  // namespace ml4t::backtest::cli
