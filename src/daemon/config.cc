#include "daemon/config.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "base/text.h"
#include "core/intent.h"

extern char** environ;  // NOLINT(readability-redundant-declaration): POSIX, not in every header

namespace madre {

std::set<std::string> DaemonConfig::EffectiveAlwaysOn() const {
  std::set<std::string> out = always_on;
  if (core_mode) out.insert("tentaculo_link");
  return out;
}

std::set<std::string> DaemonConfig::EffectiveAllowlist(
    const std::set<std::string>& services) const {
  if (allowlist) return *allowlist;
  const std::set<std::string> always = EffectiveAlwaysOn();
  std::set<std::string> out;
  for (const auto& name : services) {
    if (!always.count(name)) out.insert(name);
  }
  return out;
}

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    out.emplace_back(*entry);
  }
  return out;
}

EnvLookup ProcessEnv() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value) return std::nullopt;
    return std::string(value);
  };
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(text);
  while (std::getline(in, item, ',')) {
    const auto b = item.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    const auto e = item.find_last_not_of(" \t");
    out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

Result<int> ParseIntSetting(const std::string& name, const std::string& value, int min, int max) {
  if (value.empty()) return Status::InvalidArgument(name + " is empty");
  std::size_t pos = 0;
  long long n = 0;
  try {
    n = std::stoll(value, &pos);
  } catch (...) {
    pos = 0;
  }
  if (pos != value.size())
    return Status::InvalidArgument(name + "=" + value + " is not an integer");
  if (n < min || n > max) {
    return Status::InvalidArgument(name + "=" + value + " is out of range [" + std::to_string(min) +
                                   ", " + std::to_string(max) + "]");
  }
  return static_cast<int>(n);
}

Result<bool> ParseBoolSetting(const std::string& name, const std::string& value) {
  std::string v;
  for (char c : value) v += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "1" || v == "true" || v == "yes" || v == "on") return true;
  if (v == "0" || v == "false" || v == "no" || v == "off") return false;
  return Status::InvalidArgument(name + "=" + value + " is not a boolean (use 1 or 0)");
}

Result<LegacyMadreUrl> ParseLegacyMadreUrl(const std::string& name, const std::string& value) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(name + "=" + value + ": " + why +
                                   " (expected http://host:port[/prefix])");
  };
  constexpr std::string_view kScheme = "http://";
  if (value.rfind(kScheme, 0) != 0) return bad("only http:// is supported");
  for (char c : value) {
    if (std::isspace(static_cast<unsigned char>(c)) || std::iscntrl(static_cast<unsigned char>(c)))
      return bad("blanks are not allowed");
  }
  if (value.find_first_of("?#") != std::string::npos) return bad("no query or fragment");
  const std::string rest = value.substr(kScheme.size());
  const std::size_t slash = rest.find('/');
  const std::string authority = rest.substr(0, slash);
  LegacyMadreUrl url;
  url.text = value;
  if (slash != std::string::npos) {
    url.prefix = rest.substr(slash);
    while (!url.prefix.empty() && url.prefix.back() == '/') url.prefix.pop_back();
  }
  if (authority.find('@') != std::string::npos) return bad("no user or password");
  std::string port;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string::npos) return bad("unclosed [ in the host");
    url.host = authority.substr(0, close + 1);
    in6_addr v6{};
    const std::string inner = authority.substr(1, close - 1);
    if (::inet_pton(AF_INET6, inner.c_str(), &v6) != 1) return bad("not an IPv6 address");
    const std::string after = authority.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("bad host");
    if (!after.empty()) port = after.substr(1);
    if (!after.empty() && port.empty()) return bad("empty port");
  } else {
    const std::size_t colon = authority.find(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string::npos) {
      port = authority.substr(colon + 1);
      if (port.empty()) return bad("empty port");
    }
    if (url.host.empty()) return bad("no host");
    for (char c : url.host) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_')
        return bad("bad host");
    }
  }
  if (!port.empty()) {
    if (!std::all_of(port.begin(), port.end(),
                     [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) ||
        port.size() > 5) {
      return bad("bad port");
    }
    url.port = std::stoi(port);
    if (url.port < 1 || url.port > 65535) return bad("port out of range [1, 65535]");
  }
  return url;
}

namespace {

Result<std::vector<std::string>> ParseLegacyPrefixes(const std::string& name,
                                                     const std::vector<std::string>& items) {
  for (const auto& prefix : items) {
    if (prefix.empty() || prefix.front() != '/') {
      return Status::InvalidArgument(name + ": \"" + prefix + "\" must start with /");
    }
    for (char c : prefix) {
      if (std::isspace(static_cast<unsigned char>(c)) ||
          std::iscntrl(static_cast<unsigned char>(c)) || c == '?' || c == '#') {
        return Status::InvalidArgument(name + ": \"" + prefix + "\" is not a path prefix");
      }
    }
  }
  return items;
}

// The original's settings madre's model replaces: accepted when they mean what madre does,
// else refused at start-up with what to use instead.
Status CheckOriginalSettings(const std::function<std::optional<std::string>(const char*)>& get) {
  if (auto v = get("VX11_SOLO_MADRE")) {
    ASSIGN_OR_RETURN(bool solo, ParseBoolSetting("VX11_SOLO_MADRE", *v));
    if (!solo) {
      return Status::InvalidArgument(
          "VX11_SOLO_MADRE=" + *v +
          " is not supported: madre keeps the stack at SOLO_MADRE outside power windows. Open a "
          "power window (POST /madre/power/window/open) for the services you need, or add "
          "them to VX11_ALWAYS_ON to keep them running; VX11_ALLOWLIST says which services a "
          "window may name. Unset VX11_SOLO_MADRE (or set it to 1)");
    }
  }
  if (get("VX11_WINDOW_SERVICES")) {
    return Status::InvalidArgument(
        "VX11_WINDOW_SERVICES is not supported: the services a power window may name are "
        "VX11_ALLOWLIST (default: every compose service not in VX11_ALWAYS_ON), and each window "
        "names its own services when it is opened. Unset VX11_WINDOW_SERVICES");
  }
  return Status::Ok();
}

std::set<std::string> ToSet(const std::vector<std::string>& items) {
  return std::set<std::string>(items.begin(), items.end());
}

Result<std::set<std::string>> ParseIntentSources(const std::string& name,
                                                 const std::vector<std::string>& values) {
  for (const auto& v : values) {
    if (!IsValidIntentWord(v)) {
      return Status::InvalidArgument(name + ": \"" + v + "\" is not a source name (1 to 64 of " +
                                     "[A-Za-z0-9_.:-])");
    }
  }
  return std::set<std::string>(values.begin(), values.end());
}

std::set<std::string> LowerSet(const std::vector<std::string>& values) {
  std::set<std::string> out;
  for (std::string v : values) {
    for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    out.insert(v);
  }
  return out;
}

Status CheckExternalStart(const std::string& name, const std::string& value) {
  if (value == "adopt" || value == "stop" || value == "ignore") return Status::Ok();
  return Status::InvalidArgument(name + "=" + value + " must be adopt, stop or ignore");
}

Status CheckLogLevel(const std::string& name, const std::string& level) {
  static const std::set<std::string> kLevels = {"TRACE", "DEBUG", "INFO",     "WARNING",
                                                "WARN",  "ERROR", "CRITICAL", "OFF"};
  std::string upper;
  for (char c : level) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!kLevels.count(upper)) {
    return Status::InvalidArgument(name + "=" + level +
                                   " is not a log level (DEBUG, INFO, WARNING, ERROR)");
  }
  return Status::Ok();
}

}  // namespace

