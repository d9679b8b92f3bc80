#include "ml4t/backtest/core/timestamp.hpp"

#include <gtest/gtest.h>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {
namespace {

TEST(Timestamp, EpochAndUnits) {
  EXPECT_EQ(Timestamp::parse("1970-01-01T00:00:00Z").nanos(), 0);
  EXPECT_EQ(Timestamp::from_micros(1'500'000).nanos(), 1'500'000'000);
  EXPECT_EQ(Timestamp::from_seconds(86400), Timestamp::parse("1970-01-02"));
  // 2024-01-02T09:30:00Z = 19724 days * 86400 + 9.5 h.
  EXPECT_EQ(Timestamp::parse("2024-01-02T09:30:00Z").nanos(), (19724LL * 86400 + 34200) * 1'000'000'000LL);
  EXPECT_EQ(Timestamp::from_civil(2024, 1, 2, 9, 30), Timestamp::parse("2024-01-02 09:30"));
}

TEST(Timestamp, OffsetsConvertToUtc) {
  const auto utc = Timestamp::parse("2024-03-10T14:30:00Z");
  EXPECT_EQ(Timestamp::parse("2024-03-10T09:30:00-05:00"), utc);
  EXPECT_EQ(Timestamp::parse("2024-03-10T09:30:00-0500"), utc);
  EXPECT_EQ(Timestamp::parse("2024-03-10T20:00:00+05:30"), utc);
  EXPECT_EQ(Timestamp::parse("2024-03-11T00:30:00+10"), utc);
  // Naive times are UTC.
  EXPECT_EQ(Timestamp::parse("2024-03-10T14:30:00"), utc);
  // Crossing a day boundary backwards.
  EXPECT_EQ(Timestamp::parse("2024-01-01T02:00:00+03:00").to_string(), "2023-12-31T23:00:00Z");
}

TEST(Timestamp, FractionalSeconds) {
  EXPECT_EQ(Timestamp::parse("2024-01-02T00:00:00.5Z").nanos() % 1'000'000'000, 500'000'000);
  EXPECT_EQ(Timestamp::parse("2024-01-02T00:00:00.000001").nanos() % 1'000'000'000, 1000);
  EXPECT_EQ(Timestamp::parse("2024-01-02T00:00:00.123456789").nanos() % 1'000'000'000, 123456789);
}

TEST(Timestamp, FormatRoundTrips) {
  for (const char* text : {"2024-01-02T09:30:00Z", "1999-12-31T23:59:59.500Z", "2024-02-29T00:00:00.000001Z",
                           "2024-06-30T12:00:00.123456789Z", "1969-07-20T20:17:40Z", "2262-04-11T00:00:00Z"}) {
    EXPECT_EQ(Timestamp::parse(text).to_string(), text);
  }
  EXPECT_EQ(Timestamp::parse("2024-01-02T09:30:00-05:00").date_string(), "2024-01-02");
  // Before the epoch the civil fields are still right.
  EXPECT_EQ(Timestamp::from_nanos(-1).to_string(), "1969-12-31T23:59:59.999999999Z");
}

TEST(Timestamp, RejectsMalformedText) {
  for (const char* text : {"", "2024", "2024-13-01", "2024-02-30", "2024-01-02T25:00", "2024-01-02T09:30:00+",
                           "2024-01-02X", "02/01/2024", "2024-01-02T09:30:00.Z", "2024-01-02T09:30:00 EST"}) {
    EXPECT_THROW(Timestamp::parse(text), DataError) << text;
  }
  try {
    Timestamp::parse("2024-13-01");
    FAIL();
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("\"2024-13-01\""), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("expected ISO-8601"), std::string::npos);
  }
}

TEST(Timestamp, OrderingAndArithmetic) {
  const auto a = Timestamp::parse("2024-01-02T09:30:00Z");
  const auto b = a + std::chrono::minutes(1);
  EXPECT_LT(a, b);
  EXPECT_EQ(b - a, std::chrono::minutes(1));
  EXPECT_EQ(b.to_string(), "2024-01-02T09:31:00Z");
  EXPECT_LT(Timestamp::min(), a);
  EXPECT_GT(Timestamp::max(), b);
  EXPECT_EQ(Timestamp::from_nanos(-1500).micros(), -2);
}

}  // namespace
}  // namespace ml4t::backtest
