#include <gtest/gtest.h>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/core/schema.hpp"
#include "ml4t/backtest/core/symbol_table.hpp"

namespace ml4t::backtest {
namespace {

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