Status ApplyEnv(const EnvLookup& env, DaemonConfig& c) {
  auto get = [&](const char* name) -> std::optional<std::string> {
    auto v = env(name);
    if (v && v->empty()) return std::nullopt;  // empty means unset
    return v;
  };
  RETURN_IF_ERROR(CheckOriginalSettings(get));
  if (auto v = get("VX11_MADRE_BIND")) c.bind = *v;
  if (auto v = get("VX11_MADRE_PORT")) {
    ASSIGN_OR_RETURN(c.port, ParseIntSetting("VX11_MADRE_PORT", *v, 0, 65535));
  }
  if (auto v = get("VX11_COMPOSE_PROJECT")) c.compose_project = *v;
  if (auto v = get("VX11_COMPOSE_DIR")) c.compose_dir = *v;
  if (auto v = get("VX11_COMPOSE_FILES")) c.compose_files = SplitList(*v);
  if (auto v = get("VX11_COMPOSE_CMD")) c.compose_cmd = *v;
  if (auto v = get("VX11_ALWAYS_ON")) c.always_on = ToSet(SplitList(*v));
  if (auto v = get("VX11_POWER_WINDOWS_CORE_MODE")) {
    ASSIGN_OR_RETURN(c.core_mode, ParseBoolSetting("VX11_POWER_WINDOWS_CORE_MODE", *v));
  }
  if (auto v = get("VX11_ALLOWLIST")) c.allowlist = ToSet(SplitList(*v));
  if (auto v = get("VX11_POWER_WINDOWS_ENABLED")) {
    ASSIGN_OR_RETURN(c.windows_enabled, ParseBoolSetting("VX11_POWER_WINDOWS_ENABLED", *v));
  }
  if (auto v = get("VX11_POWER_WINDOWS_TIMEOUT_SEC")) {
    ASSIGN_OR_RETURN(c.timeout_sec, ParseIntSetting("VX11_POWER_WINDOWS_TIMEOUT_SEC", *v, 1, 3600));
  }
  if (auto v = get("VX11_POWER_WINDOWS_TTL_CHECK_INTERVAL")) {
    ASSIGN_OR_RETURN(c.ttl_check_interval_sec,
                     ParseIntSetting("VX11_POWER_WINDOWS_TTL_CHECK_INTERVAL", *v, 1, 3600));
  }
  if (auto v = get("VX11_POWER_WINDOWS_MAX_CONCURRENT")) {
    ASSIGN_OR_RETURN(c.max_concurrent,
                     ParseIntSetting("VX11_POWER_WINDOWS_MAX_CONCURRENT", *v, 1, 10000));
  }
  if (auto v = get("VX11_POWER_WINDOWS_LOG_LEVEL")) {
    RETURN_IF_ERROR(CheckLogLevel("VX11_POWER_WINDOWS_LOG_LEVEL", *v));
    c.log_level = *v;
  }
  if (auto v = get("VX11_STATE_DIR")) c.state_dir = *v;
  if (auto v = get("VX11_AUDIT_DIR")) c.audit_dir = *v;
  if (auto v = get("VX11_AUDIT_HMAC_KEY_FILE")) c.audit_hmac_key_file = *v;
  if (auto v = get("VX11_TOKENS_FILE")) c.tokens_file = *v;
  if (auto v = get("VX11_WEBHOOKS_FILE")) c.webhooks_file = *v;
  if (auto v = get("VX11_AUDIT_RETENTION_DAYS")) {
    ASSIGN_OR_RETURN(c.audit_retention_days,
                     ParseIntSetting("VX11_AUDIT_RETENTION_DAYS", *v, 0, 36500));
  }
  if (auto v = get("VX11_WINDOW_HISTORY_RETENTION_DAYS")) {
    ASSIGN_OR_RETURN(c.window_history_retention_days,
                     ParseIntSetting("VX11_WINDOW_HISTORY_RETENTION_DAYS", *v, 0, 36500));
  }
  if (auto v = get("DOCKER_HOST")) c.docker_host = *v;
  if (auto v = get("VX11_RESYNC_SEC")) {
    ASSIGN_OR_RETURN(c.resync_sec, ParseIntSetting("VX11_RESYNC_SEC", *v, 0, 86400));
  }
  if (auto v = get("VX11_COMPAT_OPEN_WAIT_SEC")) {
    ASSIGN_OR_RETURN(c.compat_open_wait_sec,
                     ParseIntSetting("VX11_COMPAT_OPEN_WAIT_SEC", *v, 0, 3600));
  }
  if (auto v = get("VX11_EXTERNAL_START")) {
    RETURN_IF_ERROR(CheckExternalStart("VX11_EXTERNAL_START", *v));
    c.external_start = *v;
  }
  if (auto v = get("VX11_EXTERNAL_START_TTL_SEC")) {
    ASSIGN_OR_RETURN(c.external_start_ttl_sec,
                     ParseIntSetting("VX11_EXTERNAL_START_TTL_SEC", *v, 0, 7 * 24 * 3600));
  }
  if (auto v = get("VX11_BUILD_TIMEOUT_SEC")) {
    ASSIGN_OR_RETURN(c.build_timeout_sec, ParseIntSetting("VX11_BUILD_TIMEOUT_SEC", *v, 1, 86400));
  }
  if (auto v = get("VX11_BUILD_CONTEXT_MAX_MB")) {
    ASSIGN_OR_RETURN(c.build_context_max_mb,
                     ParseIntSetting("VX11_BUILD_CONTEXT_MAX_MB", *v, 1, 1000000));
  }
  if (auto v = get("VX11_INTENT_OPEN_SOURCES")) {
    ASSIGN_OR_RETURN(c.intent_open_sources,
                     ParseIntentSources("VX11_INTENT_OPEN_SOURCES", SplitList(*v)));
  }
  if (auto v = get("VX11_UI_HOSTS")) c.ui_hosts = LowerSet(SplitList(*v));
  if (auto v = get("VX11_SERVICE_HOLD_TTL_SEC")) {
    ASSIGN_OR_RETURN(c.service_hold_ttl_sec,
                     ParseIntSetting("VX11_SERVICE_HOLD_TTL_SEC", *v, 0, 7 * 24 * 3600));
  }
  if (auto v = get("VX11_HEALTH_TIMEOUT_SEC")) {
    ASSIGN_OR_RETURN(c.health_timeout_sec, ParseIntSetting("VX11_HEALTH_TIMEOUT_SEC", *v, 1, 3600));
  }
  if (auto v = get("VX11_CRASHLOOP_ACTION")) {
    if (*v != "report" && *v != "stop") {
      return Status::InvalidArgument("VX11_CRASHLOOP_ACTION=" + *v + " must be report or stop");
    }
    c.crashloop_action = *v;
  }
  if (auto v = get("VX11_THROTTLE_CPU_PCT")) {
    ASSIGN_OR_RETURN(c.throttle_cpu_pct, ParseIntSetting("VX11_THROTTLE_CPU_PCT", *v, 0, 100));
  }
  if (auto v = get("VX11_THROTTLE_MODE")) {
    if (*v != "wait" && *v != "refuse") {
      return Status::InvalidArgument("VX11_THROTTLE_MODE=" + *v + " must be wait or refuse");
    }
    c.throttle_mode = *v;
  }
  if (auto v = get("VX11_METRICS_PUBLIC")) {
    ASSIGN_OR_RETURN(c.metrics_public, ParseBoolSetting("VX11_METRICS_PUBLIC", *v));
  }
  if (auto v = get("VX11_INEE_ENABLED")) {
    ASSIGN_OR_RETURN(c.inee_enabled, ParseBoolSetting("VX11_INEE_ENABLED", *v));
  }
  if (auto v = get("VX11_AUTOFIX_AUTO_ACTIONS")) {
    Result<std::set<RemediationKind>> kinds = ParseAutoActions(*v);
    if (!kinds.ok()) {
      return Status::InvalidArgument("VX11_AUTOFIX_AUTO_ACTIONS=" + *v + ": " +
                                     kinds.status().message());
    }
    c.autofix_auto_actions = *kinds;
  }
  if (auto v = get("VX11_AUTOFIX_MAX_CYCLES")) {
    ASSIGN_OR_RETURN(c.autofix_max_cycles,
                     ParseIntSetting("VX11_AUTOFIX_MAX_CYCLES", *v, 1, kMaxAutofixMaxCycles));
  }
  if (auto v = get("VX11_STOP_STRATEGY")) {
    if (*v != "stop" && *v != "pause" && *v != "cpu_idle") {
      return Status::InvalidArgument("VX11_STOP_STRATEGY=" + *v +
                                     " must be stop, pause or cpu_idle");
    }
    c.stop_strategy = *v;
  }
  if (auto v = get("VX11_PROVIDER")) {
    if (*v != "compose" && *v != "swarm") {
      return Status::InvalidArgument("VX11_PROVIDER=" + *v + " must be compose or swarm");
    }
    c.provider = *v;
  }
  if (auto v = get("VX11_LEGACY_MADRE_URL")) {
    ASSIGN_OR_RETURN(c.legacy_madre_url, ParseLegacyMadreUrl("VX11_LEGACY_MADRE_URL", *v));
  }
  if (auto v = get("VX11_INTENT_POLICY_FILE")) {
    c.intent_policy_file = v->empty() ? std::nullopt : std::optional<std::filesystem::path>(*v);
  }
  if (auto v = get("VX11_MANIFESTATOR_EMIT_INTENT_ENABLED")) {
    ASSIGN_OR_RETURN(c.manifestator_emit_intent_enabled,
                     ParseBoolSetting("VX11_MANIFESTATOR_EMIT_INTENT_ENABLED", *v));
  }
  if (auto v = get("VX11_INTENT_PENDING_TTL_SEC")) {
    ASSIGN_OR_RETURN(c.intent_pending_ttl_sec,
                     ParseIntSetting("VX11_INTENT_PENDING_TTL_SEC", *v, 1, 30 * 24 * 3600));
  }
  if (auto v = get("VX11_LEGACY_FORWARD_TIMEOUT_SEC")) {
    ASSIGN_OR_RETURN(c.legacy_forward_timeout_sec,
                     ParseIntSetting("VX11_LEGACY_FORWARD_TIMEOUT_SEC", *v, 1, 3600));
  }
  if (auto v = get("VX11_LEGACY_FORWARD_PREFIXES")) {
    ASSIGN_OR_RETURN(c.legacy_forward_prefixes,
                     ParseLegacyPrefixes("VX11_LEGACY_FORWARD_PREFIXES", SplitList(*v)));
  }
  RETURN_IF_ERROR(ApplyAdviserEnv(get, c.adviser));
  return Status::Ok();
}

