#include "ml4t/backtest/data/optimize.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <string>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Runs SQL on a fresh in-memory DuckDB (UTC) to build fixtures and read results back.
class Sql {
 public:
  Sql() : con_(db_) { con_.execute("SET TimeZone = 'UTC'"); }
  void run(const std::string& sql) { con_.execute(sql); }
  // The first column of every row, as text ("NULL" for null).
  std::vector<std::string> rows(const std::string& sql) {
    auto result = con_.query(fmt::format("SELECT CAST(c AS VARCHAR) FROM ({}) t(c)", sql));
    std::vector<std::string> out;
    for (auto chunk = result.fetch(); chunk; chunk = result.fetch()) {
      for (size_t r = 0; r < chunk.size(); ++r) {
        out.push_back(duck::DataChunk::is_valid(chunk.validity(0), r) ? std::string(chunk.string_at(0, r)) : "NULL");
      }
    }
    return out;
  }

 private:
  duck::Database db_;
  duck::Connection con_;
};

std::string q(const fs::path& p) { return duck::quote_literal(p.string()); }

// Four bars in scrambled order; sector has a null.
const char* kUnsorted = R"(SELECT * FROM (VALUES
  (TIMESTAMPTZ '2024-01-03 00:00:00+00', 'BBB', 0.1, 'tech'),
  (TIMESTAMPTZ '2024-01-02 00:00:00+00', 'BBB', 1e-300, 'energy'),
  (TIMESTAMPTZ '2024-01-03 00:00:00+00', 'AAA', -2.5, NULL),
  (TIMESTAMPTZ '2024-01-02 00:00:00+00', 'AAA', 123456.789, 'tech')) t("timestamp", asset_id, "close", sector))";

// The same rows sorted by (timestamp, asset), as "ts|asset|close|sector".
const std::vector<std::string> kSorted = {
    "2024-01-02 00:00:00+00|AAA|123456.789|tech",
    "2024-01-02 00:00:00+00|BBB|1e-300|energy",
    "2024-01-03 00:00:00+00|AAA|-2.5|NULL",
    "2024-01-03 00:00:00+00|BBB|0.1|tech",
};

std::string as_rows(const fs::path& file) {
  return fmt::format(
      "SELECT concat_ws('|', CAST(\"timestamp\" AS VARCHAR), asset_id, CAST(\"close\" AS VARCHAR), "
      "coalesce(CAST(sector AS VARCHAR), 'NULL')) FROM read_parquet({})",
      q(file));
}

fs::path write_unsorted(Sql& sql, const fs::path& dir) {
  const auto path = dir / "in.parquet";
  sql.run(fmt::format("COPY ({}) TO {} (FORMAT parquet)", kUnsorted, q(path)));
  return path;
}

TEST(Optimize, EachCodecRoundTripsTheExactValuesSorted) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_unsorted(sql, dir);
  const std::vector<std::pair<Compression, std::string>> codecs = {{Compression::kZstd, "ZSTD"},
                                                                   {Compression::kSnappy, "SNAPPY"},
                                                                   {Compression::kGzip, "GZIP"},
                                                                   {Compression::kLz4, "LZ4_RAW"},
                                                                   {Compression::kUncompressed, "UNCOMPRESSED"}};
  for (const auto& [codec, parquet_name] : codecs) {
    SCOPED_TRACE(std::string(to_string(codec)));
    OptimizeOptions options;
    options.compression = codec;
    const auto out = dir / fmt::format("out_{}.parquet", to_string(codec));
    const auto summary = write_optimized_parquet({in.string()}, out, options);
    EXPECT_EQ(summary.rows, 4u);
    EXPECT_THAT(summary.outputs, ElementsAre(out));
    EXPECT_EQ(summary.output_bytes, fs::file_size(out));
    EXPECT_EQ(summary.input_bytes, fs::file_size(in));
    EXPECT_EQ(sql.rows(as_rows(out)), kSorted);
    EXPECT_THAT(sql.rows(fmt::format("SELECT DISTINCT compression FROM parquet_metadata({})", q(out))),
                ElementsAre(parquet_name));
  }
}

