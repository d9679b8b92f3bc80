// Result files: summary.json parsed back with yaml-cpp, Parquet read back through DuckDB,
// CSV text with ISO-8601 UTC timestamps, the non-empty-folder refusal, overwrite, and
// that a failed write leaves nothing behind.
#include "ml4t/backtest/results/writer.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

Results sample_results() {
  Results r;
  r.symbols = {"AAA", "B\"B"};
  const Timestamp d1 = Timestamp::from_civil(2024, 1, 2), d2 = Timestamp::from_civil(2024, 1, 3),
                  d3 = Timestamp::from_civil(2024, 2, 1, 15, 30, 0, 123'000'000);
  r.equity_curve = {{d1, 1000, 0, 1000, 0}, {d2, 500, 550, 1050, 0}, {d3, 1040, 0, 1040, 1040.0 / 1050 - 1}};
  r.equity_curve[1].gross_value = 550;
  Trade t;
  t.asset = 0;
  t.entry_time = d2;
  t.exit_time = d3;
  t.quantity = 5;
  t.entry_price = 100;
  t.exit_price = 108;
  t.pnl = 40 - 2;  // 5 x (108 - 100) - 2 commission
  t.return_fraction = 38.0 / 500;
  t.commission = 2;
  t.bars_held = 1;
  t.exit_reason = ExitReason::kTakeProfit;
  r.trades = {t};
  r.fills = {{1, d2, 0, Side::kBuy, 5, 100, 1, 0}, {2, d3, 0, Side::kSell, 5, 108, 1, 0}};
  OrderRecord o;
  o.id = 3;
  o.created = d2;
  o.updated = d3;
  o.asset = 1;
  o.side = Side::kSell;
  o.quantity = 7;
  o.limit_price = std::numeric_limits<double>::quiet_NaN();
  o.stop_price = 95.5;
  o.type = OrderType::kStop;
  o.trail_percent = std::numeric_limits<double>::quiet_NaN();
  o.time_in_force = TimeInForce::kDay;
  o.avg_fill_price = std::numeric_limits<double>::quiet_NaN();  // nothing filled
  o.status = OrderStatus::kRejected;
  o.reason = "insufficient cash, \"really\"";
  r.orders = {o};
  r.metrics.total_return = 0.04;
  r.metrics.sharpe = 1.25;
  r.metrics.max_drawdown = 1040.0 / 1050 - 1;
  r.metrics.num_trades = 1;
  r.metrics.profit_factor = std::numeric_limits<double>::infinity();  // no losses: JSON null
  r.initial_capital = 1000;
  r.final_equity = 1040;
  r.events = 6;
  return r;
}

RunInfo sample_info() {
  RunInfo info;
  info.config_json = "{\n  \"a\": 1,\n  \"b\": [\"x\"]\n}";
  info.files = {{"prices", "/data/prices.parquet", 1234, Timestamp::from_civil(2024, 5, 1)}};
  info.rows = 6;
  info.assets = 2;
  info.first = Timestamp::from_civil(2024, 1, 2);
  info.last = Timestamp::from_civil(2024, 2, 1);
  info.version = "0.1.0";
  info.elapsed_seconds = 0.5;
  return info;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(JsonWriter, EscapesAndKeepsEveryBit) {
  JsonWriter w(0);
  w.begin_object().key("s").value("a\"b\\c\n\x01").key("d").value(0.1).key("n").null();
  w.key("inf").value(std::numeric_limits<double>::infinity()).key("l").begin_array().value(int64_t{-3});
  w.value(true).end_array().key("e").begin_object().end_object().end_object();
  EXPECT_EQ(w.str(), R"({"s":"a\"b\\c\n\u0001","d":0.1,"n":null,"inf":null,"l":[-3,true],"e":{}})");
  const YAML::Node n = YAML::Load(w.str());
  EXPECT_EQ(n["s"].as<std::string>(), "a\"b\\c\n\x01");
  EXPECT_EQ(n["d"].as<double>(), 0.1);
}