namespace {

// A TOML document, or kInvalidArgument "<origin>:<line>: <what>".
Result<toml::table> ParseToml(std::string_view text, const std::string& origin) {
  try {
    return toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << origin << ":" << e.source().begin.line << ": " << e.description();
    return Status::InvalidArgument(msg.str());
  }
}

}  // namespace

Result<std::set<std::string>> TomlKeys(std::string_view text, const std::string& origin) {
  ASSIGN_OR_RETURN(const toml::table table, ParseToml(text, origin));
  std::set<std::string> keys;
  for (const auto& [key, node] : table) keys.insert(std::string(key.str()));
  return keys;
}

Status ApplyToml(std::string_view text, const std::string& origin, DaemonConfig& c) {
  ASSIGN_OR_RETURN(const toml::table table, ParseToml(text, origin));
  static const std::set<std::string> kKnown = {"bind",
                                               "port",
                                               "compose_project",
                                               "compose_dir",
                                               "compose_files",
                                               "compose_cmd",
                                               "always_on",
                                               "core_mode",
                                               "allowlist",
                                               "windows_enabled",
                                               "timeout_sec",
                                               "ttl_check_interval",
                                               "max_concurrent",
                                               "log_level",
                                               "state_dir",
                                               "audit_dir",
                                               "audit_hmac_key_file",
                                               "tokens_file",
                                               "webhooks_file",
                                               "audit_retention_days",
                                               "window_history_retention_days",
                                               "docker_host",
                                               "resync_sec",
                                               "health_timeout_sec",
                                               "compat_open_wait_sec",
                                               "external_start",
                                               "external_start_ttl_sec",
                                               "build_timeout_sec",
                                               "build_context_max_mb",
                                               "service_hold_ttl_sec",
                                               "intent_open_sources",
                                               "intent_policy_file",
                                               "intent_pending_ttl_sec",
                                               "manifestator_emit_intent_enabled",
                                               "ui_hosts",
                                               "crashloop_action",
                                               "throttle_cpu_pct",
                                               "throttle_mode",
                                               "stop_strategy",
                                               "provider",
                                               "metrics_public",
                                               "inee_enabled",
                                               "legacy_madre_url",
                                               "legacy_forward_prefixes",
                                               "legacy_forward_timeout_sec",
                                               "autofix_llm_url",
                                               "autofix_llm_model",
                                               "autofix_llm_key_file",
                                               "autofix_llm_rate_per_hour",
                                               "autofix_llm_timeout_sec",
                                               "autofix_llm_mask_names",
                                               "autofix_llm_ca_file"};
  for (const auto& [key, node] : table) {
    if (!kKnown.count(std::string(key.str()))) {
      return Status::InvalidArgument(origin + ": unknown setting '" + std::string(key.str()) + "'");
    }
  }
  auto str = [&](const char* key, auto apply) -> Status {
    if (auto node = table[key]; node) {
      auto v = node.value<std::string>();
      if (!v) return Status::InvalidArgument(origin + ": " + key + " must be a string");
      apply(*v);
    }
    return Status::Ok();
  };
  auto integer = [&](const char* key, int min, int max, int& out) -> Status {
    if (auto node = table[key]; node) {
      auto v = node.value<int64_t>();
      if (!v) return Status::InvalidArgument(origin + ": " + key + " must be an integer");
      if (*v < min || *v > max)
        return Status::InvalidArgument(origin + ": " + key + " is out of range");
      out = static_cast<int>(*v);
    }
    return Status::Ok();
  };
  auto boolean = [&](const char* key, bool& out) -> Status {
    if (auto node = table[key]; node) {
      auto v = node.value<bool>();
      if (!v) return Status::InvalidArgument(origin + ": " + key + " must be true or false");
      out = *v;
    }
    return Status::Ok();
  };
  auto list = [&](const char* key, auto apply) -> Status {
    if (auto node = table[key]; node) {
      const toml::array* arr = node.as_array();
      if (!arr) return Status::InvalidArgument(origin + ": " + key + " must be a list of strings");
      std::vector<std::string> items;
      for (const auto& item : *arr) {
        auto v = item.value<std::string>();
        if (!v) return Status::InvalidArgument(origin + ": " + key + " must be a list of strings");
        items.push_back(*v);
      }
      apply(items);
    }
    return Status::Ok();
  };
  RETURN_IF_ERROR(str("bind", [&](const std::string& v) { c.bind = v; }));
  RETURN_IF_ERROR(integer("port", 0, 65535, c.port));
  RETURN_IF_ERROR(str("compose_project", [&](const std::string& v) { c.compose_project = v; }));
  // A relative compose_dir is the file's own directory's (as compose resolves its paths).
  RETURN_IF_ERROR(str("compose_dir", [&](const std::string& v) {
    const std::filesystem::path dir(v);
    c.compose_dir = dir.is_relative() ? std::filesystem::path(origin).parent_path() / dir : dir;
  }));
  RETURN_IF_ERROR(
      list("compose_files", [&](const std::vector<std::string>& v) { c.compose_files = v; }));
  RETURN_IF_ERROR(str("compose_cmd", [&](const std::string& v) { c.compose_cmd = v; }));
  RETURN_IF_ERROR(
      list("always_on", [&](const std::vector<std::string>& v) { c.always_on = ToSet(v); }));
  RETURN_IF_ERROR(boolean("core_mode", c.core_mode));
  RETURN_IF_ERROR(
      list("allowlist", [&](const std::vector<std::string>& v) { c.allowlist = ToSet(v); }));
  RETURN_IF_ERROR(boolean("windows_enabled", c.windows_enabled));
  RETURN_IF_ERROR(boolean("metrics_public", c.metrics_public));
  RETURN_IF_ERROR(boolean("manifestator_emit_intent_enabled", c.manifestator_emit_intent_enabled));
  RETURN_IF_ERROR(boolean("inee_enabled", c.inee_enabled));
  RETURN_IF_ERROR(integer("timeout_sec", 1, 3600, c.timeout_sec));
  RETURN_IF_ERROR(integer("ttl_check_interval", 1, 3600, c.ttl_check_interval_sec));
  RETURN_IF_ERROR(integer("max_concurrent", 1, 10000, c.max_concurrent));
  std::string level = c.log_level;
  RETURN_IF_ERROR(str("log_level", [&](const std::string& v) { level = v; }));
  RETURN_IF_ERROR(CheckLogLevel(origin + ": log_level", level));
  c.log_level = level;
  RETURN_IF_ERROR(str("state_dir", [&](const std::string& v) { c.state_dir = v; }));
  RETURN_IF_ERROR(str("audit_dir", [&](const std::string& v) { c.audit_dir = v; }));
  RETURN_IF_ERROR(
      str("audit_hmac_key_file", [&](const std::string& v) { c.audit_hmac_key_file = v; }));
  RETURN_IF_ERROR(str("tokens_file", [&](const std::string& v) { c.tokens_file = v; }));
  RETURN_IF_ERROR(str("webhooks_file", [&](const std::string& v) { c.webhooks_file = v; }));
  RETURN_IF_ERROR(integer("audit_retention_days", 0, 36500, c.audit_retention_days));
  RETURN_IF_ERROR(
      integer("window_history_retention_days", 0, 36500, c.window_history_retention_days));
  RETURN_IF_ERROR(str("docker_host", [&](const std::string& v) { c.docker_host = v; }));
  RETURN_IF_ERROR(integer("resync_sec", 0, 86400, c.resync_sec));
  RETURN_IF_ERROR(integer("health_timeout_sec", 1, 3600, c.health_timeout_sec));
  RETURN_IF_ERROR(integer("compat_open_wait_sec", 0, 3600, c.compat_open_wait_sec));
  std::string external = c.external_start;
  RETURN_IF_ERROR(str("external_start", [&](const std::string& v) { external = v; }));
  RETURN_IF_ERROR(CheckExternalStart(origin + ": external_start", external));
  c.external_start = external;
  RETURN_IF_ERROR(integer("external_start_ttl_sec", 0, 7 * 24 * 3600, c.external_start_ttl_sec));
  RETURN_IF_ERROR(integer("build_timeout_sec", 1, 86400, c.build_timeout_sec));
  RETURN_IF_ERROR(integer("build_context_max_mb", 1, 1000000, c.build_context_max_mb));
  RETURN_IF_ERROR(integer("service_hold_ttl_sec", 0, 7 * 24 * 3600, c.service_hold_ttl_sec));
  std::optional<std::vector<std::string>> sources;
  RETURN_IF_ERROR(
      list("intent_open_sources", [&](const std::vector<std::string>& v) { sources = v; }));
  if (sources) {
    ASSIGN_OR_RETURN(c.intent_open_sources,
                     ParseIntentSources(origin + ": intent_open_sources", *sources));
  }
  RETURN_IF_ERROR(str("intent_policy_file", [&](const std::string& v) {
    const std::filesystem::path file(v);
    c.intent_policy_file =
        file.is_relative() ? std::filesystem::path(origin).parent_path() / file : file;
  }));
  RETURN_IF_ERROR(integer("intent_pending_ttl_sec", 1, 30 * 24 * 3600, c.intent_pending_ttl_sec));
  RETURN_IF_ERROR(
      list("ui_hosts", [&](const std::vector<std::string>& v) { c.ui_hosts = LowerSet(v); }));
  RETURN_IF_ERROR(integer("legacy_forward_timeout_sec", 1, 3600, c.legacy_forward_timeout_sec));
  std::optional<std::string> llm_url;
  RETURN_IF_ERROR(str("autofix_llm_url", [&](const std::string& v) { llm_url = v; }));
  if (llm_url) {
    RETURN_IF_ERROR(CheckAdviserUrl(origin + ": autofix_llm_url", *llm_url));
    c.adviser.url = *llm_url;
  }
  RETURN_IF_ERROR(str("autofix_llm_model", [&](const std::string& v) { c.adviser.model = v; }));
  RETURN_IF_ERROR(
      str("autofix_llm_key_file", [&](const std::string& v) { c.adviser.key_file = v; }));
  RETURN_IF_ERROR(integer("autofix_llm_rate_per_hour", 1, 3600, c.adviser.rate_per_hour));
  RETURN_IF_ERROR(integer("autofix_llm_timeout_sec", 1, 600, c.adviser.timeout_sec));
  RETURN_IF_ERROR(boolean("autofix_llm_mask_names", c.adviser.mask_names));
  RETURN_IF_ERROR(str("autofix_llm_ca_file", [&](const std::string& v) { c.adviser.ca_file = v; }));
  std::string crash = c.crashloop_action;
  RETURN_IF_ERROR(str("crashloop_action", [&](const std::string& v) { crash = v; }));
  if (crash != "report" && crash != "stop") {
    return Status::InvalidArgument(origin + ": crashloop_action must be \"report\" or \"stop\"");
  }
  c.crashloop_action = crash;
  RETURN_IF_ERROR(integer("throttle_cpu_pct", 0, 100, c.throttle_cpu_pct));
  std::string mode = c.throttle_mode;
  RETURN_IF_ERROR(str("throttle_mode", [&](const std::string& v) { mode = v; }));
  if (mode != "wait" && mode != "refuse") {
    return Status::InvalidArgument(origin + ": throttle_mode must be \"wait\" or \"refuse\"");
  }
  c.throttle_mode = mode;
  std::string strategy = c.stop_strategy;
  RETURN_IF_ERROR(str("stop_strategy", [&](const std::string& v) { strategy = v; }));
  if (strategy != "stop" && strategy != "pause" && strategy != "cpu_idle") {
    return Status::InvalidArgument(origin +
                                   ": stop_strategy must be \"stop\", \"pause\" or \"cpu_idle\"");
  }
  c.stop_strategy = strategy;
  std::string provider = c.provider;
  RETURN_IF_ERROR(str("provider", [&](const std::string& v) { provider = v; }));
  if (provider != "compose" && provider != "swarm") {
    return Status::InvalidArgument(origin + ": provider must be \"compose\" or \"swarm\"");
  }
  c.provider = provider;
  std::optional<std::string> legacy_url;
  RETURN_IF_ERROR(str("legacy_madre_url", [&](const std::string& v) { legacy_url = v; }));
  if (legacy_url) {
    ASSIGN_OR_RETURN(c.legacy_madre_url,
                     ParseLegacyMadreUrl(origin + ": legacy_madre_url", *legacy_url));
  }
  std::optional<std::vector<std::string>> prefixes;
  RETURN_IF_ERROR(
      list("legacy_forward_prefixes", [&](const std::vector<std::string>& v) { prefixes = v; }));
  if (prefixes) {
    ASSIGN_OR_RETURN(c.legacy_forward_prefixes,
                     ParseLegacyPrefixes(origin + ": legacy_forward_prefixes", *prefixes));
  }
  return Status::Ok();
}

