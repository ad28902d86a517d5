#include "adapters/sqlite/window_codec.h"

#include <exception>
#include <nlohmann/json.hpp>

namespace madre {

namespace {

using nlohmann::json;

json OptionalTime(const std::optional<TimePoint>& t) {
  return t ? json(ToMicros(*t)) : json(nullptr);
}

std::optional<TimePoint> ReadOptionalTime(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return FromMicros(j.at(key).get<std::int64_t>());
}

// Reads `key` into `out` when present; leaves the default otherwise. Throws on a wrong type.
template <typename T>
void ReadIfPresent(const json& j, const char* key, T& out) {
  if (j.contains(key)) j.at(key).get_to(out);
}

}  // namespace

std::string EncodeWindow(const Window& window) {
  json status = json::object();
  for (const auto& [service, s] : window.services_status) {
    status[service] = {{"state", ServiceStateName(s.state)},
                       {"health", s.health},
                       {"restart_count", s.restart_count},
                       {"error", s.error}};
  }
  const json j = {
      {"id", window.id},
      {"kind", WindowKindName(window.kind)},
      {"state", WindowStateName(window.state)},
      {"hold", window.hold},
      {"mode", window.mode},
      {"services", window.services},
      {"effective_services", window.effective_services},
      {"reason", window.reason},
      {"actor", window.actor},
      {"created_at", ToMicros(window.created_at)},
      {"opened_at", OptionalTime(window.opened_at)},
      {"ttl_sec", window.ttl_sec ? json(*window.ttl_sec) : json(nullptr)},
      {"deadline", OptionalTime(window.deadline)},
      {"closed_at", OptionalTime(window.closed_at)},
      {"close_reason", CloseReasonName(window.close_reason)},
      {"services_started", window.services_started},
      {"services_stopped", window.services_stopped},
      {"services_status", status},
      {"error", window.error},
      {"skip_health", window.skip_health},
      {"cpu_limit", window.cpu_limit ? json(*window.cpu_limit) : json(nullptr)},
  };
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<Window> DecodeWindow(std::string_view body) {
  try {
    const json j = json::parse(body);
    if (!j.is_object()) return Status::Internal("corrupt window body: not an object");
    Window window;
    j.at("id").get_to(window.id);
    if (j.contains("state")) {
      const std::string state = j.at("state").get<std::string>();
      std::optional<WindowState> parsed = ParseWindowState(state);
      if (!parsed) return Status::Internal("corrupt window body: unknown state '" + state + "'");
      window.state = *parsed;
    }
    if (j.contains("kind")) {  // absent: written before window kinds, a client window
      const std::string kind = j.at("kind").get<std::string>();
      std::optional<WindowKind> parsed = ParseWindowKind(kind);
      if (!parsed) return Status::Internal("corrupt window body: unknown kind '" + kind + "'");
      window.kind = *parsed;
    }
    ReadIfPresent(j, "hold", window.hold);
    ReadIfPresent(j, "mode", window.mode);
    ReadIfPresent(j, "services", window.services);
    ReadIfPresent(j, "effective_services", window.effective_services);
    ReadIfPresent(j, "reason", window.reason);
    ReadIfPresent(j, "actor", window.actor);
    if (j.contains("created_at"))
      window.created_at = FromMicros(j.at("created_at").get<std::int64_t>());
    window.opened_at = ReadOptionalTime(j, "opened_at");
    if (j.contains("ttl_sec") && !j.at("ttl_sec").is_null()) {
      window.ttl_sec = j.at("ttl_sec").get<std::int64_t>();
    }
    window.deadline = ReadOptionalTime(j, "deadline");
    window.closed_at = ReadOptionalTime(j, "closed_at");
    if (j.contains("close_reason")) {
      const std::string reason = j.at("close_reason").get<std::string>();
      std::optional<CloseReason> parsed = ParseCloseReason(reason);
      if (!parsed) {
        return Status::Internal("corrupt window body: unknown close_reason '" + reason + "'");
      }
      window.close_reason = *parsed;
    }
    ReadIfPresent(j, "services_started", window.services_started);
    ReadIfPresent(j, "services_stopped", window.services_stopped);
    if (j.contains("services_status")) {
      for (const auto& [service, s] : j.at("services_status").items()) {
        if (!s.is_object()) return Status::Internal("corrupt window body: bad services_status");
        ServiceStatus& out = window.services_status[service];
        if (s.contains("state")) {
          // A service's state is what the planner showed last (it writes it afresh for a live
          // window): one this madre does not know (written by a newer one) reads as `unknown`
          // rather than refusing the whole window, and with it madre's start.
          out.state =
              ParseServiceState(s.at("state").get<std::string>()).value_or(ServiceState::kUnknown);
        }
        ReadIfPresent(s, "health", out.health);
        ReadIfPresent(s, "restart_count", out.restart_count);
        ReadIfPresent(s, "error", out.error);
      }
    }
    ReadIfPresent(j, "error", window.error);
    ReadIfPresent(j, "skip_health", window.skip_health);
    if (j.contains("cpu_limit") && !j.at("cpu_limit").is_null()) {
      window.cpu_limit = j.at("cpu_limit").get<double>();
    }
    return window;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("corrupt window body: ") + e.what());
  }
}

}  // namespace madre
