// Shared body of the CSV and Parquet feed fuzzers: the input bytes become a prices file
// read end to end by ColumnarDataFeed. Bad files must end in ml4t::backtest::Error.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

#include "ml4t/backtest/core/error.hpp"
#include "ml4t/backtest/data/columnar_data_feed.hpp"

namespace ml4t::backtest::fuzz {

inline int read_prices(const uint8_t* data, size_t size, const char* extension) {
  static const std::filesystem::path file =
      std::filesystem::temp_directory_path() / ("ml4t-fuzz-" + std::to_string(::getpid()) + extension);
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  try {
    ColumnarFeedOptions options;
    options.prices = DataSource(file.string());
    options.threads = 1;
    options.memory_limit = "256MB";
    ColumnarDataFeed feed(options);
    uint64_t events = 0;
    while (auto event = feed.next_event()) ++events;
    (void)events;
  } catch (const Error&) {
  }
  return 0;
}

}  // namespace ml4t::backtest::fuzz
