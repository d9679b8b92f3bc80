// The one place DuckDB's error texts become our messages. DuckDB's read errors are many
// lines long and advise options of DuckDB's SQL (strict_mode, ignore_errors, sample_size,
// union_by_name, types={...}) that our users cannot set; every query of the data layer
// fails through here, so every read path gets one paragraph that names the file, line and
// column DuckDB found and a fix our users can apply.
#pragma once

#include <string>
#include <string_view>

namespace ml4t::backtest::duck {

/// One paragraph for a DuckDB error `message` raised while doing `context` (e.g.
/// "reading prices /data/p.csv"; may be empty). Returns `{recognized, text}`: when
/// recognized, `text` is a complete message (file, line, column, fix); otherwise it is
/// DuckDB's own first sentences without its advice and option dump.
struct TranslatedError {
  bool recognized = false;  //!< a known DuckDB error, rewritten in full
  std::string text;         //!< the message (one paragraph, no trailing period)
};
TranslatedError translate_error(std::string_view message, std::string_view context);

}  // namespace ml4t::backtest::duck
