// Point-in-time rules on a timeline: one asset with minute bars 10:00..10:04 and two
// predictions, stamped 10:01 and 10:03. The same files are read under STRICT, NEXT_BAR
// and CUSTOM(2), and the program prints which prediction each bar sees.
// docs/data-architecture.md shows and explains the output.
//
//   build/examples/point_in_time out/pit
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace bt = ml4t::backtest;

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : "out/pit";
  std::filesystem::create_directories(dir);
  try {
    {
      std::ofstream prices(dir / "prices.csv");
      prices << "timestamp,asset_id,open,high,low,close,volume\n";
      for (int minute = 0; minute <= 4; ++minute) {
        prices << "2024-01-02 10:0" << minute << ":00,AAPL,100,101,99,100," << 1000 << "\n";
      }
      std::ofstream signals(dir / "signals.csv");
      signals << "timestamp,asset_id,ml_pred\n"
              << "2024-01-02 10:01:00,AAPL,0.8\n"   // computed from the 10:01 bar's close
              << "2024-01-02 10:03:00,AAPL,0.2\n";  // computed from the 10:03 bar's close
    }

    // [doc:modes]
    const struct {
      const char* name;
      bt::SignalTiming timing;
    } modes[] = {
        {"STRICT", {bt::SignalTimingMode::kStrict, 0}},
        {"NEXT_BAR", {bt::SignalTimingMode::kNextBar, 1}},
        {"CUSTOM(2)", {bt::SignalTimingMode::kCustom, 2}},
    };
    std::printf("%-10s", "bar");
    for (const auto& mode : modes) std::printf("%-11s", mode.name);
    std::printf("\n");

    std::string rows[5];
    for (const auto& mode : modes) {
      bt::ColumnarFeedOptions options;
      options.prices = (dir / "prices.csv").string();
      options.signals = bt::DataSource((dir / "signals.csv").string());
      options.timing = mode.timing;
      bt::ColumnarDataFeed feed(options);
      int i = 0;
      for (const bt::MarketEvent& event : feed) {
        const double pred = event.signals().get("ml_pred");  // NaN = nothing visible yet
        char cell[16];
        std::snprintf(cell, sizeof cell, "%-11s", std::isnan(pred) ? "-" : std::to_string(pred).substr(0, 3).c_str());
        if (rows[i].empty()) rows[i] = event.timestamp().to_string().substr(11, 5) + "     ";
        rows[i++] += cell;
      }
    }
    for (const auto& row : rows) std::printf("%s\n", row.c_str());
    // [doc:modes]
  } catch (const bt::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
