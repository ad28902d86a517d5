#include "adapters/swarm/swarm_parse.h"

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <utility>

#include "adapters/docker/json_members.h"

namespace madre {
namespace {

using docker_json::IntMember;
using docker_json::StringMember;
using nlohmann::json;

const json* Member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const json* Path(const json& object, std::initializer_list<std::string_view> keys) {
  const json* at = &object;
  for (std::string_view key : keys) {
    at = Member(*at, key);
    if (at == nullptr) return nullptr;
  }
  return at;
}

std::optional<TimePoint> TimeMember(const json& object, std::string_view key) {
  std::optional<std::string> text = StringMember(object, key);
  if (!text) return std::nullopt;
  return ParseRfc3339(*text);
}

Result<json> ParseJson(std::string_view text, const char* what) {
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Status::Internal(std::string("docker: ") + what +
                            " is not JSON: " + std::string(text.substr(0, 120)));
  }
  return doc;
}

Result<SwarmService> ServiceFromJson(const json& object) {
  SwarmService service;
  std::optional<std::string> id = StringMember(object, "ID");
  const json* spec = Member(object, "Spec");
  if (!id || spec == nullptr || !spec->is_object()) {
    return Status::Internal("docker: a service without ID or Spec");
  }
  service.id = *id;
  std::optional<std::string> name = StringMember(*spec, "Name");
  if (!name) return Status::Internal("docker: service " + *id + " has no Spec.Name");
  service.name = *name;
  const json* version = Member(object, "Version");
  std::optional<std::int64_t> index = version ? IntMember(*version, "Index") : std::nullopt;
  if (!index || *index < 0) return Status::Internal("docker: service " + *name + " has no version");
  service.version = static_cast<std::uint64_t>(*index);
  if (const json* labels = Member(*spec, "Labels"); labels != nullptr && labels->is_object()) {
    for (const auto& [key, value] : labels->items()) {
      if (value.is_string()) service.labels[key] = value.get<std::string>();
    }
  }
  const json* mode = Member(*spec, "Mode");
  if (const json* replicated = mode ? Member(*mode, "Replicated") : nullptr) {
    service.mode = SwarmMode::kReplicated;
    service.replicas = IntMember(*replicated, "Replicas").value_or(1);
  } else if (mode != nullptr && Member(*mode, "Global") != nullptr) {
    service.mode = SwarmMode::kGlobal;
  } else {
    service.mode = SwarmMode::kOther;  // ReplicatedJob, GlobalJob
  }
  if (const json* test = Path(*spec, {"TaskTemplate", "ContainerSpec", "Healthcheck", "Test"});
      test != nullptr && test->is_array() && !test->empty()) {
    service.has_healthcheck = !((*test)[0].is_string() && (*test)[0] == "NONE");
  }
  if (const json* task_template = Member(*spec, "TaskTemplate")) {
    service.force_update = IntMember(*task_template, "ForceUpdate").value_or(0);
    if (const json* container = Member(*task_template, "ContainerSpec")) {
      service.image = StringMember(*container, "Image").value_or("");
    }
  }
  service.updated_at = TimeMember(object, "UpdatedAt");
  if (const json* status = Member(object, "ServiceStatus"); status != nullptr) {
    service.running_tasks = IntMember(*status, "RunningTasks");
    service.desired_tasks = IntMember(*status, "DesiredTasks");
  }
  return service;
}

}  // namespace

Result<SwarmService> ParseSwarmService(std::string_view text) {
  ASSIGN_OR_RETURN(json doc, ParseJson(text, "service answer"));
  if (!doc.is_object()) return Status::Internal("docker: a service answer is not an object");
  return ServiceFromJson(doc);
}

std::optional<std::string> ComposeServiceName(std::string_view stack, std::string_view name) {
  if (stack.empty() || name.size() <= stack.size() + 1) return std::nullopt;
  if (name.substr(0, stack.size()) != stack || name[stack.size()] != '_') return std::nullopt;
  return std::string(name.substr(stack.size() + 1));
}

Result<std::vector<SwarmService>> ParseStackServices(std::string_view text,
                                                     std::string_view stack) {
  ASSIGN_OR_RETURN(json doc, ParseJson(text, "service list"));
  if (!doc.is_array()) return Status::Internal("docker: the service list is not an array");
  std::vector<SwarmService> out;
  for (const json& item : doc) {
    ASSIGN_OR_RETURN(SwarmService service, ServiceFromJson(item));
    auto label = service.labels.find(std::string(kStackNamespaceLabel));
    if (label == service.labels.end() || label->second != stack) continue;
    if (!ComposeServiceName(stack, service.name)) continue;
    if (!service.running_tasks || !service.desired_tasks) {
      return Status::Internal("docker: service " + service.name +
                              " has no ServiceStatus (needs Engine API >= 1.41 and status=true)");
    }
    out.push_back(std::move(service));
  }
  std::sort(out.begin(), out.end(),
            [](const SwarmService& a, const SwarmService& b) { return a.name < b.name; });
  return out;
}

