#include "ml4t/backtest/data/inspect.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/optimize.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void run_sql(const std::string& sql) {
  duck::Database db;
  duck::Connection con(db);
  con.execute("SET TimeZone = 'UTC'");
  con.execute(sql);
}

std::string q(const fs::path& p) { return duck::quote_literal(p.string()); }

// Five bars: row 4 (CCC at 01-02) comes after an 01-03 bar, row 5 repeats (01-03, AAA),
// row 3 has a null close.
fs::path write_messy(const fs::path& dir) {
  const auto path = dir / "messy.parquet";
  run_sql(fmt::format(R"(COPY (SELECT * FROM (VALUES
      (TIMESTAMPTZ '2024-01-02 00:00:00+00', 'AAA', 1.0),
      (TIMESTAMPTZ '2024-01-02 00:00:00+00', 'BBB', 2.0),
      (TIMESTAMPTZ '2024-01-03 00:00:00+00', 'AAA', NULL),
      (TIMESTAMPTZ '2024-01-02 00:00:00+00', 'CCC', 3.0),
      (TIMESTAMPTZ '2024-01-03 00:00:00+00', 'AAA', 4.0)) t("timestamp", asset_id, "close"))
      TO {} (FORMAT parquet, COMPRESSION zstd))",
                      q(path)));
  return path;
}

TEST(Inspect, ReportsSchemaRowsAssetsRangeOrderDuplicatesAndNulls) {
  const auto dir = testing::scratch_dir();
  const auto path = write_messy(dir);
  const auto info = inspect_dataset({path.string()});
  EXPECT_EQ(info.rows, 5u);
  ASSERT_EQ(info.columns.size(), 3u);
  EXPECT_EQ(info.columns[0].name, "timestamp");
  EXPECT_EQ(info.columns[0].type, "TIMESTAMP WITH TIME ZONE");
  EXPECT_EQ(info.columns[1].name, "asset_id");
  EXPECT_EQ(info.columns[1].type, "VARCHAR");
  EXPECT_EQ(info.columns[2].name, "close");
  EXPECT_EQ(info.columns[2].type, "DECIMAL(2,1)");
  EXPECT_EQ(info.columns[0].nulls, 0u);
  EXPECT_EQ(info.columns[1].nulls, 0u);
  EXPECT_EQ(info.columns[2].nulls, 1u);
  EXPECT_TRUE(info.has_timestamp);
  EXPECT_TRUE(info.has_asset);
  EXPECT_EQ(info.assets, 3u);
  EXPECT_THAT(info.asset_names, ElementsAre("AAA", "BBB", "CCC"));
  EXPECT_EQ(info.first, Timestamp::parse("2024-01-02"));
  EXPECT_EQ(info.last, Timestamp::parse("2024-01-03"));
  EXPECT_FALSE(info.sorted);
  ASSERT_TRUE(info.order_break.has_value());
  EXPECT_EQ(info.order_break->file, path);
  EXPECT_EQ(info.order_break->row, 4u);
  EXPECT_EQ(info.order_break->timestamp, Timestamp::parse("2024-01-02"));
  EXPECT_EQ(info.order_break->asset, "CCC");
  EXPECT_EQ(info.order_break->previous_timestamp, Timestamp::parse("2024-01-03"));
  EXPECT_EQ(info.order_break->previous_asset, "AAA");
  // Keys: (02,AAA) (02,BBB) (03,AAA) x2 (02,CCC): 5 rows - 4 distinct = 1 duplicate.
  EXPECT_EQ(info.duplicates, 1u);
  ASSERT_EQ(info.files.size(), 1u);
  EXPECT_EQ(info.files[0].format, "parquet");
  EXPECT_EQ(info.files[0].rows, 5u);
  EXPECT_EQ(info.files[0].row_groups, 1u);
  EXPECT_EQ(info.files[0].compression, "ZSTD");
  EXPECT_EQ(info.files[0].bytes, fs::file_size(path));
  EXPECT_EQ(info.bytes, fs::file_size(path));
}

TEST(Inspect, JsonAndTextOutput) {
  const auto dir = testing::scratch_dir();
  const auto path = dir / "tiny.csv";
  run_sql(fmt::format("COPY (SELECT * FROM (VALUES (TIMESTAMP '2024-01-02 09:30:00', 'AAA', 1.5), (TIMESTAMP "
                      "'2024-01-02 09:31:00', 'AAA', NULL)) t(\"timestamp\", asset_id, px)) TO {} (HEADER)",
                      q(path)));
  const auto info = inspect_dataset({path.string()});
  const auto bytes = fs::file_size(path);
  EXPECT_EQ(format_json(info),
            fmt::format(R"({{"bytes": {0}, "rows": 2, "files": [{{"path": "{1}", "format": "csv", "bytes": {0}, )"
                        R"("rows": 2}}], "columns": [{{"name": "timestamp", "type": "TIMESTAMP", "nulls": 0}}, )"
                        R"({{"name": "asset_id", "type": "VARCHAR", "nulls": 0}}, {{"name": "px", "type": "DOUBLE", )"
                        R"("nulls": 1}}], "assets": {{"count": 1, "first": ["AAA"]}}, "first": )"
                        R"("2024-01-02T09:30:00Z", "last": "2024-01-02T09:31:00Z", "sorted": true, "duplicates": 0, )"
                        R"("first_out_of_order": null}})",
                        bytes, path.string()));
  const std::string text = format_text(info);
  EXPECT_THAT(text, HasSubstr("rows:       2\n"));
  EXPECT_THAT(text, HasSubstr("assets:     1 (AAA)\n"));
  EXPECT_THAT(text, HasSubstr("time range: 2024-01-02T09:30:00Z .. 2024-01-02T09:31:00Z\n"));
  EXPECT_THAT(text, HasSubstr("sorted:     yes, by (timestamp, asset_id)\n"));
  EXPECT_THAT(text, HasSubstr("duplicates: 0 rows repeat a (timestamp, asset_id) key\n"));
}

