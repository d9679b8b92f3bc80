// Data-layer bindings: data sources, the columnar (file) feed, the in-memory feed, the
// multi-source clock, feature providers (precomputed and Python-callable), the
// signal-timing report, the optimized Parquet writer and the sample-data generator.
// Everything that reads files runs with the GIL released; Python callbacks re-take it.
#include <pybind11/stl/filesystem.h>

#include <algorithm>
#include <cmath>
#include <functional>

#include "common.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"
#include "ml4t/backtest/data/feature_provider.hpp"
#include "ml4t/backtest/data/in_memory_feed.hpp"
#include "ml4t/backtest/data/multi_source_clock.hpp"
#include "ml4t/backtest/data/optimize.hpp"
#include "ml4t/backtest/data/sample_data.hpp"
#include "ml4t/backtest/data/signal_timing.hpp"

namespace ml4t::backtest::python {

namespace {

// A Python object whose last C++ owner may be dropped without the GIL (e.g. a feed
// destroyed inside a run): the destructor takes the GIL before releasing it.
struct GilObject {
  py::object obj;
  explicit GilObject(py::object o) : obj(std::move(o)) {}
  GilObject(const GilObject&) = delete;
  GilObject& operator=(const GilObject&) = delete;
  ~GilObject() {
    if (!Py_IsInitialized()) {
      obj.release();  // the interpreter is gone: leak rather than crash
      return;
    }
    py::gil_scoped_acquire gil;
    obj = py::object();
  }
};

// The values of a callable provider's returned mapping, in `names` order (absent or
// None = missing). A key outside `names` is an error: the feed's schema was fixed when it
// opened, and dropping the value would be silent.
std::vector<double> mapping_values(const py::object& result, const std::vector<std::string>& names,
                                   const char* what, const char* names_arg, const std::function<std::string()>& where) {
  std::vector<double> out(names.size(), kMissing);
  if (result.is_none()) return out;
  if (!py::hasattr(result, "get") || !py::hasattr(result, "__contains__")) {
    throw DataError(std::string(what) + " must return a dict of name -> float, got " +
                    py::repr(result).cast<std::string>());
  }
  size_t found = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!result.contains(py::str(names[i]))) continue;
    ++found;
    py::object v = result[py::str(names[i])];
    if (v.is_none()) continue;
    try {
      out[i] = v.cast<double>();
    } catch (const py::cast_error&) {
      throw DataError(std::string(what) + " returned a non-number for '" + names[i] + "' " + where() + ": " +
                      py::repr(v).cast<std::string>());
    }
  }
  if (py::len(result) > found) {
    py::list extra;
    for (py::handle key : result) {
      if (!py::isinstance<py::str>(key) ||
          std::find(names.begin(), names.end(), key.cast<std::string>()) == names.end()) {
        extra.append(key);
      }
    }
    throw DataError(std::string(what) + " returned " + py::repr(extra).cast<std::string>() + " " + where() +
                    ", not among the names the feed was built with " + py::repr(py::cast(names)).cast<std::string>() +
                    " (declared, or taken from what it returned for the first bar); pass " + names_arg +
                    "=[...] listing every name it can return (a name it leaves out on some bars is just missing "
                    "there)");
  }
  return out;
}

// The Python-callable provider and its time style: callbacks get times the way the
// feed's inputs have them (naive or UTC); the feed tells it when it opens.
struct PyCallableProvider : CallableFeatureProvider {
  using CallableFeatureProvider::CallableFeatureProvider;
  std::shared_ptr<bool> naive = std::make_shared<bool>(false);
};

SignalTiming make_timing(SignalTimingMode mode, int lag, bool validate, bool fail_on_violation) {
  SignalTiming t;
  t.mode = mode;
  t.lag = mode == SignalTimingMode::kCustom ? lag : (mode == SignalTimingMode::kStrict ? 0 : 1);
  t.validate = validate;
  t.fail_on_violation = fail_on_violation;
  return t;
}

BadDataPolicy parse_bad_data(const std::string& s) {
  if (s == "error") return BadDataPolicy::kError;
  if (s == "drop") return BadDataPolicy::kDrop;
  if (s == "warn") return BadDataPolicy::kWarn;
  throw ConfigError("bad_data='" + s + "' is not one of 'error', 'drop', 'warn'");
}

MixedTimeZones parse_mixed_time_zones(const std::string& s) {
  if (s == "error") return MixedTimeZones::kError;
  if (s == "naive_is_utc") return MixedTimeZones::kNaiveIsUtc;
  throw ConfigError("mixed_time_zones='" + s + "' is not one of 'error', 'naive_is_utc'");
}

