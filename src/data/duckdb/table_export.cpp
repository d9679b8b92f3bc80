#include "data/duckdb/table_export.hpp"

#include <fmt/format.h>

#include <atomic>

namespace ml4t::backtest::duck {

void export_rows(Database& db, std::vector<ColumnSpec> columns, std::function<std::unique_ptr<ChunkProducer>()> factory,
                 const std::string& path, ExportFormat format, std::string_view context) {
  static std::atomic<uint64_t> next_id{0};
  const std::string function = fmt::format("ml4t_export_{}", next_id.fetch_add(1));
  Connection con(db);
  con.register_table_function(function, std::move(columns), std::move(factory));
  const std::string options = format == ExportFormat::kParquet
                                  ? "FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880"
                                  : "FORMAT csv, HEADER true";
  con.execute(fmt::format("COPY (SELECT * FROM {}()) TO {} ({})", function, quote_literal(path), options), context);
}

}  // namespace ml4t::backtest::duck
