#include "ml4t/backtest/core/symbol_table.hpp"

#include <stdexcept>

namespace ml4t::backtest {

AssetId SymbolTable::intern(std::string_view symbol) {
  if (auto it = ids_.find(symbol); it != ids_.end()) return it->second;
  if (names_.size() >= kNoAsset) throw std::length_error("SymbolTable: too many assets");
  const auto id = static_cast<AssetId>(names_.size());
  names_.emplace_back(symbol);
  ids_.emplace(names_.back(), id);
  return id;
}

std::optional<AssetId> SymbolTable::find(std::string_view symbol) const {
  if (auto it = ids_.find(symbol); it != ids_.end()) return it->second;
  return std::nullopt;
}

}  // namespace ml4t::backtest
