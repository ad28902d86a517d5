// The wire format shared by the server and the CLI: request bodies in,
// window / audit / error objects out. Field names follow SPEC §5 exactly.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "core/window.h"
#include "ports/audit_log.h"

namespace madre {

struct OpenBody {
  std::vector<std::string> services;
  std::optional<std::int64_t> ttl_sec;  // nullopt: absent or null
  bool ttl_given = false;
  std::string mode = "ttl";
  std::string reason = "manual";
  bool hold = false;
  bool skip_health = false;
  bool wait = false;
  std::optional<std::int64_t> wait_timeout_sec;
};

// Strict: the body must be a JSON object; every known field must have its
// type (an integer is not a float or a bool). Unknown fields are ignored.
// kInvalidArgument with a sentence naming the field.
Result<nlohmann::json> ParseJsonObject(std::string_view body, bool allow_empty);
Result<OpenBody> ParseOpenBody(std::string_view body);
// {"window_id"?}: the id, if given. Ids are [A-Za-z0-9_.-]{1,64}.
Result<std::optional<std::string>> ParseWindowIdBody(std::string_view body);
Result<std::string> RequireWindowId(const nlohmann::json& object);
Result<bool> RequireBool(const nlohmann::json& object, const char* field);
Result<std::int64_t> RequireInt(const nlohmann::json& object, const char* field);
bool IsValidWindowId(std::string_view id);

// Strings with bytes that are not UTF-8 are replaced, never thrown on.
std::string Dump(const nlohmann::json& value);

nlohmann::json TimeOrNull(const std::optional<TimePoint>& t);
// The full window object (SPEC §5), `ttl_remaining_sec` computed at `now`.
nlohmann::json WindowToJson(const Window& window, TimePoint now);
nlohmann::json AuditRecordToJson(const AuditRecord& record);
nlohmann::json ErrorToJson(const Status& status);
// HTTP status for a Status code (SPEC §4).
int HttpStatusFor(StatusCode code);

}  // namespace madre
