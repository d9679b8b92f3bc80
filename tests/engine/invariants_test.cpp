// Invariants on random data over many seeds: the books balance at every timestamp
// (checked by replaying the fills independently), nothing fills before the bar after
// its order in the default mode, fills stay inside their bar, a flat strategy's equity
// never moves, costs never make a trade better, and runs are bit-identical.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>

#include "engine_test_support.hpp"

namespace ml4t::backtest {
namespace {

using testing::day;

constexpr int kAssets = 5;
constexpr int kBars = 150;
constexpr int kSeeds = 40;

// Random walks with consistent OHLC; about 10% of (bar, asset) rows are missing.
std::unique_ptr<InMemoryDataFeed> random_feed(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  InMemoryDataFeed::Builder b({"ml_pred"}, {"vix"});
  for (int a = 0; a < kAssets; ++a) {
    double close = 20 + 100 * u(rng);
    for (int i = 0; i < kBars; ++i) {
      const double open = close * (1 + 0.02 * (u(rng) - 0.5));
      close = open * (1 + 0.04 * (u(rng) - 0.5));
      const double high = std::max(open, close) * (1 + 0.01 * u(rng));
      const double low = std::min(open, close) * (1 - 0.01 * u(rng));
      if (u(rng) < 0.1 && i > 0) continue;
      char symbol[8];
      std::snprintf(symbol, sizeof symbol, "S%d", a);
      b.add_bar(day(i), symbol, Bar{open, high, low, close, std::floor(500 + 5000 * u(rng))}, {u(rng)});
    }
  }
  for (int i = 0; i < kBars; ++i) b.add_context(day(i), {10 + 30 * u(rng)});
  return b.build();
}

// Places random orders of every type; decisions depend only on its own RNG and bar.
class RandomTrader : public Strategy {
 public:
  RandomTrader(uint64_t seed, bool market_only) : rng_(seed), market_only_(market_only) {}
  void on_market_data(const MarketEvent& e, const FieldValues&) override {
    if (u() > 0.15) return;
    const AssetId a = e.asset();
    const double qty = std::floor(1 + 60 * u()) * (u() < 0.5 ? 1 : -1);
    const double pick = u();
    if (market_only_ || pick < 0.35) {
      order(a, qty);
    } else if (pick < 0.5) {
      order(a, qty, OrderType::kLimit, e.close() * (1 + 0.03 * (u() - 0.5)), kNoPrice,
            u() < 0.5 ? TimeInForce::kDay : TimeInForce::kGtc);
    } else if (pick < 0.6) {
      order(a, qty, OrderType::kStop, kNoPrice, e.close() * (1 + 0.03 * (u() - 0.5)));
    } else if (pick < 0.7) {
      const double stop = e.close() * (1 + 0.03 * (u() - 0.5));
      order(a, qty, OrderType::kStopLimit, stop * (qty > 0 ? 1.01 : 0.99), stop);
    } else if (pick < 0.8) {
      order_trailing_stop(a, qty, 0.01 + 0.05 * u());
    } else if (pick < 0.9) {
      close_position(a);
    } else {
      cancel_all(a);
    }
  }

