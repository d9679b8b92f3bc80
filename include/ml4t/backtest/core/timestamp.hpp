// Timestamp: a point in time as int64 nanoseconds since the Unix epoch, UTC. Every
// input time (any unit, any zone) is converted to this at the edge; naive times are UTC.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

namespace ml4t::backtest {

/// A UTC instant with nanosecond resolution; a strong type over int64 ns.
class Timestamp {
 public:
  /// Differences between timestamps.
  using Duration = std::chrono::nanoseconds;
  /// The std::chrono form of a Timestamp.
  using TimePoint = std::chrono::sys_time<Duration>;

  constexpr Timestamp() = default;
  /// From a std::chrono time point (UTC).
  constexpr explicit Timestamp(TimePoint tp) : ns_(tp.time_since_epoch().count()) {}

  /// Build from nanoseconds since the epoch.
  static constexpr Timestamp from_nanos(int64_t ns) { return Timestamp(ns); }
  /// Build from microseconds since the epoch (DuckDB's and Parquet's usual unit).
  static constexpr Timestamp from_micros(int64_t us) { return Timestamp(us * 1000); }
  /// Build from seconds since the epoch.
  static constexpr Timestamp from_seconds(int64_t s) { return Timestamp(s * 1'000'000'000); }
  /// Build from a civil UTC date and time of day.
  static Timestamp from_civil(int year, unsigned month, unsigned day, unsigned hour = 0, unsigned minute = 0,
                              unsigned second = 0, int64_t nanos = 0);

  /// Parse ISO-8601: `2024-01-02`, `2024-01-02T09:30[:00[.123456789]]` (or a space for
  /// `T`), optionally followed by `Z` or an offset `+05:30`/`-0800`; naive times are
  /// UTC. Throws DataError naming the text and the expected forms.
  static Timestamp parse(std::string_view text);

  /// The smallest and largest representable instants (sentinels for open ranges).
  static constexpr Timestamp min() { return Timestamp(std::numeric_limits<int64_t>::min()); }
  /// The largest representable instant.
  static constexpr Timestamp max() { return Timestamp(std::numeric_limits<int64_t>::max()); }

  /// Nanoseconds since the Unix epoch.
  constexpr int64_t nanos() const { return ns_; }
  /// Microseconds since the Unix epoch, rounded toward minus infinity.
  constexpr int64_t micros() const { return ns_ >= 0 ? ns_ / 1000 : -((-ns_ + 999) / 1000); }
  /// As a std::chrono time point.
  constexpr TimePoint time_point() const { return TimePoint(Duration(ns_)); }

  /// ISO-8601 UTC with a `Z`: `2024-01-02T09:30:00Z`; fractional seconds only when
  /// non-zero (3, 6 or 9 digits).
  std::string to_string() const;
  /// The UTC calendar date `YYYY-MM-DD`.
  std::string date_string() const;

  /// Chronological order.
  constexpr auto operator<=>(const Timestamp&) const = default;
  /// `d` later.
  constexpr Timestamp operator+(Duration d) const { return Timestamp(ns_ + d.count()); }
  /// `d` earlier.
  constexpr Timestamp operator-(Duration d) const { return Timestamp(ns_ - d.count()); }
  /// Time from `other` to this.
  constexpr Duration operator-(Timestamp other) const { return Duration(ns_ - other.ns_); }

 private:
  constexpr explicit Timestamp(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

}  // namespace ml4t::backtest
