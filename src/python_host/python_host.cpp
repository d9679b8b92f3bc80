// The Python host: builds the Strategy of a `strategy: {type: python, path, class, params}`
// config inside an embedded (or the already running) interpreter. make_strategy
// (src/config/strategy_factory.cpp) dlopens this library and calls the entry points below.
//
// The class is a subclass of ml4t.backtest.Strategy, so the object is the package's own
// C++ trampoline; its address comes from the package (_ml4t._native_strategy), which
// carries its own copy of the library: the ABI strings must match, as for plugins.
#include <dlfcn.h>
#include <pybind11/embed.h>

#include <cstring>
#include <filesystem>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ml4t/backtest/config/strategy_params.hpp"
#include "ml4t/backtest/config/strategy_plugin.hpp"

namespace py = pybind11;
namespace fs = std::filesystem;
using ml4t::backtest::Strategy;
using ml4t::backtest::StrategyParam;
using ml4t::backtest::StrategyParams;

namespace {

// Loads the file as a module, finds the class, constructs it with the params; every
// failure is a HostError whose text names the file, class or param and the fix.
constexpr const char* kLoader = R"PY(
import importlib.util, inspect, os, sys, traceback

class HostError(Exception):
    pass

def _where(exc, path):
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if os.path.abspath(f.filename) == path]
    return f" (line {frames[-1].lineno})" if frames else ""

def make(path, class_name, params):
    from ml4t.backtest import Strategy
    name = os.path.splitext(os.path.basename(path))[0]
    module = sys.modules.get("ml4t_config_strategy." + path)
    if module is None:
        folder = os.path.dirname(path)
        if folder not in sys.path:
            sys.path.insert(0, folder)  # the file's own imports of its neighbours
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except BaseException as e:
            raise HostError(f"strategy.path: {path} failed to import{_where(e, path)}: "
                            f"{type(e).__name__}: {e}; fix the file (run `python3 {path}` to see the whole error)")
        sys.modules["ml4t_config_strategy." + path] = module
    classes = sorted(n for n, v in vars(module).items()
                     if inspect.isclass(v) and issubclass(v, Strategy) and v is not Strategy)
    cls = getattr(module, class_name, None)
    if cls is None:
        found = ", ".join(classes) if classes else "none"
        raise HostError(f"strategy.class: {path} has no class {class_name}; Strategy subclasses in it: {found}")
    if not (inspect.isclass(cls) and issubclass(cls, Strategy)):
        raise HostError(f"strategy.class: {class_name} in {path} is not a subclass of ml4t.backtest.Strategy; "
                        f"declare it as `class {class_name}(Strategy)` with `from ml4t.backtest import Strategy`")
    try:
        return cls(**params)
    except TypeError as e:
        hint = ("; its __init__ must call super().__init__()" if "__init__() must be called" in str(e) else
                "; check strategy.params against the constructor's arguments "
                f"{inspect.signature(cls.__init__)}")
        raise HostError(f"strategy: {class_name}({', '.join(params)}) in {path}: {e}{hint}")
    except BaseException as e:
        raise HostError(f"strategy: {class_name}'s constructor in {path} raised{_where(e, path)} "
                        f"{type(e).__name__}: {e}")
)PY";

// Guards starting the interpreter; after that the GIL guards everything here.
std::mutex& host_mutex() {
  static std::mutex m;
  return m;
}

// Strategies handed out, with the Python objects that own them.
std::unordered_map<Strategy*, py::object>& live() {
  static auto* m = new std::unordered_map<Strategy*, py::object>();  // never destroyed: outlives exit-time code
  return *m;
}

fs::path own_folder() {
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&own_folder), &info) == 0 || info.dli_fname == nullptr) return {};
  return fs::absolute(info.dli_fname).parent_path();
}

// Starts the interpreter when this process has none (the CLI); the package of this
// build is found next to the host library, then on the interpreter's own path (a venv's
// site-packages included when VIRTUAL_ENV is set). The GIL is released afterwards so
// any thread can run Python code.
void ensure_interpreter() {
  if (Py_IsInitialized()) return;
  py::initialize_interpreter(/*init_signal_handlers=*/false);
  {
    py::module_ sys = py::module_::import("sys");
    py::list path = sys.attr("path");
    if (const char* venv = std::getenv("VIRTUAL_ENV")) {
      const auto version = py::str("python{}.{}").format(sys.attr("version_info").attr("major"),
                                                          sys.attr("version_info").attr("minor"));
      py::module_::import("site").attr("addsitedir")((fs::path(venv) / "lib" / std::string(version) / "site-packages").string());
    }
    const fs::path here = own_folder();
    std::string roots = ML4T_HOST_PACKAGE_ROOTS;
    for (size_t start = 0; start <= roots.size();) {
      const size_t end = std::min(roots.find(':', start), roots.size());
      const fs::path root = (here / roots.substr(start, end - start)).lexically_normal();
      start = end + 1;
      if (fs::is_regular_file(root / "ml4t" / "backtest" / "__init__.py")) {
        path.insert(0, root.string());
        break;
      }
    }
  }
  PyEval_SaveThread();
}

