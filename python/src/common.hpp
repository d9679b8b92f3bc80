// Shared pieces of the Python extension `ml4t.backtest._ml4t`: time conversion between
// int64 UTC nanoseconds and pandas/datetime objects, and the Python-side value types
// (FieldMap, MarketEvent, CrossSection) that copy what a strategy callback needs out
// of the engine's batch, so a Python object never points into a reused C++ buffer.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <string>
#include <vector>

#include "ml4t/backtest/core/market_event.hpp"
#include "ml4t/backtest/data/data_feed.hpp"

namespace ml4t::backtest::python {

namespace py = pybind11;

using Names = std::vector<std::string>;
using NamesPtr = std::shared_ptr<const Names>;

/// `ts` as a pandas.Timestamp (nanosecond precision): tz-aware UTC, or naive (UTC wall
/// time) when `naive` — the inputs' own style, see DataFeed::naive_timestamps.
py::object to_py_time(Timestamp ts, bool naive = false);
/// True when `value` is a time without a zone (a naive datetime/pandas.Timestamp,
/// numpy.datetime64, or an ISO string without an offset); ints count as zoned (UTC).
bool is_naive_py_time(py::handle value);
/// An int (ns since the epoch), str (ISO-8601), datetime, pandas.Timestamp or
/// numpy.datetime64 as a Timestamp; naive times are UTC. Throws ConfigError otherwise.
Timestamp from_py_time(py::handle value);

/// A shared copy of `names`, reused while the names stay the same (one allocation per
/// schema, not per event).
NamesPtr shared_names(const Names& names, NamesPtr& cache);

/// A read-only dict-like row of named values (event.signals, event.context). Missing
/// (NaN) values are absent: `in` is false, `[]` raises KeyError, `.get` gives the default.
struct FieldMap {
  NamesPtr names;
  std::vector<double> values;

  FieldMap() = default;
  FieldMap(NamesPtr n, const FieldValues& row);
  bool has(size_t i) const { return values[i] == values[i]; }
  size_t present() const;
};

/// A copy of one MarketEvent: the bar, its signals and the market context.
struct PyMarketEvent {
  int64_t timestamp_ns = 0;
  AssetId asset = kNoAsset;
  std::string symbol;
  Bar bar;
  FieldMap signals;
  FieldMap context;
  bool naive = false;           //!< hand the timestamp back without a zone
  bool integer_volume = false;  //!< hand the volume back as int (the file's column is integer)
};

/// A copy of one timestamp's cross-section as numpy arrays (for on_timestamp).
struct PyCrossSection {
  int64_t timestamp_ns = 0;
  py::array_t<uint32_t> asset_ids;
  std::vector<std::string> symbols;
  py::array_t<double> open, high, low, close, volume;
  NamesPtr signal_names;
  std::vector<py::array_t<double>> signal_columns;
  FieldMap context;
  bool naive = false;  //!< hand the timestamp back without a zone
};

/// Caches of the name lists, one per consumer (a strategy run or a feed iterator), and
/// the consumer's time style.
struct NamesCache {
  NamesPtr signals;
  NamesPtr context;
  bool naive = false;           //!< the feed's timestamps are naive: events hand them back naive
  bool integer_volume = false;  //!< the feed's volumes are integers
};

PyMarketEvent make_event(const MarketEvent& event, NamesCache& cache);
PyCrossSection make_cross_section(const TimestampGroup& group, NamesCache& cache);

/// Raise the Python exception pending from a signal (Ctrl-C) as error_already_set.
inline void check_signals() {
  if (PyErr_CheckSignals() != 0) throw py::error_already_set();
}

void bind_data(py::module_& m);
void bind_engine(py::module_& m);
void bind_sweep(py::module_& m);
void init_module(py::module_& m);

}  // namespace ml4t::backtest::python
