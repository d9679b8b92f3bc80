#include "ml4t/backtest/engine/cashflows.hpp"
#include "ml4t/backtest/engine/orders.hpp"
#include "ml4t/backtest/engine/trades.hpp"

namespace ml4t::backtest {

// Names are the snake_case values written to the result files and accepted in configs.

std::string_view to_string(ExitReason reason) {
  switch (reason) {
    case ExitReason::kSignal:
      return "signal";
    case ExitReason::kStopLoss:
      return "stop_loss";
    case ExitReason::kTakeProfit:
      return "take_profit";
    case ExitReason::kTrailingStop:
      return "trailing_stop";
    case ExitReason::kEndOfData:
      return "end_of_data";
    case ExitReason::kMarginCall:
      return "margin_call";
    case ExitReason::kDelisted:
      return "delisted";
  }
  return "unknown";
}

std::string_view to_string(CashFlowType type) {
  switch (type) {
    case CashFlowType::kBorrowFee:
      return "borrow_fee";
    case CashFlowType::kMarginInterest:
      return "margin_interest";
    case CashFlowType::kCreditInterest:
      return "credit_interest";
    case CashFlowType::kDividend:
      return "dividend";
  }
  return "unknown";
}

std::string_view to_string(Side side) { return side == Side::kBuy ? "buy" : "sell"; }

std::string_view to_string(TradeSide side) { return side == TradeSide::kLong ? "long" : "short"; }

std::string_view to_string(OrderType type) {
  switch (type) {
    case OrderType::kMarket:
      return "market";
    case OrderType::kLimit:
      return "limit";
    case OrderType::kStop:
      return "stop";
    case OrderType::kStopLimit:
      return "stop_limit";
    case OrderType::kTrailingStop:
      return "trailing_stop";
  }
  return "unknown";
}

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::kFilled:
      return "filled";
    case OrderStatus::kPartiallyFilled:
      return "partially_filled";
    case OrderStatus::kCancelled:
      return "cancelled";
    case OrderStatus::kRejected:
      return "rejected";
    case OrderStatus::kExpired:
      return "expired";
    case OrderStatus::kOpen:
      return "open";
  }
  return "unknown";
}

std::string_view to_string(TimeInForce tif) { return tif == TimeInForce::kGtc ? "gtc" : "day"; }

}  // namespace ml4t::backtest
