#include "base/time.h"

#include <cctype>
#include <cstdio>
#include <ctime>

namespace madre {

namespace {

// Days from civil date, Howard Hinnant's algorithm (public domain).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool ReadDigits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

}  // namespace

std::string FormatRfc3339(TimePoint t) {
  const std::int64_t us = ToMicros(t);
  std::int64_t secs = us / 1'000'000;
  std::int64_t frac = us % 1'000'000;
  if (frac < 0) {
    frac += 1'000'000;
    secs -= 1;
  }
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

std::optional<TimePoint> ParseRfc3339(std::string_view s) {
  int year, mon, day, hour, min, sec;
  if (!ReadDigits(s, 0, 4, year) || s.size() < 19 || s[4] != '-' || !ReadDigits(s, 5, 2, mon) ||
      s[7] != '-' || !ReadDigits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't') ||
      !ReadDigits(s, 11, 2, hour) || s[13] != ':' || !ReadDigits(s, 14, 2, min) || s[16] != ':' ||
      !ReadDigits(s, 17, 2, sec)) {
    return std::nullopt;
  }
  if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
    return std::nullopt;
  }
  std::size_t pos = 19;
  std::int64_t micros = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 6) micros = micros * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (int i = digits; i < 6; ++i) micros *= 10;
  }
  std::int64_t offset_sec = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!ReadDigits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ReadDigits(s, pos + 4, 2, om)) {
      return std::nullopt;
    }
    if (oh > 23 || om > 59) return std::nullopt;
    offset_sec = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  const std::int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(mon), static_cast<unsigned>(day));
  const std::int64_t secs = days * 86400 + hour * 3600 + min * 60 + sec - offset_sec;
  const TimePoint t = FromMicros(secs * 1'000'000 + micros);
  // Only instants that format back as four-digit UTC years round-trip.
  if (secs < -62'167'219'200 || secs >= 253'402'300'800) return std::nullopt;
  return t;
}

std::int64_t SecondsUntil(TimePoint deadline, TimePoint now) {
  const std::int64_t us = (deadline - now).count();
  if (us <= 0) return 0;
  return (us + 999'999) / 1'000'000;
}

std::optional<Duration> ParseHumanDuration(std::string_view text) {
  if (text.empty()) return std::nullopt;
  std::int64_t total = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::int64_t n = 0;
    std::size_t start = pos;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      n = n * 10 + (text[pos] - '0');
      if (n > 10'000'000'000LL) return std::nullopt;
      ++pos;
    }
    if (pos == start) return std::nullopt;
    std::int64_t unit = 1;
    if (pos < text.size()) {
      switch (text[pos]) {
        case 's':
          unit = 1;
          break;
        case 'm':
          unit = 60;
          break;
        case 'h':
          unit = 3600;
          break;
        case 'd':
          unit = 86400;
          break;
        default:
          return std::nullopt;
      }
      ++pos;
    } else if (start != 0) {
      return std::nullopt;  // "1h30" is ambiguous
    }
    total += n * unit;
    if (total > 10'000'000'000LL) return std::nullopt;
  }
  return Seconds(total);
}

std::string FormatHumanDuration(Duration d) {
  std::int64_t s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
  if (s < 0) s = 0;
  const std::int64_t h = s / 3600, m = (s % 3600) / 60, sec = s % 60;
  std::string out;
  if (h) out += std::to_string(h) + "h";
  if (m) out += std::to_string(m) + "m";
  if (sec || out.empty()) out += std::to_string(sec) + "s";
  return out;
}

}  // namespace madre
