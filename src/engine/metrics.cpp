#include "ml4t/backtest/engine/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace ml4t::backtest {

double periods_per_year_for_spacing(int64_t spacing_ns) {
  const double spacing = static_cast<double>(spacing_ns);
  constexpr double kHour = 3600e9;
  constexpr double kDay = 24 * kHour;
  if (spacing >= 27 * kDay) return 12.0;
  if (spacing >= 6 * kDay) return 52.0;
  if (spacing >= 20 * kHour) return 252.0;
  if (spacing <= 0) return 252.0;
  // Intraday: bars in a 6.5 h session, rounded up (hourly bars 09:30..15:30 are 7).
  return 252.0 * std::ceil(6.5 * kHour / spacing - 1e-9);
}

double detect_periods_per_year(const std::vector<EquityPoint>& equity_curve) {
  if (equity_curve.size() < 2) return 252.0;
  std::vector<int64_t> gaps;
  gaps.reserve(equity_curve.size() - 1);
  for (size_t i = 1; i < equity_curve.size(); ++i) {
    gaps.push_back((equity_curve[i].timestamp - equity_curve[i - 1].timestamp).count());
  }
  // The median ignores overnight and weekend gaps as long as most bars are regular.
  const size_t mid = gaps.size() / 2;
  std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(mid), gaps.end());
  return periods_per_year_for_spacing(gaps[mid]);
}

MetricsAccumulator::MetricsAccumulator(double periods_per_year, double initial_capital)
    : periods_per_year_(periods_per_year), initial_capital_(initial_capital) {}

void MetricsAccumulator::add(const Trade& t) {
  // Closed round trips only: an open trade's P&L is not final.
  if (t.open) return;
  ++closed_;
  if (t.pnl > 0) {
    ++wins_;
    gross_win_ += t.pnl;
  } else if (t.pnl < 0) {
    ++losses_;
    gross_loss_ += t.pnl;
  }
}

void MetricsAccumulator::add(const Fill& f) { traded_ += f.quantity * f.price; }

void MetricsAccumulator::add(const EquityPoint& p) {
  const double e = p.equity;
  const auto index = static_cast<int64_t>(points_);
  if (points_ == 0) {
    start_ = initial_capital_ > 0 ? initial_capital_ : e;
    peak_ = start_;
    peak_index_ = initial_capital_ > 0 ? -1 : 0;  // -1: the capital before the first bar
    previous_equity_ = start_;
  } else {
    const int64_t gap = (p.timestamp - previous_time_).count();
    if (gap > 0) {
      ++spacing_factors_[periods_per_year_for_spacing(gap)];
    } else {
      ++nonpositive_spacings_;
    }
  }
  // Per-bar returns (the first point has one only against the initial capital).
  if (points_ > 0 || initial_capital_ > 0) {
    const double r = previous_equity_ != 0 ? e / previous_equity_ - 1.0 : 0.0;
    ++returns_;
    return_sum_ += r;
    const double delta = r - return_mean_;
    return_mean_ += delta / static_cast<double>(returns_);
    return_m2_ += delta * (r - return_mean_);
    if (r < 0) down_sq_ += r * r;
  }
  // Drawdown and its longest duration: bars from a peak until equity is back at it
  // (or until the end when it never is).
  const int64_t bars_since_peak = index - peak_index_;
  if (e >= peak_) {
    if (underwater_) max_drawdown_bars_ = std::max(max_drawdown_bars_, bars_since_peak);
    underwater_ = false;
    peak_ = e;
    peak_index_ = index;
  } else {
    underwater_ = true;
    max_drawdown_ = std::min(max_drawdown_, peak_ > 0 ? e / peak_ - 1.0 : 0.0);
    max_drawdown_bars_ = std::max(max_drawdown_bars_, bars_since_peak);
  }
  if (p.gross_value > 0) ++exposed_;
  equity_sum_ += e;
  last_equity_ = e;
  previous_equity_ = e;
  previous_time_ = p.timestamp;
  ++points_;
}

double MetricsAccumulator::detected_periods_per_year() const {
  if (points_ < 2) return 252.0;
  // The median spacing's factor: spacings sorted ascending put the non-positive ones
  // first, then the positive ones, whose factor falls as the spacing grows — so the
  // median's factor is found walking the factors from the largest down.
  const uint64_t mid = (points_ - 1) / 2;
  if (mid < nonpositive_spacings_) return 252.0;
  uint64_t seen = nonpositive_spacings_;
  for (auto it = spacing_factors_.rbegin(); it != spacing_factors_.rend(); ++it) {
    seen += it->second;
    if (mid < seen) return it->first;
  }
  return 252.0;
}

Metrics MetricsAccumulator::metrics() const {
  Metrics m;
  m.periods_per_year = periods_per_year_ > 0 ? periods_per_year_ : detected_periods_per_year();
  const double ppy = m.periods_per_year;
  m.num_trades = closed_;
  if (closed_ > 0) m.win_rate = static_cast<double>(wins_) / static_cast<double>(closed_);
  if (wins_ > 0) m.avg_win = gross_win_ / static_cast<double>(wins_);
  if (losses_ > 0) m.avg_loss = gross_loss_ / static_cast<double>(losses_);
  if (gross_loss_ < 0) {
    m.profit_factor = gross_win_ / -gross_loss_;
  } else if (gross_win_ > 0) {
    m.profit_factor = std::numeric_limits<double>::infinity();  // no losing trade
  }
  if (points_ == 0) return m;

  m.total_return = start_ != 0 ? last_equity_ / start_ - 1.0 : 0.0;
  if (returns_ > 0) {
    const double n = static_cast<double>(returns_);
    const double mean = return_sum_ / n;
    const double sd = returns_ > 1 ? std::sqrt(return_m2_ / (n - 1)) : 0.0;
    const double down = std::sqrt(down_sq_ / n);
    m.annual_volatility = sd * std::sqrt(ppy);
    if (sd > 0) m.sharpe = mean / sd * std::sqrt(ppy);
    if (down > 0) m.sortino = mean / down * std::sqrt(ppy);
    const double years = n / ppy;
    if (years > 0 && 1.0 + m.total_return > 0) m.cagr = std::pow(1.0 + m.total_return, 1.0 / years) - 1.0;
  }
  m.max_drawdown = max_drawdown_;
  m.max_drawdown_duration_bars = max_drawdown_bars_;
  if (m.max_drawdown < 0) m.calmar = m.cagr / -m.max_drawdown;

  // Exposure: share of bars holding anything; turnover: traded notional per year
  // relative to average equity.
  const double bars = static_cast<double>(points_);
  m.exposure = static_cast<double>(exposed_) / bars;
  const double avg_equity = equity_sum_ / bars;
  if (avg_equity > 0) m.turnover = traded_ / avg_equity * (ppy / bars);
  return m;
}

Metrics compute_metrics(const std::vector<EquityPoint>& curve, const std::vector<Trade>& trades,
                        const std::vector<Fill>& fills, double periods_per_year, double initial_capital) {
  MetricsAccumulator acc(periods_per_year, initial_capital);
  for (const Trade& t : trades) acc.add(t);
  for (const EquityPoint& p : curve) acc.add(p);
  for (const Fill& f : fills) acc.add(f);
  return acc.metrics();
}

}  // namespace ml4t::backtest
