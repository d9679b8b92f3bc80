// libFuzzer target: arbitrary bytes as a prices CSV read through ColumnarDataFeed.
#include "feed_fuzzer_common.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return ml4t::backtest::fuzz::read_prices(data, size, ".csv");
}
