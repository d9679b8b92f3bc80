// report.html: charts are drawn here as inline SVG (no scripts), so the page needs no
// network, no JavaScript engine quirks and prints the same everywhere.
#include "ml4t/backtest/results/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>

namespace ml4t::backtest {

namespace {

std::string html_escape(std::string_view text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string pct(double v, int digits = 2) {
  if (!std::isfinite(v)) return "–";
  return fmt::format("{:.{}f}%", v * 100.0, digits);
}

std::string num(double v, int digits = 2) {
  if (!std::isfinite(v)) return "–";
  return fmt::format("{:.{}f}", v, digits);
}

std::string money(double v) {
  if (!std::isfinite(v)) return "–";
  if (!(std::fabs(v) < 1e15)) return fmt::format("{:.6g}", v);  // cents would overflow long long
  // Thousands separators by hand: fmt 9's locale path would depend on the global locale.
  const bool neg = v < 0;
  const auto cents = static_cast<long long>(std::llround(std::fabs(v) * 100.0));
  const std::string digits = std::to_string(cents / 100);
  std::string whole;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) whole += ',';
    whole += digits[i];
  }
  return fmt::format("{}{}.{:02d}", neg ? "-" : "", whole, cents % 100);
}

struct ChartStyle {
  std::string stroke;
  std::string fill;  // empty = line only
  bool percent = false;
};

// A line (or area down to zero) chart with min/max labels on the y axis and the first/
// last dates on the x axis.
std::string svg_chart(const SeriesSketch& values, const ReportAccumulator& rows, const ChartStyle& style,
                      std::string_view label) {
  constexpr double kW = 1100, kH = 260, kLeft = 90, kRight = 15, kTop = 12, kBottom = 28;
  if (values.size() == 0) return "<p class=\"muted\">no data</p>";
  double lo = values.min();
  double hi = values.max();
  if (!style.fill.empty()) hi = std::max(hi, 0.0), lo = std::min(lo, 0.0);
  if (hi - lo < 1e-12) {
    const double pad = std::max(std::fabs(hi) * 0.01, 1e-6);
    lo -= pad;
    hi += pad;
  }
  const double n = static_cast<double>(std::max<size_t>(values.size() - 1, 1));
  auto x = [&](size_t i) { return kLeft + (kW - kLeft - kRight) * static_cast<double>(i) / n; };
  auto y = [&](double v) { return kTop + (kH - kTop - kBottom) * (hi - v) / (hi - lo); };
  std::string points;
  for (const auto& [i, v] : values.points()) points += fmt::format("{:.1f},{:.1f} ", x(i), y(v));
  std::string svg = fmt::format(
      "<svg viewBox=\"0 0 {} {}\" width=\"100%\" role=\"img\" aria-label=\"{}\" "
      "xmlns=\"http://www.w3.org/2000/svg\">",
      kW, kH, html_escape(label));
  // Grid: 4 horizontal lines with value labels.
  for (int g = 0; g <= 4; ++g) {
    const double v = lo + (hi - lo) * g / 4.0;
    const double gy = y(v);
    svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{:.1f}\" y2=\"{:.1f}\" class=\"grid\"/>", kLeft, kW - kRight, gy,
                       gy);
    svg += fmt::format("<text x=\"{}\" y=\"{:.1f}\" class=\"axis\" text-anchor=\"end\">{}</text>", kLeft - 6, gy + 4,
                       style.percent ? pct(v, 1) : money(v));
  }
  if (!style.fill.empty()) {
    const double zero = y(0.0);
    svg += fmt::format("<polygon points=\"{:.1f},{:.1f} {}{:.1f},{:.1f}\" fill=\"{}\" stroke=\"none\"/>", x(0), zero,
                       points, x(values.size() - 1), zero, style.fill);
  }
  svg +=
      fmt::format("<polyline points=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.6\"/>", points, style.stroke);
  svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"axis\">{}</text>", kLeft, kH - 8,
                     rows.first()->date_string());
  svg += fmt::format("<text x=\"{}\" y=\"{}\" class=\"axis\" text-anchor=\"end\">{}</text>", kW - kRight, kH - 8,
                     rows.last()->date_string());
  svg += "</svg>";
  return svg;
}

