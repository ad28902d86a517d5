#include "adapters/compose/compose_parsers.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cmath>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "adapters/compose/compose_argv.h"

namespace madre {
namespace {

using Json = nlohmann::json;

constexpr int kDefaultStopGraceSec = 10;
constexpr std::size_t kSnippetBytes = 80;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// A short, printable excerpt of untrusted text for an error message.
std::string Snippet(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kSnippetBytes)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > kSnippetBytes) out += "...";
  return out;
}

std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

// Lines that compose (v1 and v2) or the docker CLI print on stderr around the
// document, which the process runner interleaves with stdout. Matched at
// column 0 only, where a document line never starts like this.
bool IsDiagnosticLine(std::string_view line) {
  static constexpr std::string_view kPrefixes[] = {
      "WARNING:", "WARNING ", "WARN[", "WARN ", "time=\"", "level=", "Error: No such object",
  };
  for (std::string_view prefix : kPrefixes) {
    if (StartsWith(line, prefix)) return true;
  }
  return false;
}

std::string WithoutDiagnostics(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::string_view line : SplitLines(text)) {
    if (IsDiagnosticLine(line)) continue;
    out.append(line);
    out += '\n';
  }
  return out;
}

Result<Json> ParseJsonDocument(std::string_view text, std::string_view what) {
  Json doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return Status::InvalidArgument(std::string(what) +
                                   " is not valid JSON: " + Snippet(Trim(text)));
  }
  return doc;
}

// Scalars as compose means them: YAML gives every scalar as a string.
std::optional<std::string> ScalarString(const Json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  if (j.is_number_integer()) return std::to_string(j.get<std::int64_t>());
  if (j.is_number()) return j.dump();
  if (j.is_null()) return std::string();
  return std::nullopt;
}

bool Truthy(const Json& j) {
  if (j.is_boolean()) return j.get<bool>();
  if (j.is_string()) {
    const std::string v = Lower(j.get<std::string>());
    return v == "true" || v == "yes" || v == "on" || v == "1";
  }
  return false;
}

std::optional<int> IntField(const Json& object, const char* key) {
  if (!object.is_object()) return std::nullopt;
  auto it = object.find(key);
  if (it == object.end()) return std::nullopt;
  if (it->is_number_integer()) {
    const std::int64_t v = it->get<std::int64_t>();
    return static_cast<int>(std::clamp<std::int64_t>(v, INT_MIN, INT_MAX));
  }
  if (it->is_number()) {
    // A float (or an integer too large for 64 bits) is clamped before the cast: a cast of an
    // out-of-range double is undefined.
    const double v = it->get<double>();
    if (std::isnan(v)) return std::nullopt;
    return static_cast<int>(std::clamp<double>(v, INT_MIN, INT_MAX));
  }
  return std::nullopt;
}

std::string StringField(const Json& object, const char* key) {
  if (!object.is_object()) return "";
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return "";
  return it->get<std::string>();
}

Status ServiceError(const std::string& service, const std::string& what) {
  return Status::InvalidArgument("compose service '" + service + "': " + what);
}