Result<std::vector<SwarmTask>> ParseTasks(std::string_view text) {
  ASSIGN_OR_RETURN(json doc, ParseJson(text, "task list"));
  if (!doc.is_array()) return Status::Internal("docker: the task list is not an array");
  std::vector<SwarmTask> out;
  for (const json& item : doc) {
    const json* status = Member(item, "Status");
    std::optional<std::string> id = StringMember(item, "ID");
    if (!id || status == nullptr || !status->is_object()) {
      return Status::Internal("docker: a task without ID or Status");
    }
    SwarmTask task;
    task.id = *id;
    task.service_id = StringMember(item, "ServiceID").value_or("");
    task.slot = IntMember(item, "Slot").value_or(0);
    task.node_id = StringMember(item, "NodeID").value_or("");
    task.state = StringMember(*status, "State").value_or("");
    if (task.state.empty()) return Status::Internal("docker: task " + *id + " has no state");
    task.desired_state = StringMember(item, "DesiredState").value_or("");
    task.message = StringMember(*status, "Message").value_or("");
    task.err = StringMember(*status, "Err").value_or("");
    if (const json* container = Member(*status, "ContainerStatus")) {
      if (std::optional<std::int64_t> code = IntMember(*container, "ExitCode")) {
        task.exit_code = static_cast<int>(*code);
      }
      task.container_id = StringMember(*container, "ContainerID").value_or("");
    }
    task.created_at = TimeMember(item, "CreatedAt");
    task.status_at = TimeMember(*status, "Timestamp");
    out.push_back(std::move(task));
  }
  return out;
}

Result<std::vector<SwarmNode>> ParseNodes(std::string_view text) {
  ASSIGN_OR_RETURN(json doc, ParseJson(text, "node list"));
  if (!doc.is_array()) return Status::Internal("docker: the node list is not an array");
  std::vector<SwarmNode> out;
  for (const json& item : doc) {
    std::optional<std::string> id = StringMember(item, "ID");
    if (!id || id->empty()) return Status::Internal("docker: a node without ID");
    SwarmNode node;
    node.id = *id;
    if (const json* description = Member(item, "Description")) {
      node.hostname = StringMember(*description, "Hostname").value_or("");
    }
    if (const json* status = Member(item, "Status")) {
      node.state = StringMember(*status, "State").value_or("");
    }
    if (const json* spec = Member(item, "Spec")) {
      node.availability = StringMember(*spec, "Availability").value_or("");
    }
    out.push_back(std::move(node));
  }
  return out;
}

namespace {

Result<json> SpecOf(std::string_view inspect_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(inspect_json, "service answer"));
  const json* spec = Member(doc, "Spec");
  if (spec == nullptr || !spec->is_object()) {
    return Status::Internal("docker: the service answer has no Spec");
  }
  return *spec;
}

}  // namespace

Result<std::string> ScaleSpecBody(std::string_view inspect_json, std::int64_t replicas,
                                  std::optional<std::int64_t> replicas_label) {
  if (replicas < 0) return Status::InvalidArgument("a replica count cannot be negative");
  ASSIGN_OR_RETURN(json spec, SpecOf(inspect_json));
  const std::string name = StringMember(spec, "Name").value_or("?");
  json* mode = spec.contains("Mode") ? &spec["Mode"] : nullptr;
  if (mode == nullptr || !mode->is_object() || !mode->contains("Replicated") ||
      !(*mode)["Replicated"].is_object()) {
    return Status::FailedPrecondition("service " + name +
                                      " is not in replicated mode (global services cannot be "
                                      "scaled by madre's windows)");
  }
  (*mode)["Replicated"]["Replicas"] = replicas;
  if (replicas_label) {
    if (!spec.contains("Labels") || !spec["Labels"].is_object()) spec["Labels"] = json::object();
    spec["Labels"][std::string(kReplicasLabel)] = std::to_string(*replicas_label);
  }
  return spec.dump();
}

Result<std::string> ForceUpdateSpecBody(std::string_view inspect_json) {
  ASSIGN_OR_RETURN(json spec, SpecOf(inspect_json));
  if (!spec.contains("TaskTemplate") || !spec["TaskTemplate"].is_object()) {
    return Status::Internal("docker: the service's Spec has no TaskTemplate");
  }
  json& task_template = spec["TaskTemplate"];
  const std::int64_t force = IntMember(task_template, "ForceUpdate").value_or(0);
  task_template["ForceUpdate"] = force + 1;
  return spec.dump();
}

std::string TaskServiceFilter(const std::vector<std::string>& service_ids) {
  return json{{"service", service_ids}}.dump();
}

std::string StackLabelFilter(std::string_view stack) {
  return json{{"label", {std::string(kStackNamespaceLabel) + "=" + std::string(stack)}}}.dump();
}

std::int64_t RestoreReplicas(const SwarmService& service) {
  auto it = service.labels.find(std::string(kReplicasLabel));
  if (it != service.labels.end()) {
    std::int64_t n = 0;
    const std::string& text = it->second;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (error == std::errc() && end == text.data() + text.size() && n >= 1 && n <= 1000) return n;
  }
  return service.replicas >= 1 ? service.replicas : 1;
}

bool IsOutOfSequence(long http_status, std::string_view body) {
  if (http_status != 500 && http_status != 409) return false;
  return body.find("update out of sequence") != std::string_view::npos;
}

}  // namespace madre
