// An independent method for the signal-timing report: the DuckDB SQL report the feed's
// streaming check replaced (an ASOF join of the signals with the bars). Tests compare
// the streamed report with it, field by field.
#pragma once

#include <fmt/format.h>

#include <string>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "data/source_scan.hpp"
#include "data/timing_check.hpp"
#include "ml4t/backtest/data/signal_timing.hpp"

namespace ml4t::backtest::testing {

inline TimingReport sql_timing_report(const DataSource& signals, const DataSource& prices, const SignalTiming& timing,
                                      const std::vector<std::string>& assets = {}) {
  const int lag = timing.lag_bars();
  duck::Database db;
  duck::Connection con(db);
  detail::prepare_connection(con);
  detail::SourceRequirements sreq;
  sreq.role = "signals";
  const auto s = detail::resolve_source(con, signals, sreq);
  detail::SourceRequirements preq;
  preq.role = "prices";
  preq.values_are_required_only = true;
  const auto p = detail::resolve_source(con, prices, preq);
  detail::ScanFilter filter;
  filter.assets = assets;
  auto reader_with = [](const detail::ResolvedSource& src, std::string_view extra) {
    return fmt::format("{}{})", src.reader.substr(0, src.reader.size() - 1), extra);
  };
  const std::string s_reader =
      s.csv ? reader_with(s, ", filename = true") : reader_with(s, ", filename = true, file_row_number = true");
  const std::string s_asset = fmt::format("CAST({} AS VARCHAR)", duck::quote_identifier(s.asset_column));
  const std::string p_asset = fmt::format("CAST({} AS VARCHAR)", duck::quote_identifier(p.asset_column));
  const std::string sql = fmt::format(
      "WITH s AS (SELECT {s_ts} AS ts, {s_asset} AS asset, filename AS file, {s_row} AS rn FROM {s_reader}{s_where}),"
      " p AS (SELECT {p_ts} AS ts, {p_asset} AS asset, row_number() OVER (PARTITION BY {p_asset} ORDER BY {p_ts}) - 1 "
      "AS idx FROM {p_reader}{p_where}),"
      " pa AS (SELECT asset, min(ts) AS first_ts, max(ts) AS last_ts FROM p GROUP BY asset),"
      " j AS (SELECT s.ts, s.asset, s.file, s.rn, p.ts AS bar_ts, p.idx AS bar_idx FROM s ASOF LEFT JOIN p"
      "       ON s.asset = p.asset AND s.ts <= p.ts),"
      " u AS (SELECT j.*, pu.ts AS used_ts FROM j LEFT JOIN p pu ON pu.asset = j.asset AND pu.idx = j.bar_idx + {lag}),"
      " d AS (SELECT ts, asset, min(file) AS file, max(rn) AS rn FROM s GROUP BY ts, asset HAVING count(*) > 1),"
      " v AS ("
      "  SELECT CASE WHEN pa.asset IS NULL THEN 3 WHEN u.bar_ts IS NULL THEN 2 WHEN u.ts < pa.first_ts THEN 4"
      "              WHEN u.ts <> u.bar_ts THEN 0 END AS kind, u.asset, u.ts, u.used_ts, u.file, u.rn"
      "  FROM u LEFT JOIN pa ON pa.asset = u.asset WHERE u.asset IS NOT NULL"
      "  UNION ALL SELECT 1, d.asset, d.ts, u2.used_ts, d.file, d.rn FROM d"
      "   LEFT JOIN (SELECT DISTINCT ts, asset, used_ts FROM u) u2 ON u2.ts = d.ts AND u2.asset = d.asset)"
      " SELECT kind, asset, ts, used_ts, file, rn, count(*) OVER () FROM v WHERE kind IS NOT NULL"
      " ORDER BY asset, ts, kind, file, rn LIMIT {max}",
      fmt::arg("s_ts", detail::ts_ns_expression(s)), fmt::arg("s_asset", s_asset),
      fmt::arg("s_row", s.csv ? "-1::BIGINT" : "file_row_number"), fmt::arg("s_reader", s_reader),
      fmt::arg("s_where", detail::where_clause(s, filter, true)), fmt::arg("p_ts", detail::ts_ns_expression(p)),
      fmt::arg("p_asset", p_asset), fmt::arg("p_reader", p.reader),
      fmt::arg("p_where", detail::where_clause(p, filter, true)), fmt::arg("lag", lag),
      fmt::arg("max", detail::kMaxTimingExamples));
  TimingReport report;
  auto result = con.query(sql, "the SQL timing report");
  while (auto chunk = result.fetch()) {
    const auto assets_col = chunk.strings(1);
    const auto files = chunk.strings(4);
    for (size_t r = 0; r < chunk.size(); ++r) {
      TimingViolation v;
      v.kind = static_cast<TimingViolation::Kind>(chunk.data<int32_t>(0)[r]);
      v.asset = std::string(assets_col[r]);
      v.signal_time = Timestamp::from_nanos(chunk.data<int64_t>(2)[r]);
      if (duck::DataChunk::is_valid(chunk.validity(3), r)) v.used_at = Timestamp::from_nanos(chunk.data<int64_t>(3)[r]);
      if (duck::DataChunk::is_valid(chunk.validity(4), r)) v.file = std::string(files[r]);
      if (duck::DataChunk::is_valid(chunk.validity(5), r)) v.row = chunk.data<int64_t>(5)[r];
      report.total = static_cast<uint64_t>(chunk.data<int64_t>(6)[r]);
      v.message = detail::describe_violation(v, lag);
      report.violations.push_back(std::move(v));
    }
  }
  report.is_valid = report.violations.empty();
  return report;
}

/// Field-by-field equality of two reports, with the first difference in the message.
inline ::testing::AssertionResult same_report(const TimingReport& streamed, const TimingReport& sql) {
  if (streamed.total != sql.total || streamed.is_valid != sql.is_valid) {
    return ::testing::AssertionFailure() << "total " << streamed.total << " vs " << sql.total;
  }
  if (streamed.violations.size() != sql.violations.size()) {
    return ::testing::AssertionFailure() << "kept " << streamed.violations.size() << " vs " << sql.violations.size();
  }
  for (size_t i = 0; i < sql.violations.size(); ++i) {
    const auto& a = streamed.violations[i];
    const auto& b = sql.violations[i];
    const bool same = a.kind == b.kind && a.asset == b.asset && a.signal_time == b.signal_time &&
                      a.used_at == b.used_at && a.file == b.file && a.row == b.row && a.message == b.message;
    if (!same) {
      return ::testing::AssertionFailure()
             << "violation " << i << ":\n  streamed " << to_string(a.kind) << " " << a.message << " [" << a.file
             << " row " << a.row << "]\n  sql      " << to_string(b.kind) << " " << b.message << " [" << b.file
             << " row " << b.row << "]";
    }
  }
  return ::testing::AssertionSuccess();
}

}  // namespace ml4t::backtest::testing
