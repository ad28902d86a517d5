// src/base/time.h: ParseRfc3339 / FormatRfc3339 and ParseHumanDuration / FormatHumanDuration.
// Properties:
//  - whatever ParseRfc3339 accepts, formatting it and parsing again gives the same TimePoint
//    (for years 0000..9999, the range the format can express);
//  - FormatRfc3339 of any instant in 0000..9999 parses back to itself;
//  - ParseHumanDuration gives a non-negative duration that FormatHumanDuration writes in a form
//    ParseHumanDuration reads back to the same value; a bare number is seconds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "base/time.h"
#include "fuzz_check.h"

namespace madre::fuzz {
namespace {

// 0000-01-01T00:00:00Z and 10000-01-01T00:00:00Z in microseconds since the epoch.
constexpr std::int64_t kMinMicros = -62167219200LL * 1'000'000;
constexpr std::int64_t kEndMicros = 253402300800LL * 1'000'000;

bool Representable(TimePoint t) { return ToMicros(t) >= kMinMicros && ToMicros(t) < kEndMicros; }

void CheckRfc3339(std::string_view text) {
  const std::optional<TimePoint> parsed = ParseRfc3339(text);
  if (!parsed) return;
  if (!Representable(*parsed)) return;  // an offset moved it out of 0000..9999
  const std::string formatted = FormatRfc3339(*parsed);
  FUZZ_CHECK(formatted.size() == 27 && formatted.back() == 'Z');
  const std::optional<TimePoint> again = ParseRfc3339(formatted);
  FUZZ_CHECK(again.has_value());
  FUZZ_CHECK(*again == *parsed);
}

void CheckFormat(std::int64_t raw_micros) {
  // Fold any 64-bit value into [kMinMicros, kEndMicros).
  const std::uint64_t span = static_cast<std::uint64_t>(kEndMicros - kMinMicros);
  const std::int64_t micros =
      kMinMicros + static_cast<std::int64_t>(static_cast<std::uint64_t>(raw_micros) % span);
  const TimePoint t = FromMicros(micros);
  const std::string formatted = FormatRfc3339(t);
  const std::optional<TimePoint> back = ParseRfc3339(formatted);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(*back == t);
}

void CheckHumanDuration(std::string_view text) {
  const std::optional<Duration> d = ParseHumanDuration(text);
  if (!text.empty() && text.size() <= 10 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    FUZZ_CHECK(d.has_value() && *d == Seconds(std::stoll(std::string(text))));
  }
  if (!d) return;
  FUZZ_CHECK(d->count() >= 0);
  FUZZ_CHECK(d->count() % 1'000'000 == 0);  // whole seconds
  const std::string human = FormatHumanDuration(*d);
  const std::optional<Duration> back = ParseHumanDuration(human);
  FUZZ_CHECK(back.has_value());
  FUZZ_CHECK(*back == *d);
}

}  // namespace
}  // namespace madre::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace madre::fuzz;
  const std::string_view text = AsText(data, size);
  CheckRfc3339(text);
  CheckHumanDuration(text);
  if (size >= 8) {
    std::int64_t micros = 0;
    std::memcpy(&micros, data, sizeof micros);
    CheckFormat(micros);
  }
  return 0;
}
