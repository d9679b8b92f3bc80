// The library's version (the VERSION file at the repository root), for provenance in
// summary.json and reports, `ml4t-backtest --version` and ml4t.backtest.__version__.
#pragma once

#include <string_view>

namespace ml4t::backtest {

/// The version this library was built as, e.g. "0.1.0".
std::string_view version() noexcept;

}  // namespace ml4t::backtest
