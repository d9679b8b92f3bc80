// Test fixtures for the columnar feed: tiny Parquet/CSV files written with DuckDB and a
// flattening of a feed's events for exact comparisons.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace ml4t::backtest::testing {

/// Run `COPY (select) TO path (options)` in a throwaway database.
inline void copy_to(const std::filesystem::path& path, const std::string& select,
                    const std::string& options = "FORMAT parquet") {
  duck::Database db;
  duck::Connection con(db);
  con.execute("SET TimeZone = 'UTC'");
  con.execute("COPY (" + select + ") TO " + duck::quote_literal(path.string()) + " (" + options + ")");
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// One event flattened: "HH:MM sym close" plus its signal and context values.
struct Flat {
  std::string time;  //!< ISO UTC
  std::string symbol;
  double open, high, low, close, volume;
  std::vector<double> signals;
  std::vector<double> context;
};

inline std::vector<Flat> drain(DataFeed& feed) {
  std::vector<Flat> out;
  for (const MarketEvent& e : feed) {
    Flat f{e.timestamp().to_string(), e.symbol(), e.open(), e.high(), e.low(), e.close(), e.volume(), {}, {}};
    const auto s = e.signals();
    for (size_t i = 0; i < s.size(); ++i) f.signals.push_back(s.value(i));
    const auto c = e.context();
    for (size_t i = 0; i < c.size(); ++i) f.context.push_back(c.value(i));
    out.push_back(std::move(f));
  }
  return out;
}

/// NaN-aware equality for expected value lists.
inline bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

/// "sym@HH:MM" keys of the events, for order checks (time is the ISO string's HH:MM).
inline std::vector<std::string> keys(const std::vector<Flat>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.symbol + "@" + e.time.substr(11, 5));
  return out;
}

}  // namespace ml4t::backtest::testing
