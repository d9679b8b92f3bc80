// See error_translation.hpp. DuckDB 1.4 formats a CSV read error as
//   <Kind> Error: CSV Error on Line: <n>\nOriginal Line: <row>\n<what>\n
//   [Possible Solution(s): ...]\n  file = <path>\n  delimiter = ... (the reader's options)
// and a sniffing failure as "Error when sniffing file "<path>". ... Possible fixes: ...".
// The pieces are picked out by these markers; anything else keeps DuckDB's first lines.
#include "data/duckdb/error_translation.hpp"

#include <fmt/format.h>

#include <optional>
#include <vector>

namespace ml4t::backtest::duck {
namespace {

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return lines;
}

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// The text between `open` and the next `close` after it in `s`.
std::optional<std::string> between(std::string_view s, std::string_view open, std::string_view close) {
  const size_t a = s.find(open);
  if (a == std::string_view::npos) return std::nullopt;
  const size_t from = a + open.size();
  const size_t b = s.find(close, from);
  if (b == std::string_view::npos) return std::nullopt;
  return std::string(s.substr(from, b - from));
}

// Lines that are DuckDB's advice or its dump of reader options, never ours to show.
bool is_advice(std::string_view line) {
  return starts_with(line, "Possible Solution") || starts_with(line, "Possible solution") ||
         starts_with(line, "Possible fixes") || starts_with(line, "* ") || starts_with(line, "  ") ||
         starts_with(line, "The search space used was") || starts_with(line, "Delimiter Candidates") ||
         starts_with(line, "Quote/Escape Candidates") || starts_with(line, "Comment Candidates") ||
         starts_with(line, "Encoding: ") || starts_with(line, "This type was auto-detected") ||
         starts_with(line, "Column ") || starts_with(line, "Original Line") || starts_with(line, "If you are trying") ||
         line.find("union_by_name") != std::string_view::npos;
}

std::string type_words(std::string_view duckdb_type) {
  if (duckdb_type == "DOUBLE" || duckdb_type == "FLOAT" || duckdb_type == "BIGINT" || duckdb_type == "INTEGER" ||
      duckdb_type == "DECIMAL" || starts_with(duckdb_type, "DECIMAL")) {
    return "a number";
  }
  if (starts_with(duckdb_type, "TIMESTAMP") || duckdb_type == "DATE") return "a timestamp";
  return fmt::format("of type {}", duckdb_type);
}

// "<file> line <n>" or "line <n>" when the context already names the file.
std::string where(const std::string& file, std::optional<std::string> line, std::string_view context) {
  const bool file_known = file.empty() || context.find(file) != std::string_view::npos;
  if (!line) return file_known ? std::string() : file;
  return file_known ? fmt::format("line {}", *line) : fmt::format("{} line {}", file, *line);
}

}  // namespace

TranslatedError translate_error(std::string_view message, std::string_view context) {
  const auto lines = lines_of(message);
  const std::string file = between(message, "\n  file = ", "\n").value_or(
      between(message, "Error when sniffing file \"", "\"").value_or(""));
  const auto line = between(message, "CSV Error on Line: ", "\n");

  // A value that does not fit the type DuckDB inferred from the rows before it.
  if (const auto column = between(message, "Error when converting column \"", "\"")) {
    const auto value = between(message, "Could not convert string \"", "\"");
    const auto type = between(message, "' to '", "'").value_or(between(message, "\" to '", "'").value_or(""));
    const std::string at = where(file, line, context);
    return {true, fmt::format("{}{}column \"{}\": {} is not {} like the rows before it; fix or remove that value "
                              "(an empty cell is read as missing)",
                              at, at.empty() ? "" : ", ", *column,
                              value ? fmt::format("\"{}\"", *value) : std::string("a value"), type_words(type))};
  }
  if (message.find("Invalid unicode") != std::string_view::npos ||
      message.find("not utf-8 encoded") != std::string_view::npos) {
    const std::string at = where(file, line, context);
    const std::string name = file.empty() ? std::string("<file>") : file;
    return {true, fmt::format("{}{}the file is not UTF-8 text (UTF-16, Latin-1 and Windows-1252 files need "
                              "converting); convert it, e.g. iconv -f LATIN1 -t UTF-8 {} > fixed.csv (or -f UTF-16)",
                              at, at.empty() ? "" : ": ", name)};
  }
  if (message.find("Error when sniffing file") != std::string_view::npos) {
    const std::string name = file.empty() ? std::string("the file") : file;
    return {true, fmt::format("cannot tell the CSV layout (delimiter, quoting, header) of {} from its first rows: "
                              "it may be compressed under a plain .csv name, truncated, binary or not UTF-8 text; "
                              "check it with `file {}`, and name compressed files .csv.gz or .csv.zst",
                              name, name)};
  }
  // Files of one source with different columns.
  if (message.find("schema mismatch") != std::string_view::npos ||
      message.find("could not be found in file") != std::string_view::npos) {
    const auto column = between(message, "column \"", "\"");
    const auto original = between(message, "original file \"", "\"");
    const auto other = between(message, "could not be found in file \"", "\"");
    if (column && original && other) {
      return {true, fmt::format("column \"{}\" is in {} but not in {}: every file of a source needs the same "
                                "columns; add the column to that file or rewrite the files with ml4t-backtest "
                                "optimize",
                                *column, *original, *other)};
    }
  }

  // Anything else: DuckDB's own statement, without its advice and option dump.
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view l = lines[i];
    if (l.empty() || is_advice(l)) continue;
    if (starts_with(l, "Possible") || starts_with(l, "Candidate")) break;
    if (!out.empty()) out += out.back() == '.' || out.back() == ':' ? " " : "; ";
    out += l;
  }
  while (!out.empty() && (out.back() == '.' || out.back() == ' ')) out.pop_back();
  return {false, out};
}

}  // namespace ml4t::backtest::duck