 private:
  double u() { return dist_(rng_); }
  std::mt19937_64 rng_;
  std::uniform_real_distribution<double> dist_{0.0, 1.0};
  bool market_only_;
};

EngineConfig random_config(uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + 1);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  EngineConfig c;
  c.execution.initial_capital = 20'000;
  c.execution.commission = {static_cast<CommissionType>(seed % 4), 0.001 + 0.004 * u(rng), u(rng)};
  c.execution.slippage = {static_cast<SlippageType>((seed / 4) % 4), 0.001 + 0.01 * u(rng)};
  c.execution.fill_timing = seed % 5 == 0 ? FillTiming::kSameBarClose : FillTiming::kNextBar;
  c.execution.fractional_shares = seed % 3 == 0;
  c.execution.allow_short = seed % 7 != 0;
  c.execution.max_volume_participation = seed % 2 == 0 ? 0.01 : 0.0;
  c.execution.close_positions_at_end = seed % 2 == 1;
  if (seed % 3 == 1) {
    c.risk_rules.stop_loss = 0.03;
    c.risk_rules.take_profit = 0.05;
    c.risk_rules.trailing_stop = 0.02;
  }
  if (seed % 4 == 2) {
    c.risk_rules.max_positions = 3;
    c.risk_rules.max_position_size = 0.3;
    c.risk_rules.max_gross_exposure = 1.0;
    c.risk_rules.max_vix = 35;
  }
  return c;
}

Results run(uint64_t seed, const EngineConfig& config, bool market_only = false) {
  auto feed = random_feed(seed);
  RandomTrader trader(seed + 1000, market_only);
  BacktestEngine engine(*feed, trader, config);
  return engine.run();
}

TEST(Invariants, BooksBalanceAtEveryTimestampAndFillsRespectTiming) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    const EngineConfig config = random_config(seed);
    const Results r = run(seed, config);
    ASSERT_EQ(r.equity_curve.size(), static_cast<size_t>(kBars));
    ASSERT_GT(r.fills.size(), 10u);

    // Replay the fills and the bars independently of the engine's bookkeeping.
    auto feed = random_feed(seed);
    std::vector<double> qty(kAssets, 0), last(kAssets, std::nan(""));
    double cash = config.execution.initial_capital;
    size_t next_fill = 0;
    int i = 0;
    for (TimestampGroup g = feed->next_group(); g.valid(); g = feed->next_group(), ++i) {
      std::map<AssetId, Bar> bars;
      for (const MarketEvent& e : g) bars[e.asset()] = e.bar();
      for (; next_fill < r.fills.size() && r.fills[next_fill].timestamp == g.timestamp(); ++next_fill) {
        const Fill& f = r.fills[next_fill];
        const double signed_qty = f.side == Side::kBuy ? f.quantity : -f.quantity;
        cash -= signed_qty * f.price + f.commission;
        qty[f.asset] += signed_qty;
        const OrderRecord& o = r.orders[f.order_id - 1];
        EXPECT_GE(f.commission, 0);
        EXPECT_GE(f.slippage, 0);
        // Only the end-of-data close may fill an asset without a bar (at its last close).
        if (o.reason == "end_of_data") continue;
        ASSERT_TRUE(bars.count(f.asset)) << "fill without a bar";
        if (config.execution.slippage.type == SlippageType::kNone) {
          EXPECT_GE(f.price, bars[f.asset].low);
          EXPECT_LE(f.price, bars[f.asset].high);
        }
        // Risk-rule exits are created by the engine on the bar they fill in; every
        // strategy order (whatever its final status: a partly filled order may end
        // cancelled or rejected) fills on a later bar, or with same_bar_close at most
        // at the close of the bar it was placed in.
        const bool rule_exit =
            o.reason == "stop_loss" || o.reason == "take_profit" || o.reason == "trailing_stop";
        if (rule_exit) {
          EXPECT_EQ(f.timestamp, o.created);
        } else if (config.execution.fill_timing == FillTiming::kNextBar) {
          EXPECT_GT(f.timestamp, o.created) << "order " << o.id << " filled on the bar it was placed";
        } else {
          EXPECT_GE(f.timestamp, o.created);
          if (f.timestamp == o.created && config.execution.slippage.type == SlippageType::kNone) {
            EXPECT_EQ(f.price, bars[f.asset].close) << "order " << o.id << " filled at its own bar but not the close";
          }
        }
        if (!config.execution.allow_short) {
          EXPECT_GE(qty[f.asset], -1e-9);
        }
      }
      for (const auto& [a, bar] : bars) last[a] = bar.close;
      double value = 0;
      for (int a = 0; a < kAssets; ++a) {
        if (qty[a] != 0) value += qty[a] * last[a];
      }
      const EquityPoint& p = r.equity_curve[static_cast<size_t>(i)];
      EXPECT_EQ(p.timestamp, g.timestamp());
      EXPECT_NEAR(p.cash, cash, 1e-6 * config.execution.initial_capital);
      EXPECT_NEAR(p.positions_value, value, 1e-6 * config.execution.initial_capital);
      EXPECT_EQ(p.equity, p.cash + p.positions_value);
      EXPECT_LE(p.drawdown, 0);
    }
    EXPECT_EQ(next_fill, r.fills.size());
    // Trades add up: closed + open trade P&L = final equity - capital.
    double pnl = 0;
    for (const Trade& t : r.trades) pnl += t.pnl;
    EXPECT_NEAR(pnl, r.final_equity - config.execution.initial_capital, 1e-6 * config.execution.initial_capital);
    if (config.execution.close_positions_at_end) {
      for (const Trade& t : r.trades) EXPECT_FALSE(t.open);
    }
  }
}

