// The payloads of the intent types madre executes (core/intent_executor.h), read from the
// intent's compact JSON. A submission whose payload does not fit its type is refused with 400
// and nothing is recorded (CheckIntentPayload); a type without an executor is not read here: it
// is recorded and rejected with NoExecutorReason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "core/intent_executor.h"

namespace madre {

// `window`: "action" ("open", the default, or "close"), "services", "ttl_sec", "hold",
// "window_id", "reason"; any other key is refused (a typo would otherwise change nothing).
Result<WindowIntent> ParseWindowPayload(const std::string& payload_json);
// `spawn`: "ttl_sec" and "reason" are read; the operator's other fields are kept in the intent.
Result<SpawnIntent> ParseSpawnPayload(const std::string& payload_json);
// `build`: "target_service" (required), "dockerfile_path", "build_context", "reason".
Result<BuildIntent> ParseBuildPayload(const std::string& payload_json);
// `stabilize_cpu`: "timeout_sec" (an integer) and "reason" are read; the queen's other fields
// are kept in the intent.
Result<StabilizeCpuIntent> ParseStabilizeCpuPayload(const std::string& payload_json);

// `remediate`: "service", "remediation", "target" (required), "incident", "cycle", "cause",
// "text".
Result<RemediateIntent> ParseRemediatePayload(const std::string& payload_json);
std::string RemediatePayload(const RemediateIntent& intent);  // compact JSON

// kInvalidArgument, naming the field, when the payload of a type with an executor is not one
// its executor takes (CheckWindowIntent, CheckSpawnIntent, CheckBuildIntent,
// CheckStabilizeCpuIntent included); Ok for
// every other type.
Status CheckIntentPayload(std::string_view type, const std::string& payload_json,
                          std::int64_t max_ttl_sec);

}  // namespace madre