Status ResolveToken(const EnvLookup& env, DaemonConfig& c) {
  for (const char* name : {"VX11_TENTACULO_LINK_TOKEN", "VX11_TOKEN"}) {
    auto v = env(name);
    if (v && !v->empty()) {
      c.token = *v;
      c.token_source = name;
      return Status::Ok();
    }
  }
  std::error_code ec;
  if (!std::filesystem::exists(c.state_dir)) {
    std::filesystem::create_directories(c.state_dir, ec);
    if (ec)
      return Status::Internal("cannot create state dir " + c.state_dir.string() + ": " +
                              ec.message());
    // It holds the token and the database (with the audit): only the owner reads it.
    std::filesystem::permissions(c.state_dir, std::filesystem::perms::owner_all, ec);
  }
  const std::filesystem::path path = c.state_dir / "token";
  c.token_source = path.string();
  if (std::ifstream in(path); in) {
    // Trimmed as the CLI trims it (an editor's newline, a CRLF, a trailing space).
    std::ostringstream text;
    text << in.rdbuf();
    const std::string token = TrimBlanks(text.str());
    if (token.empty()) {
      return Status::InvalidArgument("token file " + path.string() +
                                     " is empty: write a token into it, or delete it to have "
                                     "madre generate one");
    }
    c.token = token;
    return Status::Ok();
  }
  std::random_device rd;
  static const char kHex[] = "0123456789abcdef";
  std::string token;
  for (int i = 0; i < 48; ++i) token += kHex[rd() % 16];
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write token file " + path.string());
  const std::string line = token + "\n";
  const bool written = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::fchmod(fd, 0600);
  ::fsync(fd);
  ::close(fd);
  if (!written) return Status::Internal("cannot write token file " + path.string());
  c.token = token;
  return Status::Ok();
}

