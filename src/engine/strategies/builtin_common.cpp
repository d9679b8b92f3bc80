#include "engine/strategies/builtin_common.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/engine/builtin_strategies.hpp"

namespace ml4t::backtest {

namespace builtin {

namespace {

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

}  // namespace

bool ContextGate::holds(double x) const {
  if (std::isnan(x)) return false;
  switch (op) {
    case Op::kLess:
      return x < value;
    case Op::kLessEqual:
      return x <= value;
    case Op::kGreater:
      return x > value;
    case Op::kGreaterEqual:
      return x >= value;
    case Op::kEqual:
      return x == value;
    case Op::kNotEqual:
      return x != value;
  }
  return false;
}

bool EntryGates::context_allows(const Batch& batch, uint32_t group) const {
  for (const ContextGate& g : context) {
    if (!g.holds(batch.context_column(g.field)[group])) return false;
  }
  return true;
}

bool EntryGates::confidence_allows(const Batch& batch, uint32_t row) const {
  if (!confidence) return true;
  const double c = batch.signal_column(*confidence)[row];
  return !std::isnan(c) && c >= min_confidence;
}

FieldId resolve_signal(const StrategySpec& spec, const Schema& schema) {
  if (auto id = schema.find_signal(spec.signal)) return *id;
  throw ConfigError(
      fmt::format("strategy.signal: the feed has no signal field \"{}\"; known signal fields: [{}]; "
                  "set strategy.signal to one of them or add the column to the signals source",
                  spec.signal, join(schema.signal_names())));
}

EntryGates resolve_gates(const StrategySpec& spec, const Schema& schema) {
  EntryGates gates;
  if (spec.min_confidence) {
    auto id = schema.find_signal(spec.confidence_signal);
    if (!id) {
      throw ConfigError(fmt::format(
          "strategy.confidence_signal: the feed has no signal field \"{}\" (needed by strategy.min_confidence); "
          "known signal fields: [{}]; set strategy.confidence_signal or drop min_confidence",
          spec.confidence_signal, join(schema.signal_names())));
    }
    gates.confidence = *id;
    gates.min_confidence = *spec.min_confidence;
  }
  for (size_t i = 0; i < spec.context_filters.size(); ++i) {
    const auto& rule = spec.context_filters[i];
    ContextGate gate;
    auto id = schema.find_context(rule.field);
    if (!id) {
      throw ConfigError(
          fmt::format("strategy.context_filters[{}].field: the feed has no context field \"{}\"; known "
                      "context fields: [{}]; add a context source with that column or fix the name",
                      i, rule.field, join(schema.context_names())));
    }
    gate.field = *id;
    using Op = ContextGate::Op;
    if (rule.op == "<") {
      gate.op = Op::kLess;
    } else if (rule.op == "<=") {
      gate.op = Op::kLessEqual;
    } else if (rule.op == ">") {
      gate.op = Op::kGreater;
    } else if (rule.op == ">=") {
      gate.op = Op::kGreaterEqual;
    } else if (rule.op == "==") {
      gate.op = Op::kEqual;
    } else if (rule.op == "!=") {
      gate.op = Op::kNotEqual;
    } else {
      throw ConfigError(
          fmt::format("strategy.context_filters[{}].op: unknown operator \"{}\"; use one of < <= > >= "
                      "== !=",
                      i, rule.op));
    }
    gate.value = rule.value;
    gates.context.push_back(gate);
  }
  return gates;
}

}  // namespace builtin

std::unique_ptr<Strategy> make_builtin_strategy(const StrategySpec& spec, const Schema& schema) {
  if (spec.type == "signal_threshold") return builtin::make_signal_threshold(spec, schema);
  if (spec.type == "top_k") return builtin::make_top_k(spec, schema);
  throw ConfigError(fmt::format("strategy.type: unknown strategy \"{}\"; use signal_threshold or top_k", spec.type));
}

}  // namespace ml4t::backtest
