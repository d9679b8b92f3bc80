#include "table_stream.hpp"

#include <fmt/format.h>

#include <cmath>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest::detail {

bool valid_utf8(std::string_view text) {
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    // Lead byte: length and the smallest code point it may encode (no overlong forms).
    size_t len = 0;
    uint32_t cp = 0, min = 0;
    if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1F, min = 0x80;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0F, min = 0x800;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07, min = 0x10000;
    else return false;
    if (i + len > n) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(text[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

std::string printable(std::string_view text) {
  std::string out;
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    out += c >= 0x20 && c < 0x7F ? std::string(1, ch) : fmt::format("\\x{:02x}", c);
  }
  return out;
}

void SharedNames::sync(const std::vector<std::string>& source) {
  const size_t limit = std::min(source.size(), kBlock * kMaxBlocks);
  for (; size_ < limit; ++size_) {
    if (!valid_utf8(source[size_])) {
      throw DataError(fmt::format("asset name \"{}\" is not UTF-8 text, which result files must hold; rename the "
                                  "asset (or fix the encoding of its data)",
                                  printable(source[size_])));
    }
    auto& block = blocks_[size_ / kBlock];
    if (!block) block = std::make_unique<std::string[]>(kBlock);
    block[size_ % kBlock] = source[size_];
  }
}

std::string_view SharedNames::name(uint64_t id, size_t known, std::string& scratch) const {
  if (id < known) return blocks_[id / kBlock][id % kBlock];
  if (id == kNoAsset) return {};
  scratch = fmt::format("#{}", id);
  return scratch;
}

Cells::Cells(duck::OutputChunk& out, size_t columns, bool csv) : out_(out), data_(columns), csv_(csv) {
  for (size_t i = 0; i < columns; ++i) data_[i] = out.column<void>(i);
}

Cells& Cells::time(Timestamp t) {
  if (csv_) {
    out_.set_string(col_, row_, t.to_string());
  } else {
    const int64_t ns = t.nanos();
    static_cast<int64_t*>(data_[col_])[row_] = ns >= 0 ? ns / 1000 : -((-ns + 999) / 1000);  // floor to micros
  }
  ++col_;
  return *this;
}

Cells& Cells::num(double v) {
  if (std::isnan(v)) {
    out_.set_null(col_, row_);
  } else {
    static_cast<double*>(data_[col_])[row_] = v;
  }
  ++col_;
  return *this;
}

Cells& Cells::integer(int64_t v) {
  static_cast<int64_t*>(data_[col_])[row_] = v;
  ++col_;
  return *this;
}

Cells& Cells::text(std::string_view v) {
  out_.set_string(col_, row_, v);
  ++col_;
  return *this;
}

Cells& Cells::flag(bool v) {
  static_cast<bool*>(data_[col_])[row_] = v;
  ++col_;
  return *this;
}

std::vector<duck::ColumnSpec> column_specs(const std::vector<TableColumn>& columns, duck::ExportFormat format) {
  std::vector<duck::ColumnSpec> out;
  for (const auto& c : columns) {
    duck::ColumnType type = duck::ColumnType::kVarchar;
    switch (c.kind) {
      case CellKind::kTimestamp:
        type = format == duck::ExportFormat::kCsv ? duck::ColumnType::kVarchar : duck::ColumnType::kTimestampTz;
        break;
      case CellKind::kDouble:
        type = duck::ColumnType::kDouble;
        break;
      case CellKind::kInt:
        type = duck::ColumnType::kInt64;
        break;
      case CellKind::kText:
        type = duck::ColumnType::kVarchar;
        break;
      case CellKind::kBool:
        type = duck::ColumnType::kBoolean;
        break;
    }
    out.push_back({c.name, type});
  }
  return out;
}

}  // namespace ml4t::backtest::detail