TEST(Optimize, ZstdLevelIsAppliedAndChecked) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_unsorted(sql, dir);
  OptimizeOptions options;
  options.level = 19;
  write_optimized_parquet({in.string()}, dir / "l19.parquet", options);
  EXPECT_EQ(sql.rows(as_rows(dir / "l19.parquet")), kSorted);

  options.level = 23;
  EXPECT_THROW(
      {
        try {
          write_optimized_parquet({in.string()}, dir / "bad.parquet", options);
        } catch (const ConfigError& e) {
          EXPECT_STREQ(e.what(), "zstd level 23 is out of range; use 1 (fastest) to 22 (smallest)");
          throw;
        }
      },
      ConfigError);
  options.level = 5;
  options.compression = Compression::kSnappy;
  try {
    write_optimized_parquet({in.string()}, dir / "bad.parquet", options);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(),
                 "a compression level applies only to zstd, not snappy; drop --level or use --compression zstd");
  }
  EXPECT_FALSE(fs::exists(dir / "bad.parquet"));
}

TEST(Optimize, CategoricalColumnsAreDictionaryEncodedAndRoundTrip) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_unsorted(sql, dir);
  OptimizeOptions options;
  options.categorical = {"asset_id", "sector"};
  const auto out = dir / "cat.parquet";
  write_optimized_parquet({in.string()}, out, options);
  // ENUM columns are always written as a dictionary page plus RLE-coded indices.
  EXPECT_THAT(sql.rows(fmt::format("SELECT path_in_schema || ':' || encodings FROM parquet_metadata({}) WHERE "
                                   "path_in_schema IN ('asset_id', 'sector') ORDER BY 1",
                                   q(out))),
              ElementsAre("asset_id:RLE_DICTIONARY", "sector:RLE_DICTIONARY"));
  // Read back as the same strings (and the null stays null).
  EXPECT_EQ(sql.rows(as_rows(out)), kSorted);
  EXPECT_THAT(sql.rows(fmt::format("SELECT typeof(sector) FROM read_parquet({}) LIMIT 1", q(out))),
              ElementsAre("VARCHAR"));
}

TEST(Optimize, CategoricalColumnMustExistAndBeAString) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_unsorted(sql, dir);
  OptimizeOptions options;
  options.categorical = {"close"};
  try {
    write_optimized_parquet({in.string()}, dir / "out.parquet", options);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("categorical column 'close' in {} has type DOUBLE; only VARCHAR (string) columns can be "
                          "dictionary-encoded, drop it from --categorical",
                          in.string()));
  }
  options.categorical = {"industry"};
  try {
    write_optimized_parquet({in.string()}, dir / "out.parquet", options);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("categorical column 'industry' not found in {}; columns found: timestamp, asset_id, close, "
                          "sector; name the right column with --categorical (OptimizeOptions::categorical)",
                          in.string()));
  }
}

TEST(Optimize, RowGroupSizeIsHonoured) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = dir / "big.parquet";
  sql.run(fmt::format("COPY (SELECT TIMESTAMPTZ '2024-01-01 00:00:00+00' + INTERVAL (i // 4) MINUTE AS \"timestamp\", "
                      "'A' || (i % 4) AS asset_id, i * 0.5 AS \"close\" FROM range(10000) r(i) ORDER BY random()) "
                      "TO {} (FORMAT parquet)",
                      q(in)));
  OptimizeOptions options;
  options.row_group_size = 4096;
  const auto out = dir / "rg.parquet";
  write_optimized_parquet({in.string()}, out, options);
  // 10000 rows = 4096 + 4096 + 1808.
  EXPECT_THAT(sql.rows(fmt::format("SELECT DISTINCT row_group_id || ':' || row_group_num_rows FROM "
                                   "parquet_metadata({}) ORDER BY 1",
                                   q(out))),
              ElementsAre("0:4096", "1:4096", "2:1808"));
  // And sorted: every row is >= the one before it.
  EXPECT_THAT(sql.rows(fmt::format("SELECT count(*) FROM (SELECT \"timestamp\" AS t, asset_id AS a, lag(t) OVER w AS pt, "
                                   "lag(a) OVER w AS pa FROM read_parquet({}, file_row_number=true) WINDOW w AS (ORDER "
                                   "BY file_row_number)) WHERE pt IS NOT NULL AND (t, a) < (pt, pa)",
                                   q(out))),
              ElementsAre("0"));
  options.row_group_size = 0;
  EXPECT_THROW(write_optimized_parquet({in.string()}, dir / "zero.parquet", options), ConfigError);
}

// Daily bars for two assets from 2023-12-30 to 2024-03-02 (64 days, 128 rows), shuffled.
fs::path write_span(Sql& sql, const fs::path& dir) {
  const auto in = dir / "span.parquet";
  sql.run(fmt::format("COPY (SELECT TIMESTAMPTZ '2023-12-30 00:00:00+00' + INTERVAL (i // 2) DAY AS \"timestamp\", "
                      "CASE WHEN i % 2 = 0 THEN 'AAA' ELSE 'BBB' END AS asset_id, i * 1.0 AS \"close\" "
                      "FROM range(128) r(i) ORDER BY hash(i)) TO {} (FORMAT parquet)",
                      q(in)));
  return in;
}

