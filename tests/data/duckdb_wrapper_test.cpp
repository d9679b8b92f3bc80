#include "data/duckdb/duckdb_wrapper.hpp"

#include <gtest/gtest.h>

#include "ml4t/backtest/core/error.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest::duck {
namespace {

TEST(DuckDbWrapper, StreamsChunksOfAtMost2048Rows) {
  Database db;
  Connection con(db);
  auto result = con.stream("SELECT range AS i, range * 0.5::DOUBLE AS x, 'a' || range AS s FROM range(5000)");
  ASSERT_EQ(result.column_count(), 3u);
  EXPECT_EQ(result.column_name(1), "x");
  EXPECT_EQ(result.column_type(0), ColumnType::kInt64);
  EXPECT_EQ(result.column_type(1), ColumnType::kDouble);
  EXPECT_EQ(result.column_type(2), ColumnType::kVarchar);
  int64_t rows = 0, sum = 0;
  double xsum = 0;
  while (auto chunk = result.fetch()) {
    EXPECT_LE(chunk.size(), 2048u);
    for (size_t r = 0; r < chunk.size(); ++r) {
      sum += chunk.data<int64_t>(0)[r];
      xsum += chunk.data<double>(1)[r];
      if (rows + static_cast<int64_t>(r) == 4321) {
        EXPECT_EQ(chunk.string_at(2, r), "a4321");
      }
    }
    rows += static_cast<int64_t>(chunk.size());
  }
  EXPECT_EQ(rows, 5000);
  EXPECT_EQ(sum, 4999LL * 5000 / 2);
  EXPECT_EQ(xsum, 4999.0 * 5000 / 4);
}

TEST(DuckDbWrapper, NullsShowInTheValidityMask) {
  Database db;
  Connection con(db);
  auto result = con.query("SELECT CASE WHEN range % 2 = 0 THEN NULL ELSE range END FROM range(4)");
  auto chunk = result.fetch();
  ASSERT_EQ(chunk.size(), 4u);
  const uint64_t* validity = chunk.validity(0);
  EXPECT_FALSE(DataChunk::is_valid(validity, 0));
  EXPECT_TRUE(DataChunk::is_valid(validity, 1));
  EXPECT_FALSE(DataChunk::is_valid(validity, 2));
  EXPECT_EQ(chunk.data<int64_t>(0)[3], 3);
}

TEST(DuckDbWrapper, ErrorsBecomeDataErrorsWithContext) {
  Database db;
  Connection con(db);
  try {
    con.query("SELECT * FROM read_parquet('/no/such/file.parquet')", "reading prices");
    FAIL();
  } catch (const DataError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("(reading prices)"), std::string::npos) << message;
    EXPECT_NE(message.find("/no/such/file.parquet"), std::string::npos) << message;
  }
  EXPECT_THROW(con.prepare("SELEC 1"), DataError);
}

TEST(DuckDbWrapper, AnErrorWhileStreamingNamesTheContext) {
  // The cast fails only at row 3000, after the first chunk; DuckDB may report it from
  // stream() or from a later fetch(): either way with our context and its own words.
  Database db;
  Connection con(db);
  try {
    auto result = con.stream(
        "SELECT CASE WHEN range < 3000 THEN range::VARCHAR ELSE 'x' END::INTEGER FROM range(5000)",
        "reading signals s.parquet");
    while (auto chunk = result.fetch()) {
    }
    FAIL();
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()).rfind(
                  "DuckDB query failed (reading signals s.parquet): Conversion Error: Could not convert string 'x' "
                  "to INT32",
                  0),
              0u)
        << e.what();
  }
}

TEST(DuckDbWrapper, HandlesMoveAndCloseOnce) {
  // Moved-from handles own nothing (no double close); moved-to ones keep working.
  Database first;
  Database db(std::move(first));
  Connection other(db);
  Connection con(std::move(other));
  Result source = con.stream("SELECT range FROM range(3000)");
  DataChunk head = source.fetch();
  Result result(std::move(source));
  DataChunk chunk(std::move(head));
  EXPECT_FALSE(head);
  ASSERT_TRUE(chunk);
  int64_t rows = static_cast<int64_t>(chunk.size());
  while (auto next = result.fetch()) rows += static_cast<int64_t>(next.size());
  EXPECT_EQ(rows, 3000);
  Database assigned;
  assigned = std::move(db);
  Connection again(assigned);
  auto one = again.query("SELECT 41 + 1");
  EXPECT_EQ(one.fetch().data<int32_t>(0)[0], 42);
}