OrderCheck parse_order(const std::string& s) {
  if (s == "auto") return OrderCheck::kAuto;
  if (s == "sort") return OrderCheck::kSort;
  if (s == "assume_sorted") return OrderCheck::kAssumeSorted;
  throw ConfigError("order='" + s + "' is not one of 'auto', 'sort', 'assume_sorted'");
}

std::optional<Timestamp> opt_time(const py::object& v) {
  if (v.is_none()) return std::nullopt;
  return from_py_time(v);
}

py::dict violation_dict(const TimingViolation& v) {
  py::dict d;
  d["kind"] = std::string(to_string(v.kind));
  d["asset_id"] = v.asset;
  d["signal_time"] = to_py_time(v.signal_time);
  d["used_at"] = v.used_at ? to_py_time(*v.used_at) : py::none();
  d["file"] = v.file;
  d["row"] = v.row;
  d["message"] = v.message;
  return d;
}

void bind_sources(py::module_& m) {
  py::enum_<SignalTimingMode>(m, "SignalTimingMode",
                              "When a signal stamped t may be used: STRICT on the bar at t, NEXT_BAR one bar later "
                              "(the default), CUSTOM a given number of bars later.")
      .value("STRICT", SignalTimingMode::kStrict)
      .value("NEXT_BAR", SignalTimingMode::kNextBar)
      .value("CUSTOM", SignalTimingMode::kCustom);
  m.def("parse_signal_timing_mode", &parse_signal_timing_mode, py::arg("text"));

  py::class_<DataSource>(m, "DataSource",
                         "Where one kind of data comes from: files, globs or a hive-partitioned folder, and the "
                         "names of its timestamp/asset/value columns.")
      .def(py::init([](std::vector<std::string> paths, std::string format, std::string timestamp_column,
                       std::string asset_column, std::vector<std::string> columns,
                       std::map<std::string, std::string> rename, std::string timestamp_format) {
             DataSource s;
             s.paths = std::move(paths);
             s.format = std::move(format);
             s.timestamp_column = std::move(timestamp_column);
             s.asset_column = std::move(asset_column);
             s.columns = std::move(columns);
             s.rename = std::move(rename);
             s.timestamp_format = std::move(timestamp_format);
             return s;
           }),
           py::arg("paths"), py::arg("format") = "", py::arg("timestamp_column") = "timestamp",
           py::arg("asset_column") = "asset_id", py::arg("columns") = std::vector<std::string>{},
           py::arg("rename") = std::map<std::string, std::string>{}, py::arg("timestamp_format") = "")
      .def_readwrite("paths", &DataSource::paths)
      .def_readwrite("format", &DataSource::format)
      .def_readwrite("timestamp_column", &DataSource::timestamp_column)
      .def_readwrite("asset_column", &DataSource::asset_column)
      .def_readwrite("columns", &DataSource::columns)
      .def_readwrite("rename", &DataSource::rename)
      .def_readwrite("timestamp_format", &DataSource::timestamp_format,
                     "CSV only: strptime format of the timestamp column, e.g. \"%d/%m/%Y\"; empty = detected "
                     "(day/month-ambiguous dates are refused until it is given)")
      .def("__repr__", [](const DataSource& s) {
        return "DataSource(paths=" + py::repr(py::cast(s.paths)).cast<std::string>() + ")";
      });
}