std::vector<std::string> relative_files(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(fs::relative(e.path(), dir).string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(Optimize, PartitionsByMonthAndATimeRangeReadSkipsOtherPartitions) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_span(sql, dir);
  OptimizeOptions options;
  options.partition_by = PartitionBy::kMonth;
  const auto out = dir / "dataset";
  const auto summary = write_optimized_parquet({in.string()}, out, options);
  EXPECT_EQ(summary.rows, 128u);
  EXPECT_EQ(summary.outputs.size(), 4u);
  EXPECT_THAT(relative_files(out), ElementsAre("year=2023/month=12/data_0.parquet", "year=2024/month=1/data_0.parquet",
                                               "year=2024/month=2/data_0.parquet", "year=2024/month=3/data_0.parquet"));
  // Rows per partition: Dec 30-31 = 2 days, Jan 31, Feb 29 (leap year), Mar 1-2 = 2; two assets each.
  const std::string all = fmt::format("read_parquet({}, hive_partitioning=true)", q(out / "**" / "*.parquet"));
  EXPECT_THAT(sql.rows(fmt::format("SELECT year || '-' || month || ':' || n FROM (SELECT year, month, count(*) AS n "
                                   "FROM {} GROUP BY year, month) ORDER BY year, month",
                                   all)),
              ElementsAre("2023-12:4", "2024-1:62", "2024-2:58", "2024-3:4"));
  // Each partition file is sorted by (timestamp, asset).
  EXPECT_THAT(sql.rows(fmt::format("SELECT count(*) FROM (SELECT filename AS f, \"timestamp\" AS t, asset_id AS a, "
                                   "lag(t) OVER (PARTITION BY f ORDER BY file_row_number) AS pt, lag(a) OVER "
                                   "(PARTITION BY f ORDER BY file_row_number) AS pa FROM read_parquet({}, "
                                   "filename=true, file_row_number=true)) WHERE pt IS NOT NULL AND (t, a) < (pt, pa)",
                                   q(out / "**" / "*.parquet"))),
              ElementsAre("0"));

  // Pruning: make January and March unreadable. A February query with the partition
  // filter still works, so it never opened them... (DuckDB reads the first file's
  // footer for the schema, so December stays intact.)
  for (const char* month : {"year=2024/month=1", "year=2024/month=3"}) {
    std::ofstream(out / month / "data_0.parquet", std::ios::trunc) << "not parquet";
  }
  const Timestamp begin = Timestamp::parse("2024-02-10"), end = Timestamp::parse("2024-02-19");
  const std::string filter = hive_partition_filter(PartitionBy::kMonth, begin, end);
  EXPECT_EQ(filter, "(\"year\" * 100 + \"month\" BETWEEN 202402 AND 202402)");
  const std::string range = "\"timestamp\" BETWEEN TIMESTAMPTZ '2024-02-10 00:00:00+00' AND TIMESTAMPTZ '2024-02-19 "
                            "00:00:00+00'";
  // Feb 10..19 = 10 days x 2 assets.
  EXPECT_THAT(sql.rows(fmt::format("SELECT count(*) FROM {} WHERE {} AND {}", all, range, filter)), ElementsAre("20"));
  // ...while the timestamp filter alone opens them and fails.
  EXPECT_THROW(sql.rows(fmt::format("SELECT count(*) FROM {} WHERE {}", all, range)), DataError);
}

TEST(Optimize, PartitionsByYear) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_span(sql, dir);
  OptimizeOptions options;
  options.partition_by = PartitionBy::kYear;
  options.compression = Compression::kSnappy;
  write_optimized_parquet({in.string()}, dir / "by_year", options);
  EXPECT_THAT(relative_files(dir / "by_year"), ElementsAre("year=2023/data_0.parquet", "year=2024/data_0.parquet"));
  EXPECT_THAT(sql.rows(fmt::format("SELECT count(*) FROM read_parquet({})", q(dir / "by_year" / "year=2023" / "*.parquet"))),
              ElementsAre("4"));
  EXPECT_EQ(hive_partition_filter(PartitionBy::kYear, Timestamp::parse("2023-06-01"), Timestamp::parse("2024-02-01")),
            "(\"year\" BETWEEN 2023 AND 2024)");
  EXPECT_EQ(hive_partition_filter(PartitionBy::kMonth, Timestamp::parse("2023-06-01"), Timestamp::max()),
            "(\"year\" * 100 + \"month\" >= 202306)");
  EXPECT_EQ(hive_partition_filter(PartitionBy::kMonth, Timestamp::min(), Timestamp::parse("2024-12-31T23:59:59")),
            "(\"year\" * 100 + \"month\" <= 202412)");
  EXPECT_EQ(hive_partition_filter(PartitionBy::kYear, Timestamp::min(), Timestamp::max()), "");
  EXPECT_EQ(hive_partition_filter(PartitionBy::kNone, Timestamp::parse("2023-06-01"), Timestamp::parse("2024-02-01")),
            "");
}

