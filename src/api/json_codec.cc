#include "api/json_codec.h"

#include <cctype>
#include <charconv>

#include "core/cpu_limits.h"

namespace madre {

using nlohmann::json;

std::string Dump(const json& value) {
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<json> ParseJsonObject(std::string_view body, bool allow_empty) {
  bool blank = true;
  for (char c : body) {
    if (!std::isspace(static_cast<unsigned char>(c))) {
      blank = false;
      break;
    }
  }
  if (blank) {
    if (allow_empty) return json::object();
    return Status::InvalidArgument("request body must be a JSON object");
  }
  json parsed = json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::InvalidArgument("malformed JSON in request body");
  if (!parsed.is_object()) return Status::InvalidArgument("request body must be a JSON object");
  return parsed;
}

Status RejectUnknownKeys(const json& object, std::initializer_list<std::string_view> accepted) {
  std::string unknown;
  for (const auto& [key, value] : object.items()) {
    bool known = false;
    for (std::string_view name : accepted) known = known || key == name;
    if (known) continue;
    if (!unknown.empty()) unknown += ", ";
    unknown += key.size() > 64 ? key.substr(0, 64) + "..." : key;
  }
  if (unknown.empty()) return Status::Ok();
  return Status::InvalidArgument("unknown field(s) in request body: " + unknown);
}

// Keys the original clients send to every window route.
#define MADRE_WINDOW_KEYS "services", "ttl_sec", "mode", "reason", "window_id"

bool IsValidWindowId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.')
      return false;
  }
  return true;
}

Result<std::string> RequireWindowId(const json& object) {
  auto it = object.find("window_id");
  if (it == object.end() || it->is_null()) return Status::InvalidArgument("window_id is required");
  if (!it->is_string()) return Status::InvalidArgument("window_id must be a string");
  std::string id = it->get<std::string>();
  if (!IsValidWindowId(id)) return Status::NotFound("No window with that window_id");
  return id;
}

Result<bool> RequireBool(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null())
    return Status::InvalidArgument(std::string(field) + " is required");
  if (!it->is_boolean()) return Status::InvalidArgument(std::string(field) + " must be a boolean");
  return it->get<bool>();
}

Result<std::int64_t> RequireInt(const json& object, const char* field) {
  auto it = object.find(field);
  if (it == object.end() || it->is_null())
    return Status::InvalidArgument(std::string(field) + " is required");
  if (!it->is_number_integer())
    return Status::InvalidArgument(std::string(field) + " must be an integer");
  return it->get<std::int64_t>();
}

namespace {

// ttl_sec as the original clients send it: an integer, or a string of one ("300"). Its range is
// the planner's to check. `not_integer`: the message for a value of another type.
Result<std::int64_t> TtlSecValue(const json& value, const char* not_integer) {
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (!value.is_string()) return Status::InvalidArgument(not_integer);
  const std::string& text = value.get_ref<const std::string&>();
  std::int64_t n = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, n);
  if (error == std::errc::result_out_of_range) {
    return Status::InvalidArgument("ttl_sec is out of range");
  }
  if (text.empty() || error != std::errc() || stop != end) {
    return Status::InvalidArgument(
        "ttl_sec must be an integer; a string must hold only an integer, such as \"300\"");
  }
  return n;
}

}  // namespace

Result<std::optional<std::string>> ParseWindowIdBody(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseJsonObject(body, /*allow_empty=*/true));
  RETURN_IF_ERROR(RejectUnknownKeys(object, {MADRE_WINDOW_KEYS}));
  auto it = object.find("window_id");
  if (it == object.end() || it->is_null()) return std::optional<std::string>();
  ASSIGN_OR_RETURN(std::string id, RequireWindowId(object));
  return std::optional<std::string>(id);
}

Result<HoldBody> ParseHoldBody(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseJsonObject(body, /*allow_empty=*/false));
  RETURN_IF_ERROR(RejectUnknownKeys(object, {MADRE_WINDOW_KEYS, "hold"}));
  HoldBody out;
  ASSIGN_OR_RETURN(out.window_id, RequireWindowId(object));
  ASSIGN_OR_RETURN(out.hold, RequireBool(object, "hold"));
  return out;
}

