// Bounds on configured amounts, from the engine's arithmetic: cash, prices and quantities
// are doubles, and every money figure is kept (and reported) to the cent. A double holds
// whole cents exactly only below about 9e13, so amounts above kMaxAmount would be rounded
// silently (and overflow the cent conversions of the report). The config loader and the
// engine check against the same constants.
#pragma once

namespace ml4t::backtest {

//! Largest initial capital, commission or fixed slippage amount: 10 trillion.
inline constexpr double kMaxAmount = 1e13;
//! Largest multiple of a price or of equity a rule may name (take_profit 1e6 = +100,000,000%).
inline constexpr double kMaxRatio = 1e6;
//! Largest periods_per_year: more than the seconds in a year (3.2e7).
inline constexpr double kMaxPeriodsPerYear = 1e8;

}  // namespace ml4t::backtest
