// Results of a backtest: the equity curve, round-trip trades, fills, orders (rejected
// ones with reasons) and summary metrics. The records are the engine's own vocabulary
// (include/ml4t/backtest/engine/); this header gathers them for the writers (Parquet/
// CSV/JSON/HTML) and the metrics beside it. results/ depends on engine/, never the reverse.
#pragma once

#include "ml4t/backtest/engine/fills.hpp"
#include "ml4t/backtest/engine/orders.hpp"
#include "ml4t/backtest/engine/run_results.hpp"
#include "ml4t/backtest/engine/trades.hpp"
