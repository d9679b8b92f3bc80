// Internal: what is wrong with an input file, said before DuckDB reads it. DuckDB reports
// an unreadable file as "not found", a gzip file named .csv as an unsniffable dialect, an
// empty file as a missing column, and it reads a truncated .csv.gz up to the cut without
// a word (a shorter backtest, exit 0). These checks look at the file itself (its path,
// permissions, first bytes, and the whole compressed stream of a .gz) and throw a
// DataError naming the file and the fix.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "data/duckdb/duckdb_wrapper.hpp"

namespace ml4t::backtest::detail {

/// For a path that does not exist as far as std::filesystem can tell: throw when the
/// real reason is a symlink loop, a folder without search permission or a file in the
/// path; return when it is simply missing (the caller reports "not found").
void check_path_reachable(std::string_view role, const std::string& path);

/// Throw for an input file that cannot be read as `csv` (or Parquet): unreadable,
/// empty, header-only, UTF-16 or non-UTF-8 text, compressed bytes under a plain name or
/// a compression name over plain bytes, or a gzip stream that ends early.
void check_input_file(std::string_view role, const std::string& path, bool csv);

/// Throw when one of `columns` is in some of the Parquet `files` but not in others
/// (DuckDB would take the first file's columns for all of them).
void check_columns_in_every_file(duck::Connection& con, std::string_view role, const std::vector<std::string>& files,
                                 const std::vector<std::string>& columns);

/// Throw when DuckDB detects the CSV `file`'s dates in a day/month order that the text
/// cannot settle (01/12/2021 is 1 December day-first, 12 January month-first); the fix is
/// an explicit timestamp_format. Call only when no format was given.
void check_unambiguous_dates(duck::Connection& con, std::string_view role, const std::string& file,
                             const std::string& column);

}  // namespace ml4t::backtest::detail
