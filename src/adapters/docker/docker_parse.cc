#include "adapters/docker/docker_parse.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>

#include "adapters/docker/json_members.h"

namespace madre {
namespace {

using docker_json::IntMember;
using docker_json::StringMember;
using nlohmann::json;

constexpr std::string_view kUnixScheme = "unix://";
constexpr std::string_view kServiceLabel = "com.docker.compose.service";
constexpr std::string_view kConfigHashLabel = "com.docker.compose.config-hash";

Result<json> ParseJson(std::string_view text, std::string_view what) {
  json doc = json::parse(text, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Status::Internal("docker: " + std::string(what) + " is not JSON");
  return doc;
}

const json* ObjectMember(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  if (it == object.end() || !it->is_object()) return nullptr;
  return &*it;
}

std::string LabelValue(const json* labels, std::string_view key) {
  if (labels == nullptr) return "";
  return StringMember(*labels, key).value_or("");
}

std::string StripSlash(std::string name) {
  if (!name.empty() && name.front() == '/') name.erase(0, 1);
  return name;
}

bool HasRunAndStopped(const std::string& state) {
  return state == "exited" || state == "dead" || state == "restarting";
}

Result<ContainerState> ContainerFromListEntry(const json& entry) {
  if (!entry.is_object()) return Status::Internal("docker: container list entry is not an object");
  ContainerState c;
  std::optional<std::string> id = StringMember(entry, "Id");
  std::optional<std::string> state = StringMember(entry, "State");
  if (!id || !state) return Status::Internal("docker: container list entry without Id or State");
  c.id = std::move(*id);
  c.state = std::move(*state);
  const json* labels = ObjectMember(entry, "Labels");
  c.service = LabelValue(labels, kServiceLabel);
  c.config_hash = LabelValue(labels, kConfigHashLabel);
  c.image_id = StringMember(entry, "ImageID").value_or("");
  auto names = entry.find("Names");
  if (names != entry.end() && names->is_array() && !names->empty() && names->front().is_string()) {
    c.container = StripSlash(names->front().get<std::string>());
  }
  c.health = ParseHealthFromStatus(StringMember(entry, "Status").value_or(""));
  return c;
}

struct ApiVersionNumber {
  int major = 0;
  int minor = 0;
  friend auto operator<=>(const ApiVersionNumber&, const ApiVersionNumber&) = default;
};

std::optional<ApiVersionNumber> ParseVersionNumber(std::string_view text) {
  ApiVersionNumber v;
  // from_chars accepts a sign; a version never has one.
  if (text.empty() || text.front() == '-' || text.front() == '+') return std::nullopt;
  if (const auto dot = text.find('.'); dot != std::string_view::npos && dot + 1 < text.size() &&
                                       (text[dot + 1] == '-' || text[dot + 1] == '+')) {
    return std::nullopt;
  }
  const char* end = text.data() + text.size();
  auto [dot, ec] = std::from_chars(text.data(), end, v.major);
  if (ec != std::errc() || dot == end || *dot != '.') return std::nullopt;
  auto [rest, ec2] = std::from_chars(dot + 1, end, v.minor);
  if (ec2 != std::errc() || rest != end) return std::nullopt;
  return v;
}

}  // namespace

Result<std::string> UnixSocketPathFromDockerHost(std::string_view docker_host) {
  if (docker_host.empty()) return std::string("/var/run/docker.sock");
  if (docker_host.substr(0, kUnixScheme.size()) != kUnixScheme) {
    return Status::Unavailable("only unix:// DOCKER_HOST is supported, got \"" +
                               std::string(docker_host) + "\"");
  }
  std::string path(docker_host.substr(kUnixScheme.size()));
  if (path.empty() || path.front() != '/') {
    return Status::InvalidArgument("DOCKER_HOST \"" + std::string(docker_host) +
                                   "\" does not name an absolute socket path");
  }
  return path;
}

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() * 3);
  for (char ch : text) {
    auto c = static_cast<unsigned char>(ch);
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

bool IsValidContainerRef(std::string_view ref) {
  if (ref.empty() || ref.size() > 256) return false;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    char c = ref[i];
    bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-'))) return false;
  }
  return true;
}

std::string ProjectLabelFilter(std::string_view project) {
  json filter = {{"label", json::array({"com.docker.compose.project=" + std::string(project),
                                        "com.docker.compose.oneoff=False"})}};
  return filter.dump();
}

Result<std::string> ParseApiVersion(std::string_view version_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(version_json, "the /version answer"));
  std::optional<std::string> version = StringMember(doc, "ApiVersion");
  if (!version) return Status::Internal("docker: /version answer without ApiVersion");
  return *version;
}

