#include "ml4t/backtest/core/timestamp.hpp"

#include <fmt/format.h>

#include <cctype>
#include <optional>

#include "ml4t/backtest/core/error.hpp"

namespace ml4t::backtest {

namespace {

using namespace std::chrono;

// A tiny cursor over the text; each read checks bounds and digits so malformed input
// fails with a message rather than reading garbage.
struct Cursor {
  std::string_view text;
  size_t pos = 0;

  bool done() const { return pos >= text.size(); }
  char peek() const { return done() ? '\0' : text[pos]; }
  bool accept(char c) {
    if (peek() != c) return false;
    ++pos;
    return true;
  }
  std::optional<int64_t> digits(size_t count) {
    if (pos + count > text.size()) return std::nullopt;
    int64_t value = 0;
    for (size_t i = 0; i < count; ++i) {
      char c = text[pos + i];
      if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
      value = value * 10 + (c - '0');
    }
    pos += count;
    return value;
  }
};

[[noreturn]] void fail(std::string_view text, std::string_view why) {
  throw DataError(fmt::format(
      "cannot parse timestamp \"{}\": {}; expected ISO-8601 such as 2024-01-02, 2024-01-02T09:30:00, "
      "2024-01-02 09:30:00.5Z or 2024-01-02T09:30:00-05:00",
      text, why));
}

}  // namespace

Timestamp Timestamp::from_civil(int year, unsigned month, unsigned day, unsigned hour, unsigned minute,
                                unsigned second, int64_t nanos) {
  const auto date = std::chrono::year{year} / std::chrono::month{month} / std::chrono::day{day};
  const auto tp = sys_days{date} + hours{hour} + minutes{minute} + seconds{second} + nanoseconds{nanos};
  return Timestamp(time_point_cast<nanoseconds>(tp));
}

Timestamp Timestamp::parse(std::string_view text) {
  Cursor in{text};
  auto year = in.digits(4);
  if (!year || !in.accept('-')) fail(text, "the date must start with a 4-digit year and '-'");
  auto month = in.digits(2);
  if (!month || !in.accept('-')) fail(text, "the month must have 2 digits followed by '-'");
  auto day = in.digits(2);
  if (!day) fail(text, "the day must have 2 digits");
  const auto date = std::chrono::year{static_cast<int>(*year)} / std::chrono::month{static_cast<unsigned>(*month)} /
                    std::chrono::day{static_cast<unsigned>(*day)};
  if (!date.ok()) fail(text, "no such calendar date");

  int64_t hour = 0, minute = 0, second = 0, fraction_ns = 0;
  if (in.accept('T') || in.accept(' ')) {
    auto h = in.digits(2);
    if (!h || !in.accept(':')) fail(text, "the time must be HH:MM");
    auto m = in.digits(2);
    if (!m) fail(text, "the minutes must have 2 digits");
    hour = *h;
    minute = *m;
    if (in.accept(':')) {
      auto s = in.digits(2);
      if (!s) fail(text, "the seconds must have 2 digits");
      second = *s;
      if (in.accept('.') || in.accept(',')) {
        int digits = 0;
        while (std::isdigit(static_cast<unsigned char>(in.peek()))) {
          if (digits < 9) fraction_ns = fraction_ns * 10 + (in.peek() - '0');
          ++digits;
          ++in.pos;
        }
        if (digits == 0) fail(text, "a decimal point must be followed by digits");
        for (int i = digits; i < 9; ++i) fraction_ns *= 10;
      }
    }
    if (hour > 23 || minute > 59 || second > 60) fail(text, "hour, minute or second out of range");
  }

  int64_t offset_minutes = 0;
  if (in.accept('Z') || in.accept('z')) {
  } else if (in.peek() == '+' || in.peek() == '-') {
    const int sign = in.peek() == '-' ? -1 : 1;
    ++in.pos;
    auto oh = in.digits(2);
    if (!oh) fail(text, "a UTC offset must be +HH:MM, +HHMM or +HH");
    in.accept(':');
    int64_t om = 0;
    if (!in.done()) {
      auto m = in.digits(2);
      if (!m) fail(text, "a UTC offset must be +HH:MM, +HHMM or +HH");
      om = *m;
    }
    if (*oh > 23 || om > 59) fail(text, "UTC offset out of range");
    offset_minutes = sign * (*oh * 60 + om);
  }
  if (!in.done()) fail(text, fmt::format("unexpected text \"{}\"", text.substr(in.pos)));

  const auto local = sys_days{date} + hours{hour} + minutes{minute} + seconds{second} + nanoseconds{fraction_ns};
  return Timestamp(time_point_cast<nanoseconds>(local - minutes{offset_minutes}));
}

namespace {

// Writes `value` as exactly `width` decimal digits (zero-padded) ending before `end`.
char* put_digits(char* end, uint64_t value, int width) {
  for (int i = 0; i < width; ++i) {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  }
  return end;
}

}  // namespace

std::string Timestamp::to_string() const {
  const auto tp = time_point();
  const auto day_point = floor<days>(tp);
  const year_month_day ymd{day_point};
  const hh_mm_ss<nanoseconds> tod{tp - day_point};
  const int64_t frac = tod.subseconds().count();
  // Written digit by digit (order rejections format timestamps inside the event loop).
  // Nanosecond timestamps span the years 1677..2262: always four digits.
  char text[32] = "0000-00-00T00:00:00";
  put_digits(text + 4, static_cast<uint64_t>(static_cast<int>(ymd.year())), 4);
  put_digits(text + 7, static_cast<unsigned>(ymd.month()), 2);
  put_digits(text + 10, static_cast<unsigned>(ymd.day()), 2);
  put_digits(text + 13, static_cast<uint64_t>(tod.hours().count()), 2);
  put_digits(text + 16, static_cast<uint64_t>(tod.minutes().count()), 2);
  put_digits(text + 19, static_cast<uint64_t>(tod.seconds().count()), 2);
  size_t length = 19;
  if (frac != 0) {  // milli-, micro- or nanoseconds: as many digits as needed
    const auto f = static_cast<uint64_t>(frac);
    const int width = f % 1'000'000 == 0 ? 3 : (f % 1000 == 0 ? 6 : 9);
    const uint64_t shown = width == 3 ? f / 1'000'000 : (width == 6 ? f / 1000 : f);
    text[length++] = '.';
    length += static_cast<size_t>(width);
    put_digits(text + length, shown, width);
  }
  text[length++] = 'Z';
  return std::string(text, length);
}

std::string Timestamp::date_string() const {
  const year_month_day ymd{floor<days>(time_point())};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                     static_cast<unsigned>(ymd.day()));
}

}  // namespace ml4t::backtest