TEST(SummaryJson, HasEveryFieldAndParsesBack) {
  const YAML::Node s = YAML::Load(summary_json(sample_results(), sample_info()));
  EXPECT_EQ(s["final_equity"].as<double>(), 1040.0);
  EXPECT_EQ(s["total_return"].as<double>(), 0.04);
  EXPECT_EQ(s["num_trades"].as<int>(), 1);
  for (const char* key : {"total_return", "cagr", "annual_volatility", "sharpe", "sortino", "max_drawdown",
                          "max_drawdown_duration_bars", "calmar", "win_rate", "profit_factor", "avg_win", "avg_loss",
                          "exposure", "turnover", "num_trades", "periods_per_year"}) {
    EXPECT_TRUE(s["metrics"][key].IsDefined()) << key;
  }
  EXPECT_EQ(s["metrics"]["sharpe"].as<double>(), 1.25);
  EXPECT_EQ(s["metrics"]["max_drawdown"].as<double>(), 1040.0 / 1050 - 1);  // bit-exact round trip
  EXPECT_TRUE(s["metrics"]["profit_factor"].IsNull());
  EXPECT_EQ(s["config"]["a"].as<int>(), 1);
  EXPECT_EQ(s["config"]["b"][0].as<std::string>(), "x");
  EXPECT_EQ(s["data"]["files"][0]["path"].as<std::string>(), "/data/prices.parquet");
  EXPECT_EQ(s["data"]["files"][0]["bytes"].as<int>(), 1234);
  EXPECT_EQ(s["data"]["files"][0]["modified"].as<std::string>(), "2024-05-01T00:00:00Z");
  EXPECT_EQ(s["data"]["rows"].as<int>(), 6);
  EXPECT_EQ(s["data"]["assets"].as<int>(), 2);
  EXPECT_EQ(s["data"]["start"].as<std::string>(), "2024-01-02T00:00:00Z");
  EXPECT_EQ(s["data"]["end"].as<std::string>(), "2024-02-01T00:00:00Z");
  EXPECT_EQ(s["version"].as<std::string>(), "0.1.0");
  EXPECT_EQ(s["elapsed_seconds"].as<double>(), 0.5);
  EXPECT_EQ(s["events"].as<int>(), 6);
}

