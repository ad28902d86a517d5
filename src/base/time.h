// Time vocabulary. Wall time (system_clock, microseconds) for everything users
// see and that is persisted: deadlines, created_at. Monotonic time only inside
// adapters (process timeouts).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace madre {

using Duration = std::chrono::microseconds;
using TimePoint = std::chrono::time_point<std::chrono::system_clock, Duration>;

inline constexpr Duration Seconds(std::int64_t s) { return std::chrono::seconds(s); }
inline constexpr Duration Millis(std::int64_t ms) { return std::chrono::milliseconds(ms); }

// "2026-11-24T10:00:00.123456Z": RFC 3339, UTC, always six fraction digits, always 'Z'.
std::string FormatRfc3339(TimePoint t);
// Accepts "YYYY-MM-DDTHH:MM:SS[.frac](Z|+00:00)"; nullopt for anything else.
std::optional<TimePoint> ParseRfc3339(std::string_view text);

inline std::int64_t ToMicros(TimePoint t) { return t.time_since_epoch().count(); }
inline TimePoint FromMicros(std::int64_t us) { return TimePoint(Duration(us)); }

// Whole seconds left until `deadline`, rounded up, never negative.
std::int64_t SecondsUntil(TimePoint deadline, TimePoint now);

// Parses "90", "90s", "5m", "1h", "2d" (and combinations like "1h30m") into a duration.
std::optional<Duration> ParseHumanDuration(std::string_view text);
// "1h 5m 3s" style, for humans.
std::string FormatHumanDuration(Duration d);

}  // namespace madre
