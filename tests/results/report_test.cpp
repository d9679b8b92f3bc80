// report.html: monthly returns worked out by hand, the page's content, that it is
// self-contained, and that headless Chromium renders it without console errors.
#include "ml4t/backtest/results/report.hpp"

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

EquityPoint point(int y, unsigned m, unsigned d, double equity, double drawdown = 0) {
  return {Timestamp::from_civil(y, m, d), equity, 0, equity, drawdown};
}

TEST(MonthlyReturns, CompoundFromThePreviousMonthEnd) {
  // Jan: 100 -> 110 = +10%; Feb: 110 -> 99 = -10%; Mar: 99 -> 108.9 = +10%.
  const std::vector<EquityPoint> curve = {point(2024, 1, 2, 100), point(2024, 1, 31, 110), point(2024, 2, 15, 99),
                                          point(2024, 3, 1, 108.9)};
  const auto m = monthly_returns(curve);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].year, 2024);
  EXPECT_EQ(m[0].month, 1u);
  // 110/100 - 1 is 0.1 up to rounding of the division.
  EXPECT_NEAR(m[0].value, 0.10, 1e-12);
  EXPECT_EQ(m[1].month, 2u);
  EXPECT_NEAR(m[1].value, -0.10, 1e-12);
  EXPECT_EQ(m[2].month, 3u);
  EXPECT_NEAR(m[2].value, 0.10, 1e-12);
  EXPECT_TRUE(monthly_returns({}).empty());
}

Results demo_results(size_t bars) {
  Results r;
  r.symbols = {"AAA", "<BBB>"};
  double equity = 100000, peak = equity;
  for (size_t i = 0; i < bars; ++i) {
    // A deterministic wave with drift, so the charts have ups and downs.
    equity *= 1.0 + 0.002 * std::sin(static_cast<double>(i) / 9.0) + 0.0004;
    peak = std::max(peak, equity);
    r.equity_curve.push_back({Timestamp::from_civil(2023, 1, 2) + std::chrono::hours(24 * static_cast<int64_t>(i)),
                              equity, 0, equity, equity / peak - 1});
  }
  Trade win, loss;
  win.asset = 0;
  win.pnl = 1500;
  win.bars_held = 4;
  loss.asset = 1;
  loss.side = TradeSide::kShort;
  loss.pnl = -400;
  loss.bars_held = 2;
  loss.exit_reason = ExitReason::kStopLoss;
  r.trades = {win, loss};
  r.metrics.total_return = r.equity_curve.back().equity / 100000 - 1;
  r.metrics.sharpe = 1.8;
  r.metrics.num_trades = 2;
  r.metrics.win_rate = 0.5;
  r.initial_capital = 100000;
  r.final_equity = r.equity_curve.back().equity;
  r.events = bars * 2;
  return r;
}

TEST(Report, HasEverySectionAndIsSelfContained) {
  RunInfo info;
  info.title = "Backtest: <demo>.yaml";
  info.version = "0.1.0";
  const std::string html = render_report_html(demo_results(400), info);
  EXPECT_THAT(html, HasSubstr("<title>Backtest: &lt;demo&gt;.yaml</title>"));
  EXPECT_THAT(html, HasSubstr("<h2>Equity curve</h2><svg"));
  EXPECT_THAT(html, HasSubstr("<h2>Drawdown</h2><svg"));
  EXPECT_THAT(html, HasSubstr("<h2>Monthly returns</h2><table class=\"heat\">"));
  EXPECT_THAT(html, HasSubstr("<h2>Trade statistics</h2>"));
  EXPECT_THAT(html, HasSubstr("<h2>Metrics</h2>"));
  EXPECT_THAT(html, HasSubstr("<tr><th>long / short</th><td>1 / 1</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<tr><th>total P&amp;L</th><td>1,100.00</td></tr>"));  // 1500 - 400
  EXPECT_THAT(html, HasSubstr("<tr><th>exits: stop_loss</th><td>1</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<tr><th>Sharpe ratio</th><td>1.80</td></tr>"));
  EXPECT_THAT(html, HasSubstr("<th>2024</th>"));  // 400 days from 2023-01-02 reach 2024
  // Offline: no scripts, no external resources.
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("https://")));
  EXPECT_THAT(html, Not(HasSubstr("<link")));
}