// Red for losses, green for gains; intensity saturates at +-10% a month.
std::string heat_color(double v) {
  const double t = std::min(1.0, std::fabs(v) / 0.10);
  const int fade = static_cast<int>(std::lround(255 - 165 * t));
  return v >= 0 ? fmt::format("rgb({},{},{})", fade, 255 - static_cast<int>(std::lround(60 * t)), fade)
                : fmt::format("rgb({},{},{})", 255 - static_cast<int>(std::lround(40 * t)), fade, fade);
}

void row(std::string& html, std::string_view name, const std::string& value) {
  html += fmt::format("<tr><th>{}</th><td>{}</td></tr>", html_escape(name), html_escape(value));
}

}  // namespace

void SeriesSketch::add(double value) {
  if (count_ == 0) {
    min_ = max_ = value;
  } else {
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
  }
  const size_t index = count_++;
  if (!buckets_.empty() && in_last_ < width_) {
    Bucket& b = buckets_.back();
    if (value < b.vmin) b.vmin = value, b.imin = index;
    if (value > b.vmax) b.vmax = value, b.imax = index;
    ++in_last_;
    return;
  }
  if (buckets_.size() == 2 * kBuckets) {
    // Every bucket is full: merge neighbours (the earlier point wins a tie, as it would
    // in one bucket of twice the width).
    for (size_t i = 0; i < kBuckets; ++i) {
      const Bucket& a = buckets_[2 * i];
      const Bucket& c = buckets_[2 * i + 1];
      Bucket merged = a;
      if (c.vmin < a.vmin) merged.vmin = c.vmin, merged.imin = c.imin;
      if (c.vmax > a.vmax) merged.vmax = c.vmax, merged.imax = c.imax;
      buckets_[i] = merged;
    }
    buckets_.resize(kBuckets);
    width_ *= 2;
  }
  buckets_.push_back({index, index, value, value});
  in_last_ = 1;
}

std::vector<std::pair<size_t, double>> SeriesSketch::points() const {
  std::vector<std::pair<size_t, double>> out;
  out.reserve(buckets_.size() * 2);
  for (const Bucket& b : buckets_) {
    const bool min_first = b.imin <= b.imax;
    out.emplace_back(min_first ? b.imin : b.imax, min_first ? b.vmin : b.vmax);
    if (b.imin != b.imax) out.emplace_back(min_first ? b.imax : b.imin, min_first ? b.vmax : b.vmin);
  }
  return out;
}

namespace {

// Days since 1970-01-01 of a UTC time (floor).
int64_t utc_days(Timestamp t) {
  constexpr int64_t kDayNs = 86'400'000'000'000;
  const int64_t ns = t.nanos();
  return ns >= 0 ? ns / kDayNs : -((-ns + kDayNs - 1) / kDayNs);
}

}  // namespace

void ReportAccumulator::add(const EquityPoint& p) {
  equity_.add(p.equity);
  drawdown_.add(p.drawdown);
  if (!first_) first_ = p.timestamp;
  last_ = p.timestamp;
  // The calendar month, worked out again only when the day leaves the current month.
  const int64_t day = utc_days(p.timestamp);
  if (year_ == 0 || day < month_first_day_ || day >= month_end_day_) {
    const std::string date = p.timestamp.date_string();
    const int y = std::stoi(date.substr(0, 4));
    const auto m = static_cast<unsigned>(std::stoi(date.substr(5, 2)));
    if (year_ == 0) {
      month_base_ = p.equity;  // the first month starts from the first point
    } else {
      months_.push_back({year_, month_, month_base_ != 0 ? month_last_ / month_base_ - 1.0 : 0.0});
      month_base_ = month_last_;
    }
    year_ = y;
    month_ = m;
    month_first_day_ = utc_days(Timestamp::from_civil(y, m, 1));
    month_end_day_ = utc_days(m == 12 ? Timestamp::from_civil(y + 1, 1, 1) : Timestamp::from_civil(y, m + 1, 1));
  }
  month_last_ = p.equity;
}

