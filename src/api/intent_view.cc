#include "api/intent_view.h"

#include <string>

#include "base/time.h"

namespace madre {

using nlohmann::json;

namespace {

json OptionalTime(TimePoint t) { return t == TimePoint{} ? json(nullptr) : json(FormatRfc3339(t)); }

json OrNull(const std::string& text) { return text.empty() ? json(nullptr) : json(text); }

}  // namespace

json IntentSubmitView(const Intent& intent, bool duplicate) {
  return json{
      {"intent_id", intent.id},
      {"status", IntentStateName(intent.state)},
      {"state", IntentStateName(intent.state)},
      {"task_id", OrNull(intent.task_id)},
      {"detail", OrNull(intent.detail)},
      {"type", intent.type},
      {"source", intent.source},
      {"correlation_id", OrNull(intent.correlation_id)},
      {"requested_by", intent.identity},
      {"requires_approval", intent.requires_approval},
      {"created_at", FormatRfc3339(intent.created_at)},
      {"state_changed_at", FormatRfc3339(intent.state_changed_at)},
      {"expires_at", intent.state == IntentState::kPending ? json(FormatRfc3339(intent.expires_at))
                                                           : json(nullptr)},
      {"decided_by", OrNull(intent.decided_by)},
      {"decided_at", OptionalTime(intent.decided_at)},
      {"reason", OrNull(intent.reason)},
      {"self_approved", intent.self_approved},
      {"duplicate", duplicate}};
}

json IntentView(const Intent& intent) {
  json view = IntentSubmitView(intent, false);
  view.erase("duplicate");
  view["payload"] = json::parse(intent.payload, nullptr, false);
  return view;
}

}  // namespace madre