py::object to_python(const StrategyParam& p) {
  switch (p.kind) {
    case StrategyParam::Kind::kNumber: return py::float_(p.number);
    case StrategyParam::Kind::kInteger: return py::int_(p.integer);
    case StrategyParam::Kind::kBool: return py::bool_(p.flag);
    case StrategyParam::Kind::kText: return py::str(p.text);
    case StrategyParam::Kind::kList: {
      py::list out;
      for (const auto& item : p.items) out.append(to_python(item));
      return out;
    }
  }
  return py::none();
}

// The package's module, checked to be built with this library's version.
py::module_ native_module() {
  py::module_ native;
  try {
    native = py::module_::import("ml4t.backtest._ml4t");
  } catch (py::error_already_set& e) {
    throw std::runtime_error(
        std::string("strategy.type: python needs the Python package ml4t.backtest, which this Python cannot "
                    "import (") + e.what() + "); install it (pip install . from the clone) or set PYTHONPATH to "
                    "the folder holding ml4t/");
  }
  const std::string theirs =
      py::hasattr(native, "_strategy_abi") ? native.attr("_strategy_abi").cast<std::string>() : "unknown";
  if (theirs != ml4t::backtest::strategy_plugin_abi()) {
    throw std::runtime_error("strategy.type: python: the package ml4t.backtest at " +
                             py::str(native.attr("__file__")).cast<std::string>() + " is version " + theirs +
                             ", this program is " + ml4t::backtest::strategy_plugin_abi() +
                             "; install the package of the same version (or set PYTHONPATH to it)");
  }
  return native;
}

Strategy* create(const char* file, const char* class_name, const StrategyParams& params) {
  {
    std::lock_guard lock(host_mutex());
    ensure_interpreter();
  }
  py::gil_scoped_acquire gil;  // from here on, the GIL guards live() and the loader
  py::module_ native = native_module();
  static py::dict* loader = [] {
    auto* globals = new py::dict();  // kept for the process's life, like the interpreter
    py::exec(kLoader, *globals);
    return globals;
  }();
  py::dict kwargs;
  for (const auto& [name, value] : params.entries()) {
    kwargs[py::str(name)] = to_python(value);
    params.find(name);  // handed over: the constructor decides what it accepts
  }
  py::object strategy;
  try {
    strategy = (*loader)["make"](file, class_name, kwargs);
  } catch (py::error_already_set& e) {
    if (e.matches((*loader)["HostError"])) throw std::runtime_error(py::str(e.value()).cast<std::string>());
    throw;
  }
  auto* native_strategy = static_cast<Strategy*>(
      native.attr("_native_strategy")(strategy).cast<py::capsule>().get_pointer());
  live().emplace(native_strategy, std::move(strategy));
  return native_strategy;
}

void fail(const std::string& message, char* error, size_t error_size) {
  if (error_size == 0) return;
  const size_t n = std::min(message.size(), error_size - 1);
  std::memcpy(error, message.data(), n);
  error[n] = '\0';
}

}  // namespace

extern "C" __attribute__((visibility("default"))) const char* ml4t_python_host_abi() {
  static const std::string abi = ml4t::backtest::strategy_plugin_abi();
  return abi.c_str();
}

/// A new strategy: the class `class_name` of the Python file `file`, constructed with
/// `params` as keyword arguments. On failure nullptr and a message in `error`.
extern "C" __attribute__((visibility("default"))) Strategy* ml4t_create_python_strategy(
    const char* file, const char* class_name, const StrategyParams* params, char* error, size_t error_size) {
  try {
    return create(file, class_name, *params);
  } catch (const std::exception& e) {
    fail(e.what(), error, error_size);
  } catch (...) {
    fail("the Python host failed with a non-standard exception", error, error_size);
  }
  return nullptr;
}

/// Drops the Python object behind a strategy from ml4t_create_python_strategy.
extern "C" __attribute__((visibility("default"))) void ml4t_destroy_python_strategy(Strategy* strategy) {
  py::gil_scoped_acquire gil;
  live().erase(strategy);
}
