// `events CONFIG` prints what a strategy sees: the first bars with their signals and
// context after the point-in-time joins. Hand-built data keeps the values checkable.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;

testing::CliRun run(const fs::path& dir, const std::string& args) {
  return testing::run_captured(dir, fmt::format("{} {}", ML4T_CLI, args));
}

class EventsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = testing::scratch_dir();
    duck::Database db;
    duck::Connection con(db);
    const auto copy = [&](const std::string& select, const char* name) {
      con.execute(fmt::format("COPY ({}) TO {} (FORMAT parquet)", select, duck::quote_literal((dir_ / name).string())));
    };
    // Two assets, two daily bars; one signal row each on day 1; VIX on day 1 only.
    copy("SELECT * FROM (VALUES (TIMESTAMPTZ '2024-01-02 00:00:00+00', 'AAA', 10.0, 11.0, 9.0, 10.5, 100),"
         "(TIMESTAMPTZ '2024-01-02 00:00:00+00', 'BBB', 20.0, 21.0, 19.0, 20.5, 200),"
         "(TIMESTAMPTZ '2024-01-03 00:00:00+00', 'AAA', 10.5, 12.0, 10.0, 11.5, 300),"
         "(TIMESTAMPTZ '2024-01-03 00:00:00+00', 'BBB', 20.5, 22.0, 20.0, 21.5, 400)) "
         "t(timestamp, asset_id, open, high, low, close, volume)",
         "prices.parquet");
    copy("SELECT * FROM (VALUES (TIMESTAMPTZ '2024-01-02 00:00:00+00', 'AAA', 0.75),"
         "(TIMESTAMPTZ '2024-01-02 00:00:00+00', 'BBB', 0.25)) t(timestamp, asset_id, ml_pred)",
         "signals.parquet");
    copy("SELECT TIMESTAMPTZ '2024-01-02 00:00:00+00' AS timestamp, 18.5 AS vix", "context.parquet");
    std::ofstream(dir_ / "config.yaml") << "data_sources:\n"
                                           "  prices: prices.parquet\n"
                                           "  signals: signals.parquet\n"
                                           "  context: context.parquet\n"
                                           "strategy: {type: signal_threshold, signal: ml_pred}\n"
                                           "signal_timing: {mode: strict, validate: false}\n";
  }
  fs::path dir_;
};

TEST_F(EventsCli, StrictShowsValuesOnTheirOwnBarAndCarriesThemForward) {
  const auto r = run(dir_, fmt::format("events {} -n 4", (dir_ / "config.yaml").string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "2024-01-02T00:00:00Z  context: vix=18.5\n"
            "  AAA      open=10.0000 high=11.0000 low=9.0000 close=10.5000 volume=100  signals: ml_pred=0.75\n"
            "  BBB      open=20.0000 high=21.0000 low=19.0000 close=20.5000 volume=200  signals: ml_pred=0.25\n"
            "2024-01-03T00:00:00Z  context: vix=18.5\n"
            "  AAA      open=10.5000 high=12.0000 low=10.0000 close=11.5000 volume=300  signals: ml_pred=0.75\n"
            "  BBB      open=20.5000 high=22.0000 low=20.0000 close=21.5000 volume=400  signals: ml_pred=0.25\n");
}

TEST_F(EventsCli, NextBarHidesValuesUntilTheFollowingBarAndLimitStops) {
  const auto r = run(dir_, fmt::format("events {} -n 3 --set signal_timing.mode=next_bar", (dir_ / "config.yaml").string()));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "2024-01-02T00:00:00Z  context: vix=NaN\n"
            "  AAA      open=10.0000 high=11.0000 low=9.0000 close=10.5000 volume=100  signals: ml_pred=NaN\n"
            "  BBB      open=20.0000 high=21.0000 low=19.0000 close=20.5000 volume=200  signals: ml_pred=NaN\n"
            "2024-01-03T00:00:00Z  context: vix=18.5\n"
            "  AAA      open=10.5000 high=12.0000 low=10.0000 close=11.5000 volume=300  signals: ml_pred=0.75\n");
}

TEST_F(EventsCli, MissingConfigIsAConfigError) {
  const auto r = run(dir_, fmt::format("events {}", (dir_ / "nope.yaml").string()));
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("nope.yaml"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ml4t::backtest
