#include "ml4t/backtest/core/schema.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

std::optional<uint32_t> find_name(const std::vector<std::string>& names, std::string_view name) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<uint32_t>(i);
  }
  return std::nullopt;
}

namespace {

FieldId add_unique(std::vector<std::string>& names, std::string name, std::string_view kind) {
  if (find_name(names, name)) {
    throw ConfigError(fmt::format("{} field \"{}\" is defined twice; rename one of the columns (e.g. with a "
                                  "column mapping) so every field name is unique",
                                  kind, name));
  }
  names.push_back(std::move(name));
  return FieldId{static_cast<uint32_t>(names.size() - 1)};
}

FieldId require(const std::vector<std::string>& names, std::string_view name, std::string_view kind) {
  if (auto i = find_name(names, name)) return FieldId{*i};
  throw ConfigError(fmt::format("unknown {} field \"{}\"; the feed has: [{}]", kind, name, fmt::join(names, ", ")));
}

}  // namespace

Schema::Schema(std::vector<std::string> signal_names, std::vector<std::string> context_names) {
  for (auto& n : signal_names) add_signal(std::move(n));
  for (auto& n : context_names) add_context(std::move(n));
}

FieldId Schema::add_signal(std::string name) { return add_unique(signal_names_, std::move(name), "signal"); }
FieldId Schema::add_context(std::string name) { return add_unique(context_names_, std::move(name), "context"); }

std::optional<FieldId> Schema::find_signal(std::string_view name) const {
  if (auto i = find_name(signal_names_, name)) return FieldId{*i};
  return std::nullopt;
}
std::optional<FieldId> Schema::find_context(std::string_view name) const {
  if (auto i = find_name(context_names_, name)) return FieldId{*i};
  return std::nullopt;
}
FieldId Schema::signal_id(std::string_view name) const { return require(signal_names_, name, "signal"); }
FieldId Schema::context_id(std::string_view name) const { return require(context_names_, name, "context"); }

}  // namespace ml4t::backtest
