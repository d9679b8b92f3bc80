#include "ml4t/backtest/core/version.hpp"

// ML4T_VERSION is defined for this file only (src/core/CMakeLists.txt), so a version bump
// recompiles one file.
namespace ml4t::backtest {

std::string_view version() noexcept { return ML4T_VERSION; }

}  // namespace ml4t::backtest
