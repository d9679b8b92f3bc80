#include <gtest/gtest.h>

#include <type_traits>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/schema.hpp"
#include "ml4t/backtest/core/symbol_table.hpp"

namespace ml4t::backtest {
namespace {

// The hierarchy the CLI maps to exit codes: ConfigError -> 2, every other Error -> 1.
static_assert(std::is_base_of_v<std::runtime_error, Error>);
static_assert(std::is_base_of_v<Error, ConfigError> && std::is_base_of_v<Error, DataError> &&
              std::is_base_of_v<Error, OutputError> && std::is_base_of_v<Error, Interrupted>);
static_assert(std::is_base_of_v<DataError, SignalTimingViolation>);
static_assert(!std::is_base_of_v<DataError, ConfigError> && !std::is_base_of_v<ConfigError, DataError>);

TEST(Errors, CarryTheirMessageAndCatchAsTheirBase) {
  try {
    throw SignalTimingViolation("signal timing: 1 violation(s)");
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(), "signal timing: 1 violation(s)");
  }
}

TEST(SymbolTable, InternsDenseIdsInFirstSeenOrder) {
  SymbolTable table;
  EXPECT_EQ(table.intern("MSFT"), 0u);
  EXPECT_EQ(table.intern("AAPL"), 1u);
  EXPECT_EQ(table.intern("MSFT"), 0u);
  EXPECT_EQ(table.size(), 2u);
  EXPECT_EQ(table.name(1), "AAPL");
  EXPECT_EQ(table.find("AAPL"), 1u);
  EXPECT_FALSE(table.find("GOOG").has_value());
  EXPECT_THROW(table.name(7), std::out_of_range);
}

TEST(Schema, ResolvesNamesToFieldIds) {
  Schema schema({"ml_pred", "confidence"}, {"vix"});
  EXPECT_EQ(schema.signal_id("confidence").index, 1u);
  EXPECT_EQ(schema.context_id("vix").index, 0u);
  EXPECT_FALSE(schema.find_signal("vix").has_value());
  EXPECT_EQ(schema.add_signal("rsi_14").index, 2u);
  EXPECT_THROW(schema.add_signal("ml_pred"), ConfigError);
  try {
    schema.signal_id("ml_prd");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "unknown signal field \"ml_prd\"; the feed has: [ml_pred, confidence, rsi_14]");
  }
}

}  // namespace
}  // namespace ml4t::backtest
