// Shared pieces of the built-in strategies: entry gates (minimum confidence, context
// rules) resolved once against the schema, and the strategy classes' factories.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ml4t/backtest/core/market_event.hpp"
#include "ml4t/backtest/core/schema.hpp"
#include "ml4t/backtest/engine/engine_config.hpp"
#include "ml4t/backtest/engine/strategy.hpp"

namespace ml4t::backtest::builtin {

/// A context rule with its field resolved: `context[field] op value`.
struct ContextGate {
  enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual, kNotEqual };
  FieldId field;
  Op op = Op::kLess;
  double value = 0;
  /// A missing value fails the rule: entries need the evidence the rule asks for.
  bool holds(double x) const;
};

/// The gates that block new entries (exits are never blocked).
struct EntryGates {
  std::optional<FieldId> confidence;  //!< set when min_confidence is
  double min_confidence = 0;
  std::vector<ContextGate> context;
  /// Whether the per-timestamp context rules hold at this group.
  bool context_allows(const Batch& batch, uint32_t group) const;
  /// Whether the asset's confidence clears the minimum at this row.
  bool confidence_allows(const Batch& batch, uint32_t row) const;
};

/// Resolve the spec's signal, confidence and context fields; ConfigError when absent.
FieldId resolve_signal(const StrategySpec& spec, const Schema& schema);
EntryGates resolve_gates(const StrategySpec& spec, const Schema& schema);

std::unique_ptr<Strategy> make_signal_threshold(const StrategySpec& spec, const Schema& schema);
std::unique_ptr<Strategy> make_top_k(const StrategySpec& spec, const Schema& schema);

}  // namespace ml4t::backtest::builtin
