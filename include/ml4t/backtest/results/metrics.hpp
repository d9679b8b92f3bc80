// Summary metrics of a backtest. compute_metrics is part of the engine (a run's Results
// carry their Metrics); this header keeps the results/ spelling working.
#pragma once

#include "ml4t/backtest/engine/metrics.hpp"
