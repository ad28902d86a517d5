#include "api/intent_payload.h"

#include <nlohmann/json.hpp>
#include <set>

#include "api/json_codec.h"

namespace madre {
namespace {

using nlohmann::json;

Result<json> Object(const std::string& payload_json) {
  json body = json::parse(payload_json, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Status::InvalidArgument("payload must be a JSON object");
  }
  return body;
}

Result<std::string> StringField(const json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::string();
  if (!it->is_string())
    return Status::InvalidArgument(std::string("payload.") + key + " must be a string");
  return it->get<std::string>();
}

Result<std::optional<std::int64_t>> TtlField(const json& body) {
  auto it = body.find("ttl_sec");
  if (it == body.end() || it->is_null()) return std::optional<std::int64_t>();
  if (!it->is_number_integer()) {
    return Status::InvalidArgument("payload.ttl_sec must be an integer number of seconds");
  }
  return std::optional<std::int64_t>(it->get<std::int64_t>());
}

}  // namespace

Result<WindowIntent> ParseWindowPayload(const std::string& payload_json) {
  ASSIGN_OR_RETURN(json body, Object(payload_json));
  static const std::set<std::string> kKeys = {"action",    "services", "ttl_sec",  "hold",
                                              "window_id", "reason",   "cpu_limit"};
  for (const auto& item : body.items()) {
    if (!kKeys.count(item.key())) {
      return Status::InvalidArgument("payload." + item.key() +
                                     " is not a field of a window intent (action, services, "
                                     "ttl_sec, hold, window_id, reason, cpu_limit)");
    }
  }
  WindowIntent intent;
  ASSIGN_OR_RETURN(std::string action, StringField(body, "action"));
  if (action == "close") {
    intent.op = WindowIntent::Op::kClose;
  } else if (!action.empty() && action != "open") {
    return Status::InvalidArgument("payload.action must be \"open\" or \"close\", not \"" + action +
                                   "\"");
  }
  if (auto it = body.find("services"); it != body.end() && !it->is_null()) {
    if (!it->is_array()) return Status::InvalidArgument("payload.services must be a list");
    for (const json& name : *it) {
      if (!name.is_string()) {
        return Status::InvalidArgument("payload.services must be a list of service names");
      }
      intent.services.push_back(name.get<std::string>());
    }
  }
  ASSIGN_OR_RETURN(intent.ttl_sec, TtlField(body));
  if (auto it = body.find("hold"); it != body.end() && !it->is_null()) {
    if (!it->is_boolean()) return Status::InvalidArgument("payload.hold must be true or false");
    intent.hold = it->get<bool>();
  }
  ASSIGN_OR_RETURN(intent.window_id, StringField(body, "window_id"));
  if (!intent.window_id.empty() && !IsValidWindowId(intent.window_id)) {
    return Status::InvalidArgument("payload.window_id: \"" + intent.window_id +
                                   "\" is not a window id");
  }
  ASSIGN_OR_RETURN(intent.reason, StringField(body, "reason"));
  if (auto it = body.find("cpu_limit"); it != body.end() && !it->is_null()) {
    if (!it->is_number()) {
      return Status::InvalidArgument("payload.cpu_limit must be a number of CPUs (e.g. 0.5)");
    }
    intent.cpu_limit = it->get<double>();
  }
  return intent;
}

Result<SpawnIntent> ParseSpawnPayload(const std::string& payload_json) {
  ASSIGN_OR_RETURN(json body, Object(payload_json));
  SpawnIntent intent;
  ASSIGN_OR_RETURN(intent.ttl_sec, TtlField(body));
  ASSIGN_OR_RETURN(intent.reason, StringField(body, "reason"));
  return intent;
}

Result<BuildIntent> ParseBuildPayload(const std::string& payload_json) {
  ASSIGN_OR_RETURN(json body, Object(payload_json));
  BuildIntent intent;
  ASSIGN_OR_RETURN(intent.target_service, StringField(body, "target_service"));
  ASSIGN_OR_RETURN(intent.dockerfile_path, StringField(body, "dockerfile_path"));
  ASSIGN_OR_RETURN(intent.build_context, StringField(body, "build_context"));
  ASSIGN_OR_RETURN(intent.reason, StringField(body, "reason"));
  return intent;
}

Result<StabilizeCpuIntent> ParseStabilizeCpuPayload(const std::string& payload_json) {
  ASSIGN_OR_RETURN(json body, Object(payload_json));
  StabilizeCpuIntent intent;
  if (auto it = body.find("timeout_sec"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer()) {
      return Status::InvalidArgument("payload.timeout_sec must be an integer number of seconds");
    }
    intent.timeout_sec = it->get<std::int64_t>();
  }
  ASSIGN_OR_RETURN(intent.reason, StringField(body, "reason"));
  return intent;
}

Result<RemediateIntent> ParseRemediatePayload(const std::string& payload_json) {
  ASSIGN_OR_RETURN(json body, Object(payload_json));
  RemediateIntent intent;
  ASSIGN_OR_RETURN(intent.service, StringField(body, "service"));
  ASSIGN_OR_RETURN(std::string kind, StringField(body, "remediation"));
  std::optional<RemediationKind> parsed = ParseRemediationKind(kind);
  if (!parsed) return Status::InvalidArgument("payload.remediation: unknown kind \"" + kind + "\"");
  intent.kind = *parsed;
  ASSIGN_OR_RETURN(intent.target, StringField(body, "target"));
  ASSIGN_OR_RETURN(intent.incident, StringField(body, "incident"));
  ASSIGN_OR_RETURN(intent.cause, StringField(body, "cause"));
  ASSIGN_OR_RETURN(intent.text, StringField(body, "text"));
  if (auto it = body.find("cycle"); it != body.end() && !it->is_null()) {
    if (!it->is_number_integer())
      return Status::InvalidArgument("payload.cycle must be an integer");
    intent.cycle = it->get<int>();
  }
  RETURN_IF_ERROR(CheckRemediateIntent(intent));
  return intent;
}

std::string RemediatePayload(const RemediateIntent& intent) {
  return json{{"service", intent.service}, {"remediation", RemediationKindName(intent.kind)},
              {"target", intent.target},   {"incident", intent.incident},
              {"cycle", intent.cycle},     {"cause", intent.cause},
              {"text", intent.text}}
      .dump();
}

Status CheckIntentPayload(std::string_view type, const std::string& payload_json,
                          std::int64_t max_ttl_sec) {
  switch (ExecutorFor(type)) {
    case IntentExecutor::kWindow: {
      ASSIGN_OR_RETURN(WindowIntent intent, ParseWindowPayload(payload_json));
      return CheckWindowIntent(intent, max_ttl_sec);
    }
    case IntentExecutor::kSpawn: {
      ASSIGN_OR_RETURN(SpawnIntent intent, ParseSpawnPayload(payload_json));
      return CheckSpawnIntent(intent, max_ttl_sec);
    }
    case IntentExecutor::kBuild: {
      ASSIGN_OR_RETURN(BuildIntent intent, ParseBuildPayload(payload_json));
      return CheckBuildIntent(intent);
    }
    case IntentExecutor::kStabilizeCpu: {
      ASSIGN_OR_RETURN(StabilizeCpuIntent intent, ParseStabilizeCpuPayload(payload_json));
      return CheckStabilizeCpuIntent(intent);
    }
    case IntentExecutor::kRemediate:
      return ParseRemediatePayload(payload_json).status();
    case IntentExecutor::kNone:
      return Status::Ok();
  }
  return Status::Ok();
}

}  // namespace madre
