// An intent: a component asks madre for something (a build, a window, a spawn) instead of acting
// itself. This build records intents (POST /madre/intent); deciding and executing them comes with
// approvals and admission (docs/http_api.md#post-madreintent). Pure values and checks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"

namespace madre {

enum class IntentStatus { kPending, kApproved, kRejected, kRunning, kDone, kFailed, kExpired };
const char* IntentStatusName(IntentStatus status);
std::optional<IntentStatus> ParseIntentStatus(std::string_view text);

struct Intent {
  std::string id;  // "intent-<uuid>"
  // Who submitted it: the token's name ("default" for VX11_TOKEN), or "open:<source>" for a
  // token-less submission from a source in VX11_INTENT_OPEN_SOURCES. The idempotency key is
  // (identity, correlation_id): the same correlation id from two identities is two intents.
  std::string identity;
  std::string source;          // as sent ("" when absent)
  std::string correlation_id;  // as sent ("" when absent: no idempotency)
  std::string type;            // `type` or `intent_type`
  std::string payload;         // the `payload` object, compact JSON ("{}" when absent)
  std::string peer;            // client address
  IntentStatus status = IntentStatus::kPending;
  bool requires_approval = true;  // a token-less intent is never approved automatically
  TimePoint created_at{};

  friend bool operator==(const Intent&, const Intent&) = default;
};

// What may stand in `type` and `source`: 1 to 64 of [A-Za-z0-9_.:-]. `correlation_id`: 1 to 128
// printable ASCII characters without spaces.
bool IsValidIntentWord(std::string_view text);
bool IsValidCorrelationId(std::string_view text);

// A token bucket per key (the token-less intake's rate limit per source): `burst` requests at
// once, then one per `every`. Pure: time is an argument.
class RateLimiter {
 public:
  RateLimiter(int burst, Duration every) : burst_(burst), every_(every) {}
  // True when a request of `key` at `now` is admitted (and counted).
  bool Admit(const std::string& key, TimePoint now);

 private:
  struct Bucket {
    double tokens = 0;
    TimePoint at{};
  };
  int burst_;
  Duration every_;
  std::map<std::string, Bucket> buckets_;
};

}  // namespace madre