void bind_providers(py::module_& m) {
  py::class_<FeatureProvider, std::shared_ptr<FeatureProvider>>(m, "NativeFeatureProvider",
                                                                "C++ feature provider (wrapped by the Python classes).")
      .def_property_readonly("feature_names", &FeatureProvider::feature_names)
      .def_property_readonly("market_feature_names", &FeatureProvider::market_feature_names)
      .def("get_features",
           [](FeatureProvider& p, const std::string& asset, py::handle ts) {
             return static_cast<FeatureProvider&>(p).get_features(asset, from_py_time(ts));
           })
      .def("get_market_features", [](FeatureProvider& p, py::handle ts) {
        return static_cast<FeatureProvider&>(p).get_market_features(from_py_time(ts));
      });

  py::class_<PrecomputedFeatureProvider, FeatureProvider, std::shared_ptr<PrecomputedFeatureProvider>>(
      m, "NativePrecomputedFeatureProvider")
      .def(py::init<DataSource, std::optional<std::vector<std::string>>>(), py::arg("source"),
           py::arg("market_columns") = py::none())
      .def(py::init([](py::array_t<int64_t, py::array::c_style | py::array::forcecast> times,
                       std::vector<std::string> assets, std::map<std::string, std::vector<double>> features,
                       std::map<std::string, std::vector<double>> market) {
             std::vector<Timestamp> ts(static_cast<size_t>(times.size()));
             for (size_t i = 0; i < ts.size(); ++i) ts[i] = Timestamp::from_nanos(times.data()[i]);
             return std::make_shared<PrecomputedFeatureProvider>(std::move(ts), std::move(assets), std::move(features),
                                                                 std::move(market));
           }),
           py::arg("times_ns"), py::arg("assets"), py::arg("features"), py::arg("market"));

  py::class_<PyCallableProvider, FeatureProvider, std::shared_ptr<PyCallableProvider>>(
      m, "NativeCallableFeatureProvider")
      .def(py::init([](std::vector<std::string> names, py::object fn, std::vector<std::string> market_names,
                       py::object market_fn, bool cache, std::string what, std::string market_what) {
             auto naive = std::make_shared<bool>(false);
             auto fn_holder = std::make_shared<GilObject>(std::move(fn));
             CallableFeatureProvider::ComputeFn compute = [fn_holder, names, naive, what](std::string_view asset,
                                                                                         Timestamp ts) {
               py::gil_scoped_acquire gil;
               check_signals();
               auto where = [&] { return "for " + std::string(asset) + " at " + ts.to_string(); };
               return mapping_values(fn_holder->obj(py::str(asset.data(), asset.size()), to_py_time(ts, *naive)),
                                     names, what.c_str(), "feature_names", where);
             };
             CallableFeatureProvider::ComputeMarketFn compute_market;
             if (!market_fn.is_none()) {
               auto market_holder = std::make_shared<GilObject>(std::move(market_fn));
               compute_market = [market_holder, market_names, naive, market_what](Timestamp ts) {
                 py::gil_scoped_acquire gil;
                 check_signals();
                 auto where = [&] { return "at " + ts.to_string(); };
                 return mapping_values(market_holder->obj(to_py_time(ts, *naive)), market_names, market_what.c_str(),
                                       "market_feature_names", where);
               };
             }
             auto provider = std::make_shared<PyCallableProvider>(std::move(names), std::move(compute),
                                                                  std::move(market_names), std::move(compute_market),
                                                                  cache);
             provider->naive = std::move(naive);
             return provider;
           }),
           py::arg("feature_names"), py::arg("compute_fn"), py::arg("market_feature_names"),
           py::arg("compute_market_fn"), py::arg("cache"), py::arg("what") = "compute_fn",
           py::arg("market_what") = "compute_market_fn")
      .def_property(
          "naive_timestamps", [](const PyCallableProvider& p) { return *p.naive; },
          [](PyCallableProvider& p, bool v) { *p.naive = v; },
          "Hand the callbacks naive times (the feed's prices have no time zone) instead of UTC ones.")
      .def_property_readonly("calls", &CallableFeatureProvider::calls);
}

