#include "engine/account.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "engine/broker.hpp"
#include "engine/common.hpp"
#include "engine/market.hpp"

namespace ml4t::backtest {

double initial_margin_rate(const AccountConfig& account) {
  if (account.type == AccountType::kCash) return 1.0;
  const double from_leverage = account.leverage > 0 ? 1.0 / account.leverage : 0.0;
  const double initial = account.initial_margin > 0 ? account.initial_margin : (from_leverage > 0 ? 0.0 : 0.5);
  return std::max(initial, from_leverage);
}

}  // namespace ml4t::backtest

namespace ml4t::backtest::detail {

Account::Account(const EngineConfig& config, Portfolio& portfolio, RunRecorder& recorder, const SymbolTable& symbols)
    : account_(config.account),
      financing_(config.financing),
      portfolio_(portfolio),
      recorder_(recorder),
      symbols_(symbols) {
  portfolio_.set_margin(account_.type == AccountType::kMargin, initial_margin_rate(account_));
  if (!financing_.borrow_schedule.empty()) {
    for (BorrowRateRow& row : read_borrow_schedule(financing_.borrow_schedule)) {
      schedule_by_symbol_[row.asset].push_back({row.from, row.rate, row.available, std::move(row.where)});
    }
    // read_borrow_schedule returns rows by (asset, time) with no two at one time.
  }
  accrues_ = financing_.borrow_rate > 0 || !schedule_by_symbol_.empty() || financing_.margin_interest_rate > 0 ||
             financing_.credit_interest_rate > 0;
}

void Account::resize(size_t assets) {
  const size_t old = schedule_.size();
  if (assets <= old) return;
  schedule_.resize(assets, nullptr);
  if (schedule_by_symbol_.empty()) return;
  for (size_t a = old; a < assets; ++a) {
    const auto it = schedule_by_symbol_.find(std::string(symbols_.name(static_cast<AssetId>(a))));
    if (it != schedule_by_symbol_.end()) schedule_[a] = &it->second;
  }
}

const BorrowTerms* Account::terms(AssetId asset, Timestamp t) const {
  if (asset >= schedule_.size() || schedule_[asset] == nullptr) return nullptr;
  const std::vector<BorrowTerms>& rows = *schedule_[asset];
  // The last row stamped at or before t: nothing from later rows is visible.
  const auto after = std::upper_bound(rows.begin(), rows.end(), t,
                                      [](Timestamp v, const BorrowTerms& r) { return v < r.from; });
  return after == rows.begin() ? nullptr : &*(after - 1);
}

double Account::year_fraction(int64_t days) const {
  return static_cast<double>(days) / (financing_.day_count == DayCount::kActual365 ? 365.0 : 360.0);
}

void Account::begin_group(Timestamp now, int64_t session_day) {
  if (started_ && session_day != last_day_) accrue(last_close_, session_day - last_day_);
  started_ = true;
  last_day_ = session_day;
  last_close_ = now;
}

void Account::accrue(Timestamp at, int64_t days) {
  const double years = year_fraction(days);
  double total = 0;
  auto post = [&](AssetId asset, CashFlowType type, double amount, double balance, double rate) {
    recorder_.record_cashflow({at, asset, type, amount, balance, rate, days});
    total += amount;
  };
  // Interest is on the balance at the close, before this accrual's own fees.
  const double shorts = portfolio_.short_exposure();
  const double balance =
      portfolio_.cash() - (account_.short_proceeds == ShortProceeds::kHeld ? shorts : 0.0);
  for (AssetId a : portfolio_.open_positions()) {
    const Position& p = portfolio_.position(a);
    if (p.qty >= 0) continue;
    const BorrowTerms* t = terms(a, at);
    const double rate = t != nullptr ? t->rate : financing_.borrow_rate;
    if (rate == 0) continue;
    const double value = -p.qty * p.last_close;
    post(a, CashFlowType::kBorrowFee, -value * rate * years, value, rate);
  }
  if (balance < 0 && financing_.margin_interest_rate > 0) {
    post(kNoAsset, CashFlowType::kMarginInterest, balance * financing_.margin_interest_rate * years, balance,
         financing_.margin_interest_rate);
  } else if (balance > 0 && financing_.credit_interest_rate > 0) {
    post(kNoAsset, CashFlowType::kCreditInterest, balance * financing_.credit_interest_rate * years, balance,
         financing_.credit_interest_rate);
  }
  if (total == 0) return;
  portfolio_.add_cash(total);
  // The close's equity point already went out without the charge: it is replaced (the
  // recorder keeps the last point until the next one arrives).
  if (recorder_.has_equity() && recorder_.last_equity().timestamp == at) {
    recorder_.drop_last_equity();
    portfolio_.restore_previous_peak();
    recorder_.record_equity(portfolio_.equity_point(at));
  }
}

void Account::check_margin(Broker& broker, const Market& market) {
  if (account_.type != AccountType::kMargin) return;
  auto under = [&] {
    const double gross = portfolio_.gross_exposure();
    call_equity_ = portfolio_.equity();
    call_required_ = account_.maintenance_margin * gross;
    return gross > 0 && call_equity_ < call_required_;
  };
  in_call_ = under();
  if (!in_call_ || account_.margin_call != MarginCallPolicy::kLiquidate) return;
  // Largest unrealized loss first (ties: lower AssetId), until the call is met.
  while (in_call_ && !portfolio_.open_positions().empty()) {
    AssetId worst = kNoAsset;
    double worst_pnl = 0;
    for (AssetId a : portfolio_.open_positions()) {
      const Position& p = portfolio_.position(a);
      const double pnl = (p.last_close - p.avg_cost) * p.qty;
      if (worst == kNoAsset || pnl < worst_pnl || (pnl == worst_pnl && a < worst)) {
        worst = a;
        worst_pnl = pnl;
      }
    }
    const Position& p = portfolio_.position(worst);
    broker.cancel_orders(worst, 0, "cancelled: position closed by a margin call");
    broker.close_out(worst, OrderType::kMarket, kMissing, ExitReason::kMarginCall, p.last_close,
                     market.has_bar(worst) ? p.last_volume : kMissing);
    in_call_ = under();
  }
}

std::string Account::entry_rejection(AssetId asset, double after, Timestamp now) const {
  if (in_call_ && account_.margin_call == MarginCallPolicy::kRejectNew) {
    return fmt::format(
        "margin call: at the last close equity {:.2f} was below the maintenance margin {:.2f} "
        "(account.maintenance_margin {} x gross exposure); orders that add exposure are rejected until equity covers "
        "it (account.margin_call: reject_new); reduce positions first",
        call_equity_, call_required_, account_.maintenance_margin);
  }
  if (after >= 0) return {};
  const BorrowTerms* t = terms(asset, now);
  if (t != nullptr && !t->available) {
    return fmt::format("hard to borrow: {} is not available to borrow at {} ({} says available = false); drop the "
                       "short or update the borrow schedule",
                       name(asset), now.to_string(), t->where);
  }
  const double rate = t != nullptr ? t->rate : financing_.borrow_rate;
  if (financing_.hard_to_borrow_rate > 0 && rate > financing_.hard_to_borrow_rate) {
    return fmt::format("hard to borrow: {}'s borrow rate at {} is {} ({}), above financing.hard_to_borrow_rate {}; "
                       "drop the short or raise the threshold",
                       name(asset), now.to_string(), rate, t != nullptr ? t->where : "financing.borrow_rate",
                       financing_.hard_to_borrow_rate);
  }
  return {};
}

}  // namespace ml4t::backtest::detail