namespace {

// True when `path` is `dir` or inside it (both made absolute and normal, symlinks resolved where
// they exist).
bool IsInside(const std::filesystem::path& path, const std::filesystem::path& dir) {
  std::error_code ec;
  const std::filesystem::path p = std::filesystem::weakly_canonical(path, ec);
  if (ec) return false;
  const std::filesystem::path d = std::filesystem::weakly_canonical(dir, ec);
  if (ec) return false;
  auto [end, unused] = std::mismatch(d.begin(), d.end(), p.begin(), p.end());
  return end == d.end();
}

}  // namespace

Result<std::optional<std::string>> ReadAuditHmacKey(const DaemonConfig& c) {
  if (!c.audit_hmac_key_file) return std::optional<std::string>();
  const std::filesystem::path& path = *c.audit_hmac_key_file;
  if (IsInside(path, c.state_dir) || IsInside(path, c.AuditDir())) {
    return Status::InvalidArgument("VX11_AUDIT_HMAC_KEY_FILE " + path.string() +
                                   " is inside the state or audit dir: keep the key elsewhere");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read VX11_AUDIT_HMAC_KEY_FILE " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  std::string key = TrimBlanks(text.str());
  if (key.size() < kMinTokenLength) {
    return Status::InvalidArgument("VX11_AUDIT_HMAC_KEY_FILE " + path.string() + " holds " +
                                   std::to_string(key.size()) + " bytes; it needs at least " +
                                   std::to_string(kMinTokenLength));
  }
  return std::optional<std::string>(std::move(key));
}

bool IsLoopbackAddress(std::string_view address) {
  std::string host(address);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host == "localhost") return true;
  in_addr v4{};
  if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;  // 127.0.0.0/8
  }
  in6_addr v6{};
  if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) {
    if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
    if (IN6_IS_ADDR_V4MAPPED(&v6)) return v6.s6_addr[12] == 127;  // ::ffff:127.x.y.z
  }
  return false;
}

