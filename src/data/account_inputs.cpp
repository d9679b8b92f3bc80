// Borrow schedules and corporate actions: resolved like any source (files, globs,
// column checks with the fix in the message), read whole in file order (they are small),
// then checked row by row in C++ so each error names its row.
#include "ml4t/backtest/data/account_inputs.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "data/duckdb/duckdb_wrapper.hpp"
#include "data/source_scan.hpp"
#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

namespace {

namespace fs = std::filesystem;

struct Opened {
  std::shared_ptr<duck::Database> db;
  std::unique_ptr<duck::Connection> con;
  detail::ResolvedSource src;
};

Opened open_source(const fs::path& path, const std::string& role, std::vector<std::string> required,
                   std::vector<std::string> optional) {
  Opened o;
  o.db = detail::shared_database("", "", 0);
  o.con = std::make_unique<duck::Connection>(*o.db);
  detail::prepare_connection(*o.con);
  detail::SourceRequirements req;
  req.role = role;
  req.required_fields = std::move(required);
  req.optional_fields = std::move(optional);
  req.values_are_required_only = true;
  o.src = detail::resolve_source(*o.con, DataSource(path.string()), req);
  return o;
}

/// The file column read as `field`, or "" when the optional field is absent.
std::string value_column(const detail::ResolvedSource& src, std::string_view field) {
  for (size_t i = 0; i < src.field_names.size(); ++i) {
    if (src.field_names[i] == field) return src.value_columns[i];
  }
  return {};
}

std::string as_double(const std::string& column) {
  return column.empty() ? "NULL::DOUBLE" : fmt::format("CAST({} AS DOUBLE)", duck::quote_identifier(column));
}

/// Every row of `sql` (ts_ns, asset, then DOUBLE or VARCHAR columns), in file order.
/// `row` gets the 1-based data row, the chunk and its row index.
template <class F>
void for_each_row(duck::Connection& con, const std::string& sql, const std::string& what, F&& row) {
  duck::Result result = con.query(sql, what);
  size_t n = 0;
  for (duck::DataChunk chunk = result.fetch(); chunk && chunk.size() > 0; chunk = result.fetch()) {
    for (size_t r = 0; r < chunk.size(); ++r) row(++n, chunk, r);
  }
}

double number_at(const duck::DataChunk& chunk, size_t column, size_t r) {
  return duck::DataChunk::is_valid(chunk.validity(column), r) ? chunk.data<double>(column)[r] : kMissing;
}

std::string where_row(const detail::ResolvedSource& src, size_t row) {
  return fmt::format("{} row {}", src.description, row);
}

/// The timestamp and asset of a row, both required.
std::pair<Timestamp, std::string> keys_at(const detail::ResolvedSource& src, const duck::DataChunk& chunk, size_t r,
                                          size_t row) {
  if (!duck::DataChunk::is_valid(chunk.validity(0), r)) {
    throw DataError(fmt::format("{}: {} has no timestamp (NULL in column \"{}\"); fill or remove the row", src.role,
                                where_row(src, row), src.ts_column));
  }
  if (!duck::DataChunk::is_valid(chunk.validity(1), r)) {
    throw DataError(fmt::format("{}: {} has no asset (NULL in column \"{}\"); fill or remove the row", src.role,
                                where_row(src, row), src.asset_column));
  }
  return {Timestamp::from_nanos(chunk.data<int64_t>(0)[r]), std::string(chunk.string_at(1, r))};
}

std::string select_keys(const detail::ResolvedSource& src) {
  return fmt::format("{}, CAST({} AS VARCHAR)", detail::ts_ns_expression(src),
                     duck::quote_identifier(src.asset_column));
}

}  // namespace