Result<std::vector<std::string>> StringList(const Json& j, const std::string& service,
                                            const char* field) {
  std::vector<std::string> out;
  if (j.is_null()) return out;
  if (!j.is_array()) return ServiceError(service, std::string(field) + " must be a list");
  for (const Json& item : j) {
    if (!item.is_string()) {
      return ServiceError(service, std::string(field) + " must hold strings");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::vector<std::string>> DependsOn(const Json& j, const std::string& service) {
  std::set<std::string> names;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) names.insert(it.key());
  } else {
    ASSIGN_OR_RETURN(std::vector<std::string> list, StringList(j, service, "depends_on"));
    names.insert(list.begin(), list.end());
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::map<std::string, std::string>> Labels(const Json& j, const std::string& service) {
  std::map<std::string, std::string> labels;
  if (j.is_object()) {
    for (auto it = j.begin(); it != j.end(); ++it) {
      std::optional<std::string> value = ScalarString(*it);
      if (!value) return ServiceError(service, "label '" + it.key() + "' is not a scalar");
      labels[it.key()] = *value;
    }
    return labels;
  }
  ASSIGN_OR_RETURN(std::vector<std::string> list, StringList(j, service, "labels"));
  for (const std::string& item : list) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos) {
      labels[item] = "";
    } else {
      labels[item.substr(0, eq)] = item.substr(eq + 1);
    }
  }
  return labels;
}

bool HasHealthcheck(const Json& j) {
  if (!j.is_object()) return false;
  if (auto it = j.find("disable"); it != j.end() && Truthy(*it)) return false;
  if (auto it = j.find("test"); it != j.end()) {
    if (it->is_array() && !it->empty() && (*it)[0].is_string() &&
        (*it)[0].get<std::string>() == "NONE") {
      return false;
    }
    if (it->is_string() && Trim(it->get<std::string>()) == "NONE") return false;
  }
  return true;
}

// `build:` as `compose config` prints it: a map with an absolute `context` and a `dockerfile`
// relative to it (v1 leaves it out for the default), or the short form (a string: the context).
// A relative context (never printed by `config`, which resolves it) is kept as it is.
Result<BuildDef> BuildFromJson(const Json& j, const std::string& service) {
  BuildDef build;
  std::string dockerfile = "Dockerfile";
  if (j.is_string()) {
    build.context = j.get<std::string>();
  } else if (j.is_object()) {
    auto context = j.find("context");
    if (context != j.end() && !context->is_null()) {
      if (!context->is_string()) return ServiceError(service, "build.context must be a string");
      build.context = context->get<std::string>();
    }
    auto file = j.find("dockerfile");
    if (file != j.end() && !file->is_null()) {
      if (!file->is_string()) return ServiceError(service, "build.dockerfile must be a string");
      dockerfile = file->get<std::string>();
    }
  } else {
    return ServiceError(service, "build must be a string or a map");
  }
  if (build.context.empty()) build.context = ".";
  if (!dockerfile.empty() && dockerfile.front() == '/') {
    build.dockerfile = dockerfile;
  } else {
    build.dockerfile =
        (std::filesystem::path(build.context) / dockerfile).lexically_normal().string();
  }
  return build;
}

Result<ServiceDef> ServiceFromJson(const std::string& name, const Json& j) {
  if (!IsValidServiceName(name)) {
    return Status::InvalidArgument("compose service name '" + Snippet(name) +
                                   "' is not a valid service name");
  }
  ServiceDef def;
  def.name = name;
  if (j.is_null()) return def;
  if (!j.is_object()) return ServiceError(name, "definition must be a map");
  if (auto it = j.find("depends_on"); it != j.end()) {
    ASSIGN_OR_RETURN(def.depends_on, DependsOn(*it, name));
  }
  if (auto it = j.find("labels"); it != j.end()) {
    ASSIGN_OR_RETURN(def.labels, Labels(*it, name));
  }
  if (auto it = j.find("healthcheck"); it != j.end()) def.has_healthcheck = HasHealthcheck(*it);
  if (auto it = j.find("profiles"); it != j.end()) {
    ASSIGN_OR_RETURN(def.profiles, StringList(*it, name, "profiles"));
  }
  if (auto it = j.find("container_name"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return ServiceError(name, "container_name must be a string");
    def.container_name = it->get<std::string>();
  }
  def.stop_grace_sec = kDefaultStopGraceSec;
  if (auto it = j.find("stop_grace_period"); it != j.end() && !it->is_null()) {
    std::optional<int> seconds;
    if (it->is_string()) {
      seconds = ParseComposeDurationSec(it->get<std::string>());
    } else if (it->is_number() && it->get<double>() >= 0 && it->get<double>() < INT_MAX) {
      seconds = static_cast<int>(std::ceil(it->get<double>()));
    }
    if (!seconds) return ServiceError(name, "stop_grace_period is not a duration: " + it->dump());
    def.stop_grace_sec = *seconds;
  }
  if (auto it = j.find("build"); it != j.end() && !it->is_null()) {
    ASSIGN_OR_RETURN(def.build, BuildFromJson(*it, name));
  }
  if (auto it = j.find("image"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return ServiceError(name, "image must be a string");
    def.image = it->get<std::string>();
  }
  return def;
}

Result<ServiceModel> ModelFromJson(const Json& doc) {
  if (!doc.is_object()) return Status::InvalidArgument("compose config is not a map");
  auto services = doc.find("services");
  if (services == doc.end()) return Status::InvalidArgument("compose config has no 'services'");
  ServiceModel model;
  if (services->is_null()) return model;
  if (!services->is_object()) {
    return Status::InvalidArgument("compose config 'services' is not a map");
  }
  for (auto it = services->begin(); it != services->end(); ++it) {
    ASSIGN_OR_RETURN(ServiceDef def, ServiceFromJson(it.key(), it.value()));
    model.services.emplace(it.key(), std::move(def));
  }
  return model;
}

// YAML scalars become JSON strings (compose's YAML has no reliable typing), so
// the JSON path above serves both formats. Nesting past kMaxYamlDepth (never
// seen in compose output; possible with alias loops) is dropped.
constexpr int kMaxYamlDepth = 64;

Json YamlToJson(const YAML::Node& node, int depth = 0) {
  if (depth > kMaxYamlDepth) return nullptr;
  switch (node.Type()) {
    case YAML::NodeType::Map: {
      Json object = Json::object();
      for (const auto& entry : node)
        object[entry.first.Scalar()] = YamlToJson(entry.second, depth + 1);
      return object;
    }
    case YAML::NodeType::Sequence: {
      Json array = Json::array();
      for (const auto& item : node) array.push_back(YamlToJson(item, depth + 1));
      return array;
    }
    case YAML::NodeType::Scalar:
      return node.Scalar();
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return nullptr;
  }
  return nullptr;
}

// "Up 2 minutes (healthy)", "Exited (3) 5 seconds ago", "Created", ...
struct StatusText {
  std::string state;
  std::string health;
  std::optional<int> exit_code;
};

StatusText ParseStatusText(std::string_view text) {
  StatusText out;
  const std::string s = Lower(Trim(text));
  if (StartsWith(s, "up")) {
    out.state = s.find("(paused)") != std::string::npos ? "paused" : "running";
  } else if (StartsWith(s, "exited")) {
    out.state = "exited";
  } else if (StartsWith(s, "restarting")) {
    out.state = "restarting";
  } else if (StartsWith(s, "created")) {
    out.state = "created";
  } else if (StartsWith(s, "dead")) {
    out.state = "dead";
  } else if (StartsWith(s, "removal")) {
    out.state = "removing";
  }
  if (s.find("(unhealthy)") != std::string::npos) {
    out.health = "unhealthy";
  } else if (s.find("(healthy)") != std::string::npos) {
    out.health = "healthy";
  } else if (s.find("(health: starting)") != std::string::npos) {
    out.health = "starting";
  }
  if (out.state == "exited") {
    const std::size_t open = s.find('(');
    if (open != std::string::npos) {
      int code = 0;
      bool digits = false;
      std::size_t i = open + 1;
      const bool negative = i < s.size() && s[i] == '-';
      if (negative) ++i;
      for (; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && code < 100000; ++i) {
        code = code * 10 + (s[i] - '0');
        digits = true;
      }
      if (digits) out.exit_code = negative ? -code : code;
    }
  }
  return out;
}

// "running", or older spellings like "Running" / "running(2)".
std::string NormalizeState(std::string_view state) {
  std::string out;
  for (char c : Lower(Trim(state))) {
    if (c < 'a' || c > 'z') break;
    out += c;
  }
  return out;
}

bool Terminated(const std::string& state) { return state == "exited" || state == "dead"; }

Result<ContainerState> ContainerFromPs(const Json& j) {
  if (!j.is_object()) return Status::InvalidArgument("compose ps entry is not an object");
  ContainerState c;
  c.service = StringField(j, "Service");
  c.container = StringField(j, "Name");
  if (c.container.empty()) {
    if (auto it = j.find("Names"); it != j.end()) {
      if (it->is_string()) c.container = it->get<std::string>();
      if (it->is_array() && !it->empty() && (*it)[0].is_string()) {
        c.container = (*it)[0].get<std::string>();
      }
    }
  }
  c.id = StringField(j, "ID");
  if (c.id.empty()) c.id = StringField(j, "Id");
  const StatusText status = ParseStatusText(StringField(j, "Status"));
  c.state = NormalizeState(StringField(j, "State"));
  if (c.state.empty()) c.state = status.state;
  c.health = Lower(Trim(StringField(j, "Health")));
  if (c.health.empty()) c.health = status.health;
  if (Terminated(c.state)) {
    c.exit_code = IntField(j, "ExitCode");
    if (!c.exit_code) c.exit_code = status.exit_code;
  }
  return c;
}

Result<ContainerState> ContainerFromInspect(const Json& j) {
  if (!j.is_object()) return Status::InvalidArgument("docker inspect entry is not an object");
  ContainerState c;
  c.container = StringField(j, "Name");
  if (!c.container.empty() && c.container.front() == '/') c.container.erase(0, 1);
  c.id = StringField(j, "Id");
  c.restart_count = IntField(j, "RestartCount").value_or(0);
  if (auto state = j.find("State"); state != j.end() && state->is_object()) {
    c.state = NormalizeState(StringField(*state, "Status"));
    if (auto health = state->find("Health"); health != state->end()) {
      c.health = Lower(StringField(*health, "Status"));
    }
    if (Terminated(c.state)) c.exit_code = IntField(*state, "ExitCode");
  }
  if (auto config = j.find("Config"); config != j.end() && config->is_object()) {
    if (auto labels = config->find("Labels"); labels != config->end()) {
      c.service = StringField(*labels, "com.docker.compose.service");
    }
  }
  return c;
}

template <typename Fn>
Result<std::vector<ContainerState>> ContainersFromArray(const Json& array, Fn from_one) {
  std::vector<ContainerState> out;
  for (const Json& item : array) {
    ASSIGN_OR_RETURN(ContainerState c, from_one(item));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace

std::optional<int> ParseComposeDurationSec(std::string_view text) {
  text = Trim(text);
  if (text.empty()) return std::nullopt;
  long double total_sec = 0;
  bool bare_number = true;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t number_start = i;
    while (i < text.size() &&
           (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
      ++i;
    }
    const std::string_view number = text.substr(number_start, i - number_start);
    if (number.empty() || number == "." || std::count(number.begin(), number.end(), '.') > 1 ||
        number.size() > 18) {
      return std::nullopt;
    }
    const long double value = std::stold(std::string(number));
    const std::size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) &&
           text[i] != '.') {
      ++i;
    }
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    long double scale = 0;
    if (unit.empty()) {
      if (unit_start != text.size() || !bare_number || number_start != 0) return std::nullopt;
      scale = 1;  // a bare number of seconds
    } else if (unit == "h") {
      scale = 3600;
    } else if (unit == "m") {
      scale = 60;
    } else if (unit == "s") {
      scale = 1;
    } else if (unit == "ms") {
      scale = 1e-3L;
    } else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs") {
      scale = 1e-6L;
    } else if (unit == "ns") {
      scale = 1e-9L;
    } else {
      return std::nullopt;
    }
    bare_number = false;
    total_sec += value * scale;
    if (total_sec > INT_MAX) return std::nullopt;
  }
  // Round up, but do not let binary fractions turn "1.0s" into 2.
  return static_cast<int>(std::ceil(total_sec - 1e-9L));
}

Result<ServiceModel> ParseConfigJson(std::string_view text) {
  try {
    const std::string cleaned = WithoutDiagnostics(text);
    ASSIGN_OR_RETURN(Json doc, ParseJsonDocument(cleaned, "compose config"));
    return ModelFromJson(doc);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("cannot read compose config JSON: ") + e.what());
  }
}

Result<ServiceModel> ParseConfigYaml(std::string_view text) {
  try {
    const std::string cleaned = WithoutDiagnostics(text);
    const YAML::Node root = YAML::Load(cleaned);
    if (!root.IsMap()) {
      return Status::InvalidArgument("compose config YAML is not a map: " + Snippet(Trim(text)));
    }
    return ModelFromJson(YamlToJson(root));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("compose config is not valid YAML: ") + e.what());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("cannot read compose config YAML: ") + e.what());
  }
}