TEST(Report, EmptyResultsStillRender) {
  const std::string html = render_report_html(Results{}, RunInfo{});
  EXPECT_THAT(html, HasSubstr("no bars"));
  EXPECT_THAT(html, HasSubstr("</html>"));
}

// The browser: the one CMake found when configuring (then a missing browser fails the
// test instead of skipping it), else the first on PATH.
std::string find_chromium() {
  if (std::string configured = ML4T_CHROMIUM; !configured.empty()) return configured;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    const std::string cmd = fmt::format("command -v {} >/dev/null 2>&1", name);
    if (std::system(cmd.c_str()) == 0) return name;
  }
  return {};
}

struct ChromiumRun {
  int status = -1;
  std::string log;  //!< Chromium's stderr log
  fs::path screenshot;
  /// The page's console output: Chromium logs every console message (console.error,
  /// uncaught exceptions, failed resource loads) as a line with ":CONSOLE".
  std::vector<std::string> console_lines() const {
    std::vector<std::string> lines;
    std::istringstream in(log);
    for (std::string line; std::getline(in, line);) {
      if (line.find(":CONSOLE") != std::string::npos) lines.push_back(line);
    }
    return lines;
  }
};

// Headless, offline (no background networking, every host name unresolvable), with a
// fresh profile; saves a screenshot of `page`.
ChromiumRun render_in_chromium(const std::string& chromium, const fs::path& page, const fs::path& dir) {
  ChromiumRun run;
  run.screenshot = dir / (page.stem().string() + ".png");
  const fs::path log = dir / (page.stem().string() + ".chromium.log");
  const std::string cmd = fmt::format(
      "timeout 90 {} --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
      "--disable-background-networking --disable-component-update --disable-sync --disable-dev-shm-usage "
      "--host-resolver-rules='MAP * ~NOTFOUND' --user-data-dir={} --enable-logging=stderr --v=0 --screenshot={} "
      "--window-size=1280,2000 file://{} >{} 2>&1",
      chromium, (dir / (page.stem().string() + ".profile")).string(), run.screenshot.string(), page.string(),
      log.string());
  run.status = std::system(cmd.c_str());
  std::ifstream in(log);
  std::stringstream ss;
  ss << in.rdbuf();
  run.log = ss.str();
  return run;
}

TEST(Report, RendersInHeadlessChromiumWithoutConsoleErrors) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup installs it); render check skipped";
  const fs::path dir = testing::scratch_dir();
  const fs::path page = dir / "report.html";
  RunInfo info;
  info.title = "Backtest: render check";
  info.version = "0.1.0";
  std::ofstream(page) << render_report_html(demo_results(500), info);
  const ChromiumRun run = render_in_chromium(chromium, page, dir);
  ASSERT_EQ(run.status, 0) << run.log;
  ASSERT_TRUE(fs::exists(run.screenshot)) << run.log;
  EXPECT_GT(fs::file_size(run.screenshot), 10'000u);  // a real page, not a blank image
  EXPECT_EQ(run.console_lines(), std::vector<std::string>{}) << run.log;
}

// The check above must be able to fail: the same harness on a page with a console.error
// and an uncaught exception reports both.
TEST(Report, ChromiumCheckCatchesConsoleErrors) {
  const std::string chromium = find_chromium();
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup installs it); render check skipped";
  const fs::path dir = testing::scratch_dir();
  const fs::path page = dir / "broken.html";
  std::ofstream(page) << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>broken</title></head><body>"
                         "<p>broken</p><script>console.error(\"ml4t-canary\"); no_such_function();</script>"
                         "</body></html>\n";
  const ChromiumRun run = render_in_chromium(chromium, page, dir);
  ASSERT_EQ(run.status, 0) << run.log;
  const auto lines = run.console_lines();
  ASSERT_EQ(lines.size(), 2u) << run.log;
  EXPECT_THAT(lines[0], HasSubstr("\"ml4t-canary\""));
  EXPECT_THAT(lines[1], HasSubstr("Uncaught ReferenceError: no_such_function is not defined"));
}

}  // namespace
}  // namespace ml4t::backtest
