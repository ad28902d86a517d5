// The wire form of an intent (docs/intents.md, docs/http_api.md "Intents"): the answer of a
// submission, GET /madre/intents/{id}, the rows of GET /madre/intents and the `intent` events of
// GET /madre/power/events. Pure: an Intent in, JSON out.
#pragma once

#include <nlohmann/json.hpp>

#include "core/intent.h"

namespace madre {

// The submission's answer: {"intent_id", "status" (the state, as the original clients read it),
// "state", "task_id", "detail", "type", "source", "correlation_id", "requested_by",
// "requires_approval", "created_at", "state_changed_at", "expires_at" (while pending, else
// null), "decided_by", "decided_at", "reason", "self_approved", "duplicate"}.
nlohmann::json IntentSubmitView(const Intent& intent, bool duplicate);

// One intent as GET /madre/intents/{id} shows it: IntentSubmitView without "duplicate", with
// "payload" (the payload object).
nlohmann::json IntentView(const Intent& intent);

}  // namespace madre
