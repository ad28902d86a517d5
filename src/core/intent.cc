#include "core/intent.h"

#include <algorithm>

namespace madre {

const char* IntentStateName(IntentState state) {
  switch (state) {
    case IntentState::kPending:
      return "pending";
    case IntentState::kApproved:
      return "approved";
    case IntentState::kRejected:
      return "rejected";
    case IntentState::kExpired:
      return "expired";
    case IntentState::kCancelled:
      return "cancelled";
    case IntentState::kAdmitted:
      return "admitted";
    case IntentState::kExecuting:
      return "executing";
    case IntentState::kSucceeded:
      return "succeeded";
    case IntentState::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<IntentState> ParseIntentState(std::string_view text) {
  for (IntentState s : kAllIntentStates) {
    if (text == IntentStateName(s)) return s;
  }
  return std::nullopt;
}

bool IsTerminal(IntentState state) {
  switch (state) {
    case IntentState::kRejected:
    case IntentState::kExpired:
    case IntentState::kCancelled:
    case IntentState::kSucceeded:
    case IntentState::kFailed:
      return true;
    case IntentState::kPending:
    case IntentState::kApproved:
    case IntentState::kAdmitted:
    case IntentState::kExecuting:
      return false;
  }
  return false;
}

const char* DecisionKindName(DecisionKind kind) {
  switch (kind) {
    case DecisionKind::kApprove:
      return "approve";
    case DecisionKind::kReject:
      return "reject";
    case DecisionKind::kCancel:
      return "cancel";
    case DecisionKind::kExpire:
      return "expire";
  }
  return "approve";
}

Intent NewPendingIntent(const std::string& unique, TimePoint now, Duration pending_ttl) {
  Intent intent;
  intent.id = "intent-" + unique;
  intent.created_at = now;
  intent.state_changed_at = now;
  intent.expires_at = now + pending_ttl;
  return intent;
}

void DecideAtSubmission(Intent& intent, IntentState state, std::string by, std::string reason) {
  intent.state = state;
  intent.decided_by = std::move(by);
  intent.decided_at = intent.created_at;
  intent.reason = std::move(reason);
}

Result<Intent> ApplyDecision(const Intent& intent, const Decision& decision, TimePoint now) {
  IntentState to = IntentState::kApproved;
  bool allowed = intent.state == IntentState::kPending;
  switch (decision.kind) {
    case DecisionKind::kApprove:
      to = IntentState::kApproved;
      break;
    case DecisionKind::kReject:
      to = IntentState::kRejected;
      break;
    case DecisionKind::kExpire:
      to = IntentState::kExpired;
      break;
    case DecisionKind::kCancel:
      to = IntentState::kCancelled;
      allowed = allowed || intent.state == IntentState::kApproved;
      break;
  }
  if (!allowed) {
    return Status::FailedPrecondition("intent " + intent.id + " is " +
                                      IntentStateName(intent.state) + ": cannot " +
                                      DecisionKindName(decision.kind) + " it");
  }
  Intent out = intent;
  out.state = to;
  out.state_changed_at = now;
  out.decided_by = decision.actor;
  out.decided_at = now;
  out.reason = decision.reason;
  out.self_approved = decision.kind == DecisionKind::kApprove && decision.self_approved;
  return out;
}

Result<Intent> Advance(const Intent& intent, IntentState to, std::string detail, TimePoint now,
                       std::string task_id) {
  const IntentState from = intent.state;
  const bool allowed = (from == IntentState::kApproved && to == IntentState::kAdmitted) ||
                       (from == IntentState::kAdmitted &&
                        (to == IntentState::kExecuting || to == IntentState::kFailed)) ||
                       (from == IntentState::kExecuting &&
                        (to == IntentState::kSucceeded || to == IntentState::kFailed));
  if (!allowed) {
    return Status::FailedPrecondition("intent " + intent.id + " is " + IntentStateName(from) +
                                      ": it cannot become " + IntentStateName(to));
  }
  Intent out = intent;
  out.state = to;
  out.state_changed_at = now;
  out.detail = std::move(detail);
  if (!task_id.empty()) out.task_id = std::move(task_id);
  return out;
}

bool IsPendingExpired(const Intent& intent, TimePoint now) {
  return intent.state == IntentState::kPending && intent.expires_at <= now;
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
