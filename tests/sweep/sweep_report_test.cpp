// sweep.html: self-contained, and its script really draws the tables: headless Chromium's
// DOM after the script ran holds the heatmap cells with the values worked out by hand.
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "ml4t/backtest/sweep/sweep.hpp"
#include "support/cli_runner.hpp"
#include "support/test_paths.hpp"

namespace ml4t::backtest {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

// Keys a (0.1, 0.2) x b (10, 20), plus c (1, 2) for the first cell only: the heatmap of
// sharpe over (a, b) averages task 1 and 5: (1 + 2) / 2 = 1.5.
SweepTable sample_table() {
  SweepTable t;
  t.columns = {"task_id", "a", "b", "c", "final_equity", "sharpe"};
  t.rows = {{std::string("t1"), 0.1, 10.0, 1.0, 100.0, 1.0},  {std::string("t2"), 0.1, 20.0, 1.0, 110.0, 2.0},
            {std::string("t3"), 0.2, 10.0, 1.0, 120.0, 3.0},  {std::string("t4"), 0.2, 20.0, 1.0, 130.0, 4.0},
            {std::string("t5"), 0.1, 10.0, 2.0, 90.0, 2.0},   {std::string("t6"), 0.2, 20.0, 2.0, 95.0, SweepCell{}}};
  return t;
}

TEST(SweepReport, IsSelfContainedAndCarriesTheTable) {
  const std::string html = render_sweep_html(sample_table(), 3, nullptr, "Sweep: <cfg>.yaml");
  EXPECT_THAT(html, HasSubstr("<title>Sweep: &lt;cfg&gt;.yaml</title>"));
  EXPECT_THAT(html, HasSubstr("\"swept_keys\":[\"a\",\"b\",\"c\"]"));
  EXPECT_THAT(html, HasSubstr("[\"t6\",0.2,20,2,95,null]"));  // a null metric stays null
  EXPECT_THAT(html, Not(HasSubstr("src=")));                      // nothing loaded from elsewhere
  EXPECT_THAT(html, Not(HasSubstr("href=")));
  SweepTable hostile = sample_table();
  hostile.rows[0][0] = std::string("</script><script>alert(1)</script>");
  EXPECT_THAT(render_sweep_html(hostile, 3, nullptr, "x"), Not(HasSubstr("</script><script>alert")));
}

TEST(SweepReport, ChromiumDrawsTheHeatmapAndTheTables) {
  const std::string chromium = ML4T_CHROMIUM;
  if (chromium.empty()) GTEST_SKIP() << "chromium is not installed (scripts/setup installs it); render check skipped";
  const fs::path dir = testing::scratch_dir();
  SweepTable folds;
  folds.columns = {"fold", "chosen", "final_equity"};
  folds.rows = {{int64_t{0}, std::string("a=0.1"), 101.5}};
  write_sweep_html(dir, sample_table(), 3, &folds, "render check");
  const auto r = testing::run_captured(
      dir, fmt::format("timeout 90 {} --headless --no-sandbox --disable-gpu --no-first-run --disable-dev-shm-usage "
                       "--disable-background-networking --user-data-dir={} --dump-dom file://{}",
                       chromium, (dir / "profile").string(), (dir / "sweep.html").string()));
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string& dom = r.out;
  // Heatmap, x = b, y = a: (a 0.1, b 10) = 1.5, (0.1, 20) = 2, (0.2, 10) = 3, (0.2, 20) = 4
  // (t6's null left out); lowest red (hue 0), highest green (hue 120).
  EXPECT_THAT(dom, HasSubstr("<th class=\"key\">a \\ b</th><th>10</th><th>20</th>"));
  EXPECT_THAT(dom, HasSubstr("hsl(0, 60%, 70%)\">1.50000</td>"));
  EXPECT_THAT(dom, HasSubstr("hsl(120, 60%, 70%)\">4</td>"));
  EXPECT_THAT(dom, HasSubstr(">2</td>"));
  // The tasks table: one row per task, and the folds.
  EXPECT_THAT(dom, HasSubstr("<td class=\"key\">t6</td>"));
  EXPECT_THAT(dom, HasSubstr("<td class=\"\">a=0.1</td><td class=\"\">101.500</td>"));
}

}  // namespace
}  // namespace ml4t::backtest
