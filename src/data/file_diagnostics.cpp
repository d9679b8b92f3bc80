// See file_diagnostics.hpp. Only the first 64 KiB of a plain file is looked at (the
// encoding and header checks); a .gz file is inflated once to its end with zlib, since a
// cut-off gzip stream is only detectable there. That costs one pass over the file, about
// as long as DuckDB's own decompression of it, and no memory beyond a 64 KiB buffer.
#include "data/file_diagnostics.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <filesystem>
#include <fmt/format.h>
#include <map>
#include <set>
#include <system_error>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::detail {
namespace {

namespace fs = std::filesystem;

bool ends_with(std::string_view s, std::string_view suffix) {
  if (s.size() < suffix.size()) return false;
  for (size_t i = 0; i < suffix.size(); ++i) {
    const char c = s[s.size() - suffix.size() + i];
    if (std::tolower(static_cast<unsigned char>(c)) != suffix[i]) return false;
  }
  return true;
}

enum class Magic { kNone, kGzip, kZstd, kParquet };

Magic magic_of(std::string_view head) {
  if (head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f && static_cast<unsigned char>(head[1]) == 0x8b) {
    return Magic::kGzip;
  }
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) return Magic::kZstd;
  if (head.size() >= 4 && head.substr(0, 4) == "PAR1") return Magic::kParquet;
  return Magic::kNone;
}

// The offset of the first byte that does not continue valid UTF-8 within `text`, or npos.
// A sequence cut by the end of the buffer counts as valid.
size_t first_invalid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    if (len == 0 || (len == 2 && c < 0xc2)) return i;
    for (size_t k = 1; k < len; ++k) {
      if (i + k >= text.size()) return std::string_view::npos;
      if ((static_cast<unsigned char>(text[i + k]) & 0xc0) != 0x80) return i;
    }
    i += len;
  }
  return std::string_view::npos;
}

[[noreturn]] void fail(std::string_view role, const std::string& message) {
  throw DataError(fmt::format("{}: {}", role, message));
}

// Inflate the whole gzip file; throw when its stream (or the last of several members)
// ends before its trailer, or holds bytes that are not deflate data.
void check_gzip_complete(std::string_view role, const std::string& path, int fd) {
  z_stream z{};
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) return;  // no zlib memory: leave it to DuckDB
  std::array<unsigned char, 1 << 16> in{}, out{};
  int status = Z_OK;
  bool at_member_end = false;
  uint64_t read_total = 0, produced = 0;
  for (;;) {
    const ssize_t n = ::read(fd, in.data(), in.size());
    if (n < 0) break;
    if (n == 0) break;
    read_total += static_cast<uint64_t>(n);
    z.next_in = in.data();
    z.avail_in = static_cast<uInt>(n);
    while (z.avail_in > 0) {
      z.next_out = out.data();
      z.avail_out = static_cast<uInt>(out.size());
      status = inflate(&z, Z_NO_FLUSH);
      produced += out.size() - z.avail_out;
      if (status == Z_STREAM_END) {
        at_member_end = true;
        inflateReset(&z);  // another gzip member may follow (concatenated .gz files)
        continue;
      }
      at_member_end = false;
      if (status != Z_OK && status != Z_BUF_ERROR) break;
      if (status == Z_BUF_ERROR && z.avail_in == 0) break;
    }
    if (status != Z_OK && status != Z_STREAM_END && status != Z_BUF_ERROR) break;
  }
  inflateEnd(&z);
  if (status == Z_DATA_ERROR || status == Z_NEED_DICT || status == Z_MEM_ERROR) {
    fail(role, fmt::format("{} is not a valid gzip file (its compressed data is damaged after {} compressed bytes); "
                           "re-download or re-compress it",
                           path, read_total));
  }
  if (!at_member_end) {
    fail(role, fmt::format("{} ends in the middle of its gzip stream (truncated after {} bytes, {} bytes of text "
                           "recovered): reading it would silently drop the rows after the cut; re-download or "
                           "re-compress the file (gzip -t {} checks it)",
                           path, read_total, produced, path));
  }
}

}  // namespace

