#include "adapters/docker/docker_event_parse.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "adapters/docker/docker_parse.h"
#include "adapters/docker/json_members.h"

namespace madre {
namespace {

using docker_json::IntMember;
using docker_json::StringMember;
using nlohmann::json;

constexpr std::string_view kProjectLabel = "com.docker.compose.project";
constexpr std::string_view kServiceLabel = "com.docker.compose.service";
constexpr std::int64_t kNanosPerSecond = 1'000'000'000;

const json& ObjectMemberOrNull(const json& object, std::string_view key) {
  static const json kNull;
  if (!object.is_object()) return kNull;
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return kNull;
  return *it;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<int> ParseInt(std::string_view text) {
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

constexpr std::string_view kStackLabel = "com.docker.stack.namespace";
constexpr std::string_view kSwarmServiceNameLabel = "com.docker.swarm.service.name";
constexpr std::string_view kSwarmServiceIdLabel = "com.docker.swarm.service.id";

Result<json> ParseEventLine(std::string_view line) {
  json doc = json::parse(line, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return Status::Internal("docker: event line is not a JSON object");
  }
  return doc;
}

// "<stack>_<service>" -> "<service>"; "" when `name` is not of the stack.
std::string StackServiceName(std::string_view stack, std::string_view name) {
  if (stack.empty() || name.size() <= stack.size() + 1 || name.substr(0, stack.size()) != stack ||
      name[stack.size()] != '_') {
    return "";
  }
  return std::string(name.substr(stack.size() + 1));
}

Result<DockerEvent> EventOf(const json& doc);

}  // namespace

Result<DockerEvent> ParseDockerEvent(std::string_view line) {
  ASSIGN_OR_RETURN(json doc, ParseEventLine(line));
  if (std::optional<std::string> type = StringMember(doc, "Type"); type && *type != "container") {
    return Status::Internal("docker: not a container event: " + *type);
  }
  return EventOf(doc);
}

Result<std::optional<DockerEvent>> ParseStackEvent(std::string_view line, std::string_view stack) {
  ASSIGN_OR_RETURN(json doc, ParseEventLine(line));
  const std::string type = StringMember(doc, "Type").value_or("container");
  const json& attributes = ObjectMemberOrNull(ObjectMemberOrNull(doc, "Actor"), "Attributes");
  if (type == "container") {
    if (StringMember(attributes, kStackLabel).value_or("") != stack)
      return std::optional<DockerEvent>();
    const std::string service =
        StackServiceName(stack, StringMember(attributes, kSwarmServiceNameLabel).value_or(""));
    if (service.empty()) return std::optional<DockerEvent>();
    ASSIGN_OR_RETURN(DockerEvent event, EventOf(doc));
    // A task's container is removed with the task history, not when its service is reset.
    if (event.action == "destroy") return std::optional<DockerEvent>();
    event.service = service;
    event.project = std::string(stack);
    // The swarm provider's Logs and Evidence take the service id.
    event.container_id = StringMember(attributes, kSwarmServiceIdLabel).value_or("");
    if (event.container_id.empty()) return std::optional<DockerEvent>();
    return std::optional<DockerEvent>(std::move(event));
  }
  if (type != "service") return std::optional<DockerEvent>();
  const std::string name = StringMember(attributes, "name").value_or("");
  const std::string service = StackServiceName(stack, name);
  if (service.empty()) return std::optional<DockerEvent>();
  ASSIGN_OR_RETURN(DockerEvent event, EventOf(doc));
  event.action = "service_" + event.action;
  event.service = service;
  event.project = std::string(stack);
  event.container_name = name;
  return std::optional<DockerEvent>(std::move(event));
}

namespace {

Result<DockerEvent> EventOf(const json& doc) {
  std::optional<std::string> raw_action = StringMember(doc, "Action");
  if (!raw_action || raw_action->empty()) raw_action = StringMember(doc, "status");
  if (!raw_action || raw_action->empty()) return Status::Internal("docker: event without action");

  const json& actor = ObjectMemberOrNull(doc, "Actor");
  const json& attributes = ObjectMemberOrNull(actor, "Attributes");
  std::optional<std::string> id = StringMember(actor, "ID");
  if (!id || id->empty()) id = StringMember(doc, "id");
  if (!id || id->empty()) return Status::Internal("docker: event without container id");

  DockerEvent event;
  std::string_view action_text = *raw_action;
  std::size_t colon = action_text.find(':');
  event.action = std::string(Trim(action_text.substr(0, colon)));
  if (event.action.empty()) return Status::Internal("docker: event without action");
  if (event.action == "health_status" && colon != std::string_view::npos) {
    event.health = std::string(Trim(action_text.substr(colon + 1)));
  }
  event.container_id = std::move(*id);
  event.container_name = StringMember(attributes, "name").value_or("");
  if (!event.container_name.empty() && event.container_name.front() == '/') {
    event.container_name.erase(0, 1);
  }
  event.service = StringMember(attributes, kServiceLabel).value_or("");
  event.project = StringMember(attributes, kProjectLabel).value_or("");
  if (event.action == "die") {
    if (std::optional<std::string> code = StringMember(attributes, "exitCode")) {
      event.exit_code = ParseInt(*code);
    }
  }
  if (std::optional<std::int64_t> nano = IntMember(doc, "timeNano")) {
    event.time_nano = *nano;
  } else if (std::optional<std::int64_t> seconds = IntMember(doc, "time")) {
    // A legacy seconds field beyond what nanoseconds can hold is nonsense: no time.
    const std::int64_t limit = std::numeric_limits<std::int64_t>::max() / kNanosPerSecond;
    if (*seconds <= limit && *seconds >= -limit) event.time_nano = *seconds * kNanosPerSecond;
  }
  event.time =
      TimePoint(std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(event.time_nano)));
  return event;
}

}  // namespace

bool IsExecAction(std::string_view action) { return action.substr(0, 5) == "exec_"; }

std::string EventsFilter(std::string_view project) {
  json filter = {{"type", json::array({"container"})}};
  if (!project.empty()) {
    filter["label"] = json::array({std::string(kProjectLabel) + "=" + std::string(project)});
  }
  return filter.dump();
}

std::string UnixSecondsWithNanos(std::int64_t time_nano) {
  char text[48];
  std::snprintf(text, sizeof(text), "%lld.%09lld",
                static_cast<long long>(time_nano / kNanosPerSecond),
                static_cast<long long>(time_nano % kNanosPerSecond));
  return text;
}

std::string StackEventsFilter() { return json{{"type", {"container", "service"}}}.dump(); }

std::string EventsTarget(std::string_view project, std::int64_t since_nano, bool swarm_stack) {
  std::string target = "/v" + std::string(kMaxTestedDockerApi) + "/events?filters=" +
                       PercentEncode(swarm_stack ? StackEventsFilter() : EventsFilter(project));
  if (since_nano > 0) target += "&since=" + UnixSecondsWithNanos(since_nano);
  return target;
}

void LineSplitter::Append(std::string_view data,
                          const std::function<void(std::string_view)>& on_line) {
  while (!data.empty()) {
    std::size_t newline = data.find('\n');
    std::string_view piece = data.substr(0, newline);
    if (!discarding_) {
      if (partial_.size() + piece.size() > max_line_bytes_) {
        partial_.clear();
        discarding_ = true;
      } else {
        partial_.append(piece);
      }
    }
    if (newline == std::string_view::npos) return;
    data.remove_prefix(newline + 1);
    if (!discarding_) {
      std::string_view line = partial_;
      while (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF, or worse
      if (!line.empty()) on_line(line);
    }
    partial_.clear();
    discarding_ = false;
  }
}

void LineSplitter::Reset() {
  partial_.clear();
  discarding_ = false;
}

}  // namespace madre
