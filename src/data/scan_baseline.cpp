#include "ml4t/backtest/data/scan_baseline.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>

#include "data/duckdb/duckdb_wrapper.hpp"

namespace ml4t::backtest {

ScanResult bare_scan(const std::vector<ScanSource>& sources, int threads) {
  const auto started = std::chrono::steady_clock::now();
  duck::DatabaseOptions options;
  options.threads = threads;
  duck::Database db(options);
  duck::Connection con(db);
  ScanResult out;
  for (size_t s = 0; s < sources.size(); ++s) {
    std::vector<std::string> columns;
    for (const auto& c : sources[s].columns) columns.push_back(duck::quote_identifier(c));
    auto result = con.stream(fmt::format("SELECT {} FROM read_parquet({})", fmt::join(columns, ", "),
                                         duck::quote_literal(sources[s].path)),
                             fmt::format("scanning {}", sources[s].path));
    std::vector<duck::ColumnType> types;
    for (size_t c = 0; c < result.column_count(); ++c) types.push_back(result.column_type(c));
    while (auto chunk = result.fetch()) {
      const size_t n = chunk.size();
      if (s == 0) out.rows += n;
      for (size_t c = 0; c < types.size(); ++c) {
        switch (types[c]) {
          case duck::ColumnType::kDouble: {
            const double* v = chunk.data<double>(c);
            for (size_t r = 0; r < n; ++r) out.checksum += v[r];
            break;
          }
          case duck::ColumnType::kVarchar:
            for (size_t r = 0; r < n; ++r) out.checksum += static_cast<double>(chunk.string_at(c, r).size());
            break;
          default: {  // 64-bit integers and timestamps
            const int64_t* v = chunk.data<int64_t>(c);
            for (size_t r = 0; r < n; ++r) out.checksum += static_cast<double>(v[r] & 0xff);
            break;
          }
        }
        out.values += n;
      }
    }
  }
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

}  // namespace ml4t::backtest