void ReportAccumulator::add(const Trade& t) {
  TradeStats& s = trades_;
  s.commission += t.commission;
  s.slippage += t.slippage;
  if (t.open) {
    ++s.open;
    return;
  }
  ++s.closed;
  (t.side == TradeSide::kLong ? s.longs : s.shorts) += 1;
  if (t.pnl > 0) ++s.wins;
  s.best = s.closed == 1 ? t.pnl : std::max(s.best, t.pnl);
  s.worst = s.closed == 1 ? t.pnl : std::min(s.worst, t.pnl);
  s.total_pnl += t.pnl;
  s.bars += static_cast<double>(t.bars_held);
  s.exits[std::string(to_string(t.exit_reason))] += 1;
}

std::vector<MonthlyReturn> ReportAccumulator::monthly_returns() const {
  std::vector<MonthlyReturn> out = months_;
  if (year_ != 0) out.push_back({year_, month_, month_base_ != 0 ? month_last_ / month_base_ - 1.0 : 0.0});
  return out;
}

std::vector<MonthlyReturn> monthly_returns(const std::vector<EquityPoint>& curve) {
  ReportAccumulator rows;
  for (const auto& p : curve) rows.add(p);
  return rows.monthly_returns();
}

std::string render_report_html(const Results& results, const RunInfo& info) {
  ReportAccumulator rows;
  for (const auto& p : results.equity_curve) rows.add(p);
  for (const auto& t : results.trades) rows.add(t);
  return render_report_html(results, rows, info);
}

