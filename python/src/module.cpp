// The extension module `ml4t.backtest._ml4t`: exception mapping, time conversion, the
// event/cross-section value types and the DataFeed base class. Feeds, providers and
// validation are bound in bind_data.cpp; strategies, engine, results and config in
// bind_engine.cpp. The pure-Python package re-exports these under the reference's paths.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "common.hpp"
#include "exclusive_use.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/version.hpp"

namespace ml4t::backtest::python {

namespace {

// Module-lifetime Python objects, created on first use and deliberately never freed:
// destroying them at interpreter exit could run after Python is gone.
py::object& pandas_timestamp() {
  static auto* fn = new py::object(py::module_::import("pandas").attr("Timestamp"));
  return *fn;
}

}  // namespace

py::object to_py_time(Timestamp ts, bool naive) {
  if (naive) return pandas_timestamp()(ts.nanos());
  return pandas_timestamp()(ts.nanos(), py::arg("tz") = "UTC");
}

bool is_naive_py_time(py::handle value) {
  if (value.is_none() || py::isinstance<py::bool_>(value) || py::isinstance<py::int_>(value)) return false;
  try {
    return pandas_timestamp()(value).attr("tzinfo").is_none();
  } catch (py::error_already_set&) {
    return false;  // from_py_time reports what is wrong with it
  }
}

Timestamp from_py_time(py::handle value) {
  if (value.is_none()) throw ConfigError("a timestamp is required, got None");
  if (py::isinstance<py::bool_>(value)) throw ConfigError("a timestamp cannot be a bool");
  if (py::isinstance<py::int_>(value)) return Timestamp::from_nanos(value.cast<int64_t>());
  if (py::isinstance<py::str>(value)) return Timestamp::parse(value.cast<std::string>());
  py::object stamp;
  try {
    stamp = pandas_timestamp()(value);
  } catch (py::error_already_set& e) {
    throw ConfigError("cannot read " + py::repr(value).cast<std::string>() +
                      " as a timestamp: pass a datetime, pandas.Timestamp, numpy.datetime64, ISO-8601 string or "
                      "int nanoseconds since the epoch (" + std::string(e.what()) + ")");
  }
  if (stamp.is(py::module_::import("pandas").attr("NaT"))) throw ConfigError("a timestamp cannot be NaT");
  // .value is nanoseconds since the epoch in UTC for aware stamps, and reads naive
  // stamps as UTC, which is the library's rule.
  return Timestamp::from_nanos(stamp.attr("value").cast<int64_t>());
}

NamesPtr shared_names(const Names& names, NamesPtr& cache) {
  if (!cache || *cache != names) cache = std::make_shared<const Names>(names);
  return cache;
}

FieldMap::FieldMap(NamesPtr n, const FieldValues& row) : names(std::move(n)) {
  values.resize(row.size());
  for (size_t i = 0; i < values.size(); ++i) values[i] = row.value(i);
}

size_t FieldMap::present() const {
  size_t n = 0;
  for (size_t i = 0; i < values.size(); ++i) n += has(i) ? 1 : 0;
  return n;
}

PyMarketEvent make_event(const MarketEvent& event, NamesCache& cache) {
  PyMarketEvent out;
  out.timestamp_ns = event.timestamp().nanos();
  out.asset = event.asset();
  out.symbol = event.symbol();
  out.bar = event.bar();
  out.signals = FieldMap(shared_names(event.batch().schema().signal_names(), cache.signals), event.signals());
  out.context = FieldMap(shared_names(event.batch().schema().context_names(), cache.context), event.context());
  out.naive = cache.naive;
  out.integer_volume = cache.integer_volume;
  return out;
}

namespace {
py::array_t<double> copy_rows(std::span<const double> column, uint32_t begin, uint32_t end) {
  py::array_t<double> out(end - begin);
  std::memcpy(out.mutable_data(), column.data() + begin, (end - begin) * sizeof(double));
  return out;
}
}  // namespace

PyCrossSection make_cross_section(const TimestampGroup& group, NamesCache& cache) {
  PyCrossSection out;
  const Batch& batch = group.batch();
  const uint32_t b = group.row_begin();
  const uint32_t e = group.row_end();
  out.timestamp_ns = group.timestamp().nanos();
  out.asset_ids = py::array_t<uint32_t>(e - b);
  std::memcpy(out.asset_ids.mutable_data(), batch.asset().data() + b, (e - b) * sizeof(uint32_t));
  out.symbols.reserve(e - b);
  for (uint32_t r = b; r < e; ++r) out.symbols.push_back(batch.symbols().name(batch.asset()[r]));
  out.open = copy_rows(batch.open(), b, e);
  out.high = copy_rows(batch.high(), b, e);
  out.low = copy_rows(batch.low(), b, e);
  out.close = copy_rows(batch.close(), b, e);
  out.volume = copy_rows(batch.volume(), b, e);
  out.signal_names = shared_names(batch.schema().signal_names(), cache.signals);
  for (size_t f = 0; f < out.signal_names->size(); ++f) {
    out.signal_columns.push_back(copy_rows(batch.signal_column(FieldId{static_cast<uint32_t>(f)}), b, e));
  }
  out.context = FieldMap(shared_names(batch.schema().context_names(), cache.context), group.context());
  out.naive = cache.naive;
  return out;
}

namespace {

size_t find_present(const FieldMap& m, const std::string& name) {
  for (size_t i = 0; i < m.names->size(); ++i) {
    if ((*m.names)[i] == name) return m.has(i) ? i : SIZE_MAX;
  }
  return SIZE_MAX;
}

py::list present_keys(const FieldMap& m) {
  py::list out;
  for (size_t i = 0; i < m.values.size(); ++i) {
    if (m.has(i)) out.append(py::str((*m.names)[i]));
  }
  return out;
}

py::dict to_dict(const FieldMap& m) {
  py::dict out;
  for (size_t i = 0; i < m.values.size(); ++i) {
    if (m.has(i)) out[py::str((*m.names)[i])] = m.values[i];
  }
  return out;
}

FieldMap field_map_from(const py::handle& mapping) {
  FieldMap out;
  auto names = std::make_shared<Names>();
  if (!mapping.is_none()) {
    for (auto item : py::reinterpret_borrow<py::dict>(py::dict(py::reinterpret_borrow<py::object>(mapping)))) {
      names->push_back(py::str(item.first).cast<std::string>());
      out.values.push_back(item.second.is_none() ? kMissing : item.second.cast<double>());
    }
  }
  out.names = std::move(names);
  return out;
}

void bind_field_map(py::module_& m) {
  py::class_<FieldMap>(m, "FieldMap",
                       "Read-only, dict-like named values: ``event.signals`` (per-asset ML signals and features) "
                       "or ``event.context`` (market-wide values). Missing values are absent from it: ``name in m`` "
                       "is False, ``m[name]`` raises KeyError and ``m.get(name, default)`` returns ``default``.")
      .def(py::init([](py::object mapping) { return field_map_from(mapping); }), py::arg("values") = py::dict(),
           "A FieldMap holding a copy of ``values`` (a dict of name -> float; None = missing).")
      .def(
          "get",
          [](const FieldMap& self, const std::string& name, py::object fallback) -> py::object {
            const size_t i = find_present(self, name);
            return i == SIZE_MAX ? fallback : py::float_(self.values[i]);
          },
          py::arg("name"), py::arg("default") = py::none(), "The value of ``name``, or ``default`` when absent.")
      .def("__getitem__",
           [](const FieldMap& self, const std::string& name) {
             const size_t i = find_present(self, name);
             if (i == SIZE_MAX) throw py::key_error(name);
             return self.values[i];
           })
      .def("__contains__",
           [](const FieldMap& self, py::handle key) {
             return py::isinstance<py::str>(key) && find_present(self, key.cast<std::string>()) != SIZE_MAX;
           })
      .def("__len__", &FieldMap::present)
      .def("__bool__", [](const FieldMap& self) { return self.present() > 0; })
      .def("__iter__", [](const FieldMap& self) { return py::iter(present_keys(self)); })
      .def("keys", &present_keys, "Names of the present values, in schema order.")
      .def(
          "values",
          [](const FieldMap& self) {
            py::list out;
            for (size_t i = 0; i < self.values.size(); ++i) {
              if (self.has(i)) out.append(self.values[i]);
            }
            return out;
          },
          "The present values, in schema order.")
      .def(
          "items",
          [](const FieldMap& self) {
            py::list out;
            for (size_t i = 0; i < self.values.size(); ++i) {
              if (self.has(i)) out.append(py::make_tuple((*self.names)[i], self.values[i]));
            }
            return out;
          },
          "(name, value) pairs of the present values.")
      .def("to_dict", &to_dict, "A plain dict copy.")
      .def_property_readonly(
          "names", [](const FieldMap& self) { return *self.names; },
          "Every field name of the schema, present or not.")
      .def("__eq__",
           [](const FieldMap& self, py::object other) -> py::object {
             if (py::isinstance<FieldMap>(other)) return py::bool_(to_dict(self).equal(to_dict(other.cast<FieldMap>())));
             if (py::isinstance<py::dict>(other)) return py::bool_(to_dict(self).equal(other));
             return py::reinterpret_borrow<py::object>(Py_NotImplemented);
           })
      .def("__repr__", [](const FieldMap& self) { return py::repr(to_dict(self)).cast<std::string>(); });
}

py::object event_volume(const PyMarketEvent& e) {
  const double v = e.bar.volume;
  if (e.integer_volume && std::isfinite(v)) return py::int_(static_cast<long long>(v));
  return py::float_(v);
}

void bind_event(py::module_& m) {
  py::class_<PyMarketEvent>(m, "MarketEvent",
                            "One asset's bar at one timestamp with its per-asset ``signals`` and the market-wide "
                            "``context`` (both read-only dict-like FieldMaps). A copy: safe to keep after the "
                            "callback returns.")
      .def(py::init([](py::handle timestamp, std::string asset_id, double open, double high, double low, double close,
                       py::handle volume, py::object signals, py::object context, AssetId asset) {
             PyMarketEvent e;
             e.timestamp_ns = from_py_time(timestamp).nanos();
             e.naive = is_naive_py_time(timestamp);
             e.symbol = std::move(asset_id);
             e.asset = asset;
             e.integer_volume = py::isinstance<py::int_>(volume) && !py::isinstance<py::bool_>(volume);
             e.bar = Bar{open, high, low, close, volume.cast<double>()};
             e.signals = field_map_from(signals);
             e.context = field_map_from(context);
             return e;
           }),
           py::arg("timestamp"), py::arg("asset_id"), py::arg("open"), py::arg("high"), py::arg("low"),
           py::arg("close"), py::arg("volume"), py::arg("signals") = py::none(), py::arg("context") = py::none(),
           py::arg("asset") = kNoAsset,
           "Build an event by hand (e.g. to unit-test a strategy's logic); feeds build them for a run.")
      .def_property_readonly(
          "timestamp", [](const PyMarketEvent& e) { return to_py_time(Timestamp::from_nanos(e.timestamp_ns), e.naive); },
          "The bar time as a pandas.Timestamp: naive (UTC wall time) when the input's timestamps were naive, "
          "tz-aware UTC when they carried a zone.")
      .def_readonly("timestamp_ns", &PyMarketEvent::timestamp_ns, "The bar time as int nanoseconds since the epoch (UTC).")
      .def_readonly("asset_id", &PyMarketEvent::symbol, "The asset symbol, e.g. 'AAPL'.")
      .def_readonly("symbol", &PyMarketEvent::symbol, "The asset symbol (same as asset_id).")
      .def_readonly("asset", &PyMarketEvent::asset, "The feed's dense integer id of the asset.")
      .def_property_readonly("open", [](const PyMarketEvent& e) { return e.bar.open; })
      .def_property_readonly("high", [](const PyMarketEvent& e) { return e.bar.high; })
      .def_property_readonly("low", [](const PyMarketEvent& e) { return e.bar.low; })
      .def_property_readonly("close", [](const PyMarketEvent& e) { return e.bar.close; })
      .def_property_readonly("volume", &event_volume,
                             "The bar's volume: an int when the file's volume column is integer, else a float.")
      .def_readonly("signals", &PyMarketEvent::signals, "Per-asset values: ML predictions, indicators, features.")
      .def_readonly("context", &PyMarketEvent::context, "Market-wide values at this timestamp: VIX, index returns, ...")
      .def(
          "to_dict",
          [](const PyMarketEvent& e) {
            py::dict d;
            d["timestamp"] = to_py_time(Timestamp::from_nanos(e.timestamp_ns), e.naive);
            d["asset_id"] = e.symbol;
            d["open"] = e.bar.open;
            d["high"] = e.bar.high;
            d["low"] = e.bar.low;
            d["close"] = e.bar.close;
            d["volume"] = event_volume(e);
            d["signals"] = to_dict(e.signals);
            d["context"] = to_dict(e.context);
            return d;
          },
          "The event as a plain dict.")
      .def("__repr__", [](const PyMarketEvent& e) {
        return "MarketEvent(timestamp=" + Timestamp::from_nanos(e.timestamp_ns).to_string() + ", asset_id='" +
               e.symbol + "', close=" + py::repr(py::float_(e.bar.close)).cast<std::string>() +
               ", signals=" + py::repr(to_dict(e.signals)).cast<std::string>() +
               ", context=" + py::repr(to_dict(e.context)).cast<std::string>() + ")";
      });

  py::class_<PyCrossSection>(m, "CrossSection",
                             "Every asset's bar at one timestamp as numpy arrays (a copy), for vectorized "
                             "cross-sectional strategies (Strategy.on_timestamp). Row i of every array is asset "
                             "``symbols[i]`` / ``asset_ids[i]``.")
      .def_property_readonly(
          "timestamp", [](const PyCrossSection& c) { return to_py_time(Timestamp::from_nanos(c.timestamp_ns), c.naive); },
          "The timestamp as a pandas.Timestamp (naive when the input's timestamps were naive, else UTC).")
      .def_readonly("timestamp_ns", &PyCrossSection::timestamp_ns)
      .def_readonly("asset_ids", &PyCrossSection::asset_ids, "uint32 array of the feed's asset ids.")
      .def_readonly("symbols", &PyCrossSection::symbols, "List of the asset symbols.")
      .def_readonly("open", &PyCrossSection::open)
      .def_readonly("high", &PyCrossSection::high)
      .def_readonly("low", &PyCrossSection::low)
      .def_readonly("close", &PyCrossSection::close)
      .def_readonly("volume", &PyCrossSection::volume)
      .def_property_readonly(
          "signal_names", [](const PyCrossSection& c) { return *c.signal_names; }, "Names of the signal columns.")
      .def_property_readonly(
          "signals",
          [](const PyCrossSection& c) {
            py::dict d;
            for (size_t i = 0; i < c.signal_columns.size(); ++i) d[py::str((*c.signal_names)[i])] = c.signal_columns[i];
            return d;
          },
          "Dict of signal name -> float64 array (NaN = missing).")
      .def(
          "signal",
          [](const PyCrossSection& c, const std::string& name) {
            for (size_t i = 0; i < c.signal_columns.size(); ++i) {
              if ((*c.signal_names)[i] == name) return c.signal_columns[i];
            }
            std::string known;
            for (const auto& n : *c.signal_names) known += (known.empty() ? "" : ", ") + n;
            throw py::key_error("no signal '" + name + "'; the feed has: " + (known.empty() ? "(none)" : known));
          },
          py::arg("name"), "The float64 array of one signal (KeyError naming the known signals when absent).")
      .def_readonly("context", &PyCrossSection::context, "Market-wide values at this timestamp (FieldMap).")
      .def("__len__", [](const PyCrossSection& c) { return c.symbols.size(); })
      .def("__repr__", [](const PyCrossSection& c) {
        return "CrossSection(timestamp=" + Timestamp::from_nanos(c.timestamp_ns).to_string() +
               ", assets=" + std::to_string(c.symbols.size()) + ")";
      });
}

void bind_feed_base(py::module_& m) {
  py::class_<DataFeed>(m, "DataFeed",
                       "A source of market events in (timestamp, asset) order. Iterate it (``for event in feed``), "
                       "call get_next_event()/next_group(), or hand it to BacktestEngine. A feed is read once.")
      .def(
          "get_next_event",
          [](DataFeed& feed) -> py::object {
            static NamesCache cache;
            const ExclusiveUse use(&feed, "this feed", "a running BacktestEngine", kFeedFix);
            std::optional<MarketEvent> e = feed.next_event();
            if (!e) return py::none();
            cache.naive = feed.naive_timestamps();
            cache.integer_volume = feed.integer_volume();
            return py::cast(make_event(*e, cache));
          },
          "The next MarketEvent, or None at the end (reads lazily: the first call starts streaming).")
      .def(
          "next_group",
          [](DataFeed& feed) -> py::object {
            static NamesCache cache;
            const ExclusiveUse use(&feed, "this feed", "a running BacktestEngine", kFeedFix);
            TimestampGroup g = feed.next_group();
            if (!g.valid()) return py::none();
            cache.naive = feed.naive_timestamps();
            cache.integer_volume = feed.integer_volume();
            return py::cast(make_cross_section(g, cache));
          },
          "The next whole timestamp as a CrossSection, or None at the end.")
      .def_property_readonly(
          "is_exhausted",
          [](DataFeed& feed) {
            const ExclusiveUse use(&feed, "this feed", "a running BacktestEngine", kFeedFix);
            return feed.is_exhausted();
          },
          "True when no event is left.")
      .def("__iter__", [](py::object self) { return self; })
      .def("__next__",
           [](DataFeed& feed) {
             static NamesCache cache;
             const ExclusiveUse use(&feed, "this feed", "a running BacktestEngine", kFeedFix);
             std::optional<MarketEvent> e = feed.next_event();
             if (!e) throw py::stop_iteration();
             check_signals();
             cache.naive = feed.naive_timestamps();
             cache.integer_volume = feed.integer_volume();
             return make_event(*e, cache);
           })
      .def_property_readonly(
          "signal_names", [](const DataFeed& f) { return f.schema().signal_names(); },
          "Per-asset field names (signals and features) every event carries.")
      .def_property_readonly(
          "context_names", [](const DataFeed& f) { return f.schema().context_names(); },
          "Market-wide field names every event carries.")
      .def_property_readonly("naive_timestamps", &DataFeed::naive_timestamps,
                             "True when the prices' timestamps have no time zone: events, provider callbacks and "
                             "results then hand times back naive (UTC wall time); False: tz-aware UTC.")
      .def_property_readonly(
          "symbols", [](const DataFeed& f) { return f.symbols().names(); },
          "Asset symbols seen so far (all of them once exhausted), in asset-id order.");
}

// Python exception classes with the reference's names. Created with several bases so
// `except ValueError` also catches config/data problems, as Python users expect.
py::object make_exception(py::module_& m, const char* name, py::tuple bases, const char* doc) {
  const std::string qualified = std::string("ml4t.backtest.") + name;
  PyObject* type = PyErr_NewExceptionWithDoc(qualified.c_str(), doc, bases.ptr(), nullptr);
  if (type == nullptr) throw py::error_already_set();
  py::object obj = py::reinterpret_steal<py::object>(type);
  m.attr(name) = obj;
  return obj;
}

// The exception classes, kept for the translator (a plain function pointer) and never
// freed, like every module-lifetime object here.
struct ExceptionTypes {
  py::object base, config, data, timing, output, interrupted;
};
ExceptionTypes* g_errors = nullptr;

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const SignalTimingViolation& e) {
    PyErr_SetString(g_errors->timing.ptr(), e.what());
  } catch (const ConfigError& e) {
    PyErr_SetString(g_errors->config.ptr(), e.what());
  } catch (const DataError& e) {
    PyErr_SetString(g_errors->data.ptr(), e.what());
  } catch (const OutputError& e) {
    PyErr_SetString(g_errors->output.ptr(), e.what());
  } catch (const Interrupted& e) {
    PyErr_SetString(g_errors->interrupted.ptr(), e.what());
  } catch (const Error& e) {
    PyErr_SetString(g_errors->base.ptr(), e.what());
  }
}

