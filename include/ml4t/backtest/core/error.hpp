// The exception hierarchy. Every error the library throws derives from Error; its
// message says what went wrong, where (file, column, row or timestamp, asset, config
// path) and how to fix it, so the CLI can print it as it is.
#pragma once

#include <stdexcept>
#include <string>

namespace ml4t::backtest {

/// Base of all ml4t::backtest errors.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// An invalid configuration or argument (a usage error: CLI exit code 2).
class ConfigError : public Error {
 public:
  using Error::Error;
};

/// Input data that cannot be read or violates a data rule (CLI exit code 1).
class DataError : public Error {
 public:
  using Error::Error;
};

/// A signal, feature or context value that would be visible before it exists.
class SignalTimingViolation : public DataError {
 public:
  using DataError::DataError;
};

/// A failure while writing results (disk full, permissions, ...).
class OutputError : public Error {
 public:
  using Error::Error;
};

/// A run stopped on request (SIGINT/SIGTERM, Ctrl-C in Python).
class Interrupted : public Error {
 public:
  using Error::Error;
};

}  // namespace ml4t::backtest
