// Running the built ml4t-backtest from tests: read a file back, and run a shell
// command line with stdout and stderr captured to files in a scratch folder (so
// neither is a terminal, as in CI).
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace ml4t::backtest::testing {

/// The whole content of `path` ("" when it cannot be opened).
inline std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct CliRun {
  int code = -1;  //!< exit code; 128+n from the shell when killed by signal n
  std::string out, err;
};

/// Run `command` (a shell command line without redirections) with stdout and stderr
/// captured into `scratch`/stdout.txt and stderr.txt.
inline CliRun run_captured(const std::filesystem::path& scratch, const std::string& command) {
  const auto out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string line = command + " >" + out.string() + " 2>" + err.string();
  const int status = std::system(line.c_str());
  CliRun r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

}  // namespace ml4t::backtest::testing
