#include "core/intent.h"

#include <algorithm>

namespace madre {

const char* IntentStatusName(IntentStatus status) {
  switch (status) {
    case IntentStatus::kPending:
      return "pending";
    case IntentStatus::kApproved:
      return "approved";
    case IntentStatus::kRejected:
      return "rejected";
    case IntentStatus::kRunning:
      return "running";
    case IntentStatus::kDone:
      return "done";
    case IntentStatus::kFailed:
      return "failed";
    case IntentStatus::kExpired:
      return "expired";
  }
  return "pending";
}

std::optional<IntentStatus> ParseIntentStatus(std::string_view text) {
  for (IntentStatus s : {IntentStatus::kPending, IntentStatus::kApproved, IntentStatus::kRejected,
                         IntentStatus::kRunning, IntentStatus::kDone, IntentStatus::kFailed,
                         IntentStatus::kExpired}) {
    if (text == IntentStatusName(s)) return s;
  }
  return std::nullopt;
}

bool IsValidIntentWord(std::string_view text) {
  if (text.empty() || text.size() > 64) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ':' || c == '-';
  });
}

bool IsValidCorrelationId(std::string_view text) {
  if (text.empty() || text.size() > 128) return false;
  return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

bool RateLimiter::Admit(const std::string& key, TimePoint now) {
  auto [it, fresh] = buckets_.try_emplace(key);
  Bucket& bucket = it->second;
  if (fresh) {
    bucket.tokens = burst_;
  } else if (now > bucket.at && every_ > Duration::zero()) {
    const double refill =
        static_cast<double>((now - bucket.at).count()) / static_cast<double>(every_.count());
    bucket.tokens = std::min<double>(burst_, bucket.tokens + refill);
  }
  bucket.at = std::max(bucket.at, now);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

}  // namespace madre
