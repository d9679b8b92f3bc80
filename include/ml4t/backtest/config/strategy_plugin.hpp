// C++ strategies as plugins: a shared library that a config names with
//
//   strategy: {type: plugin, path: libmy_strategy.so, class: MyStrategy, params: {threshold: 0.7}}
//
// and that `ml4t-backtest run`, run_backtest() and ml4t.backtest.run_backtest() load with
// dlopen. The library exports three C functions (the entry points below). The macro
// ML4T_STRATEGY_PLUGIN(MyStrategy) writes them for a class with a constructor
// `MyStrategy(const ml4t::backtest::StrategyParams&)`:
//
//   #include "ml4t/backtest/config/strategy_plugin.hpp"
//   class MyStrategy : public ml4t::backtest::Strategy {
//    public:
//     explicit MyStrategy(const ml4t::backtest::StrategyParams& p) : threshold_(p.number("threshold", 0.6)) {}
//     ...
//   };
//   ML4T_STRATEGY_PLUGIN(MyStrategy)
//
// Build it as a MODULE library linked to ml4t::backtest (examples/strategies/). The plugin
// carries its own copy of the library, so it must be built against the same version as
// the program that loads it: the loader compares ml4t_strategy_plugin_abi() with its own
// and refuses a mismatch. Plugins stay loaded until the process ends.
#pragma once

#include <cstddef>
#include <cstring>
#include <exception>
#include <string>

#include "ml4t/backtest/config/strategy_params.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/version.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

/// Bumped when the entry points or the objects they exchange change shape.
#define ML4T_STRATEGY_PLUGIN_ABI 1

namespace ml4t::backtest {

/// "<version>/abi<N>": what a plugin and its host must agree on.
inline std::string strategy_plugin_abi() {
  return std::string(version()) + "/abi" + std::to_string(ML4T_STRATEGY_PLUGIN_ABI);
}

}  // namespace ml4t::backtest

// The entry points, resolved by name with dlsym:
//   const char* ml4t_strategy_plugin_abi(void);
//       strategy_plugin_abi() of the library the plugin was built with (static storage).
//   ml4t::backtest::Strategy* ml4t_create_strategy(const char* class_name,
//       const ml4t::backtest::StrategyParams* params, char* error, size_t error_size);
//       A new strategy; class_name is the config's `class` ("" when absent). On failure
//       returns nullptr with a message in `error` (NUL-terminated, truncated to error_size).
//   void ml4t_destroy_strategy(ml4t::backtest::Strategy* strategy);
//       Deletes what ml4t_create_strategy returned.
#define ML4T_STRATEGY_PLUGIN(StrategyClass)                                                                        \
  extern "C" __attribute__((visibility("default"))) const char* ml4t_strategy_plugin_abi() {                      \
    static const std::string abi = ::ml4t::backtest::strategy_plugin_abi();                                       \
    return abi.c_str();                                                                                            \
  }                                                                                                                \
  extern "C" __attribute__((visibility("default"))) ::ml4t::backtest::Strategy* ml4t_create_strategy(             \
      const char* class_name, const ::ml4t::backtest::StrategyParams* params, char* error, size_t error_size) {   \
    auto fail = [&](const std::string& message) -> ::ml4t::backtest::Strategy* {                                  \
      if (error_size > 0) {                                                                                        \
        const size_t n = message.size() < error_size - 1 ? message.size() : error_size - 1;                       \
        std::memcpy(error, message.data(), n);                                                                     \
        error[n] = '\0';                                                                                           \
      }                                                                                                            \
      return nullptr;                                                                                              \
    };                                                                                                             \
    if (class_name != nullptr && *class_name != '\0' && std::string(class_name) != #StrategyClass) {               \
      return fail(std::string("strategy.class: this plugin provides ") + #StrategyClass + ", not " + class_name +  \
                  "; set class: " #StrategyClass " or leave class out");                                          \
    }                                                                                                              \
    try {                                                                                                          \
      return new StrategyClass(*params);                                                                           \
    } catch (const std::exception& e) {                                                                            \
      return fail(e.what());                                                                                       \
    } catch (...) {                                                                                                \
      return fail(#StrategyClass "'s constructor threw a non-standard exception");                                 \
    }                                                                                                              \
  }                                                                                                                \
  extern "C" __attribute__((visibility("default"))) void ml4t_destroy_strategy(::ml4t::backtest::Strategy* s) {   \
    delete s;                                                                                                      \
  }
