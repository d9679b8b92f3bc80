// Strategy::rebalance and top_k on it: the result does not depend on the order targets
// are given in, reducing orders go before additions (a flip is split), additions are
// scaled to the buying power, and a 100%-gross long/short top_k book on a margin
// account trades without rejections.
#include <gtest/gtest.h>

#include <algorithm>

#include "engine_test_support.hpp"
#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;
using testing::make_feed;
using testing::run_script;
using testing::Script;

std::vector<Bar> flat(int n, double price) { return std::vector<Bar>(n, Bar{price, price, price, price, 1e6}); }

std::unique_ptr<InMemoryDataFeed> three_flat() {
  return make_feed({{"A", flat(4, 100), {}}, {"B", flat(4, 50), {}}, {"C", flat(4, 20), {}}});
}

int rejected_count(const Results& r) {
  return static_cast<int>(std::count_if(r.orders.begin(), r.orders.end(),
                                        [](const OrderRecord& o) { return o.status == OrderStatus::kRejected; }));
}

void expect_same(const Results& a, const Results& b) {
  ASSERT_EQ(a.fills.size(), b.fills.size());
  for (size_t i = 0; i < a.fills.size(); ++i) {
    EXPECT_EQ(a.fills[i].asset, b.fills[i].asset);
    EXPECT_EQ(a.fills[i].quantity, b.fills[i].quantity);
    EXPECT_EQ(a.fills[i].price, b.fills[i].price);
  }
  ASSERT_EQ(a.orders.size(), b.orders.size());
  for (size_t i = 0; i < a.orders.size(); ++i) {
    EXPECT_EQ(a.orders[i].asset, b.orders[i].asset);
    EXPECT_EQ(a.orders[i].quantity, b.orders[i].quantity);
    EXPECT_EQ(a.orders[i].status, b.orders[i].status);
  }
  ASSERT_EQ(a.equity_curve.size(), b.equity_curve.size());
  for (size_t i = 0; i < a.equity_curve.size(); ++i) EXPECT_EQ(a.equity_curve[i].equity, b.equity_curve[i].equity);
}

TEST(Rebalance, TheOrderOfTargetsDoesNotMatter) {
  const std::vector<TargetWeight> one = {{0, 0.3}, {1, -0.2}, {2, 0.4}};
  const std::vector<TargetWeight> other = {{2, 0.4}, {0, 0.3}, {1, -0.2}};
  auto run = [](std::vector<TargetWeight> t) {
    auto feed = three_flat();
    return run_script(*feed, [t](Script& s, int bar) {
      if (bar == 0) s.rebalance(t);
    });
  };
  const Results a = run(one), b = run(other);
  expect_same(a, b);
  // A 0.3 x 100,000 / 100 = 300; B -0.2 x 100,000 / 50 = -400; C 0.4 x 100,000 / 20 = 2000.
  // Gross 30,000 + 20,000 + 40,000 = 90,000 fits the cash account: unscaled.
  ASSERT_EQ(a.orders.size(), 3u);
  EXPECT_EQ(a.orders[0].asset, 0u);
  EXPECT_EQ(a.orders[0].quantity, 300);
  EXPECT_EQ(a.orders[1].side, Side::kSell);
  EXPECT_EQ(a.orders[1].quantity, 400);
  EXPECT_EQ(a.orders[2].quantity, 2000);
  EXPECT_EQ(a.fills.size(), 3u);
  // By symbol: the same orders.
  auto feed = three_flat();
  const Results c = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) {
      const std::vector<std::pair<std::string, double>> t = {{"C", 0.4}, {"B", -0.2}, {"A", 0.3}};
      s.rebalance(t);
    }
  });
  expect_same(a, c);
}

TEST(Rebalance, UnlistedHoldingsCloseAndFlipsSplitIntoCloseThenOpen) {
  auto feed = three_flat();
  const Results r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.rebalance(std::vector<TargetWeight>{{0, 0.5}, {1, 0.2}});  // A 500, B 400
    if (bar == 1) s.rebalance(std::vector<TargetWeight>{{0, -0.5}});         // B closes; A flips
  });
  // Bar 1: reducing legs first in AssetId order (A sells 500 to flat, B sells 400), then
  // the addition (A sells 500 more: short 500).
  ASSERT_EQ(r.orders.size(), 5u);
  EXPECT_EQ(r.orders[2].asset, 0u);
  EXPECT_EQ(r.orders[2].quantity, 500);
  EXPECT_EQ(r.orders[3].asset, 1u);
  EXPECT_EQ(r.orders[3].quantity, 400);
  EXPECT_EQ(r.orders[4].asset, 0u);
  EXPECT_EQ(r.orders[4].side, Side::kSell);
  EXPECT_EQ(r.orders[4].quantity, 500);
  EXPECT_EQ(rejected_count(r), 0);
}

