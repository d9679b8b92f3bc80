// DuckDB error texts (as DuckDB 1.4.4 prints them) become one paragraph without DuckDB's
// advice; a real read error checks the same end to end in the reliability tests.
#include "data/duckdb/error_translation.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace ml4t::backtest::duck {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kOptionDump =
    "  file = /d/p.csv\n  delimiter = , (Auto-Detected)\n  quote = \" (Auto-Detected)\n"
    "  strict_mode = true (Auto-Detected)\n  sample_size = 20480\n  ignore_errors = false\n  all_varchar = 0\n";

TEST(ErrorTranslation, InvalidUnicodeAfterTheFirstBytes) {
  const std::string message = std::string("Invalid Input Error: CSV Error on Line: 70001\nOriginal Line: 2024,Caf?\n"
                                          "Invalid unicode (byte sequence mismatch) detected. This file is not utf-8 "
                                          "encoded.\nPossible Solution: Set the correct encoding, if available, to "
                                          "read this CSV File (e.g., encoding='UTF-16')\nPossible Solution: Enable "
                                          "ignore errors (ignore_errors=true) to skip this row\n") +
                              kOptionDump;
  const auto t = translate_error(message, "reading prices /d/p.csv");
  EXPECT_TRUE(t.recognized);
  EXPECT_EQ(t.text,
            "line 70001: the file is not UTF-8 text (UTF-16, Latin-1 and Windows-1252 files need converting); "
            "convert it, e.g. iconv -f LATIN1 -t UTF-8 /d/p.csv > fixed.csv (or -f UTF-16)");
}

TEST(ErrorTranslation, ConversionNamesFileWhenTheContextDoesNot) {
  const std::string message = std::string("Conversion Error: CSV Error on Line: 12\nOriginal Line: x\nError when "
                                          "converting column \"ts\". Could not convert string \"31/31/2024\" to "
                                          "'TIMESTAMP'\nColumn ts is being converted as type TIMESTAMP\nThis type was "
                                          "auto-detected from the CSV file.\nPossible solutions:\n* Override the type "
                                          "for this column manually by setting the type explicitly, e.g., "
                                          "types={'ts': 'VARCHAR'}\n") +
                              kOptionDump;
  const auto t = translate_error(message, "counting rows");
  EXPECT_EQ(t.text, "/d/p.csv line 12, column \"ts\": \"31/31/2024\" is not a timestamp like the rows before it; fix "
                    "or remove that value (an empty cell is read as missing)");
}

TEST(ErrorTranslation, UnknownErrorsLoseOnlyTheAdvice) {
  const auto t = translate_error(
      "IO Error: Cannot open file \"/d/x.parquet\": Too many open files\nPossible solutions:\n* raise ulimit -n",
      "");
  EXPECT_FALSE(t.recognized);
  EXPECT_EQ(t.text, "IO Error: Cannot open file \"/d/x.parquet\": Too many open files");
  EXPECT_THAT(t.text, Not(HasSubstr("Possible")));
}

}  // namespace
}  // namespace ml4t::backtest::duck