TEST(Optimize, RepartitionsAHiveDatasetAndRejectsOtherYearColumns) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_span(sql, dir);
  OptimizeOptions options;
  options.partition_by = PartitionBy::kMonth;
  write_optimized_parquet({in.string()}, dir / "by_month", options);
  // The month dataset's year/month keys are recomputed, not copied into the files.
  options.partition_by = PartitionBy::kYear;
  const auto summary = write_optimized_parquet({(dir / "by_month").string()}, dir / "by_year", options);
  EXPECT_EQ(summary.rows, 128u);
  EXPECT_THAT(relative_files(dir / "by_year"), ElementsAre("year=2023/data_0.parquet", "year=2024/data_0.parquet"));
  EXPECT_THAT(sql.rows(fmt::format("SELECT string_agg(name, ',' ORDER BY name) FROM parquet_schema({}) WHERE "
                                   "num_children IS NULL",
                                   q(dir / "by_year" / "year=2024" / "data_0.parquet"))),
              ElementsAre("asset_id,close,timestamp"));

  const auto odd = dir / "odd.parquet";
  sql.run(fmt::format("COPY (SELECT TIMESTAMP '2024-01-02' AS \"timestamp\", 'AAA' AS asset_id, 7 AS \"month\", 2020 AS \"year\") TO "
                      "{} (FORMAT parquet)",
                      q(odd)));
  try {
    write_optimized_parquet({odd.string()}, dir / "odd_ds", options);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("{} already has a column 'year', which the year partitioning would "
                                                 "replace; rename or drop it, or use --partition-by none",
                                                 odd.string()));
  }
}

TEST(Optimize, MergesCsvGlobsAndParquetAndSorts) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  // Two CSV files and one Parquet file, interleaved in time.
  sql.run(fmt::format("COPY (SELECT TIMESTAMP '2024-01-03 00:00:00' AS \"timestamp\", 'AAA' AS asset_id, 3.0 AS "
                      "\"close\") TO {} (HEADER)",
                      q(dir / "p1.csv")));
  sql.run(fmt::format("COPY (SELECT TIMESTAMP '2024-01-01 00:00:00' AS \"timestamp\", 'BBB' AS asset_id, 1.0 AS "
                      "\"close\") TO {} (HEADER)",
                      q(dir / "p2.csv")));
  sql.run(fmt::format("COPY (SELECT TIMESTAMP '2024-01-02 00:00:00' AS \"timestamp\", 'AAA' AS asset_id, 2.0 AS "
                      "\"close\") TO {} (FORMAT parquet)",
                      q(dir / "p3.parquet")));
  const auto out = dir / "out.parquet";
  const auto summary = write_optimized_parquet({(dir / "p*.csv").string(), (dir / "p3.parquet").string()}, out);
  EXPECT_EQ(summary.rows, 3u);
  EXPECT_EQ(summary.inputs.size(), 3u);
  EXPECT_EQ(summary.input_bytes,
            fs::file_size(dir / "p1.csv") + fs::file_size(dir / "p2.csv") + fs::file_size(dir / "p3.parquet"));
  EXPECT_THAT(sql.rows(fmt::format("SELECT CAST(\"timestamp\" AS VARCHAR) || ' ' || asset_id || ' ' || \"close\" FROM "
                                   "read_parquet({})",
                                   q(out))),
              ElementsAre("2024-01-01 00:00:00 BBB 1.0", "2024-01-02 00:00:00 AAA 2.0", "2024-01-03 00:00:00 AAA 3.0"));
}

TEST(Optimize, MarketWideDataWithoutAnAssetColumn) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  sql.run(fmt::format("COPY (SELECT * FROM (VALUES (DATE '2024-01-03', 21.5), (DATE '2024-01-02', 20.0)) t(\"timestamp\", "
                      "vix)) TO {} (FORMAT parquet)",
                      q(dir / "ctx.parquet")));
  OptimizeOptions options;
  options.asset_column = "";
  write_optimized_parquet({(dir / "ctx.parquet").string()}, dir / "out.parquet", options);
  EXPECT_THAT(sql.rows(fmt::format("SELECT \"timestamp\" || ' ' || vix FROM read_parquet({})", q(dir / "out.parquet"))),
              ElementsAre("2024-01-02 20.0", "2024-01-03 21.5"));
}