std::string render_report_html(const Results& results, const ReportAccumulator& rows, const RunInfo& info) {
  const Metrics& m = results.metrics;
  std::string html;
  html.reserve(64 * 1024);
  html += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  html += fmt::format("<title>{}</title>", html_escape(info.title));
  html += R"(<style>
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;margin:24px auto;max-width:1180px;color:#1d2330;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #dde2ea;padding-bottom:4px}
.muted{color:#6b7588;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #dde2ea;border-radius:6px;padding:10px 14px;min-width:130px}
.card .v{font-size:20px;font-weight:600}.card .k{font-size:12px;color:#6b7588}
.pos{color:#13803b}.neg{color:#c0262d}
table{border-collapse:collapse;font-size:13px}
th,td{padding:4px 10px;text-align:right;border-bottom:1px solid #eef1f5}
th{font-weight:500;color:#44506a;text-align:left}
.cols{display:flex;gap:40px;flex-wrap:wrap}
.heat td{min-width:52px;text-align:center}
svg .grid{stroke:#eef1f5}svg .axis{font-size:11px;fill:#6b7588}
</style></head><body>
)";
  html += fmt::format("<h1>{}</h1>", html_escape(info.title));
  std::string range = rows.points() == 0
                          ? std::string("no bars")
                          : fmt::format("{} to {}", rows.first()->date_string(), rows.last()->date_string());
  html +=
      fmt::format("<div class=\"muted\">{} · {} bars · {} events · {} assets · ml4t-backtest {}</div>",
                  html_escape(range), rows.points(), results.events, results.symbols.size(), html_escape(info.version));

  auto card = [&](std::string_view k, const std::string& v, int sign) {
    html += fmt::format("<div class=\"card\"><div class=\"v {}\">{}</div><div class=\"k\">{}</div></div>",
                        sign > 0   ? "pos"
                        : sign < 0 ? "neg"
                                   : "",
                        html_escape(v), html_escape(k));
  };
  html += "<div class=\"cards\">";
  card("final equity", money(results.final_equity), 0);
  card("total return", pct(m.total_return), m.total_return > 0 ? 1 : m.total_return < 0 ? -1 : 0);
  card("CAGR", pct(m.cagr), m.cagr > 0 ? 1 : m.cagr < 0 ? -1 : 0);
  card("Sharpe", num(m.sharpe), 0);
  card("max drawdown", pct(m.max_drawdown), m.max_drawdown < 0 ? -1 : 0);
  card("trades", std::to_string(m.num_trades), 0);
  card("win rate", pct(m.win_rate, 1), 0);
  html += "</div>";

  html += "<h2>Equity curve</h2>";
  html += svg_chart(rows.equity(), rows, {"#2a62c9", "", false}, "equity curve");
  html += "<h2>Drawdown</h2>";
  html += svg_chart(rows.drawdown(), rows, {"#c0262d", "rgba(192,38,45,0.18)", true}, "drawdown");

  // Monthly returns heatmap: one row per year, a cell per month, and the year's total.
  html += "<h2>Monthly returns</h2>";
  const auto months = rows.monthly_returns();
  if (months.empty()) {
    html += "<p class=\"muted\">no data</p>";
  } else {
    std::map<int, std::array<std::optional<double>, 12>> by_year;
    for (const auto& mr : months) by_year[mr.year][mr.month - 1] = mr.value;
    static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    html += "<table class=\"heat\"><tr><th>year</th>";
    for (const char* name : kMonths) html += fmt::format("<th>{}</th>", name);
    html += "<th>year</th></tr>";
    for (const auto& [year, cells] : by_year) {
      html += fmt::format("<tr><th>{}</th>", year);
      double compounded = 1.0;
      for (const auto& cell : cells) {
        if (cell) {
          compounded *= 1.0 + *cell;
          html += fmt::format("<td style=\"background:{}\">{}</td>", heat_color(*cell), pct(*cell, 1));
        } else {
          html += "<td></td>";
        }
      }
      html += fmt::format("<td style=\"background:{}\"><b>{}</b></td></tr>", heat_color(compounded - 1.0),
                          pct(compounded - 1.0, 1));
    }
    html += "</table>";
  }

  // Trade statistics (closed trades only, costs of all).
  const TradeStats& ts = rows.trades();
  const int64_t closed = ts.closed, wins = ts.wins;
  html += "<div class=\"cols\"><div><h2>Trade statistics</h2><table>";
  row(html, "closed trades", std::to_string(closed));
  row(html, "long / short", fmt::format("{} / {}", ts.longs, ts.shorts));
  row(html, "open at end", std::to_string(ts.open));
  row(html, "winners", closed ? fmt::format("{} ({})", wins, pct(static_cast<double>(wins) / closed, 1)) : "–");
  row(html, "total P&L", money(ts.total_pnl));
  row(html, "average P&L", closed ? money(ts.total_pnl / static_cast<double>(closed)) : "–");
  row(html, "best trade", closed ? money(ts.best) : "–");
  row(html, "worst trade", closed ? money(ts.worst) : "–");
  row(html, "average bars held", closed ? num(ts.bars / static_cast<double>(closed), 1) : "–");
  row(html, "commission paid", money(ts.commission));
  row(html, "slippage cost", money(ts.slippage));
  for (const auto& [reason, count] : ts.exits) row(html, fmt::format("exits: {}", reason), std::to_string(count));
  html += "</table></div>";

  html += "<div><h2>Metrics</h2><table>";
  row(html, "initial capital", money(results.initial_capital));
  row(html, "final equity", money(results.final_equity));
  row(html, "total return", pct(m.total_return));
  row(html, "CAGR", pct(m.cagr));
  row(html, "annual volatility", pct(m.annual_volatility));
  row(html, "Sharpe ratio", num(m.sharpe));
  row(html, "Sortino ratio", num(m.sortino));
  row(html, "max drawdown", pct(m.max_drawdown));
  row(html, "max drawdown duration (bars)", std::to_string(m.max_drawdown_duration_bars));
  row(html, "Calmar ratio", num(m.calmar));
  row(html, "win rate", pct(m.win_rate, 1));
  row(html, "profit factor", num(m.profit_factor));
  row(html, "average win", money(m.avg_win));
  row(html, "average loss", money(m.avg_loss));
  row(html, "exposure", pct(m.exposure, 1));
  row(html, "turnover (annualized)", num(m.turnover));
  row(html, "number of trades", std::to_string(m.num_trades));
  row(html, "periods per year", num(m.periods_per_year, 0));
  html += "</table></div></div>";
  html += fmt::format("<p class=\"muted\">Generated by ml4t-backtest {} in {:.2f} s.</p></body></html>\n",
                      html_escape(info.version), elapsed_seconds(results, info));
  return html;
}

}  // namespace ml4t::backtest