Result<ExtendBody> ParseExtendBody(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseJsonObject(body, /*allow_empty=*/false));
  RETURN_IF_ERROR(RejectUnknownKeys(object, {MADRE_WINDOW_KEYS}));
  ExtendBody out;
  ASSIGN_OR_RETURN(out.window_id, RequireWindowId(object));
  auto ttl = object.find("ttl_sec");
  if (ttl == object.end() || ttl->is_null()) return Status::InvalidArgument("ttl_sec is required");
  ASSIGN_OR_RETURN(out.ttl_sec, TtlSecValue(*ttl, "ttl_sec must be an integer"));
  return out;
}

Status CheckServiceOpBody(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseJsonObject(body, /*allow_empty=*/true));
  return RejectUnknownKeys(object, {"apply", "confirm", "service"});
}

Result<ServiceOpBody> ParseServiceOpBody(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseJsonObject(body, /*allow_empty=*/true));
  RETURN_IF_ERROR(RejectUnknownKeys(object, {"apply", "confirm", "service"}));
  ServiceOpBody out;
  if (auto it = object.find("service"); it != object.end() && !it->is_null()) {
    if (!it->is_string()) return Status::InvalidArgument("service must be a string");
    out.service = it->get<std::string>();
  }
  if (auto it = object.find("apply"); it != object.end() && !it->is_null()) {
    if (!it->is_boolean()) return Status::InvalidArgument("apply must be true or false");
    out.apply = it->get<bool>();
  }
  return out;
}

Result<OpenBody> ParseOpenBody(std::string_view body) {
  ASSIGN_OR_RETURN(json object, ParseJsonObject(body, /*allow_empty=*/false));
  RETURN_IF_ERROR(RejectUnknownKeys(
      object, {MADRE_WINDOW_KEYS, "hold", "skip_health", "wait", "wait_timeout_sec", "cpu_limit"}));
  OpenBody out;
  auto services = object.find("services");
  if (services == object.end() || !services->is_array()) {
    return Status::InvalidArgument("services must be a list of service names");
  }
  if (services->empty()) return Status::InvalidArgument("services must name at least one service");
  if (services->size() > 256) return Status::InvalidArgument("services: at most 256 names");
  for (const auto& item : *services) {
    if (!item.is_string()) return Status::InvalidArgument("services must be a list of strings");
    out.services.push_back(item.get<std::string>());
  }
  if (auto it = object.find("ttl_sec"); it != object.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(out.ttl_sec, TtlSecValue(*it, "ttl_sec must be an integer or null"));
    out.ttl_given = true;
  }
  if (auto it = object.find("mode"); it != object.end() && !it->is_null()) {
    if (!it->is_string()) return Status::InvalidArgument("mode must be \"ttl\" or \"hold\"");
    out.mode = it->get<std::string>() == "hold" ? "hold" : "ttl";  // anything else: ttl
  }
  if (auto it = object.find("reason"); it != object.end() && !it->is_null()) {
    if (!it->is_string()) return Status::InvalidArgument("reason must be a string");
    out.reason = it->get<std::string>();
    if (out.reason.size() > 512) return Status::InvalidArgument("reason: at most 512 characters");
  }
  for (auto [field, target] : {std::pair<const char*, bool*>{"hold", &out.hold},
                               {"skip_health", &out.skip_health},
                               {"wait", &out.wait}}) {
    auto it = object.find(field);
    if (it == object.end() || it->is_null()) continue;
    if (!it->is_boolean())
      return Status::InvalidArgument(std::string(field) + " must be a boolean");
    *target = it->get<bool>();
  }
  if (auto it = object.find("wait_timeout_sec"); it != object.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<std::int64_t>() <= 0 ||
        it->get<std::int64_t>() > 3600) {
      return Status::InvalidArgument("wait_timeout_sec must be an integer between 1 and 3600");
    }
    out.wait_timeout_sec = it->get<std::int64_t>();
  }
  if (auto it = object.find("cpu_limit"); it != object.end() && !it->is_null()) {
    if (!it->is_number()) {
      return Status::InvalidArgument("cpu_limit must be a number of CPUs (e.g. 0.5)");
    }
    out.cpu_limit = it->get<double>();
    RETURN_IF_ERROR(CheckCpuLimit(*out.cpu_limit));
  }
  return out;
}

