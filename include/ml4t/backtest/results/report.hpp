// report.html: one self-contained page (inline CSS and SVG, no scripts, no network)
// with the equity curve, drawdown, monthly returns heatmap, trade statistics and the
// metrics table, so a run can be judged at a glance in any browser, offline.
#pragma once

#include <string>

#include "ml4t/backtest/results/results.hpp"
#include "ml4t/backtest/results/writer.hpp"

namespace ml4t::backtest {

/// Monthly returns: (year, month, compounded return of the equity within the month,
/// measured from the previous month's last equity).
struct MonthlyReturn {
  /// Calendar year (UTC).
  int year = 0;
  unsigned month = 0;  //!< 1..12
  /// Compounded return within the month.
  double value = 0;
};

/// Month-by-month returns of an equity curve (the first month starts from its first point).
std::vector<MonthlyReturn> monthly_returns(const std::vector<EquityPoint>& curve);

/// Render the report page.
std::string render_report_html(const Results& results, const RunInfo& info);

}  // namespace ml4t::backtest
