// Reading the JSON shapes of SPEC §5 leniently: a missing or mistyped field is
// an empty value, never an exception. Shared by the commands, the renderers and
// the conductor.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace madre::cli {

// `j[key]` as text: strings as they are, numbers and bools printed, null/missing "".
std::string Str(const nlohmann::json& j, const char* key);
// `j[key]` as an integer when it is a number.
std::optional<std::int64_t> Int(const nlohmann::json& j, const char* key);
// `j[key]` as a bool (false when missing).
bool Bool(const nlohmann::json& j, const char* key);
// `j[key]` as a list of strings (non-strings skipped).
std::vector<std::string> StrList(const nlohmann::json& j, const char* key);
// "a, b, c" ("-" for none).
std::string JoinOrDash(const std::vector<std::string>& items, const char* sep = ", ");

// The window object inside an answer: `body["window"]` when it is an object,
// else `body` itself (open/close/hold answers are flat window objects).
const nlohmann::json& WindowOf(const nlohmann::json& body);

// Where a window service stands, from services_status[svc] = {state, health, ...}.
enum class ServiceCondition { kPending, kReady, kFailed };
ServiceCondition ClassifyService(const nlohmann::json& service_status);
const char* ServiceConditionName(ServiceCondition condition);  // pending|ready|failed

// True when a window's state is final for a wait: open, failed, closing, closed.
bool WindowSettled(const nlohmann::json& window);
// True for failed/closing/closed: the window did not (or no longer does) serve.
bool WindowEnded(const nlohmann::json& window);

// The services a wait must see ready: `effective_services` (with dependencies, in start
// order), else `services` (as requested), else the keys of `services_status`.
std::vector<std::string> WindowServices(const nlohmann::json& window);

// `j.dump(indent)` that never throws: invalid UTF-8 is replaced.
std::string DumpJson(const nlohmann::json& j, int indent = -1);

// The list of records in an audit answer: the body itself when it is an array,
// else the first array among "records", "audit", "items", "entries".
nlohmann::json AuditRecords(const nlohmann::json& body);

}  // namespace madre::cli
