#include "cli/window_json.h"

#include <cmath>
#include <cstdint>
#include <limits>

namespace madre::cli {

using nlohmann::json;

std::string Str(const json& j, const char* key) {
  if (!j.is_object()) return "";
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_boolean()) return it->get<bool>() ? "true" : "false";
  return it->dump();
}

std::optional<std::int64_t> Int(const json& j, const char* key) {
  if (!j.is_object()) return std::nullopt;
  auto it = j.find(key);
  if (it == j.end()) return std::nullopt;
  if (it->is_number_unsigned()) {
    const std::uint64_t value = it->get<std::uint64_t>();
    if (value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    return static_cast<std::int64_t>(value);
  }
  if (it->is_number_integer()) return it->get<std::int64_t>();
  if (it->is_number_float()) {
    // Only a finite value within int64's range converts; the cast of any other is undefined.
    const double value = it->get<double>();
    constexpr double kLimit = 9223372036854775808.0;  // 2^63
    if (!std::isfinite(value) || value < -kLimit || value >= kLimit) return std::nullopt;
    return static_cast<std::int64_t>(value);
  }
  return std::nullopt;
}

bool Bool(const json& j, const char* key) {
  if (!j.is_object()) return false;
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::vector<std::string> StrList(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object()) return out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const json& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

std::string JoinOrDash(const std::vector<std::string>& items, const char* sep) {
  if (items.empty()) return "-";
  std::string out;
  for (const std::string& item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

const json& WindowOf(const json& body) {
  if (body.is_object()) {
    auto it = body.find("window");
    if (it != body.end() && it->is_object()) return *it;
  }
  return body;
}

ServiceCondition ClassifyService(const json& status) {
  const std::string state = Str(status, "state");
  const std::string health = Str(status, "health");
  if (state == "failed" || state == "crashloop" || state == "exited" || state == "dead" ||
      health == "unhealthy") {
    return ServiceCondition::kFailed;
  }
  // `running` in a window is madre's readiness verdict: Docker's health may still say
  // `starting` (madre ran the healthcheck itself, before Docker's first interval).
  if (state == "running" || state == "ready" || state == "shared") {
    return ServiceCondition::kReady;
  }
  return ServiceCondition::kPending;
}

const char* ServiceConditionName(ServiceCondition condition) {
  switch (condition) {
    case ServiceCondition::kPending:
      return "pending";
    case ServiceCondition::kReady:
      return "ready";
    case ServiceCondition::kFailed:
      return "failed";
  }
  return "pending";
}

bool WindowEnded(const json& window) {
  const std::string state = Str(window, "state");
  return state == "failed" || state == "closing" || state == "closed";
}

bool WindowSettled(const json& window) {
  return Str(window, "state") == "open" || WindowEnded(window);
}

std::vector<std::string> WindowServices(const json& window) {
  std::vector<std::string> services = StrList(window, "effective_services");
  if (services.empty()) services = StrList(window, "services");
  if (services.empty() && window.is_object()) {
    auto it = window.find("services_status");
    if (it != window.end() && it->is_object()) {
      for (const auto& item : it->items()) services.push_back(item.key());
    }
  }
  return services;
}

std::string DumpJson(const json& j, int indent) {
  return j.dump(indent, ' ', false, json::error_handler_t::replace);
}

json AuditRecords(const json& body) {
  if (body.is_array()) return body;
  if (body.is_object()) {
    for (const char* key : {"records", "audit", "items", "entries"}) {
      auto it = body.find(key);
      if (it != body.end() && it->is_array()) return *it;
    }
  }
  return json::array();
}

}  // namespace madre::cli