json TimeOrNull(const std::optional<TimePoint>& t) {
  if (!t) return nullptr;
  return FormatRfc3339(*t);
}

json WindowToJson(const Window& window, TimePoint now) {
  json services_status = json::object();
  for (const auto& [name, status] : window.services_status) {
    services_status[name] = {
        {"state", ServiceStateName(status.state)},
        {"health", status.health.empty() ? json(nullptr) : json(status.health)},
        {"restart_count", status.restart_count},
        {"error", status.error.empty() ? json(nullptr) : json(status.error)}};
  }
  json ttl_remaining = nullptr;
  if (window.Live() && !window.hold) {
    if (window.deadline) {
      ttl_remaining = SecondsUntil(*window.deadline, now);
    } else if (window.ttl_sec) {
      ttl_remaining = *window.ttl_sec;  // not open yet: the TTL has not started
    }
  }
  return json{
      {"window_id", window.id},
      {"kind", WindowKindName(window.kind)},
      {"state", WindowStateName(window.state)},
      {"mode", window.mode},
      {"hold", window.hold},
      {"services", window.services},
      {"effective_services", window.effective_services},
      {"reason", window.reason},
      {"created_at", FormatRfc3339(window.created_at)},
      {"opened_at", TimeOrNull(window.opened_at)},
      {"deadline", window.hold ? json(nullptr) : TimeOrNull(window.deadline)},
      {"ttl_sec", window.ttl_sec ? json(*window.ttl_sec) : json(nullptr)},
      {"ttl_remaining_sec", ttl_remaining},
      {"closed_at", TimeOrNull(window.closed_at)},
      {"close_reason", window.close_reason == CloseReason::kNone
                           ? json(nullptr)
                           : json(CloseReasonName(window.close_reason))},
      {"services_started", window.services_started},
      {"services_stopped", window.services_stopped},
      {"services_status", services_status},
      {"error", window.error.empty() ? json(nullptr) : json(window.error)},
      {"cpu_limit", window.cpu_limit ? json(*window.cpu_limit) : json(nullptr)},
  };
}

json AuditRecordToJson(const AuditRecord& record) {
  json ops = json::array();
  for (const auto& op : record.ops) {
    ops.push_back({{"command", op.command},
                   {"exit_code", op.exit_code},
                   {"elapsed_ms", op.elapsed_ms},
                   {"output", op.output}});
  }
  return json{{"seq", record.seq},
              {"time", FormatRfc3339(record.time)},
              {"actor", record.actor},
              {"action", record.action},
              {"window_id", record.window_id.empty() ? json(nullptr) : json(record.window_id)},
              {"services", record.services},
              {"reason", record.reason},
              {"outcome", AuditOutcomeName(record.outcome)},
              {"detail", record.detail},
              {"ops", ops},
              {"prev_hash", record.prev_hash},
              {"hash", record.hash}};
}

json ErrorToJson(const Status& status) {
  return json{{"detail", status.message()}, {"code", StatusCodeName(status.code())}};
}

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kInvalidArgument:
      return 400;
    case StatusCode::kUnauthenticated:
      return 401;
    case StatusCode::kPermissionDenied:
      return 403;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kFailedPrecondition:
    case StatusCode::kQuarantined:
      return 409;
    case StatusCode::kPayloadTooLarge:
      return 413;
    case StatusCode::kNotAllowed:
      return 422;
    case StatusCode::kResourceExhausted:
      return 429;
    case StatusCode::kUnavailable:
      return 503;
    case StatusCode::kDeadlineExceeded:
      return 504;
    case StatusCode::kInternal:
      return 500;
  }
  return 500;
}

}  // namespace madre
