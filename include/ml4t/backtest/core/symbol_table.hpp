// SymbolTable: dictionary coding of asset symbols. Inside the engine an asset is a
// dense AssetId (uint32); strings appear only at the edges (input, output, errors).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ml4t::backtest {

/// Dense index of an asset in a SymbolTable.
using AssetId = uint32_t;

/// Marks "no asset" (e.g. a market-wide row).
inline constexpr AssetId kNoAsset = UINT32_MAX;

/// Maps asset symbols to dense ids and back. Ids are given in order of first intern.
class SymbolTable {
 public:
  /// The id of `symbol`, adding it when new.
  AssetId intern(std::string_view symbol);
  /// The id of `symbol`, or nullopt when unknown.
  std::optional<AssetId> find(std::string_view symbol) const;
  /// The symbol of `id`; throws std::out_of_range for an unknown id.
  const std::string& name(AssetId id) const { return names_.at(id); }
  /// Number of symbols.
  size_t size() const { return names_.size(); }
  /// True when no symbol was interned.
  bool empty() const { return names_.empty(); }
  /// All symbols, in AssetId order.
  const std::vector<std::string>& names() const { return names_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::vector<std::string> names_;
  std::unordered_map<std::string, AssetId, Hash, std::equal_to<>> ids_;
};

}  // namespace ml4t::backtest