Result<std::vector<ContainerState>> ParsePsJson(std::string_view text) {
  try {
    const std::string cleaned = WithoutDiagnostics(text);
    const std::string_view body = Trim(cleaned);
    if (body.empty()) return std::vector<ContainerState>{};
    if (body.front() == '[') {  // Compose < 2.21: one array
      ASSIGN_OR_RETURN(Json doc, ParseJsonDocument(body, "compose ps output"));
      if (!doc.is_array()) return Status::InvalidArgument("compose ps output is not an array");
      return ContainersFromArray(doc, ContainerFromPs);
    }
    std::vector<ContainerState> out;  // Compose >= 2.21: one object per line
    for (std::string_view line : SplitLines(body)) {
      line = Trim(line);
      if (line.empty()) continue;
      ASSIGN_OR_RETURN(Json doc, ParseJsonDocument(line, "compose ps line"));
      ASSIGN_OR_RETURN(ContainerState c, ContainerFromPs(doc));
      out.push_back(std::move(c));
    }
    return out;
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("cannot read compose ps JSON: ") + e.what());
  }
}

Result<std::vector<ContainerState>> ParseInspectJson(std::string_view text) {
  try {
    const std::string cleaned = WithoutDiagnostics(text);
    const std::string_view body = Trim(cleaned);
    if (body.empty()) return std::vector<ContainerState>{};
    ASSIGN_OR_RETURN(Json doc, ParseJsonDocument(body, "docker inspect output"));
    if (!doc.is_array()) return Status::InvalidArgument("docker inspect output is not an array");
    return ContainersFromArray(doc, ContainerFromInspect);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("cannot read docker inspect JSON: ") + e.what());
  }
}

std::vector<std::string> ParseContainerIds(std::string_view text) {
  std::vector<std::string> ids;
  for (std::string_view line : SplitLines(text)) {
    line = Trim(line);
    if (IsContainerId(line)) ids.emplace_back(line);
  }
  return ids;
}

std::string BuiltImageName(ComposeFlavor flavor, std::string_view project,
                           std::string_view service) {
  const char separator = flavor == ComposeFlavor::kV1 ? '_' : '-';
  std::string name = Lower(project);
  name += separator;
  name += service;
  return name;
}

void NameBuiltImages(ServiceModel& model, ComposeFlavor flavor, std::string_view project) {
  for (auto& [name, def] : model.services) {
    if (def.build && def.image.empty()) def.image = BuiltImageName(flavor, project, name);
  }
}

}  // namespace madre