std::string ChooseApiVersion(std::string_view server_version) {
  std::optional<ApiVersionNumber> server = ParseVersionNumber(server_version);
  std::optional<ApiVersionNumber> tested = ParseVersionNumber(kMaxTestedDockerApi);
  if (!server || !tested || *server > *tested) return std::string(kMaxTestedDockerApi);
  return std::to_string(server->major) + "." + std::to_string(server->minor);
}

std::string ParseHealthFromStatus(std::string_view status_text) {
  // Order matters: "(unhealthy)" contains "healthy)".
  if (status_text.find("(health: starting)") != std::string_view::npos) return "starting";
  if (status_text.find("(unhealthy)") != std::string_view::npos) return "unhealthy";
  if (status_text.find("(healthy)") != std::string_view::npos) return "healthy";
  return "";
}

Result<std::vector<ContainerState>> ParseContainerList(std::string_view list_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(list_json, "the container list"));
  if (!doc.is_array()) return Status::Internal("docker: the container list is not an array");
  std::vector<ContainerState> out;
  out.reserve(doc.size());
  for (const json& entry : doc) {
    ASSIGN_OR_RETURN(ContainerState c, ContainerFromListEntry(entry));
    out.push_back(std::move(c));
  }
  return out;
}

Result<ContainerState> ParseInspect(std::string_view inspect_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(inspect_json, "the container inspect answer"));
  const json* state = ObjectMember(doc, "State");
  std::optional<std::string> id = StringMember(doc, "Id");
  if (!id || state == nullptr)
    return Status::Internal("docker: inspect answer without Id or State");
  std::optional<std::string> status = StringMember(*state, "Status");
  if (!status) return Status::Internal("docker: inspect answer without State.Status");

  ContainerState c;
  c.id = std::move(*id);
  c.state = std::move(*status);
  c.container = StripSlash(StringMember(doc, "Name").value_or(""));
  const json* config = ObjectMember(doc, "Config");
  const json* labels = config != nullptr ? ObjectMember(*config, "Labels") : nullptr;
  c.service = LabelValue(labels, kServiceLabel);
  c.config_hash = LabelValue(labels, kConfigHashLabel);
  c.image_id = StringMember(doc, "Image").value_or("");
  if (const json* health = ObjectMember(*state, "Health"); health != nullptr) {
    c.health = StringMember(*health, "Status").value_or("");
    c.health_failing_streak = static_cast<int>(IntMember(*health, "FailingStreak").value_or(0));
    if (auto log = health->find("Log"); log != health->end() && log->is_array() && !log->empty()) {
      if (std::optional<std::int64_t> code = IntMember(log->back(), "ExitCode"))
        c.health_last_exit = static_cast<int>(*code);
    }
  }
  c.restart_count = static_cast<int>(IntMember(doc, "RestartCount").value_or(0));
  c.started_at = StringMember(*state, "StartedAt").value_or("");
  if (HasRunAndStopped(c.state)) {
    if (std::optional<std::int64_t> code = IntMember(*state, "ExitCode")) {
      c.exit_code = static_cast<int>(*code);
    }
  }
  return c;
}

Result<FailureEvidence> ParseFailureEvidence(std::string_view inspect_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(inspect_json, "the container inspect answer"));
  const json* state = ObjectMember(doc, "State");
  if (!StringMember(doc, "Id") || state == nullptr) {
    return Status::Internal("docker: inspect answer without Id or State");
  }
  FailureEvidence e;
  const json* config = ObjectMember(doc, "Config");
  e.service =
      LabelValue(config != nullptr ? ObjectMember(*config, "Labels") : nullptr, kServiceLabel);
  e.image = config != nullptr ? StringMember(*config, "Image").value_or("") : "";
  if (config != nullptr) {
    if (auto env = config->find("Env"); env != config->end() && env->is_array()) {
      for (const json& entry : *env) {
        if (!entry.is_string()) continue;
        const std::string& text = entry.get_ref<const std::string&>();
        const std::size_t eq = text.find('=');
        if (eq != std::string::npos && eq + 1 < text.size())
          e.env_values.push_back(text.substr(eq + 1));
      }
    }
  }
  e.state = StringMember(*state, "Status").value_or("");
  e.error = StringMember(*state, "Error").value_or("");
  e.oom_killed = state->value("OOMKilled", false);
  if (HasRunAndStopped(e.state) || !e.error.empty()) {
    if (std::optional<std::int64_t> code = IntMember(*state, "ExitCode")) {
      e.exit_code = static_cast<int>(*code);
    }
  }
  if (const json* health = ObjectMember(*state, "Health"); health != nullptr) {
    e.health = StringMember(*health, "Status").value_or("");
    if (auto log = health->find("Log"); log != health->end() && log->is_array()) {
      const std::size_t from = log->size() > 3 ? log->size() - 3 : 0;
      for (std::size_t i = from; i < log->size(); ++i) {
        std::string out = StringMember((*log)[i], "Output").value_or("");
        while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
        e.health_log.push_back(std::move(out));
      }
    }
  }
  if (auto mounts = doc.find("Mounts"); mounts != doc.end() && mounts->is_array()) {
    for (const json& m : *mounts) {
      if (m.is_object() && StringMember(m, "Type").value_or("") == "bind") {
        e.mounts.push_back(StringMember(m, "Source").value_or("") + ":" +
                           StringMember(m, "Destination").value_or(""));
      }
    }
  }
  return e;
}