Status CheckProviderSettings(const DaemonConfig& c) {
  if (c.provider != "swarm") return Status::Ok();
  if (c.docker_host.rfind("unix://", 0) != 0) {
    return Status::InvalidArgument(
        "VX11_PROVIDER=swarm needs the Engine API (a unix:// "
        "DOCKER_HOST), not " +
        c.docker_host);
  }
  if (c.stop_strategy != "stop") {
    return Status::InvalidArgument("VX11_STOP_STRATEGY=" + c.stop_strategy +
                                   " is not supported with VX11_PROVIDER=swarm (a swarm service "
                                   "is scaled to 0): use stop");
  }
  return Status::Ok();
}

std::vector<std::string> ProviderModelWarnings(const DaemonConfig& c, const ServiceModel& model) {
  std::vector<std::string> out;
  if (c.provider != "swarm") return out;
  for (const auto& [name, def] : model.services) {
    for (const auto& [label, value] : def.labels) {
      std::string why;
      if (label == "vx11.health.exec") {
        why =
            "is not used: madre's own run of a healthcheck needs a container, Swarm's "
            "readiness is its running tasks";
      } else if (label == "vx11.cpu.limit") {
        why =
            "is not applied: CPU limits go through the container API (set "
            "deploy.resources.limits.cpus in the stack file)";
      } else if (label == "vx11.health.url" || label == "vx11.health.tcp") {
        why =
            "dials 127.0.0.1 on this host: it answers only if the stack publishes that port "
            "here (else every open of " +
            name + " fails at its readiness timeout; give it a healthcheck instead)";
      } else {
        continue;
      }
      out.push_back("VX11_PROVIDER=swarm: service " + name + ": label " + label + " " + why);
    }
  }
  return out;
}

bool FollowsContainerEvents(const DaemonConfig& c) {
  return c.docker_host.rfind("unix://", 0) == 0;
}

std::vector<std::string> ConfigWarnings(const DaemonConfig& c) {
  std::vector<std::string> warnings;
  if (!IsLoopbackAddress(c.bind)) {
    warnings.push_back("listening on " + c.bind +
                       ", which is not loopback: there is no TLS, so the API token (and every "
                       "request) travels in clear text on that network");
  }
  if (!c.token.empty() && c.token.size() < kMinTokenLength) {
    warnings.push_back("the API token from " + c.token_source + " has " +
                       std::to_string(c.token.size()) + " characters; use at least " +
                       std::to_string(kMinTokenLength) + " random ones");
  }
  return warnings;
}