TEST(Rebalance, AdditionsAreScaledTogetherToTheBuyingPower) {
  // Cash account, 100,000: A 0.6 held (600 at 100); then A 0.6, B 0.8 (1600 at 50) would
  // be 140,000 gross. Kept 60,000; room 40,000 for 80,000 of additions: scale 0.5, B 800.
  auto feed = three_flat();
  const Results r = run_script(*feed, [](Script& s, int bar) {
    if (bar == 0) s.rebalance(std::vector<TargetWeight>{{0, 0.6}});
    if (bar == 1) s.rebalance(std::vector<TargetWeight>{{1, 0.8}, {0, 0.6}});
  });
  ASSERT_EQ(r.orders.size(), 2u);
  EXPECT_EQ(r.orders[1].asset, 1u);
  EXPECT_EQ(r.orders[1].quantity, 800);
  EXPECT_EQ(r.fills.size(), 2u);
  // A margin account (initial margin 0.5) has room for the whole 140,000: B 1600.
  auto feed2 = three_flat();
  EngineConfig c;
  c.account.type = AccountType::kMargin;
  const Results m = run_script(
      *feed2,
      [](Script& s, int bar) {
        if (bar == 0) s.rebalance(std::vector<TargetWeight>{{0, 0.6}});
        if (bar == 1) s.rebalance(std::vector<TargetWeight>{{1, 0.8}, {0, 0.6}});
      },
      c);
  ASSERT_EQ(m.orders.size(), 2u);
  EXPECT_EQ(m.orders[1].quantity, 1600);
}

TEST(Rebalance, BadTargetsThrowNamingTheAsset) {
  auto expect_error = [](std::vector<TargetWeight> t, const std::string& needle) {
    auto feed = three_flat();
    try {
      run_script(*feed, [t](Script& s, int bar) {
        if (bar == 0) s.rebalance(t);
      });
      ADD_FAILURE() << "no error for " << needle;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error({{0, 0.1}, {0, 0.2}}, "rebalance: A is listed twice");
  expect_error({{1, std::nan("")}}, "rebalance: the weight of B is nan");
}

// Six assets whose opens gap away from the closes the book was sized at, and signals that
// reshuffle the ranking every bar.
std::unique_ptr<InMemoryDataFeed> shuffled_universe() {
  std::vector<testing::Series> series;
  for (int a = 0; a < 6; ++a) {
    testing::Series s{std::string(1, static_cast<char>('A' + a)), {}, {}};
    for (int i = 0; i < 12; ++i) {
      const double close = 50 + 7 * a + ((i * (a + 3)) % 5);
      const double open = close + ((i + a) % 3) - 1;
      s.bars.push_back({open, std::max(open, close) + 1, std::min(open, close) - 1, close, 1e6});
      s.signal.push_back(static_cast<double>((i * 5 + a * 7) % 11));
    }
    series.push_back(s);
  }
  return make_feed(series);
}

TEST(TopKOnRebalance, LongShortFullGrossOnMarginTradesWithoutRejections) {
  StrategySpec spec;
  spec.type = "top_k";
  spec.side = StrategySide::kBoth;
  spec.k = 2;
  spec.gross_exposure = 1.0;
  auto run = [&](AccountType type) {
    auto feed = shuffled_universe();
    auto strategy = make_builtin_strategy(spec, feed->schema());
    EngineConfig c;
    c.account.type = type;
    BacktestEngine engine(*feed, *strategy, c);
    return engine.run();
  };
  const Results margin = run(AccountType::kMargin);
  EXPECT_EQ(rejected_count(margin), 0);
  EXPECT_GT(margin.fills.size(), 20u);
  // The cash account has no room for the gaps: some buys are rejected.
  EXPECT_GT(rejected_count(run(AccountType::kCash)), 0);

  // The same book placed by hand in reverse rank order gives the same run.
  auto feed = shuffled_universe();
  const FieldId signal = *feed->schema().find_signal("ml_pred");
  class Reversed : public Strategy {
   public:
    explicit Reversed(FieldId f) : f_(f) {}
    void on_timestamp(const TimestampGroup& g) override {
      std::vector<std::pair<double, AssetId>> ranked;
      for (uint32_t row = g.row_begin(); row < g.row_end(); ++row) {
        ranked.push_back({g.batch().signal_column(f_)[row], g.batch().asset()[row]});
      }
      std::sort(ranked.begin(), ranked.end(),
                [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
      std::vector<TargetWeight> t;
      for (size_t i = ranked.size(); i-- > ranked.size() - 2;) t.push_back({ranked[i].second, -0.25});
      for (size_t i = 2; i-- > 0;) t.push_back({ranked[i].second, 0.25});
      rebalance(t);
    }
    FieldId f_;
  } reversed(signal);
  EngineConfig c;
  c.account.type = AccountType::kMargin;
  BacktestEngine engine(*feed, reversed, c);
  expect_same(margin, engine.run());
}

}  // namespace
}  // namespace ml4t::backtest
