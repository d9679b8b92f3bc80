// make_strategy: built-in strategies and C++ plugins (dlopen).
#include "ml4t/backtest/config/strategy_factory.hpp"

#include <dlfcn.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <array>
#include <filesystem>
#include <cstdlib>
#include <mutex>
#include <vector>

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

// ---- Python strategies: the Python host library (src/python_host/) ----------------

using HostCreateFn = Strategy* (*)(const char* file, const char* class_name, const StrategyParams*, char* error,
                                   size_t error_size);
constexpr const char* kHostLibrary = "libml4t_python_host.so";

// Folders to look for the host in: next to this code's binary (the CLI, a C++ program or
// the Python extension) and the layouts around it: build/ and bin/ -> lib/ (cmake
// --install), ml4t/backtest/_bin -> ml4t/backtest (pip), the extension's package folder
// -> build/ or lib/.
std::vector<fs::path> host_candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("ML4T_PYTHON_HOST"); env != nullptr && *env != '\0') out.emplace_back(env);
  std::vector<fs::path> bases;
  std::error_code ec;
  if (auto exe = fs::read_symlink("/proc/self/exe", ec); !ec) bases.push_back(exe.parent_path());
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&host_candidates), &info) != 0 && info.dli_fname != nullptr &&
      *info.dli_fname != '\0') {
    bases.push_back(fs::absolute(info.dli_fname, ec).parent_path());
  }
  for (const auto& base : bases) {
    for (const char* rel : {".", "../lib", "..", "../../..", "../../../.."}) {
      out.push_back((base / rel / kHostLibrary).lexically_normal());
    }
  }
  return out;
}

// The interpreter's symbols, global, before the host (linked like an extension module,
// without libpython) loads. Inside a Python process they are there already.
void load_libpython() {
  if (dlsym(RTLD_DEFAULT, "Py_IsInitialized") != nullptr) return;
#ifdef ML4T_PYTHON_SONAME
  if (dlopen(ML4T_PYTHON_SONAME, RTLD_NOW | RTLD_GLOBAL) != nullptr) return;
  const char* why = dlerror();
  throw ConfigError(fmt::format("strategy.type: python needs the Python runtime {} ({}); install it (Debian: apt-get "
                                "install libpython3-dev python3-numpy python3-pandas) or use a C++ plugin (type: "
                                "plugin)",
                                ML4T_PYTHON_SONAME, why ? why : "not found"));
#else
  throw ConfigError("strategy.type: python: this build of ml4t-backtest has no Python host (it is built when "
                    "python3-dev and pybind11-dev are installed: scripts/setup); use a C++ plugin (type: plugin)");
#endif
}

struct PythonHost {
  HostCreateFn create = nullptr;
  DestroyFn destroy = nullptr;
};

// Loaded once (under loader_mutex) and kept, like plugins.
PythonHost open_python_host() {
  static PythonHost host;
  if (host.create != nullptr) return host;
  load_libpython();
  const auto candidates = host_candidates();
  for (const auto& path : candidates) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) continue;
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = dlerror();
      throw ConfigError(fmt::format("strategy.type: python: cannot load the Python host {}: {}", path.string(),
                                    why ? why : "unknown error"));
    }
    auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "ml4t_python_host_abi"));
    PythonHost found{reinterpret_cast<HostCreateFn>(dlsym(handle, "ml4t_create_python_strategy")),
                     reinterpret_cast<DestroyFn>(dlsym(handle, "ml4t_destroy_python_strategy"))};
    if (abi == nullptr || found.create == nullptr || found.destroy == nullptr || abi() != strategy_plugin_abi()) {
      throw ConfigError(fmt::format("strategy.type: python: {} is not the Python host of ml4t-backtest {}; remove it "
                                    "or point ML4T_PYTHON_HOST at the right one",
                                    path.string(), strategy_plugin_abi()));
    }
    return host = found;
  }
  std::vector<std::string> looked;
  for (const auto& p : candidates) looked.push_back(p.string());
  throw ConfigError(fmt::format("strategy.type: python needs {}, which is not installed with this program (looked "
                                "in {}); reinstall ml4t-backtest with the Python module, or set ML4T_PYTHON_HOST",
                                kHostLibrary, fmt::join(looked, ", ")));
}

StrategyPtr make_python(const CustomStrategyConfig& c) {
  PythonHost host;
  {
    std::lock_guard lock(loader_mutex());
    host = open_python_host();
  }
  std::array<char, 4096> error{};
  StrategyParams params = c.params;
  params.set_reader(fmt::format("{} ({})", c.class_name, c.path.filename().string()));
  Strategy* s = host.create(c.path.c_str(), c.class_name.c_str(), &params, error.data(), error.size());
  if (s == nullptr) throw ConfigError(error[0] ? std::string(error.data()) : std::string("strategy: no reason given"));
  StrategyPtr out(s, host.destroy);
  params.require_all_read();
  return out;
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