std::vector<BorrowRateRow> read_borrow_schedule(const fs::path& path) {
  Opened o = open_source(path, "borrow schedule (financing.borrow_schedule)", {"rate"}, {"available"});
  const detail::ResolvedSource& src = o.src;
  const std::string sql = fmt::format("SELECT {}, {}, {} FROM {}", select_keys(src),
                                      as_double(value_column(src, "rate")),
                                      as_double(value_column(src, "available")), src.reader);
  std::vector<BorrowRateRow> rows;
  for_each_row(*o.con, sql, "reading the borrow schedule " + src.description,
               [&](size_t row, const duck::DataChunk& chunk, size_t r) {
                 auto [ts, asset] = keys_at(src, chunk, r, row);
                 const double rate = number_at(chunk, 2, r);
                 const double available = number_at(chunk, 3, r);
                 if (!(rate >= 0) || !std::isfinite(rate)) {
                   throw DataError(fmt::format("{}: {} ({} at {}) has rate {}; give an annual rate >= 0, e.g. "
                                               "0.05 for 5%",
                                               src.role, where_row(src, row), asset, ts.to_string(), rate));
                 }
                 rows.push_back({ts, std::move(asset), rate, std::isnan(available) || available != 0,
                                 where_row(src, row)});
               });
  std::stable_sort(rows.begin(), rows.end(), [](const BorrowRateRow& a, const BorrowRateRow& b) {
    return a.asset != b.asset ? a.asset < b.asset : a.from < b.from;
  });
  for (size_t i = 1; i < rows.size(); ++i) {
    if (rows[i].asset == rows[i - 1].asset && rows[i].from == rows[i - 1].from) {
      throw DataError(fmt::format("{}: overlapping schedules: {} and {} both give {} a rate from {}; keep one row per "
                                  "(timestamp, asset_id)",
                                  src.role, rows[i - 1].where, rows[i].where, rows[i].asset, rows[i].from.to_string()));
    }
  }
  return rows;
}

std::vector<CorporateAction> read_corporate_actions(const fs::path& path) {
  Opened o = open_source(path, "corporate actions (data_sources.corporate_actions)", {}, {"ratio", "amount", "price"});
  const detail::ResolvedSource& src = o.src;
  const auto type_column = std::find_if(src.all_columns.begin(), src.all_columns.end(), [](const std::string& c) {
    return c == "type" || c == "TYPE" || c == "Type";
  });
  if (type_column == src.all_columns.end()) {
    throw DataError(fmt::format("{}: {} has no \"type\" column (found: {}); add one with split, dividend or delist",
                                src.role, src.description, detail::join_names(src.all_columns)));
  }
  const std::string sql = fmt::format(
      "SELECT {}, CAST({} AS VARCHAR), {}, {}, {} FROM {}", select_keys(src), duck::quote_identifier(*type_column),
      as_double(value_column(src, "ratio")), as_double(value_column(src, "amount")),
      as_double(value_column(src, "price")), src.reader);
  std::vector<CorporateAction> actions;
  for_each_row(*o.con, sql, "reading the corporate actions " + src.description,
               [&](size_t row, const duck::DataChunk& chunk, size_t r) {
                 auto [ts, asset] = keys_at(src, chunk, r, row);
                 CorporateAction a;
                 a.timestamp = ts;
                 a.asset = std::move(asset);
                 a.where = where_row(src, row);
                 const std::string type =
                     duck::DataChunk::is_valid(chunk.validity(2), r) ? std::string(chunk.string_at(2, r)) : "";
                 const double ratio = number_at(chunk, 3, r), amount = number_at(chunk, 4, r),
                              price = number_at(chunk, 5, r);
                 auto bad = [&](const std::string& what) {
                   return DataError(fmt::format("{}: {} ({} at {}): {}", src.role, a.where, a.asset, ts.to_string(),
                                                what));
                 };
                 if (type == "split") {
                   a.type = CorporateActionType::kSplit;
                   if (!(ratio > 0) || !std::isfinite(ratio)) {
                     throw bad(fmt::format("split ratio {} is not a positive number; give new shares per old share "
                                           "(2 for a 2-for-1 split, 0.1 for a 1-for-10 reverse split)",
                                           ratio));
                   }
                   a.ratio = ratio;
                 } else if (type == "dividend") {
                   a.type = CorporateActionType::kDividend;
                   if (!(amount >= 0) || !std::isfinite(amount)) {
                     throw bad(fmt::format("dividend amount {} is not a cash amount >= 0 per share; fill the "
                                           "\"amount\" column",
                                           amount));
                   }
                   a.amount = amount;
                 } else if (type == "delist") {
                   a.type = CorporateActionType::kDelist;
                   if (!std::isnan(price) && !(price >= 0 && std::isfinite(price))) {
                     throw bad(fmt::format("delisting price {} is negative; leave it empty to close at the last "
                                           "price",
                                           price));
                   }
                   a.price = std::isnan(price) ? 0.0 : price;
                 } else {
                   throw bad(fmt::format("unknown type \"{}\"; use split, dividend or delist", type));
                 }
                 actions.push_back(std::move(a));
               });
  std::stable_sort(actions.begin(), actions.end(), [](const CorporateAction& a, const CorporateAction& b) {
    return a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.asset < b.asset;
  });
  return actions;
}

}  // namespace ml4t::backtest