Result<HealthcheckConfig> ParseHealthcheckConfig(std::string_view inspect_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(inspect_json, "the container inspect answer"));
  const json* config = ObjectMember(doc, "Config");
  if (!StringMember(doc, "Id") || config == nullptr)
    return Status::Internal("docker: inspect answer without Id or Config");
  HealthcheckConfig out;
  const json* health = ObjectMember(*config, "Healthcheck");
  if (health == nullptr) return out;
  if (auto it = health->find("Test"); it != health->end() && it->is_array()) {
    for (const json& arg : *it) {
      if (!arg.is_string()) return Status::Internal("docker: Config.Healthcheck.Test not strings");
      out.test.push_back(arg.get<std::string>());
    }
  }
  auto nanos = [&](std::string_view key, Duration fallback) {
    const std::int64_t ns = IntMember(*health, key).value_or(0);
    return ns > 0 ? std::chrono::duration_cast<Duration>(std::chrono::nanoseconds(ns)) : fallback;
  };
  out.interval = nanos("Interval", out.interval);
  out.timeout = nanos("Timeout", out.timeout);
  out.start_period = nanos("StartPeriod", out.start_period);
  if (const std::int64_t retries = IntMember(*health, "Retries").value_or(0); retries > 0)
    out.retries = static_cast<int>(std::min<std::int64_t>(retries, 1'000'000));
  return out;
}

std::string ExecCreateBody(const std::vector<std::string>& argv) {
  json body = {{"AttachStdin", false},
               {"AttachStdout", false},
               {"AttachStderr", false},
               {"Tty", false},
               {"Cmd", argv}};
  return body.dump();
}

Result<std::string> ParseExecCreated(std::string_view body) {
  ASSIGN_OR_RETURN(json doc, ParseJson(body, "the exec create answer"));
  std::optional<std::string> id = StringMember(doc, "Id");
  if (!id || id->empty()) return Status::Internal("docker: exec create answer without Id");
  return *id;
}

Result<ExecProgress> ParseExecInspect(std::string_view body) {
  ASSIGN_OR_RETURN(json doc, ParseJson(body, "the exec inspect answer"));
  if (!doc.is_object()) return Status::Internal("docker: exec inspect answer is not an object");
  auto running = doc.find("Running");
  if (running == doc.end() || !running->is_boolean())
    return Status::Internal("docker: exec inspect answer without Running");
  ExecProgress out;
  out.running = running->get<bool>();
  if (!out.running) out.exit_code = static_cast<int>(IntMember(doc, "ExitCode").value_or(-1));
  return out;
}

std::string EngineErrorMessage(std::string_view body) {
  json doc = json::parse(body, nullptr, false);
  if (!doc.is_discarded()) {
    if (std::optional<std::string> message = StringMember(doc, "message")) return *message;
  }
  std::string text(body.substr(0, 512));
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

std::vector<std::string> LogLines(std::string_view text) {
  std::vector<std::string> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string line(text.substr(begin, end - begin));
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
    begin = end + 1;
  }
  return lines;
}