void bind_feeds(py::module_& m) {
  py::class_<ColumnarDataFeed, DataFeed>(m, "ColumnarDataFeed",
                                         "The file-backed feed: prices, signals, features and context from Parquet "
                                         "or CSV, merged point-in-time. Construction reads only file schemas.")
      .def(py::init([](DataSource prices, std::optional<DataSource> signals, std::optional<DataSource> context,
                       std::shared_ptr<FeatureProvider> provider, std::vector<std::string> assets, py::object start,
                       py::object end, SignalTimingMode mode, int lag, bool validate, bool fail_on_violation,
                       const std::string& bad_data, const std::string& order, std::string memory_limit,
                       std::string temp_directory, int threads, const std::string& mixed_time_zones) {
             ColumnarFeedOptions o;
             o.prices = std::move(prices);
             o.signals = std::move(signals);
             o.context = std::move(context);
             o.feature_provider = std::move(provider);
             o.assets = std::move(assets);
             o.start = opt_time(start);
             o.end = opt_time(end);
             o.timing = make_timing(mode, lag, validate, fail_on_violation);
             o.bad_data = parse_bad_data(bad_data);
             o.mixed_time_zones = parse_mixed_time_zones(mixed_time_zones);
             o.order = parse_order(order);
             o.memory_limit = std::move(memory_limit);
             o.temp_directory = std::move(temp_directory);
             o.threads = threads;
             o.on_warning = [](const std::string& message) {
               py::gil_scoped_acquire gil;
               PyErr_WarnEx(PyExc_RuntimeWarning, message.c_str(), 1);
               if (PyErr_Occurred()) throw py::error_already_set();
             };
             py::gil_scoped_release release;
             return std::make_unique<ColumnarDataFeed>(std::move(o));
           }),
           py::arg("prices"), py::arg("signals") = py::none(), py::arg("context") = py::none(),
           py::arg("feature_provider") = py::none(), py::arg("assets") = std::vector<std::string>{},
           py::arg("start") = py::none(), py::arg("end") = py::none(),
           py::arg("signal_timing_mode") = SignalTimingMode::kNextBar, py::arg("lag") = 1,
           py::arg("validate_signal_timing") = false, py::arg("fail_on_timing_violation") = true,
           py::arg("bad_data") = "error", py::arg("order") = "auto", py::arg("memory_limit") = "",
           py::arg("temp_directory") = "", py::arg("threads") = 0, py::arg("mixed_time_zones") = "error")
      .def_property_readonly("dropped_rows", &ColumnarDataFeed::dropped_rows, "Rows skipped by bad_data='drop'/'warn'.")
      .def_property_readonly("rows_read", &ColumnarDataFeed::rows_read, "Price rows read so far.");

  py::class_<InMemoryDataFeed, DataFeed>(m, "InMemoryDataFeed", "A feed over bars held in memory (tests, small data).")
      .def_static(
          "from_arrays",
          [](py::array_t<int64_t, py::array::c_style | py::array::forcecast> times, std::vector<std::string> symbols,
             py::array_t<double, py::array::c_style | py::array::forcecast> ohlcv, std::vector<std::string> signal_names,
             py::array_t<double, py::array::c_style | py::array::forcecast> signals,
             std::vector<std::string> context_names,
             py::array_t<int64_t, py::array::c_style | py::array::forcecast> context_times,
             py::array_t<double, py::array::c_style | py::array::forcecast> context) {
            const auto n = static_cast<size_t>(times.size());
            if (symbols.size() != n || static_cast<size_t>(ohlcv.size()) != n * 5 ||
                static_cast<size_t>(signals.size()) != n * signal_names.size()) {
              throw ConfigError("InMemoryDataFeed.from_arrays: times, symbols, ohlcv (n x 5) and signals (n x k) "
                                "must have matching lengths");
            }
            const size_t k = signal_names.size();
            const size_t kc = context_names.size();
            if (static_cast<size_t>(context.size()) != static_cast<size_t>(context_times.size()) * kc) {
              throw ConfigError("InMemoryDataFeed.from_arrays: context must be (len(context_times) x context_names)");
            }
            InMemoryDataFeed::Builder builder(std::move(signal_names), std::move(context_names));
            const double* p = ohlcv.data();
            for (size_t i = 0; i < n; ++i) {
              std::vector<double> sig(signals.data() + i * k, signals.data() + (i + 1) * k);
              builder.add_bar(Timestamp::from_nanos(times.data()[i]), symbols[i],
                              Bar{p[i * 5], p[i * 5 + 1], p[i * 5 + 2], p[i * 5 + 3], p[i * 5 + 4]}, std::move(sig));
            }
            for (size_t i = 0; i < static_cast<size_t>(context_times.size()); ++i) {
              builder.add_context(Timestamp::from_nanos(context_times.data()[i]),
                                  std::vector<double>(context.data() + i * kc, context.data() + (i + 1) * kc));
            }
            return builder.build();
          },
          py::arg("times_ns"), py::arg("symbols"), py::arg("ohlcv"), py::arg("signal_names"), py::arg("signals"),
          py::arg("context_names"), py::arg("context_times_ns"), py::arg("context"))
      .def("rewind", &InMemoryDataFeed::rewind, "Start again from the first timestamp.");

  py::class_<MultiSourceClock, DataFeed>(m, "MultiSourceClock",
                                         "Merges several feeds into one in (timestamp, priority, order added) order; "
                                         "events of all sources at one timestamp form one cross-section.")
      .def(py::init([](const py::sequence& feeds, std::optional<std::vector<int>> priorities) {
             if (priorities && priorities->size() != feeds.size()) {
               throw ConfigError("MultiSourceClock: priorities has " + std::to_string(priorities->size()) +
                                 " entries for " + std::to_string(feeds.size()) + " feeds; give one per feed");
             }
             auto clock = std::make_unique<MultiSourceClock>();
             for (size_t i = 0; i < feeds.size(); ++i) {
               py::object f = feeds[i];
               if (!py::isinstance<DataFeed>(f)) {
                 throw ConfigError("MultiSourceClock: feeds[" + std::to_string(i) + "] is " +
                                   py::repr(f).cast<std::string>() + ", not a DataFeed");
               }
               clock->add_source(f.cast<DataFeed&>(), priorities ? (*priorities)[i] : 0);
             }
             return clock;
           }),
           py::arg("feeds"), py::arg("priorities") = py::none(), py::keep_alive<1, 2>())
      .def_property_readonly("num_sources", &MultiSourceClock::num_sources, "Feeds added.")
      .def_property_readonly("num_scans", &MultiSourceClock::num_scans,
                             "Feeds the clock reads: after the first read, per-asset feeds over the same files "
                             "with the same settings count once (they share one scan).");
}