void check_path_reachable(std::string_view role, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) return;
  const int err = errno;
  if (err == ELOOP) {
    fail(role, fmt::format("cannot open {}: it is a symbolic link loop (a link that points back to itself); point "
                           "the path at the real file",
                           path));
  }
  if (err == EACCES) {
    fail(role, fmt::format("cannot reach {}: permission denied on a folder of its path; make the folders readable "
                           "(chmod +rx) or copy the file somewhere you can read",
                           path));
  }
  if (err == ENOTDIR) {
    fail(role, fmt::format("cannot reach {}: a part of the path is a file, not a folder; check the path", path));
  }
}

void check_input_file(std::string_view role, const std::string& path, bool csv) {
  check_path_reachable(role, path);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const std::error_code why(errno, std::generic_category());
    fail(role, fmt::format("cannot open {}: {}; {}", path, why.message(),
                           errno == EACCES ? "make it readable (chmod +r) or copy it somewhere you can read"
                                           : "check the file"));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0) {
    fail(role, fmt::format("{} is empty (0 bytes); re-create or re-export it", path));
  }
  std::string head(64 * 1024, '\0');
  const ssize_t n = ::pread(fd, head.data(), head.size(), 0);
  head.resize(n > 0 ? static_cast<size_t>(n) : 0);
  const Magic magic = magic_of(head);
  const bool named_gz = ends_with(path, ".gz") || ends_with(path, ".gzip");
  const bool named_zst = ends_with(path, ".zst") || ends_with(path, ".zstd");

  if (!csv) {
    if (magic == Magic::kGzip || magic == Magic::kZstd) {
      fail(role, fmt::format("{} is {}-compressed, not Parquet; decompress it, or if it is a compressed CSV name it "
                             ".csv{} and set format: csv",
                             path, magic == Magic::kGzip ? "gzip" : "zstd", magic == Magic::kGzip ? ".gz" : ".zst"));
    }
    return;  // Parquet's own footer checks say the rest
  }
  if (magic == Magic::kParquet) {
    fail(role, fmt::format("{} is a Parquet file, not CSV; name it .parquet or set format: parquet", path));
  }
  if ((magic == Magic::kGzip && !named_gz) || (magic == Magic::kZstd && !named_zst)) {
    const char* kind = magic == Magic::kGzip ? "gzip" : "zstd";
    fail(role, fmt::format("{} holds {}-compressed bytes but its name does not say so; rename it to end in .csv{} "
                           "(or decompress it)",
                           path, kind, magic == Magic::kGzip ? ".gz" : ".zst"));
  }
  if ((named_gz && magic != Magic::kGzip) || (named_zst && magic != Magic::kZstd)) {
    fail(role, fmt::format("{} is named as {}-compressed but is not (it starts with plain bytes); rename it to end "
                           "in .csv, or compress it",
                           path, named_gz ? "gzip" : "zstd"));
  }
  if (magic == Magic::kGzip) {
    check_gzip_complete(role, path, fd);
    return;  // the text checks below need the decompressed bytes; DuckDB's messages cover them
  }
  if (magic == Magic::kZstd) return;

  // Plain text: encoding, then a header without rows.
  if (head.size() >= 2 && ((static_cast<unsigned char>(head[0]) == 0xff && static_cast<unsigned char>(head[1]) == 0xfe) ||
                           (static_cast<unsigned char>(head[0]) == 0xfe && static_cast<unsigned char>(head[1]) == 0xff))) {
    fail(role, fmt::format("{} is UTF-16 text (it starts with a UTF-16 byte order mark); CSV files must be UTF-8: "
                           "convert it, e.g. iconv -f UTF-16 -t UTF-8 {} > fixed.csv",
                           path, path));
  }
  if (head.find('\0') != std::string::npos) {
    fail(role, fmt::format("{} holds NUL bytes, so it is binary or UTF-16 text, not a UTF-8 CSV; convert it (iconv "
                           "-f UTF-16 -t UTF-8) or point to the right file",
                           path));
  }
  if (const size_t bad = first_invalid_utf8(head); bad != std::string::npos) {
    const size_t line = 1 + static_cast<size_t>(std::count(head.begin(), head.begin() + static_cast<long>(bad), '\n'));
    fail(role, fmt::format("{} line {} is not UTF-8 text (byte 0x{:02x} at offset {}: Latin-1 or Windows-1252?); "
                           "convert it, e.g. iconv -f LATIN1 -t UTF-8 {} > fixed.csv",
                           path, line, static_cast<unsigned char>(head[bad]), bad, path));
  }
  const size_t first_newline = head.find('\n');
  const bool whole_file_read = static_cast<off_t>(head.size()) == st.st_size;
  if (whole_file_read && head.find_first_not_of(" \t\r\n") == std::string::npos) {
    fail(role, fmt::format("{} holds only blank lines; re-create or re-export it", path));
  }
  if (whole_file_read &&
      (first_newline == std::string::npos || head.find_first_not_of(" \t\r\n", first_newline) == std::string::npos)) {
    fail(role, fmt::format("{} has a header line but no rows; export the data again (or point to the file that has "
                           "it)",
                           path));
  }
}

