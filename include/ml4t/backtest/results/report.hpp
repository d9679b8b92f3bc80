// report.html: one self-contained page (inline CSS and SVG, no scripts, no network)
// with the equity curve, drawdown, monthly returns heatmap, trade statistics and the
// metrics table, so a run can be judged at a glance in any browser, offline.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

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

/// A chart's series reduced as it arrives: consecutive points fall into buckets of equal
/// width, each keeping its first minimum and first maximum, so spikes and drawdowns stay
/// visible. When there are 2 x kBuckets buckets, neighbours merge and the width doubles:
/// at most 4 x kBuckets (2000) points are kept however long the run.
class SeriesSketch {
 public:
  static constexpr size_t kBuckets = 500;  //!< buckets after a merge
  /// The next value.
  void add(double value);
  /// Values added.
  size_t size() const { return count_; }
  /// Smallest and largest value added (NaN when none).
  double min() const { return min_; }
  double max() const { return max_; }  //!< largest value added
  /// (index, value) of every kept point, in index order.
  std::vector<std::pair<size_t, double>> points() const;

 private:
  struct Bucket {
    size_t imin = 0, imax = 0;
    double vmin = 0, vmax = 0;
  };
  std::vector<Bucket> buckets_;
  size_t width_ = 1, count_ = 0, in_last_ = 0;
  double min_ = 0, max_ = 0;
};

/// The trade statistics table of the report.
struct TradeStats {
  int64_t closed = 0;  //!< closed trades
  int64_t wins = 0;    //!< closed trades with pnl > 0
  int64_t longs = 0;   //!< closed long trades
  int64_t shorts = 0;  //!< closed short trades
  int64_t open = 0;    //!< trades still open at the end
  double best = 0;     //!< best closed trade's pnl
  double worst = 0;    //!< worst closed trade's pnl
  double total_pnl = 0;   //!< pnl of the closed trades
  double bars = 0;        //!< bars held by the closed trades
  double commission = 0;  //!< commission of every trade
  double slippage = 0;    //!< slippage cost of every trade
  std::map<std::string, int64_t> exits;  //!< closed trades per exit reason
};

/// What the report draws, gathered row by row (memory does not grow with the rows).
class ReportAccumulator {
 public:
  /// The next equity point (in time order).
  void add(const EquityPoint& point);
  /// A round trip.
  void add(const Trade& trade);

  /// Equity points added.
  size_t points() const { return equity_.size(); }
  const SeriesSketch& equity() const { return equity_; }      //!< the equity chart
  const SeriesSketch& drawdown() const { return drawdown_; }  //!< the drawdown chart
  /// First and last bar time (when any point was added).
  std::optional<Timestamp> first() const { return first_; }
  std::optional<Timestamp> last() const { return last_; }  //!< last bar time
  /// Monthly returns so far (the month in progress included).
  std::vector<MonthlyReturn> monthly_returns() const;
  const TradeStats& trades() const { return trades_; }  //!< trade statistics

 private:
  SeriesSketch equity_, drawdown_;
  std::optional<Timestamp> first_, last_;
  std::vector<MonthlyReturn> months_;  // finished months
  double month_base_ = 0, month_last_ = 0;
  int year_ = 0;
  unsigned month_ = 0;
  int64_t month_first_day_ = 0, month_end_day_ = 0;  // the current month, as days since the epoch
  TradeStats trades_;
};

/// Render the report page from the rows of `results`.
std::string render_report_html(const Results& results, const RunInfo& info);

/// Render the report page from gathered rows; `results` gives the scalars (metrics,
/// capital, final equity, events, symbols), its row vectors are not read.
std::string render_report_html(const Results& results, const ReportAccumulator& rows, const RunInfo& info);

}  // namespace ml4t::backtest