void bind_tools(py::module_& m) {
  m.def(
      "validate_signal_timing",
      [](const DataSource& signals, const DataSource& prices, SignalTimingMode mode, int lag, bool fail_on_violation,
         std::vector<std::string> assets) {
        TimingReport report;
        {
          py::gil_scoped_release release;
          report = validate_signal_timing(signals, prices, make_timing(mode, lag, true, fail_on_violation),
                                          fail_on_violation, assets);
        }
        py::list violations;
        for (const auto& v : report.violations) violations.append(violation_dict(v));
        return py::make_tuple(report.is_valid, violations);
      },
      py::arg("signals"), py::arg("prices"), py::arg("mode"), py::arg("lag"), py::arg("fail_on_violation"),
      py::arg("assets"));

  m.def(
      "write_optimized_parquet",
      [](std::vector<std::string> inputs, const std::string& output, const std::string& compression,
         std::optional<int> level, std::vector<std::string> categorical, uint64_t row_group_size,
         const std::string& partition_by, std::string timestamp_column, std::string asset_column, bool overwrite,
         std::string memory_limit, std::string temp_directory) {
        OptimizeOptions o;
        o.compression = parse_compression(compression);
        o.level = level;
        o.categorical = std::move(categorical);
        o.row_group_size = row_group_size;
        o.partition_by = parse_partition_by(partition_by);
        o.timestamp_column = std::move(timestamp_column);
        o.asset_column = std::move(asset_column);
        o.overwrite = overwrite;
        o.memory_limit = std::move(memory_limit);
        o.temp_directory = std::move(temp_directory);
        OptimizeSummary s;
        {
          py::gil_scoped_release release;
          s = write_optimized_parquet(inputs, output, o);
        }
        py::dict d;
        d["inputs"] = s.inputs;
        d["outputs"] = s.outputs;
        d["rows"] = s.rows;
        d["input_bytes"] = s.input_bytes;
        d["output_bytes"] = s.output_bytes;
        d["ratio"] = s.ratio();
        d["seconds"] = s.seconds;
        return d;
      },
      py::arg("inputs"), py::arg("output"), py::arg("compression"), py::arg("level"), py::arg("categorical"),
      py::arg("row_group_size"), py::arg("partition_by"), py::arg("timestamp_column"), py::arg("asset_column"),
      py::arg("overwrite"), py::arg("memory_limit"), py::arg("temp_directory"));

  m.def(
      "generate_sample_data",
      [](std::filesystem::path out_dir, int symbols, int days, const std::string& frequency, uint64_t seed,
         py::object start, int threads) {
        SampleDataOptions o;
        o.out_dir = std::move(out_dir);
        o.symbols = symbols;
        o.days = days;
        o.frequency = parse_bar_frequency(frequency);
        o.seed = seed;
        if (!start.is_none()) o.start = from_py_time(start);
        o.threads = threads;
        SampleDataSummary s;
        {
          py::gil_scoped_release release;
          s = generate_sample_data(o);
        }
        py::dict d;
        py::dict files;
        for (const auto& f : s.files) files[py::str(f.path.stem().string())] = f.path;
        d["files"] = files;
        d["symbols"] = s.symbols;
        d["bars"] = s.bars;
        d["timestamps"] = s.timestamps;
        d["first"] = to_py_time(s.first);
        d["last"] = to_py_time(s.last);
        return d;
      },
      py::arg("out_dir"), py::arg("symbols") = 5, py::arg("days") = 60, py::arg("frequency") = "1d",
      py::arg("seed") = 42, py::arg("start") = py::none(), py::arg("threads") = 0,
      "Write a deterministic synthetic market (prices, signals, features, context .parquet) into out_dir. "
      "Returns {'files': {'prices': Path, ...}, 'symbols': [...], 'bars': n, 'timestamps': n, 'first', 'last'}.");
}

}  // namespace

void bind_data(py::module_& m) {
  bind_sources(m);
  bind_providers(m);
  bind_feeds(m);
  bind_tools(m);
}

}  // namespace ml4t::backtest::python
