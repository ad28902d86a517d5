// The wire format shared by the server and the CLI: request bodies in,
// window / audit / error objects out. Field names follow SPEC §5 exactly.
#pragma once

#include <initializer_list>
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
  std::optional<double> cpu_limit;  // CPUs per container, checked (core/cpu_limits.h)
};

// The body of a service start/stop/restart: `service` names it in the body form
// (POST /madre/power/service/start {"service": NAME}); `apply` false asks for the plan only.
// `confirm` is accepted and ignored.
struct ServiceOpBody {
  std::optional<std::string> service;
  bool apply = true;
};

struct HoldBody {
  std::string window_id;
  bool hold = false;
};
struct ExtendBody {
  std::string window_id;
  std::int64_t ttl_sec = 0;
};

// Strict: the body must be a JSON object; every known field must have its type (an integer is
// not a float or a bool), and a key the route does not accept is kInvalidArgument naming it
// ("unknown field(s) in request body: ttl"). Every window route accepts the keys the original
// clients send to all of them (services, ttl_sec, mode, reason, window_id) besides its own;
// docs/http_api.md has the table. kInvalidArgument with a sentence naming the field.
// `ttl_sec` (open, extend) may also be a string holding an integer ("300"), as the original
// clients send it.
Result<nlohmann::json> ParseJsonObject(std::string_view body, bool allow_empty);
// kInvalidArgument naming every key of `object` that is not in `accepted`.
Status RejectUnknownKeys(const nlohmann::json& object,
                         std::initializer_list<std::string_view> accepted);
// Open: a `mode` other than "ttl" or "hold" is taken as "ttl".
Result<OpenBody> ParseOpenBody(std::string_view body);
// Close, {"window_id"?}: the id, if given. Ids are [A-Za-z0-9_.-]{1,64}.
Result<std::optional<std::string>> ParseWindowIdBody(std::string_view body);
Result<HoldBody> ParseHoldBody(std::string_view body);
Result<ExtendBody> ParseExtendBody(std::string_view body);
// Service start/stop/restart and SOLO_MADRE apply: an empty body, or an object with at most
// apply, confirm and service (sent by the original clients, not used).
Status CheckServiceOpBody(std::string_view body);
// The same keys, read: `service` a string, `apply` a boolean, when given.
Result<ServiceOpBody> ParseServiceOpBody(std::string_view body);
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
