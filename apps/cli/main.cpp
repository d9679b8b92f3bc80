// ml4t-backtest: the command-line tool. Each subcommand lives in its own file and
// registers itself here; errors become one paragraph on stderr and an exit code
// (2: usage or config, 1: data or runtime).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <csignal>
#include <cstdio>

#include "commands.hpp"
#include "ml4t/backtest/core/error.hpp"

int main(int argc, char** argv) {
  using namespace ml4t::backtest;
  // A file-size limit (ulimit -f) must fail a write with EFBIG and a message, not kill us.
  std::signal(SIGXFSZ, SIG_IGN);
  CLI::App app{"ml4t-backtest: event-driven backtests of ML-driven trading strategies"};
  app.set_version_flag("--version", fmt::format("ml4t-backtest {}", ML4T_VERSION));
  app.require_subcommand(1);
  // Usage errors look like every other error: one `error:` line, then where help is.
  app.failure_message([](const CLI::App*, const CLI::Error& e) {
    return fmt::format("error: {}\nrun 'ml4t-backtest --help' (or 'ml4t-backtest <command> --help') for usage\n",
                       e.what());
  });
  cli::register_generate(app);
  cli::register_run(app);
  cli::register_sweep(app);
  cli::register_validate(app);
  cli::register_events(app);
  // Data tools live under `data`: "optimize" alone reads to a quant as parameter search.
  auto* data = app.add_subcommand("data", "Data files: `data optimize` rewrites them as sorted, compressed Parquet; "
                                          "`data inspect` describes them");
  data->require_subcommand(1);
  cli::register_optimize(*data);
  cli::register_inspect(*data);
  // The old top-level names keep working (hidden from --help) with a note on stderr.
  for (auto* old : {cli::register_optimize(app), cli::register_inspect(app)}) {
    old->group("");
    old->preparse_callback([name = old->get_name()](size_t) {
      fmt::print(stderr, "note: `ml4t-backtest {0}` is now `ml4t-backtest data {0}`; the old name will be removed\n",
                 name);
    });
  }
  cli::register_bench(app);
  app.get_subcommand("bench")->group("Developer");  // a tool for measuring the library, not for backtests
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const Interrupted& e) {
    fmt::print(stderr, "interrupted: {}\n", e.what());
    return 130;
  } catch (const ConfigError& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 2;
  } catch (const Error& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  } catch (const std::exception& e) {
    fmt::print(stderr, "error: {}\n", e.what());
    return 1;
  } catch (...) {  // never let an exception of unknown type end in std::terminate
    fmt::print(stderr, "error: unexpected failure of an unknown kind; please report it with the command line used\n");
    return 1;
  }
  return 0;
}
