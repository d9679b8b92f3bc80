// The baseline every performance figure is compared against: a bare DuckDB streaming
// scan of the same files and columns the feed reads, touching every value. It is the
// cost of reading the data at all.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ml4t::backtest {

/// One file (or glob) to scan and the columns to read.
struct ScanSource {
  std::string path;                  //!< a Parquet file or glob
  std::vector<std::string> columns;  //!< columns to read (numeric, timestamp or string)
};

/// What bare_scan read and how long it took.
struct ScanResult {
  uint64_t rows = 0;      //!< rows of the first source (the bars)
  uint64_t values = 0;    //!< values touched over all sources
  double checksum = 0;    //!< sum of the numeric values (keeps the reads honest)
  /// Wall-clock time of the scan.
  double seconds = 0;
};

/// Stream every source in turn with DuckDB (2048-row chunks) and touch each value.
ScanResult bare_scan(const std::vector<ScanSource>& sources, int threads = 0);

}  // namespace ml4t::backtest