TEST(Optimize, MissingFileEmptyGlobAndMissingColumnsAreDataErrors) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_unsorted(sql, dir);
  const auto out = dir / "out.parquet";
  try {
    write_optimized_parquet({(dir / "nope.parquet").string()}, out);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr(fmt::format("input file {} not found; check the path", (dir / "nope.parquet").string())));
  }
  try {
    write_optimized_parquet({(dir / "*.csv").string()}, out);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), fmt::format("the glob {} matches no file; check the pattern and the working "
                                                 "directory",
                                                 (dir / "*.csv").string()));
  }
  OptimizeOptions options;
  options.timestamp_column = "ts";
  try {
    write_optimized_parquet({in.string()}, out, options);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("timestamp column 'ts' not found in {}; columns found: timestamp, asset_id, close, sector; "
                          "name the right column with --timestamp-column (OptimizeOptions::timestamp_column)",
                          in.string()));
  }
  options.timestamp_column = "sector";
  try {
    write_optimized_parquet({in.string()}, out, options);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("timestamp column 'sector' in {} has type VARCHAR, expected TIMESTAMP, TIMESTAMPTZ or DATE; "
                          "convert it, or name the right column with --timestamp-column",
                          in.string()));
  }
  options.timestamp_column = "timestamp";
  options.asset_column = "symbol";
  try {
    write_optimized_parquet({in.string()}, out, options);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("asset column 'symbol' not found in"));
    EXPECT_THAT(e.what(), HasSubstr("an empty name for market-wide data without assets"));
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(Optimize, NullTimestampsAreADataError) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = dir / "nulls.parquet";
  sql.run(fmt::format("COPY (SELECT * FROM (VALUES (TIMESTAMP '2024-01-02', 'AAA'), (NULL, 'BBB'), (NULL, 'CCC')) "
                      "t(\"timestamp\", asset_id)) TO {} (FORMAT parquet)",
                      q(in)));
  OptimizeOptions options;
  options.partition_by = PartitionBy::kYear;
  try {
    write_optimized_parquet({in.string()}, dir / "out", options);
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("timestamp column 'timestamp' in {} has 2 null value(s); every row needs a timestamp: drop "
                          "or fill those rows",
                          in.string()));
  }
  EXPECT_FALSE(fs::exists(dir / "out"));
}

TEST(Optimize, TruncatedParquetFailsWithoutLeavingAnyOutput) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto good = write_unsorted(sql, dir);
  const auto bad = dir / "bad.parquet";
  {
    std::ifstream src(good, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(src)), std::istreambuf_iterator<char>());
    std::ofstream(bad, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  }
  try {
    write_optimized_parquet({bad.string()}, dir / "out.parquet");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr(bad.string()));
  }
  // Only the two inputs remain: no output, no temporary file.
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_THAT(names, ElementsAre("bad.parquet", "in.parquet"));
}

TEST(Optimize, ExistingOutputNeedsOverwrite) {
  const auto dir = testing::scratch_dir();
  Sql sql;
  const auto in = write_unsorted(sql, dir);
  const auto out = dir / "out.parquet";
  std::ofstream(out) << "old";
  try {
    write_optimized_parquet({in.string()}, out);
    FAIL();
  } catch (const OutputError& e) {
    EXPECT_EQ(std::string(e.what()),
              fmt::format("output {} already exists; remove it or pass --overwrite to replace it", out.string()));
  }
  OptimizeOptions options;
  options.overwrite = true;
  write_optimized_parquet({in.string()}, out, options);
  EXPECT_EQ(sql.rows(as_rows(out)), kSorted);
}

TEST(Optimize, ParsesOptionNames) {
  EXPECT_EQ(parse_compression("lz4"), Compression::kLz4);
  EXPECT_EQ(parse_compression("uncompressed"), Compression::kUncompressed);
  EXPECT_EQ(parse_partition_by("month"), PartitionBy::kMonth);
  try {
    parse_compression("brotli");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "unknown compression 'brotli'; use zstd, snappy, gzip, lz4 or uncompressed");
  }
  EXPECT_THROW(parse_partition_by("day"), ConfigError);
}

}  // namespace
}  // namespace ml4t::backtest
