// libFuzzer target: a prices .csv.gz read through ColumnarDataFeed. The first byte picks
// how the rest becomes the file: even = written as is (broken, truncated or fake gzip
// streams reach the file diagnostics and DuckDB's decompressor), odd = gzip-compressed
// here with zlib first (CSV content reached through decompression).
#include <zlib.h>

#include <string>

#include "feed_fuzzer_common.hpp"

namespace {

std::string gzip(const uint8_t* data, size_t size) {
  z_stream z{};
  // windowBits 15 + 16: a gzip header and trailer, as `gzip` writes them.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return {};
  std::string out(deflateBound(&z, size) + 32, '\0');
  z.next_in = const_cast<Bytef*>(data);
  z.avail_in = static_cast<uInt>(size);
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  if ((data[0] & 1) == 0) return ml4t::backtest::fuzz::read_prices(data + 1, size - 1, ".csv.gz");
  const std::string compressed = gzip(data + 1, size - 1);
  return ml4t::backtest::fuzz::read_prices(reinterpret_cast<const uint8_t*>(compressed.data()), compressed.size(),
                                           ".csv.gz");
}