class Flat : public Strategy {};

TEST(Invariants, FlatStrategyEquityNeverChanges) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    auto feed = random_feed(seed);
    Flat flat;
    BacktestEngine engine(*feed, flat, random_config(seed));
    const Results r = engine.run();
    for (const EquityPoint& p : r.equity_curve) ASSERT_EQ(p.equity, 20'000) << "seed " << seed;
    EXPECT_TRUE(r.fills.empty());
    EXPECT_EQ(r.metrics.total_return, 0);
  }
}

TEST(Invariants, CostsNeverMakeATradeBetter) {
  for (uint64_t seed = 1; seed <= kSeeds; ++seed) {
    SCOPED_TRACE(::testing::Message() << "seed " << seed);
    EngineConfig free;
    free.execution.initial_capital = 1e9;  // no buying-power rejections: same fills both ways
    EngineConfig costly = free;
    costly.execution.commission = {static_cast<CommissionType>(1 + seed % 3), 0.002, 1.0};
    costly.execution.slippage = {static_cast<SlippageType>(1 + seed % 3), 0.005};
    const Results a = run(seed, free, true);
    const Results b = run(seed, costly, true);
    ASSERT_EQ(a.fills.size(), b.fills.size());
    ASSERT_EQ(a.trades.size(), b.trades.size());
    for (size_t i = 0; i < a.fills.size(); ++i) {
      const double sign = a.fills[i].side == Side::kBuy ? 1 : -1;
      EXPECT_GE(sign * (b.fills[i].price - a.fills[i].price), 0) << "fill " << i;
    }
    for (size_t i = 0; i < a.trades.size(); ++i) EXPECT_LE(b.trades[i].pnl, a.trades[i].pnl + 1e-9) << "trade " << i;
    EXPECT_LT(b.final_equity, a.final_equity);
  }
}

TEST(Invariants, RunsAreBitIdentical) {
  for (uint64_t seed : {3u, 10u, 17u}) {
    const Results a = run(seed, random_config(seed));
    const Results b = run(seed, random_config(seed));
    ASSERT_EQ(a.equity_curve.size(), b.equity_curve.size());
    for (size_t i = 0; i < a.equity_curve.size(); ++i) {
      EXPECT_EQ(a.equity_curve[i].equity, b.equity_curve[i].equity);
      EXPECT_EQ(a.equity_curve[i].cash, b.equity_curve[i].cash);
    }
    ASSERT_EQ(a.fills.size(), b.fills.size());
    for (size_t i = 0; i < a.fills.size(); ++i) {
      EXPECT_EQ(a.fills[i].price, b.fills[i].price);
      EXPECT_EQ(a.fills[i].quantity, b.fills[i].quantity);
      EXPECT_EQ(a.fills[i].commission, b.fills[i].commission);
    }
    EXPECT_EQ(a.orders.size(), b.orders.size());
    EXPECT_EQ(a.metrics.sharpe, b.metrics.sharpe);
  }
}

}  // namespace
}  // namespace ml4t::backtest