TEST(Inspect, DuplicatesInSortedAndUnsortedDataCountTheSame) {
  // Keys: (d1, AAA) x3, (d1, BBB) x1, (d2, AAA) x2 -> 2 + 0 + 1 = 3 repeated rows. Sorted
  // data is counted in the streaming pass, unsorted data with a GROUP BY.
  const auto dir = testing::scratch_dir();
  const std::string rows =
      "SELECT CAST(t AS TIMESTAMPTZ) AS \"timestamp\", a AS asset_id, c AS \"close\" FROM (VALUES "
      "('2024-01-02 00:00:00+00', 'AAA', 1.0), ('2024-01-02 00:00:00+00', 'AAA', 2.0), "
      "('2024-01-02 00:00:00+00', 'AAA', 3.0), ('2024-01-02 00:00:00+00', 'BBB', 4.0), "
      "('2024-01-03 00:00:00+00', 'AAA', 5.0), ('2024-01-03 00:00:00+00', 'AAA', 6.0)) v(t, a, c)";
  run_sql(fmt::format("COPY ({} ORDER BY c) TO {} (FORMAT parquet)", rows, q(dir / "sorted.parquet")));
  run_sql(fmt::format("COPY ({} ORDER BY c DESC) TO {} (FORMAT parquet)", rows, q(dir / "reversed.parquet")));
  const auto sorted = inspect_dataset({(dir / "sorted.parquet").string()});
  EXPECT_TRUE(sorted.sorted);
  EXPECT_EQ(sorted.duplicates, 3u);
  const auto reversed = inspect_dataset({(dir / "reversed.parquet").string()});
  EXPECT_FALSE(reversed.sorted);
  EXPECT_EQ(reversed.duplicates, 3u);
}

TEST(Inspect, MemoryLimitReachesDuckDB) {
  // The GROUP BY that counts duplicates of unsorted data can spill; the limit and the
  // spill folder must reach DuckDB (a limit it rejects proves the setting is applied).
  const auto dir = testing::scratch_dir();
  run_sql(fmt::format("COPY (SELECT TIMESTAMPTZ '2024-01-02 00:00:00+00' + to_days(CAST(9 - i % 10 AS INTEGER)) AS "
                      "\"timestamp\", 'A' || (i % 3) AS asset_id, i * 1.0 AS \"close\" FROM range(30) t(i)) TO {} "
                      "(FORMAT parquet)",
                      q(dir / "unsorted.parquet")));
  InspectOptions options;
  options.memory_limit = "64MB";
  options.temp_directory = (dir / "spill").string();
  const auto info = inspect_dataset({(dir / "unsorted.parquet").string()}, options);
  EXPECT_FALSE(info.sorted);
  // 30 rows, day 9 - i % 10 and asset i % 3: the pair fixes i % 30, so no key repeats.
  EXPECT_EQ(info.rows, 30u);
  EXPECT_EQ(info.duplicates, 0u);
  options.memory_limit = "lots";
  try {
    inspect_dataset({(dir / "unsorted.parquet").string()}, options);
    ADD_FAILURE() << "expected a ConfigError for memory_limit \"lots\"";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("memory_limit = \"lots\" is not valid"));
  }
}

