// An intent: a component asks madre for something (a build, a window, a spawn) instead of acting
// itself. Recorded by POST /madre/intent, decided by the policy (core/intent_policy.h) or by an
// approver, expired when nobody decides (docs/intents.md). Pure values, checks and the
// lifecycle's transitions.
//
//   pending -> approved | rejected | expired | cancelled
//   approved -> admitted | cancelled,  admitted -> executing,  executing -> succeeded | failed
//
// rejected, expired, cancelled, succeeded and failed are terminal: they never change.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"

namespace madre {

enum class IntentState {
  kPending,
  kApproved,
  kRejected,
  kExpired,
  kCancelled,
  kAdmitted,
  kExecuting,
  kSucceeded,
  kFailed,
};
inline constexpr IntentState kAllIntentStates[] = {
    IntentState::kPending,   IntentState::kApproved,  IntentState::kRejected,
    IntentState::kExpired,   IntentState::kCancelled, IntentState::kAdmitted,
    IntentState::kExecuting, IntentState::kSucceeded, IntentState::kFailed};
// The wire names: "pending", "approved", ..., "executing", "succeeded", "failed".
const char* IntentStateName(IntentState state);
// The wire names only; nullopt for anything else (the store maps its older names itself).
std::optional<IntentState> ParseIntentState(std::string_view text);
bool IsTerminal(IntentState state);

// VX11_INTENT_PENDING_TTL_SEC's default: a pending intent nobody decides expires after this.
inline constexpr Duration kDefaultIntentPendingTtl = Seconds(900);

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
  IntentState state = IntentState::kPending;
  bool requires_approval = true;  // a token-less intent is never approved automatically
  TimePoint created_at{};
  TimePoint state_changed_at{};  // created_at until the first transition
  TimePoint expires_at{};        // created_at + the pending TTL; meaningful while pending
  // The last decision (approve, reject, cancel, expire): who ("default@127.0.0.1",
  // "policy:queen-windows", "madre"), when (zero before any), and why ("" when not given).
  std::string decided_by;
  TimePoint decided_at{};
  std::string reason;
  bool self_approved = false;  // approved by its own requester (no tokens file configured)
  // Execution (after approval): the window it opened or closed ("" until then), and what
  // happened ("window w-1 open", the error of a failure, what admission waits for).
  std::string task_id;
  std::string detail;

  friend bool operator==(const Intent&, const Intent&) = default;
};

// What every new intent starts as: "intent-<unique>", pending, created (and changed) `now`,
// expiring `pending_ttl` later. The caller says who sent it and what it is.
Intent NewPendingIntent(const std::string& unique, TimePoint now, Duration pending_ttl);
// Decided in the same write as its submission (a policy rule's or madre's word): `state`
// (approved or rejected), by `by`, at its creation, because `reason`.
void DecideAtSubmission(Intent& intent, IntentState state, std::string by, std::string reason);

// A decision on an intent. approve/reject/expire apply to a pending intent; cancel to a pending
// or an approved one (not yet admitted).
enum class DecisionKind { kApprove, kReject, kCancel, kExpire };
const char* DecisionKindName(DecisionKind kind);  // "approve", "reject", "cancel", "expire"

struct Decision {
  DecisionKind kind = DecisionKind::kApprove;
  std::string actor;           // the audit actor of the decision
  std::string reason;          // may be empty
  bool self_approved = false;  // an approval by the requester itself (allowed, and said so)
};

// The intent after `decision` at `now` (state, state_changed_at, decided_by/at, reason), or
// kFailedPrecondition (409) naming the current state when the intent is not in a state the
// decision applies to (a terminal one never changes).
Result<Intent> ApplyDecision(const Intent& intent, const Decision& decision, TimePoint now);

// Execution's steps, taken by madre: approved -> admitted -> executing -> succeeded | failed
// (admitted -> failed too: an execution that cannot start). The intent after the step at `now`
// with `detail` (and `task_id` when not empty), or kFailedPrecondition (409) naming the current
// state for any other step.
Result<Intent> Advance(const Intent& intent, IntentState to, std::string detail, TimePoint now,
                       std::string task_id = "");

// True when `intent` is pending and its expires_at is at or before `now`.
bool IsPendingExpired(const Intent& intent, TimePoint now);

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