Result<std::string> DemuxDockerLogs(std::string_view raw) {
  auto is_header = [](std::string_view at) {
    return at.size() >= 8 && static_cast<unsigned char>(at[0]) <= 3 && at[1] == 0 && at[2] == 0 &&
           at[3] == 0;
  };
  if (raw.empty()) return std::string();
  if (!is_header(raw)) return std::string(raw);  // a TTY container: no framing
  std::string out;
  std::size_t pos = 0;
  while (pos < raw.size()) {
    std::string_view rest = raw.substr(pos);
    if (!is_header(rest)) {
      return Status::Internal("docker: malformed log frame header at byte " + std::to_string(pos));
    }
    std::uint32_t size = 0;
    for (int i = 4; i < 8; ++i) size = (size << 8) | static_cast<unsigned char>(rest[i]);
    if (rest.size() - 8 < size) {
      return Status::Internal("docker: log frame at byte " + std::to_string(pos) + " is cut short");
    }
    out.append(rest.substr(8, size));
    pos += 8 + static_cast<std::size_t>(size);
  }
  return out;
}

Result<ContainerStats> ParseStats(std::string_view body) {
  nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded() || !doc.is_object())
    return Status::Internal("docker: stats is not a JSON object");
  auto number = [](const nlohmann::json& j, std::initializer_list<const char*> path) -> double {
    const nlohmann::json* at = &j;
    for (const char* key : path) {
      if (!at->is_object() || !at->contains(key)) return 0;
      at = &(*at)[key];
    }
    return at->is_number() ? at->get<double>() : 0;
  };
  ContainerStats stats;
  const double cpu = number(doc, {"cpu_stats", "cpu_usage", "total_usage"});
  const double precpu = number(doc, {"precpu_stats", "cpu_usage", "total_usage"});
  const double system = number(doc, {"cpu_stats", "system_cpu_usage"});
  const double presystem = number(doc, {"precpu_stats", "system_cpu_usage"});
  double cpus = number(doc, {"cpu_stats", "online_cpus"});
  if (cpus <= 0 && doc.contains("cpu_stats") && doc["cpu_stats"].is_object() &&
      doc["cpu_stats"].contains("cpu_usage") && doc["cpu_stats"]["cpu_usage"].is_object() &&
      doc["cpu_stats"]["cpu_usage"].contains("percpu_usage") &&
      doc["cpu_stats"]["cpu_usage"]["percpu_usage"].is_array()) {
    cpus = static_cast<double>(doc["cpu_stats"]["cpu_usage"]["percpu_usage"].size());
  }
  if (cpus <= 0) cpus = 1;
  if (system > presystem && cpu >= precpu && presystem > 0) {
    stats.cpu_percent = (cpu - precpu) / (system - presystem) * cpus * 100.0;
  }
  const double usage = number(doc, {"memory_stats", "usage"});
  double cache = number(doc, {"memory_stats", "stats", "inactive_file"});   // cgroup v2
  if (cache <= 0) cache = number(doc, {"memory_stats", "stats", "cache"});  // cgroup v1
  stats.memory_bytes =
      usage > cache ? static_cast<std::uint64_t>(usage - cache) : static_cast<std::uint64_t>(usage);
  stats.memory_limit_bytes = static_cast<std::uint64_t>(number(doc, {"memory_stats", "limit"}));
  return stats;
}

bool IsValidImageRef(std::string_view ref) {
  if (ref.empty() || ref.size() > 255 || ref.front() == '-' || ref.front() == '/') return false;
  if (ref.find("..") != std::string_view::npos) return false;
  for (char c : ref) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-' || c == '/' || c == ':' || c == '@';
    if (!ok) return false;
  }
  return true;
}

Result<std::string> ParseImageId(std::string_view image_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(image_json, "the image inspect answer"));
  std::optional<std::string> id = StringMember(doc, "Id");
  if (!id || id->empty()) return Status::Internal("docker: image inspect answer without Id");
  return *id;
}

Result<std::int64_t> ParseNanoCpus(std::string_view inspect_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(inspect_json, "the inspect answer"));
  if (!doc.is_object()) return Status::Internal("docker: inspect answer is not an object");
  const json* host = ObjectMember(doc, "HostConfig");
  if (host == nullptr) return Status::Internal("docker: inspect answer without HostConfig");
  const std::int64_t nano = IntMember(*host, "NanoCpus").value_or(0);
  return nano < 0 ? 0 : nano;
}

Result<int> ParseHostCpus(std::string_view info_json) {
  ASSIGN_OR_RETURN(json doc, ParseJson(info_json, "the info answer"));
  if (!doc.is_object()) return Status::Internal("docker: info answer is not an object");
  std::optional<std::int64_t> cpus = IntMember(doc, "NCPU");
  if (!cpus || *cpus <= 0) return Status::Internal("docker: info answer without NCPU");
  return static_cast<int>(*cpus);
}

}  // namespace madre