void check_columns_in_every_file(duck::Connection& con, std::string_view role, const std::vector<std::string>& files,
                                 const std::vector<std::string>& columns) {
  if (files.size() < 2 || columns.empty()) return;
  std::string list = "[";
  for (size_t i = 0; i < files.size(); ++i) list += (i ? ", " : "") + duck::quote_literal(files[i]);
  list += "]";
  std::map<std::string, std::set<std::string>> columns_of;  // file -> its column names
  auto result = con.query(fmt::format("SELECT file_name, name FROM parquet_schema({})", list),
                          fmt::format("reading the columns of {} files of {}", files.size(), role));
  while (auto chunk = result.fetch()) {
    for (size_t r = 0; r < chunk.size(); ++r) columns_of[std::string(chunk.string_at(0, r))].insert(std::string(chunk.string_at(1, r)));
  }
  for (const auto& column : columns) {
    std::vector<std::string> with, without;
    for (const auto& f : files) (columns_of[f].count(column) ? with : without).push_back(f);
    if (with.empty() || without.empty()) continue;
    fail(role, fmt::format("column \"{}\" is in {} of the {} files but not in {}{}: every file of a source needs "
                           "the same columns; add the column to those files (or drop it from all of them)",
                           column, with.size(), files.size(), without.front(),
                           without.size() > 1 ? fmt::format(" and {} more", without.size() - 1) : ""));
  }
}

void check_unambiguous_dates(duck::Connection& con, std::string_view role, const std::string& file,
                             const std::string& column) {
  std::string detected;
  try {
    auto result = con.query(fmt::format("SELECT DateFormat, TimestampFormat FROM sniff_csv({})",
                                        duck::quote_literal(file)));
    if (auto chunk = result.fetch(); chunk && chunk.size() > 0) {
      for (size_t c = 0; c < 2 && detected.empty(); ++c) {
        if (duck::DataChunk::is_valid(chunk.validity(c), 0)) detected = std::string(chunk.string_at(c, 0));
      }
    }
  } catch (const Error&) {
    return;  // the read itself reports what is wrong
  }
  const size_t d = detected.find("%d"), m = detected.find("%m");
  const size_t y = detected.find("%Y") != std::string::npos ? detected.find("%Y") : detected.find("%y");
  // Year first (ISO 8601, %Y-%m-%d) is unambiguous; day and month both before the year are not.
  if (d == std::string::npos || m == std::string::npos || (y != std::string::npos && y < std::min(d, m))) return;
  std::string example;
  try {
    auto result = con.query(fmt::format("SELECT {} FROM read_csv({}, header = true, all_varchar = true) LIMIT 1",
                                        duck::quote_identifier(column), duck::quote_literal(file)));
    if (auto chunk = result.fetch(); chunk && chunk.size() > 0 && duck::DataChunk::is_valid(chunk.validity(0), 0)) {
      example = std::string(chunk.string_at(0, 0));
    }
  } catch (const Error&) {
  }
  std::string day_first = detected, month_first = detected;
  std::swap(month_first[d + 1], month_first[m + 1]);
  if (d > m) std::swap(day_first, month_first);
  fail(role, fmt::format("column \"{}\" of {} holds dates like \"{}\", which read both day-first ({}) and "
                         "month-first ({}); say which: set timestamp_format: \"{}\" (or \"{}\") on this source",
                         column, file, example, day_first, month_first, day_first, month_first));
}

}  // namespace ml4t::backtest::detail