TEST(WriteResults, WritesParquetCsvSummaryAndReport) {
  const fs::path dir = testing::scratch_dir() / "out";
  WriteOptions opt;
  opt.csv = true;
  const auto files = write_results(sample_results(), dir, opt, sample_info());
  std::vector<std::string> names;
  for (const auto& f : files) names.push_back(f.filename().string());
  EXPECT_EQ(names, (std::vector<std::string>{"cashflows.csv", "cashflows.parquet", "equity.csv", "equity.parquet",
                                             "fills.csv", "fills.parquet", "orders.csv", "orders.parquet",
                                             "report.html", "summary.json", "trades.csv", "trades.parquet"}));
  // Only the result files: the staging folder is gone.
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++entries;
  EXPECT_EQ(entries, 12u);

  // CSV: ISO-8601 UTC timestamps, NaN as empty, quotes escaped.
  // The drawdown is the shortest text that reads back to 1040/1050 - 1 exactly.
  EXPECT_EQ(read_file(dir / "equity.csv"),
            "timestamp,cash,positions_value,equity,drawdown,gross_value\n"
            "2024-01-02T00:00:00Z,1000.0,0.0,1000.0,0.0,0.0\n"
            "2024-01-03T00:00:00Z,500.0,550.0,1050.0,0.0,550.0\n"
            "2024-02-01T15:30:00.123Z,1040.0,0.0,1040.0," +
                fmt::format("{}", 1040.0 / 1050 - 1) + ",0.0\n");
  EXPECT_EQ(read_file(dir / "orders.csv"),
            "id,created,updated,asset,side,type,quantity,filled_quantity,limit_price,stop_price,trail_percent,"
            "time_in_force,avg_fill_price,status,reason\n"
            "3,2024-01-03T00:00:00Z,2024-02-01T15:30:00.123Z,\"B\"\"B\",sell,stop,7.0,0.0,,95.5,,day,,rejected,"
            "\"insufficient cash, \"\"really\"\"\"\n");

  // The trades columns, in the order the engine issue lists them (plus `open`).
  const std::string trades_csv = read_file(dir / "trades.csv");
  EXPECT_EQ(trades_csv.substr(0, trades_csv.find('\n')),
            "asset,side,entry_time,exit_time,quantity,entry_price,exit_price,pnl,return,commission,slippage,"
            "bars_held,exit_reason,open");

  // Parquet: read back through DuckDB.
  duck::Database db;
  duck::Connection con(db);
  auto res =
      con.query(fmt::format("SELECT asset, side, pnl, bars_held, exit_reason, epoch_us(exit_time), \"return\" FROM "
                            "read_parquet({})",
                            duck::quote_literal((dir / "trades.parquet").string())));
  auto chunk = res.fetch();
  ASSERT_EQ(chunk.size(), 1u);
  EXPECT_EQ(chunk.string_at(0, 0), "AAA");
  EXPECT_EQ(chunk.string_at(1, 0), "long");
  EXPECT_EQ(chunk.data<double>(2)[0], 38.0);
  EXPECT_EQ(chunk.data<int64_t>(3)[0], 1);
  EXPECT_EQ(chunk.string_at(4, 0), "take_profit");
  EXPECT_EQ(chunk.data<int64_t>(5)[0], Timestamp::from_civil(2024, 2, 1, 15, 30, 0, 123'000'000).micros());
  EXPECT_EQ(chunk.data<double>(6)[0], 38.0 / 500);
  auto eq = con.query(fmt::format("SELECT count(*)::BIGINT, sum(equity) FROM read_parquet({})",
                                  duck::quote_literal((dir / "equity.parquet").string())));
  auto c2 = eq.fetch();
  EXPECT_EQ(c2.data<int64_t>(0)[0], 3);
  EXPECT_EQ(c2.data<double>(1)[0], 1000.0 + 1050.0 + 1040.0);
}

TEST(WriteResults, RefusesANonEmptyFolderWithoutOverwrite) {
  const fs::path dir = testing::scratch_dir();
  std::ofstream(dir / "notes.txt") << "mine";
  try {
    write_results(sample_results(), dir, {}, sample_info());
    FAIL();
  } catch (const OutputError& e) {
    EXPECT_THAT(e.what(), HasSubstr("output folder " + dir.string() + " is not empty; pass --overwrite"));
  }
  EXPECT_THROW(check_output_dir(dir / "notes.txt", true), OutputError);
  // Overwrite replaces earlier results (a stale CSV from a csv run goes) and keeps other files.
  std::ofstream(dir / "equity.csv") << "stale";
  WriteOptions opt;
  opt.overwrite = true;
  opt.report = false;
  write_results(sample_results(), dir, opt, sample_info());
  EXPECT_FALSE(fs::exists(dir / "equity.csv"));
  EXPECT_TRUE(fs::exists(dir / "equity.parquet"));
  EXPECT_FALSE(fs::exists(dir / "report.html"));
  EXPECT_EQ(read_file(dir / "notes.txt"), "mine");
}

TEST(WriteResults, AFailedWriteLeavesNothingBehind) {
  const fs::path dir = testing::scratch_dir() / "out";
  Results bad = sample_results();
  bad.symbols[0] = "\xff\xfe";  // not UTF-8: DuckDB refuses the string mid-way
  EXPECT_THROW(write_results(bad, dir, {}, sample_info()), OutputError);
  ASSERT_TRUE(fs::exists(dir));
  EXPECT_TRUE(fs::is_empty(dir));
}

}  // namespace
}  // namespace ml4t::backtest
