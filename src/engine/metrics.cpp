#include "ml4t/backtest/engine/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace ml4t::backtest {

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
  const double spacing = static_cast<double>(gaps[mid]);
  constexpr double kHour = 3600e9;
  constexpr double kDay = 24 * kHour;
  if (spacing >= 27 * kDay) return 12.0;
  if (spacing >= 6 * kDay) return 52.0;
  if (spacing >= 20 * kHour) return 252.0;
  if (spacing <= 0) return 252.0;
  // Intraday: bars in a 6.5 h session, rounded up (hourly bars 09:30..15:30 are 7).
  return 252.0 * std::ceil(6.5 * kHour / spacing - 1e-9);
}

Metrics compute_metrics(const std::vector<EquityPoint>& curve, const std::vector<Trade>& trades,
                        const std::vector<Fill>& fills, double periods_per_year, double initial_capital) {
  Metrics m;
  m.periods_per_year = periods_per_year > 0 ? periods_per_year : detect_periods_per_year(curve);
  const double ppy = m.periods_per_year;

  // Trade statistics (closed round trips only: an open trade's P&L is not final).
  double gross_win = 0, gross_loss = 0;
  int64_t wins = 0, losses = 0;
  for (const Trade& t : trades) {
    if (t.open) continue;
    ++m.num_trades;
    if (t.pnl > 0) {
      ++wins;
      gross_win += t.pnl;
    } else if (t.pnl < 0) {
      ++losses;
      gross_loss += t.pnl;
    }
  }
  if (m.num_trades > 0) m.win_rate = static_cast<double>(wins) / static_cast<double>(m.num_trades);
  if (wins > 0) m.avg_win = gross_win / static_cast<double>(wins);
  if (losses > 0) m.avg_loss = gross_loss / static_cast<double>(losses);
  if (gross_loss < 0) {
    m.profit_factor = gross_win / -gross_loss;
  } else if (gross_win > 0) {
    m.profit_factor = std::numeric_limits<double>::infinity();  // no losing trade
  }

  if (curve.empty()) return m;

  const double start = initial_capital > 0 ? initial_capital : curve.front().equity;
  const size_t first = initial_capital > 0 ? 0 : 1;  // first point with a return
  const size_t n_returns = curve.size() - first;
  m.total_return = start != 0 ? curve.back().equity / start - 1.0 : 0.0;

  // Per-bar returns: mean, sample standard deviation, downside deviation (target 0).
  double sum = 0, sum_down_sq = 0;
  for (size_t i = first; i < curve.size(); ++i) {
    const double prev = i == 0 ? start : curve[i - 1].equity;
    const double r = prev != 0 ? curve[i].equity / prev - 1.0 : 0.0;
    sum += r;
    if (r < 0) sum_down_sq += r * r;
  }
  if (n_returns > 0) {
    const double mean = sum / static_cast<double>(n_returns);
    double ss = 0;
    for (size_t i = first; i < curve.size(); ++i) {
      const double prev = i == 0 ? start : curve[i - 1].equity;
      const double r = prev != 0 ? curve[i].equity / prev - 1.0 : 0.0;
      ss += (r - mean) * (r - mean);
    }
    const double sd = n_returns > 1 ? std::sqrt(ss / static_cast<double>(n_returns - 1)) : 0.0;
    const double down = std::sqrt(sum_down_sq / static_cast<double>(n_returns));
    m.annual_volatility = sd * std::sqrt(ppy);
    if (sd > 0) m.sharpe = mean / sd * std::sqrt(ppy);
    if (down > 0) m.sortino = mean / down * std::sqrt(ppy);
    const double years = static_cast<double>(n_returns) / ppy;
    if (years > 0 && 1.0 + m.total_return > 0) m.cagr = std::pow(1.0 + m.total_return, 1.0 / years) - 1.0;
  }

  // Drawdown and its longest duration: bars from a peak until equity is back at it
  // (or until the end when it never is).
  double peak = start;
  int64_t peak_index = initial_capital > 0 ? -1 : 0;  // -1: the capital before the first bar
  bool underwater = false;
  for (size_t i = 0; i < curve.size(); ++i) {
    const double e = curve[i].equity;
    const int64_t bars_since_peak = static_cast<int64_t>(i) - peak_index;
    if (e >= peak) {
      if (underwater) m.max_drawdown_duration_bars = std::max(m.max_drawdown_duration_bars, bars_since_peak);
      underwater = false;
      peak = e;
      peak_index = static_cast<int64_t>(i);
    } else {
      underwater = true;
      m.max_drawdown = std::min(m.max_drawdown, peak > 0 ? e / peak - 1.0 : 0.0);
      m.max_drawdown_duration_bars = std::max(m.max_drawdown_duration_bars, bars_since_peak);
    }
  }
  if (m.max_drawdown < 0) m.calmar = m.cagr / -m.max_drawdown;

  // Exposure: share of bars holding anything; turnover: traded notional per year
  // relative to average equity.
  int64_t exposed = 0;
  double equity_sum = 0;
  for (const EquityPoint& p : curve) {
    if (p.gross_value > 0) ++exposed;
    equity_sum += p.equity;
  }
  m.exposure = static_cast<double>(exposed) / static_cast<double>(curve.size());
  double traded = 0;
  for (const Fill& f : fills) traded += f.quantity * f.price;
  const double avg_equity = equity_sum / static_cast<double>(curve.size());
  const double bars = static_cast<double>(curve.size());
  if (avg_equity > 0) m.turnover = traded / avg_equity * (ppy / bars);
  return m;
}

}  // namespace ml4t::backtest
