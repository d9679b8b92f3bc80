// make_strategy: built-in strategies and C++ plugins (dlopen).
#include "ml4t/backtest/config/strategy_factory.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <filesystem>
#include <mutex>

#include "ml4t/backtest/config/strategy_plugin.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"

namespace ml4t::backtest {

namespace fs = std::filesystem;

namespace {

using AbiFn = const char* (*)();
using CreateFn = Strategy* (*)(const char* class_name, const StrategyParams*, char* error, size_t error_size);
using DestroyFn = void (*)(Strategy*);

struct EntryPoints {
  CreateFn create = nullptr;
  DestroyFn destroy = nullptr;
};

std::mutex& loader_mutex() {
  static std::mutex m;
  return m;
}

// dlopen + the three entry points, checked. Libraries stay loaded (a strategy's code
// must outlive every object it made; unloading buys nothing in a one-run process).
EntryPoints open_library(const fs::path& path, const char* create_name, const char* destroy_name,
                         std::string_view what, std::string_view fix) {
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw ConfigError(fmt::format("strategy.path: cannot load {}: {}; {}", path.string(),
                                  why ? why : "unknown error", fix));
  }
  auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "ml4t_strategy_plugin_abi"));
  EntryPoints e;
  e.create = reinterpret_cast<CreateFn>(dlsym(handle, create_name));
  e.destroy = reinterpret_cast<DestroyFn>(dlsym(handle, destroy_name));
  if (abi == nullptr || e.create == nullptr || e.destroy == nullptr) {
    throw ConfigError(fmt::format("strategy.path: {} is not {}: it lacks the entry points "
                                  "ml4t_strategy_plugin_abi, {} and {}; {}",
                                  path.string(), what, create_name, destroy_name, fix));
  }
  const std::string theirs = abi();
  if (theirs != strategy_plugin_abi()) {
    throw ConfigError(fmt::format("strategy.path: {} was built against ml4t-backtest {}, this is {}; rebuild it "
                                  "against this version (the plugin carries its own copy of the library)",
                                  path.string(), theirs, strategy_plugin_abi()));
  }
  return e;
}

StrategyPtr create(const EntryPoints& e, const CustomStrategyConfig& c, const char* what) {
  std::array<char, 4096> error{};
  StrategyParams params = c.params;  // counts the reads of this construction
  params.set_reader(fmt::format("{} ({})", c.class_name.empty() ? std::string("the plugin") : c.class_name,
                                c.path.filename().string()));
  Strategy* s = e.create(c.class_name.c_str(), &params, error.data(), error.size());
  if (s == nullptr) {
    const std::string message = error[0] ? std::string(error.data()) : std::string("no reason given");
    throw ConfigError(fmt::format("strategy: {} {} could not be created: {}", what, c.path.string(), message));
  }
  StrategyPtr out(s, e.destroy);
  params.require_all_read();
  return out;
}

StrategyPtr make_plugin(const CustomStrategyConfig& c) {
  EntryPoints e;
  {
    std::lock_guard lock(loader_mutex());
    e = open_library(c.path, "ml4t_create_strategy", "ml4t_destroy_strategy", "an ml4t-backtest strategy plugin",
                     "build it as a shared library with ML4T_STRATEGY_PLUGIN(YourClass) (see "
                     "examples/strategies/ and docs/configuration.md#custom-strategies)");
  }
  return create(e, c, "plugin");
}

// Python strategies from a config are parsed and checked (path, class, params) but not
// run yet by this version: say so and give the way that works.
StrategyPtr make_python(const CustomStrategyConfig& c) {
  throw ConfigError(fmt::format(
      "strategy.type: python strategies from a config ({} in {}) are not supported by this version yet; run the "
      "class from Python instead: BacktestEngine.from_config(config, strategy={}(...)).run(), or build it as a C++ "
      "plugin (type: plugin)",
      c.class_name, c.path.string(), c.class_name));
}

}  // namespace

StrategyPtr make_strategy(const BacktestConfig& config, const Schema& schema) {
  if (!config.custom_strategy) {
    return StrategyPtr(make_builtin_strategy(config.strategy, schema).release(), [](Strategy* s) { delete s; });
  }
  const auto& c = *config.custom_strategy;
  return c.type == "python" ? make_python(c) : make_plugin(c);
}

std::string describe_strategy(const BacktestConfig& config) {
  if (!config.custom_strategy) {
    return fmt::format("{} on {}", config.strategy.type, config.strategy.signal);
  }
  const auto& c = *config.custom_strategy;
  return fmt::format("{} {} ({})", c.type, c.class_name.empty() ? c.path.stem().string() : c.class_name,
                     c.path.string());
}

}  // namespace ml4t::backtest