void bind_exceptions(py::module_& m) {
  py::object builtins = py::module_::import("builtins");
  g_errors = new ExceptionTypes();
  g_errors->base = make_exception(m, "ML4TError", py::make_tuple(builtins.attr("Exception")),
                                  "Base of every ml4t.backtest error.");
  g_errors->config = make_exception(m, "ConfigError", py::make_tuple(g_errors->base, builtins.attr("ValueError")),
                                    "An invalid configuration or argument.");
  g_errors->data = make_exception(m, "DataError", py::make_tuple(g_errors->base, builtins.attr("ValueError")),
                                  "Input data that cannot be read or breaks a data rule.");
  g_errors->timing = make_exception(m, "SignalTimingViolation", py::make_tuple(g_errors->data),
                                    "A signal, feature or context value visible before it exists (look-ahead).");
  g_errors->output = make_exception(m, "OutputError", py::make_tuple(g_errors->base, builtins.attr("OSError")),
                                    "Results could not be written.");
  g_errors->interrupted = make_exception(m, "Interrupted", py::make_tuple(g_errors->base), "A run stopped on request.");
  py::register_exception_translator(&translate);
}

}  // namespace

void init_module(py::module_& m) {
  m.doc() = "C++ core of ml4t.backtest (import the package ml4t.backtest, not this module).";
  m.attr("__version__") = std::string(version());
  bind_exceptions(m);
  m.def("to_timestamp_ns", [](py::handle v) { return from_py_time(v).nanos(); }, py::arg("value"),
        "A datetime, pandas.Timestamp, ISO-8601 string or int as int nanoseconds since the epoch (naive = UTC).");
  bind_field_map(m);
  bind_event(m);
  bind_feed_base(m);
  bind_data(m);
  bind_engine(m);
  bind_sweep(m);
}

}  // namespace ml4t::backtest::python

PYBIND11_MODULE(_ml4t, m) { ml4t::backtest::python::init_module(m); }