std::string SettingsHelp() {
  return R"(Settings (environment first; --config FILE overrides it; flags override both):
  VX11_TENTACULO_LINK_TOKEN, then VX11_TOKEN
                      API token (X-VX11-Token). With neither, a random token is created
                      in <state dir>/token (mode 0600); its path is logged, never the token.
  VX11_TOKENS_FILE    TOML file of more tokens, each with a name and a role (viewer, submitter,
                      operator, admin), stored by SHA-256 (`madre token hash`):
                        [tokens.ci]
                        role = "operator"
                        token_sha256 = "<64 hex>"
                      VX11_TOKEN is the admin named default; a bad file stops start-up [none]
  VX11_WEBHOOKS_FILE  TOML file of webhook endpoints: window, service, crash-loop, intent and
                      autofix events POSTed as signed JSON, in order, at least once, kept in
                      the database until delivered (docs/webhooks.md):
                        [webhooks.ops]
                        url = "https://hooks.example.org/x"  # or http://
                        events = ["window", "crash_loop"]    # default: all
                        secret = "..."                       # or secret_file = "PATH"
                      a bad file stops start-up; `madre webhooks test` posts a test event [none]
  VX11_MADRE_BIND     listen address; not loopback: a warning, no TLS [127.0.0.1] --bind
  VX11_MADRE_PORT     listen port                          [8001]        --port
  VX11_COMPOSE_PROJECT compose project name (-p)           [vx11]        --project
  VX11_COMPOSE_DIR    compose working directory            [current dir] --compose-dir
  VX11_COMPOSE_FILES  comma-separated compose files (-f)   [docker-compose.yml
                      plus docker-compose.override.yml if present]     --compose-file
  VX11_COMPOSE_CMD    compose command                      [autodetect: docker compose,
                      then docker-compose]                              --compose-cmd
  VX11_ALWAYS_ON      the SOLO_MADRE set                   [madre,redis] --always-on
  VX11_POWER_WINDOWS_CORE_MODE  1 adds tentaculo_link to the always-on set [0]
  VX11_ALLOWLIST      services a window may name           [every compose service
                      not always-on]                                    --allowlist
  VX11_POWER_WINDOWS_ENABLED    0 answers 503 on window endpoints [1]
  VX11_POWER_WINDOWS_TIMEOUT_SEC limit of one docker/compose operation; the whole
                      process group is killed on expiry    [30]          --timeout
  VX11_POWER_WINDOWS_TTL_CHECK_INTERVAL accepted for compatibility: expiry is
                      timer-driven and never later than this [1]
  VX11_POWER_WINDOWS_MAX_CONCURRENT windows open at once   [1]           --max-concurrent
  VX11_POWER_WINDOWS_LOG_LEVEL DEBUG|INFO|WARNING|ERROR    [INFO]        --log-level
  VX11_STATE_DIR      SQLite database and token file       [./data/madre] --state-dir
  VX11_AUDIT_DIR      audit JSON Lines files               [<state dir>/audit] --audit-dir
  VX11_AUDIT_HMAC_KEY_FILE file (outside the state dir) whose content keys the audit chain:
                      records are HMAC-SHA256-chained; verify-audit needs it too [none]
  VX11_AUDIT_RETENTION_DAYS  audit files (whole UTC days) and rows older than this are
                      removed at start, an audit.pruned record anchors the chain; 0 = keep [0]
  VX11_WINDOW_HISTORY_RETENTION_DAYS  closed/failed windows older than this are deleted
                      at start; 0 = keep [0]
  DOCKER_HOST         Docker Engine endpoint (unix:// only) [unix:///var/run/docker.sock]
  VX11_RESYNC_SEC     safety-net re-read of the containers, 0 = never [30]
  VX11_HEALTH_TIMEOUT_SEC readiness limit of a started service, unless its label
                      vx11.health.timeout_sec says otherwise [60]
  VX11_COMPAT_OPEN_WAIT_SEC POST /madre/power/window/open answers after this at most,
                      with the window as it is (`opening`), while madre goes on waiting [4]
  VX11_EXTERNAL_START adopt | stop | ignore a service started outside madre (docker compose
                      up -d by hand, a restart policy after a dockerd restart) that nothing
                      wants: adopt gives it a window of its own (kind adopted, actor external)
                      that stops it when its TTL ends; stop stops it at once; ignore leaves it
                      running. solo_madre/apply stops it whatever this says [adopt]
  VX11_EXTERNAL_START_TTL_SEC an adopted service's TTL; 0 = until closed [300]
  VX11_SERVICE_HOLD_TTL_SEC TTL of a service hold (POST /madre/power/service/NAME/start,
                      a window of kind service_hold that takes no window slot); 0 = none [0]
  VX11_BUILD_TIMEOUT_SEC an image build (compose's build of one service, the build
                      executor) is killed after this [600]
  VX11_BUILD_CONTEXT_MAX_MB a build request whose context holds more than this is
                      refused (400) [200]
  VX11_INTENT_OPEN_SOURCES comma list of `source` values that may POST /madre/intent
                      without a token (JSON, an allowed Host, rate-limited; such intents always
                      need approval) [none]
  VX11_INTENT_POLICY_FILE TOML rules deciding each intent: [[rule]] name, source, type,
                      action = auto_approve|require_approval|deny, approvers (roles);
                      docs/intents.md. Unset: every intent needs approval [none]
  VX11_INTENT_PENDING_TTL_SEC a pending intent nobody decides expires after this [900]
  VX11_MANIFESTATOR_EMIT_INTENT_ENABLED 1: POST /manifestator/builder/emit-intent takes the
                      manifestator's build requests (as POST /madre/intent does); else 404 [0]
  VX11_INEE_ENABLED   1: an approved intent is admitted only while its source is under its
                      quota (the policy file's [sources.NAME]: max_concurrent executing
                      intents, cpu_share_pct of the host used by its windows' containers), as
                      well as the host under VX11_THROTTLE_CPU_PCT; 0: the host alone [0]
  VX11_AUTOFIX_AUTO_ACTIONS comma list of remediations autofix applies without a human:
                      restart, recreate, start_dependency, rebuild, quarantine; the rest wait
                      for approval as remediate intents (docs/autofix.md) [none: suggest only]
  VX11_AUTOFIX_MAX_CYCLES diagnose -> remediate -> re-test cycles per incident; then the
                      service is quarantined (an always-on one: manual) [3]
  VX11_UI_HOSTS       Host names accepted, besides loopback and the bind address, on requests
                      without a token (the console at /ui/, /health, /openapi.json, a public
                      /metrics, token-less intents), with madre's port; e.g. madre, when
                      components call http://madre:8001 [none]
  VX11_CRASHLOOP_ACTION report|stop a window service that died 3 times in 60 s [report]
  VX11_THROTTLE_CPU_PCT host CPU % above which window opens are throttled; 0 = off [70]
  VX11_THROTTLE_MODE  wait (back off 1, 2, 4 s, then refuse) | refuse (503 at once) [wait]
  VX11_STOP_STRATEGY  stop (frees memory) | pause (closing pauses the containers, opening
                      unpauses them: instant re-open, memory kept; needs a unix DOCKER_HOST) |
                      cpu_idle (closing leaves them running at 0.01 CPU, opening gives their
                      CPU quota back; dormant for SOLO_MADRE; needs a unix DOCKER_HOST) [stop]
  VX11_PROVIDER       compose (the compose CLI, containers through the Engine API) | swarm
                      (the stack VX11_COMPOSE_PROJECT deployed with docker stack deploy: a
                      window scales its services up and down through the Engine API; needs a
                      unix DOCKER_HOST and VX11_STOP_STRATEGY=stop; docs/providers.md) [compose]
  VX11_METRICS_PUBLIC 1: GET /metrics without the token (else X-VX11-Token or
                      Authorization: Bearer) [0]
  VX11_LEGACY_FORWARD_PREFIXES paths the original madre serves (chat, intents, callbacks):
                      forwarded to VX11_LEGACY_MADRE_URL; without it they answer 404 code
                      legacy_route naming it
                      [/madre/chat,/vx11/,/madre/callback/,/madre/power/maintenance/]
  VX11_LEGACY_MADRE_URL http://host:port[/prefix] of the original madre, where the legacy
                      prefixes are forwarded (madre's token first for /madre/power/*) [none]
  VX11_LEGACY_FORWARD_TIMEOUT_SEC a forward without an answer after this answers 504 [30]
  VX11_AUTOFIX_LLM_URL autofix's LLM adviser (off when unset): an OpenAI-compatible
                      chat-completions URL, https:// (any host) or http:// to loopback only;
                      e.g. https://api.deepseek.com/v1/chat/completions. It gets the masked
                      diagnosis and evidence and suggests a remediation a human approves [none]
  VX11_AUTOFIX_LLM_MODEL the model asked (e.g. deepseek-reasoner) [deepseek-reasoner]
  VX11_DEEPSEEK_API_KEY, then DEEPSEEK_API_KEY, then DEEPSEEK_API_TOKEN, else the content of
                      VX11_AUTOFIX_LLM_KEY_FILE: the adviser's API key (Bearer); a URL without
                      a key stops start-up [none]
  VX11_AUTOFIX_LLM_RATE_PER_HOUR adviser calls in any rolling hour, retries included [10]
  VX11_AUTOFIX_LLM_TIMEOUT_SEC limit of one adviser call [30]
  VX11_AUTOFIX_LLM_MASK_NAMES 1: service names are sent as service-1, service-2... [0]
  VX11_AUTOFIX_LLM_CA_FILE PEM file of CAs trusted besides the system store (https) [none]
  VX11_SOLO_MADRE     the original's setting: 1 is accepted; 0 is refused (use power
                      windows or VX11_ALWAYS_ON)
  VX11_WINDOW_SERVICES the original's setting: refused (use VX11_ALLOWLIST)
NOTIFY_SOCKET, WATCHDOG_USEC set by systemd (Type=notify, WatchdogSec; deploy/madre.service):
                      READY=1 once madre listens, WATCHDOG=1 every half of WATCHDOG_USEC
                      from the engine thread, STOPPING=1 at SIGTERM (docs/running.md)
Readiness (per compose service): a Docker healthcheck (ready when healthy, or at the
  first pass of madre's own run of it, every vx11.health.exec_interval_ms, default 250;
  label vx11.health.exec=false turns that off), else the
  label vx11.health.url=http://127.0.0.1:PORT/path (HTTP 2xx) or vx11.health.tcp=
  127.0.0.1:PORT (a connection that stays open 1.5 s), else one second running
  without a restart.
Config file (TOML, --config): the same settings as lower-case keys: bind, port,
  compose_project, compose_dir, compose_files (list), compose_cmd, always_on (list),
  core_mode, allowlist (list), windows_enabled, timeout_sec, ttl_check_interval,
  max_concurrent, log_level, state_dir, audit_dir, audit_hmac_key_file, tokens_file,
  webhooks_file, audit_retention_days,
  window_history_retention_days, docker_host, resync_sec, health_timeout_sec,
  compat_open_wait_sec, external_start, external_start_ttl_sec, service_hold_ttl_sec,
  build_timeout_sec, build_context_max_mb, intent_open_sources (list), intent_policy_file
  (relative to the config file), intent_pending_ttl_sec, manifestator_emit_intent_enabled,
  ui_hosts (list), crashloop_action,
  throttle_cpu_pct, throttle_mode, stop_strategy, provider, metrics_public, inee_enabled,
  legacy_madre_url, legacy_forward_prefixes (list), legacy_forward_timeout_sec,
  autofix_llm_url, autofix_llm_model, autofix_llm_key_file, autofix_llm_rate_per_hour,
  autofix_llm_timeout_sec, autofix_llm_mask_names, autofix_llm_ca_file (no key: it is
  read from the environment or the key file only).
)";
}

const std::set<std::string>& KnownSettings() {
  static const std::set<std::string> known = [] {
    std::set<std::string> names{"VX11_MADRE_URL"};
    const std::string help = SettingsHelp();
    for (std::size_t at = help.find("VX11_"); at != std::string::npos;
         at = help.find("VX11_", at)) {
      std::size_t end = at + 5;
      while (end < help.size() &&
             (std::isupper(static_cast<unsigned char>(help[end])) ||
              std::isdigit(static_cast<unsigned char>(help[end])) || help[end] == '_')) {
        ++end;
      }
      names.insert(help.substr(at, end - at));
      at = end;
    }
    return names;
  }();
  return known;
}

std::vector<std::string> UnreadSettings(const std::vector<std::string>& environment,
                                        const std::set<std::string>& also_used) {
  std::set<std::string> out;
  for (const std::string& entry : environment) {
    const std::string name = entry.substr(0, entry.find('='));
    if (name.rfind("VX11_", 0) == 0 && !KnownSettings().count(name) && !also_used.count(name)) {
      out.insert(name);
    }
  }
  return {out.begin(), out.end()};
}

}  // namespace madre
