#include "ml4t/backtest/data/signal_timing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "data/source_scan.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace ml4t::backtest {

int SignalTiming::lag_bars() const {
  switch (mode) {
    case SignalTimingMode::kStrict:
      return 0;
    case SignalTimingMode::kNextBar:
      return 1;
    case SignalTimingMode::kCustom:
      return lag;
  }
  return 1;
}

SignalTimingMode parse_signal_timing_mode(std::string_view text) {
  std::string t(text);
  for (auto& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (t == "strict") return SignalTimingMode::kStrict;
  if (t == "next_bar" || t == "nextbar" || t == "next-bar") return SignalTimingMode::kNextBar;
  if (t == "custom") return SignalTimingMode::kCustom;
  throw ConfigError(fmt::format("unknown signal timing mode \"{}\"; use strict, next_bar or custom", text));
}

std::string_view to_string(SignalTimingMode mode) {
  switch (mode) {
    case SignalTimingMode::kStrict:
      return "STRICT";
    case SignalTimingMode::kNextBar:
      return "NEXT_BAR";
    case SignalTimingMode::kCustom:
      return "CUSTOM";
  }
  return "?";
}

std::string_view to_string(TimingViolation::Kind kind) {
  switch (kind) {
    case TimingViolation::Kind::kNotOnBar:
      return "not_on_bar";
    case TimingViolation::Kind::kDuplicate:
      return "duplicate";
    case TimingViolation::Kind::kAfterLastBar:
      return "after_last_bar";
    case TimingViolation::Kind::kUnknownAsset:
      return "unknown_asset";
    case TimingViolation::Kind::kBeforeFirstBar:
      return "before_first_bar";
  }
  return "?";
}

namespace {

// Reported rows are capped: a misaligned file can have one violation per row.
constexpr int kMaxReported = 100000;

std::string describe(const TimingViolation& v, int lag) {
  const std::string used = v.used_at ? "used at the bar " + v.used_at->to_string() : "never used";
  const std::string stamp = v.signal_time.to_string();
  switch (v.kind) {
    case TimingViolation::Kind::kNotOnBar:
      return fmt::format(
          "asset {}: signal stamped {} is not on a bar of {} ({} with lag {}); a join on exact or "
          "rounded-down timestamps would use it too early",
          v.asset, stamp, v.asset, used, lag);
    case TimingViolation::Kind::kDuplicate:
      return fmt::format("asset {}: more than one signal stamped {} (the last row wins)", v.asset, stamp);
    case TimingViolation::Kind::kAfterLastBar:
      return fmt::format("asset {}: signal stamped {} is after the asset's last bar (never used)", v.asset, stamp);
    case TimingViolation::Kind::kUnknownAsset:
      return fmt::format("asset {}: signal stamped {} but the prices have no bars for {}", v.asset, stamp, v.asset);
    case TimingViolation::Kind::kBeforeFirstBar:
      return fmt::format("asset {}: signal stamped {} is before the asset's first bar ({})", v.asset, stamp, used);
  }
  return "";
}

}  // namespace

TimingReport validate_signal_timing(const DataSource& signals, const DataSource& prices, const SignalTiming& timing,
                                    bool fail_on_violation, const std::vector<std::string>& assets) {
  if (timing.mode == SignalTimingMode::kCustom && timing.lag < 0) {
    throw ConfigError(fmt::format("signal timing: CUSTOM lag must be >= 0 bars (got {})", timing.lag));
  }
  const int lag = timing.lag_bars();
  // A private instance: sharing the feed's, while its background order check scans,
  // once gave a DuckDB internal error under load (seen in the sanitizer run).
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
      " ORDER BY asset, ts, kind LIMIT {max}",
      fmt::arg("s_ts", detail::ts_ns_expression(s)), fmt::arg("s_asset", s_asset),
      fmt::arg("s_row", s.csv ? "-1::BIGINT" : "file_row_number"), fmt::arg("s_reader", s_reader),
      fmt::arg("s_where", detail::where_clause(s, filter, true)), fmt::arg("p_ts", detail::ts_ns_expression(p)),
      fmt::arg("p_asset", p_asset), fmt::arg("p_reader", p.reader),
      fmt::arg("p_where", detail::where_clause(p, filter, true)), fmt::arg("lag", lag), fmt::arg("max", kMaxReported));

  TimingReport report;
  int64_t total = 0;
  auto result = [&] {
    try {
      return con.query(sql, "validating signal timing");
    } catch (const DataError& e) {
      if (std::string_view(e.what()).find("to Timestamp(NS)") == std::string_view::npos) throw;
      throw DataError(fmt::format("signal timing: a timestamp in column \"{}\" of {} or column \"{}\" of {} is outside "
                                  "the range nanosecond timestamps can hold (1677-09-21 .. 2262-04-11); fix the date "
                                  "(placeholders such as 9999-12-31 are a common cause) or remove the row",
                                  p.ts_column, p.description, s.ts_column, s.description));
    }
  }();
  while (auto chunk = result.fetch()) {
    const auto strings_asset = chunk.strings(1);
    const auto strings_file = chunk.strings(4);
    for (size_t r = 0; r < chunk.size(); ++r) {
      TimingViolation v;
      v.kind = static_cast<TimingViolation::Kind>(chunk.data<int32_t>(0)[r]);
      v.asset = std::string(strings_asset[r]);
      v.signal_time = Timestamp::from_nanos(chunk.data<int64_t>(2)[r]);
      if (duck::DataChunk::is_valid(chunk.validity(3), r)) v.used_at = Timestamp::from_nanos(chunk.data<int64_t>(3)[r]);
      if (duck::DataChunk::is_valid(chunk.validity(4), r)) v.file = std::string(strings_file[r]);
      if (duck::DataChunk::is_valid(chunk.validity(5), r)) v.row = chunk.data<int64_t>(5)[r];
      total = chunk.data<int64_t>(6)[r];
      v.message = describe(v, lag);
      report.violations.push_back(std::move(v));
    }
  }
  report.is_valid = report.violations.empty();
  if (!report.is_valid && fail_on_violation) {
    std::string list;
    const size_t shown = std::min<size_t>(report.violations.size(), 5);
    for (size_t i = 0; i < shown; ++i) {
      const auto& v = report.violations[i];
      list += "\n  - " + v.message;
      if (!v.file.empty())
        list += v.row >= 0 ? fmt::format(" [{} row {}]", v.file, v.row) : fmt::format(" [{}]", v.file);
    }
    throw SignalTimingViolation(fmt::format(
        "signal timing ({}, lag {} bars): {} violation(s) in {} against {}; first {}:{}\nFix: stamp each signal "
        "with the time of the bar it was computed from (or later), remove duplicates and rows for unknown assets, "
        "or run with validate_signal_timing off to accept them",
        to_string(timing.mode), lag, total, s.description, p.description, shown, list));
  }
  return report;
}

}  // namespace ml4t::backtest