TEST(DuckDbWrapper, PreparedStatementBindsParameters) {
  Database db;
  Connection con(db);
  auto stmt = con.prepare("SELECT $1::BIGINT + 1, $2::DOUBLE * 2, $3::VARCHAR || '!'");
  stmt.bind(1, int64_t{41});
  stmt.bind(2, 1.25);
  stmt.bind(3, std::string_view("hi"));
  auto result = stmt.execute();
  auto chunk = result.fetch();
  EXPECT_EQ(chunk.data<int64_t>(0)[0], 42);
  EXPECT_EQ(chunk.data<double>(1)[0], 2.5);
  EXPECT_EQ(chunk.string_at(2, 0), "hi!");
}

class CountingProducer final : public ChunkProducer {
 public:
  explicit CountingProducer(int64_t total) : total_(total) {}
  size_t produce(OutputChunk& out) override {
    size_t n = 0;
    while (n < out.capacity() && next_ < total_) {
      out.column<int64_t>(0)[n] = next_;
      if (next_ % 3 == 0) {
        out.set_null(1, n);
      } else {
        out.set_string(1, n, "row" + std::to_string(next_));
      }
      ++n;
      ++next_;
    }
    return n;
  }

 private:
  int64_t total_;
  int64_t next_ = 0;
};

TEST(DuckDbWrapper, TableFunctionFeedsRowsInOrder) {
  Database db;
  Connection con(db);
  con.register_table_function("counting", {{"i", ColumnType::kInt64}, {"s", ColumnType::kVarchar}},
                              [] { return std::make_unique<CountingProducer>(10000); });
  auto result = con.query("SELECT count(*), sum(i)::DOUBLE, count(s), min(s), bool_and(i = row_number) "
                          "FROM (SELECT *, row_number() OVER () - 1 AS row_number FROM counting())");
  auto chunk = result.fetch();
  EXPECT_EQ(chunk.data<int64_t>(0)[0], 10000);
  EXPECT_EQ(chunk.data<double>(1)[0] + 0.0, 9999.0 * 10000 / 2);
  EXPECT_EQ(chunk.data<int64_t>(2)[0], 6666);  // every third row is NULL
  EXPECT_EQ(chunk.string_at(3, 0), "row1");
  EXPECT_TRUE(chunk.data<bool>(4)[0]);
}

TEST(DuckDbWrapper, AppenderWritesRows) {
  Database db;
  Connection con(db);
  con.execute("CREATE TABLE t (ts TIMESTAMPTZ, name VARCHAR, x DOUBLE, n BIGINT, ok BOOLEAN)");
  {
    Appender app(con, "t");
    app.append_timestamp_ns(1'700'000'000'123'456'000LL).append(std::string_view("a")).append(1.5).append(int64_t{7});
    app.append(true).end_row();
    app.append_timestamp_ns(0).append_null().append(2.5).append(int64_t{8}).append(false).end_row();
    app.close();
  }
  auto result = con.query("SELECT epoch_us(min(ts)), epoch_us(max(ts)), sum(x), sum(n), count(name) FROM t");
  auto chunk = result.fetch();
  EXPECT_EQ(chunk.data<int64_t>(0)[0], 0);
  EXPECT_EQ(chunk.data<int64_t>(1)[0], 1'700'000'000'123'456LL);
  EXPECT_EQ(chunk.data<double>(2)[0], 4.0);
  EXPECT_EQ(chunk.data<int64_t>(4)[0], 1);
}

TEST(DuckDbWrapper, MemoryLimitIsApplied) {
  DatabaseOptions options;
  options.memory_limit = "100MB";
  options.temp_directory = testing::scratch_dir().string();
  Database db(options);
  Connection con(db);
  auto result = con.query("SELECT current_setting('memory_limit')");
  auto chunk = result.fetch();
  EXPECT_EQ(chunk.string_at(0, 0), "95.3 MiB");
  DatabaseOptions bad;
  bad.memory_limit = "lots";
  EXPECT_THROW(Database{bad}, ConfigError);
}

TEST(DuckDbWrapper, QuotesIdentifiersAndLiterals) {
  EXPECT_EQ(quote_identifier("my \"col\""), "\"my \"\"col\"\"\"");
  EXPECT_EQ(quote_literal("it's"), "'it''s'");
}

}  // namespace
}  // namespace ml4t::backtest::duck
