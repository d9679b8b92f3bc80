// Schema: the named value fields a feed carries besides OHLCV. Per-asset fields
// (ML signals and features) and market-wide context fields each get a dense FieldId,
// resolved once by name so hot code indexes by id.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ml4t::backtest {

/// Index of a field within one list of a Schema (signals or context).
struct FieldId {
  /// Position in Schema::signal_names() or Schema::context_names().
  uint32_t index = 0;
  /// Same field.
  constexpr bool operator==(const FieldId&) const = default;
};

/// The per-asset signal fields and market-wide context fields of a feed.
class Schema {
 public:
  Schema() = default;
  /// A schema with these fields; throws ConfigError on a duplicate name.
  Schema(std::vector<std::string> signal_names, std::vector<std::string> context_names);

  /// Add a per-asset field (signal or feature); throws ConfigError on a duplicate name.
  FieldId add_signal(std::string name);
  /// Add a market-wide context field; throws ConfigError on a duplicate name.
  FieldId add_context(std::string name);

  /// The id of per-asset field `name`, or nullopt.
  std::optional<FieldId> find_signal(std::string_view name) const;
  /// The id of market-wide field `name`, or nullopt.
  std::optional<FieldId> find_context(std::string_view name) const;
  /// Like find_signal, but throws ConfigError listing the known names when absent.
  FieldId signal_id(std::string_view name) const;
  /// Like find_context, but throws ConfigError listing the known names when absent.
  FieldId context_id(std::string_view name) const;

  /// Per-asset field names, in FieldId order.
  const std::vector<std::string>& signal_names() const { return signal_names_; }
  /// Market-wide field names, in FieldId order.
  const std::vector<std::string>& context_names() const { return context_names_; }
  /// Number of per-asset fields.
  size_t num_signals() const { return signal_names_.size(); }
  /// Number of market-wide fields.
  size_t num_context() const { return context_names_.size(); }

  /// Same names in the same order.
  bool operator==(const Schema&) const = default;

 private:
  std::vector<std::string> signal_names_;
  std::vector<std::string> context_names_;
};

/// Position of `name` in `names`, or nullopt (fields are few: a scan beats a map).
std::optional<uint32_t> find_name(const std::vector<std::string>& names, std::string_view name);

}  // namespace ml4t::backtest
