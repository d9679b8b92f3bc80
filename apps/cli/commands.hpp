// The subcommands of ml4t-backtest; each registers its options and callback.
#pragma once

#include <CLI/CLI.hpp>

namespace ml4t::backtest::cli {

void register_generate(CLI::App& app);
CLI::App* register_optimize(CLI::App& app);
CLI::App* register_inspect(CLI::App& app);
void register_run(CLI::App& app);
void register_sweep(CLI::App& app);
void register_validate(CLI::App& app);
void register_bench(CLI::App& app);
void register_events(CLI::App& app);

/// Human-readable byte size ("12.3 MB").
std::string format_bytes(uint64_t bytes);

}  // namespace ml4t::backtest::cli