TEST(Inspect, HiveDirectoryInNaturalPartitionOrderIsSorted) {
  const auto dir = testing::scratch_dir();
  const auto in = dir / "in.parquet";
  // Two assets, daily from 2024-01-20 for 40 days (Jan 20..Feb 28), shuffled.
  run_sql(fmt::format("COPY (SELECT TIMESTAMPTZ '2024-01-20 00:00:00+00' + INTERVAL (i // 2) DAY AS \"timestamp\", "
                      "CASE WHEN i % 2 = 0 THEN 'AAA' ELSE 'BBB' END AS asset_id, i * 1.0 AS \"close\" FROM "
                      "range(80) r(i) ORDER BY hash(i)) TO {} (FORMAT parquet)",
                      q(in)));
  EXPECT_FALSE(inspect_dataset({in.string()}).sorted);
  OptimizeOptions options;
  options.partition_by = PartitionBy::kMonth;
  write_optimized_parquet({in.string()}, dir / "ds", options);
  const auto info = inspect_dataset({(dir / "ds").string()});
  EXPECT_EQ(info.rows, 80u);
  ASSERT_EQ(info.files.size(), 2u);
  EXPECT_EQ(info.files[0].path, dir / "ds" / "year=2024" / "month=1" / "data_0.parquet");
  EXPECT_EQ(info.files[0].rows, 24u);  // Jan 20..31 = 12 days x 2
  EXPECT_EQ(info.files[1].rows, 56u);  // Feb 1..28 = 28 days x 2
  EXPECT_TRUE(info.sorted);
  EXPECT_FALSE(info.order_break.has_value());
  EXPECT_EQ(info.duplicates, 0u);
  EXPECT_EQ(info.first, Timestamp::parse("2024-01-20"));
  EXPECT_EQ(info.last, Timestamp::parse("2024-02-28"));
  // The hive keys appear as columns.
  std::vector<std::string> names;
  for (const auto& c : info.columns) names.push_back(c.name);
  EXPECT_THAT(names, ElementsAre("timestamp", "asset_id", "close", "month", "year"));
}

TEST(Inspect, ReadsPartitionsInNaturalOrderSoMonth9ComesBeforeMonth10) {
  const auto dir = testing::scratch_dir();
  const auto in = dir / "in.parquet";
  // One asset, daily from 2024-09-25 for 10 days (Sep 25..Oct 4).
  run_sql(fmt::format("COPY (SELECT TIMESTAMPTZ '2024-09-25 00:00:00+00' + INTERVAL (i) DAY AS \"timestamp\", 'AAA' AS "
                      "asset_id, i * 1.0 AS \"close\" FROM range(10) r(i)) TO {} (FORMAT parquet)",
                      q(in)));
  OptimizeOptions options;
  options.partition_by = PartitionBy::kMonth;
  write_optimized_parquet({in.string()}, dir / "ds", options);
  const auto info = inspect_dataset({(dir / "ds" / "*" / "*" / "*.parquet").string()});
  ASSERT_EQ(info.files.size(), 2u);
  EXPECT_EQ(info.files[0].path, dir / "ds" / "year=2024" / "month=9" / "data_0.parquet");
  EXPECT_EQ(info.files[0].rows, 6u);  // Sep 25..30
  EXPECT_EQ(info.files[1].path, dir / "ds" / "year=2024" / "month=10" / "data_0.parquet");
  EXPECT_EQ(info.files[1].rows, 4u);  // Oct 1..4
  EXPECT_TRUE(info.sorted);
}

TEST(Inspect, WithoutTimestampOrAssetColumnsStillDescribesTheData) {
  const auto dir = testing::scratch_dir();
  const auto path = dir / "plain.parquet";
  run_sql(fmt::format("COPY (SELECT 'x' AS a, 1 AS b) TO {} (FORMAT parquet)", q(path)));
  const auto info = inspect_dataset({path.string()});
  EXPECT_EQ(info.rows, 1u);
  EXPECT_FALSE(info.has_timestamp);
  EXPECT_FALSE(info.has_asset);
  EXPECT_FALSE(info.sorted);
  EXPECT_FALSE(info.first.has_value());
  EXPECT_THAT(format_text(info), HasSubstr("time range: no time-typed column 'timestamp'\n"));
  EXPECT_THAT(format_json(info), HasSubstr(R"("assets": null, "first": null, "last": null, "sorted": null)"));
}

TEST(Inspect, CustomColumnNamesAndDuplicatesPerTimestampWithoutAsset) {
  const auto dir = testing::scratch_dir();
  const auto path = dir / "ctx.parquet";
  run_sql(fmt::format("COPY (SELECT * FROM (VALUES (DATE '2024-01-02', 1.0), (DATE '2024-01-02', 2.0), (DATE "
                      "'2024-01-01', 3.0)) t(d, vix)) TO {} (FORMAT parquet)",
                      q(path)));
  InspectOptions options;
  options.timestamp_column = "d";
  options.asset_column = "";
  const auto info = inspect_dataset({path.string()}, options);
  EXPECT_TRUE(info.has_timestamp);
  EXPECT_FALSE(info.has_asset);
  EXPECT_EQ(info.duplicates, 1u);  // two rows at 2024-01-02
  EXPECT_FALSE(info.sorted);
  ASSERT_TRUE(info.order_break.has_value());
  EXPECT_EQ(info.order_break->row, 3u);
  EXPECT_EQ(info.first, Timestamp::parse("2024-01-01"));
}

TEST(Inspect, MissingFileAndEmptyGlobAreDataErrors) {
  const auto dir = testing::scratch_dir();
  try {
    inspect_dataset({(dir / "none.parquet").string()});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("input file {} not found", (dir / "none.parquet").string())));
  }
  try {
    inspect_dataset({(dir / "*.parquet").string()});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("matches no file"));
  }
  try {
    inspect_dataset({dir.string()});
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("holds no .parquet or .csv file"));
  }
}

}  // namespace
}  // namespace ml4t::backtest
