#include "daemon/print_config.h"

#include <algorithm>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

#include "core/autofix.h"
#include "daemon/intent_policy_file.h"
#include "http_api/router.h"

namespace madre {

namespace {

using Value = std::optional<std::string>;

struct Row {
  std::string toml_key;  // "" : not a --config key
  std::function<Value(const DaemonConfig&, const EnvLookup&)> value;
};

template <typename Container>
std::string Join(const Container& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ",";
    out += item;
  }
  return out;
}

std::string Bool(bool b) { return b ? "1" : "0"; }

Value Path(const std::optional<std::filesystem::path>& path) {
  if (!path) return std::nullopt;
  return path->string();
}

Value EnvValue(const EnvLookup& env, const std::string& name) {
  Value v = env(name);
  if (v && v->empty()) return std::nullopt;  // empty means unset, as ApplyEnv reads it
  return v;
}

// A URL's query may carry a key (?key=...): never printed.
std::string WithoutQuery(const std::string& url) {
  const std::size_t q = url.find('?');
  return q == std::string::npos ? url : url.substr(0, q) + "?<redacted>";
}

const std::map<std::string, Row>& Rows() {
  using C = const DaemonConfig&;
  using E = const EnvLookup&;
  static const std::map<std::string, Row> rows = {
      {"VX11_TENTACULO_LINK_TOKEN",
       {"", [](C, E env) { return EnvValue(env, "VX11_TENTACULO_LINK_TOKEN"); }}},
      {"VX11_TOKEN", {"", [](C, E env) { return EnvValue(env, "VX11_TOKEN"); }}},
      {"VX11_TOKENS_FILE", {"tokens_file", [](C c, E) { return Path(c.tokens_file); }}},
      // The file's path only: the secrets in it are never printed.
      {"VX11_WEBHOOKS_FILE", {"webhooks_file", [](C c, E) { return Path(c.webhooks_file); }}},
      {"VX11_MADRE_BIND", {"bind", [](C c, E) -> Value { return c.bind; }}},
      {"VX11_MADRE_PORT", {"port", [](C c, E) -> Value { return std::to_string(c.port); }}},
      {"VX11_MADRE_URL", {"", [](C, E env) { return EnvValue(env, "VX11_MADRE_URL"); }}},
      {"VX11_COMPOSE_PROJECT",
       {"compose_project", [](C c, E) -> Value { return c.compose_project; }}},
      {"VX11_COMPOSE_DIR", {"compose_dir", [](C c, E) -> Value { return c.compose_dir.string(); }}},
      {"VX11_COMPOSE_FILES",
       {"compose_files", [](C c, E) -> Value { return Join(c.compose_files); }}},
      {"VX11_COMPOSE_CMD", {"compose_cmd", [](C c, E) { return c.compose_cmd; }}},
      {"VX11_ALWAYS_ON", {"always_on", [](C c, E) -> Value { return Join(c.always_on); }}},
      {"VX11_POWER_WINDOWS_CORE_MODE",
       {"core_mode", [](C c, E) -> Value { return Bool(c.core_mode); }}},
      {"VX11_ALLOWLIST",
       {"allowlist",
        [](C c, E) -> Value {
          if (!c.allowlist) return std::nullopt;
          return Join(*c.allowlist);
        }}},
      {"VX11_POWER_WINDOWS_ENABLED",
       {"windows_enabled", [](C c, E) -> Value { return Bool(c.windows_enabled); }}},
      {"VX11_POWER_WINDOWS_TIMEOUT_SEC",
       {"timeout_sec", [](C c, E) -> Value { return std::to_string(c.timeout_sec); }}},
      {"VX11_POWER_WINDOWS_TTL_CHECK_INTERVAL",
       {"ttl_check_interval",
        [](C c, E) -> Value { return std::to_string(c.ttl_check_interval_sec); }}},
      {"VX11_POWER_WINDOWS_MAX_CONCURRENT",
       {"max_concurrent", [](C c, E) -> Value { return std::to_string(c.max_concurrent); }}},
      {"VX11_POWER_WINDOWS_LOG_LEVEL", {"log_level", [](C c, E) -> Value { return c.log_level; }}},
      {"VX11_STATE_DIR", {"state_dir", [](C c, E) -> Value { return c.state_dir.string(); }}},
      {"VX11_AUDIT_DIR", {"audit_dir", [](C c, E) -> Value { return c.AuditDir().string(); }}},
      {"VX11_AUDIT_HMAC_KEY_FILE",
       {"audit_hmac_key_file", [](C c, E) { return Path(c.audit_hmac_key_file); }}},
      {"VX11_AUDIT_RETENTION_DAYS",
       {"audit_retention_days",
        [](C c, E) -> Value { return std::to_string(c.audit_retention_days); }}},
      {"VX11_WINDOW_HISTORY_RETENTION_DAYS",
       {"window_history_retention_days",
        [](C c, E) -> Value { return std::to_string(c.window_history_retention_days); }}},
      {"DOCKER_HOST", {"docker_host", [](C c, E) -> Value { return c.docker_host; }}},
      {"VX11_RESYNC_SEC",
       {"resync_sec", [](C c, E) -> Value { return std::to_string(c.resync_sec); }}},
      {"VX11_HEALTH_TIMEOUT_SEC",
       {"health_timeout_sec",
        [](C c, E) -> Value { return std::to_string(c.health_timeout_sec); }}},
      {"VX11_COMPAT_OPEN_WAIT_SEC",
       {"compat_open_wait_sec",
        [](C c, E) -> Value { return std::to_string(c.compat_open_wait_sec); }}},
      {"VX11_EXTERNAL_START", {"external_start", [](C c, E) -> Value { return c.external_start; }}},
      {"VX11_EXTERNAL_START_TTL_SEC",
       {"external_start_ttl_sec",
        [](C c, E) -> Value { return std::to_string(c.external_start_ttl_sec); }}},
      {"VX11_SERVICE_HOLD_TTL_SEC",
       {"service_hold_ttl_sec",
        [](C c, E) -> Value { return std::to_string(c.service_hold_ttl_sec); }}},
      {"VX11_BUILD_TIMEOUT_SEC",
       {"build_timeout_sec", [](C c, E) -> Value { return std::to_string(c.build_timeout_sec); }}},
      {"VX11_BUILD_CONTEXT_MAX_MB",
       {"build_context_max_mb",
        [](C c, E) -> Value { return std::to_string(c.build_context_max_mb); }}},
      {"VX11_INTENT_OPEN_SOURCES",
       {"intent_open_sources", [](C c, E) -> Value { return Join(c.intent_open_sources); }}},
      {"VX11_INTENT_POLICY_FILE",
       {"intent_policy_file", [](C c, E) { return Path(c.intent_policy_file); }}},
      {"VX11_INTENT_PENDING_TTL_SEC",
       {"intent_pending_ttl_sec",
        [](C c, E) -> Value { return std::to_string(c.intent_pending_ttl_sec); }}},
      {"VX11_MANIFESTATOR_EMIT_INTENT_ENABLED",
       {"manifestator_emit_intent_enabled",
        [](C c, E) -> Value { return Bool(c.manifestator_emit_intent_enabled); }}},
      {"VX11_INEE_ENABLED", {"inee_enabled", [](C c, E) -> Value { return Bool(c.inee_enabled); }}},
      {"VX11_AUTOFIX_AUTO_ACTIONS",
       {"", [](C c, E) -> Value { return AutoActionsText(c.autofix_auto_actions); }}},
      {"VX11_AUTOFIX_MAX_CYCLES",
       {"", [](C c, E) -> Value { return std::to_string(c.autofix_max_cycles); }}},
      {"VX11_UI_HOSTS", {"ui_hosts", [](C c, E) -> Value { return Join(c.ui_hosts); }}},
      {"VX11_CRASHLOOP_ACTION",
       {"crashloop_action", [](C c, E) -> Value { return c.crashloop_action; }}},
      {"VX11_THROTTLE_CPU_PCT",
       {"throttle_cpu_pct", [](C c, E) -> Value { return std::to_string(c.throttle_cpu_pct); }}},
      {"VX11_THROTTLE_MODE", {"throttle_mode", [](C c, E) -> Value { return c.throttle_mode; }}},
      {"VX11_STOP_STRATEGY", {"stop_strategy", [](C c, E) -> Value { return c.stop_strategy; }}},
      {"VX11_PROVIDER", {"provider", [](C c, E) -> Value { return c.provider; }}},
      {"VX11_METRICS_PUBLIC",
       {"metrics_public", [](C c, E) -> Value { return Bool(c.metrics_public); }}},
      {"VX11_LEGACY_FORWARD_PREFIXES",
       {"legacy_forward_prefixes",
        [](C c, E) -> Value {
          return Join(c.legacy_forward_prefixes.value_or(DefaultLegacyForwardPrefixes()));
        }}},
      {"VX11_LEGACY_MADRE_URL",
       {"legacy_madre_url",
        [](C c, E) -> Value {
          if (!c.legacy_madre_url) return std::nullopt;
          return c.legacy_madre_url->text;
        }}},
      {"VX11_LEGACY_FORWARD_TIMEOUT_SEC",
       {"legacy_forward_timeout_sec",
        [](C c, E) -> Value { return std::to_string(c.legacy_forward_timeout_sec); }}},
      {"VX11_AUTOFIX_LLM_URL",
       {"autofix_llm_url",
        [](C c, E) -> Value {
          if (!c.adviser.url) return std::nullopt;
          return WithoutQuery(*c.adviser.url);
        }}},
      {"VX11_AUTOFIX_LLM_MODEL",
       {"autofix_llm_model", [](C c, E) -> Value { return c.adviser.model; }}},
      {"VX11_DEEPSEEK_API_KEY",
       {"",
        [](C c, E) -> Value {
          if (c.adviser.key.empty()) return std::nullopt;
          return c.adviser.key;
        }}},
      {"VX11_AUTOFIX_LLM_KEY_FILE",
       {"autofix_llm_key_file", [](C c, E) { return Path(c.adviser.key_file); }}},
      {"VX11_AUTOFIX_LLM_RATE_PER_HOUR",
       {"autofix_llm_rate_per_hour",
        [](C c, E) -> Value { return std::to_string(c.adviser.rate_per_hour); }}},
      {"VX11_AUTOFIX_LLM_TIMEOUT_SEC",
       {"autofix_llm_timeout_sec",
        [](C c, E) -> Value { return std::to_string(c.adviser.timeout_sec); }}},
      {"VX11_AUTOFIX_LLM_MASK_NAMES",
       {"autofix_llm_mask_names", [](C c, E) -> Value { return Bool(c.adviser.mask_names); }}},
      {"VX11_AUTOFIX_LLM_CA_FILE",
       {"autofix_llm_ca_file", [](C c, E) { return Path(c.adviser.ca_file); }}},
      {"VX11_SOLO_MADRE", {"", [](C, E env) { return EnvValue(env, "VX11_SOLO_MADRE"); }}},
      {"VX11_WINDOW_SERVICES",
       {"", [](C, E env) { return EnvValue(env, "VX11_WINDOW_SERVICES"); }}},
  };
  return rows;
}

std::string SourceOf(const std::string& name, const Row& row, const DaemonConfig& config,
                     const SettingOrigins& origins) {
  if (auto flag = origins.flags.find(name); flag != origins.flags.end()) {
    return "flag " + flag->second;
  }
  if (!row.toml_key.empty() && origins.file_keys.count(row.toml_key)) return origins.config_file;
  if (name == "VX11_DEEPSEEK_API_KEY") {
    // The key is read from the first of three variables.
    if (config.adviser.key_source.empty()) return "default";
    return config.adviser.key_source == name ? "env" : "env " + config.adviser.key_source;
  }
  if (EnvValue(origins.env, name)) return "env";
  return "default";
}

}  // namespace

bool IsSecretSettingName(std::string_view name) {
  constexpr std::string_view kFile = "_FILE";
  if (name.size() >= kFile.size() && name.substr(name.size() - kFile.size()) == kFile) {
    return false;
  }
  for (std::string_view word : {"TOKEN", "KEY", "SECRET", "PASSWORD"}) {
    if (name.find(word) != std::string_view::npos) return true;
  }
  return false;
}

std::vector<std::string> PrintedSettingNames() {
  std::set<std::string> names = KnownSettings();
  names.insert("DOCKER_HOST");
  return {names.begin(), names.end()};
}

bool IsDescribedSetting(const std::string& name) { return Rows().count(name) > 0; }

std::vector<EffectiveSetting> EffectiveSettings(const DaemonConfig& config,
                                                const SettingOrigins& origins) {
  std::vector<EffectiveSetting> out;
  for (const std::string& name : PrintedSettingNames()) {
    EffectiveSetting setting{.name = name,
                             .value = std::nullopt,
                             .source = "default",
                             .secret = IsSecretSettingName(name)};
    auto row = Rows().find(name);
    if (row == Rows().end()) {
      setting.value = "<not described: see madre serve --help>";
    } else {
      setting.value = row->second.value(config, origins.env);
      setting.source = SourceOf(name, row->second, config, origins);
    }
    if (setting.secret && setting.value) setting.value = "<redacted>";
    out.push_back(std::move(setting));
  }
  return out;
}

std::string TokenSourceText(const DaemonConfig& config, const EnvLookup& env) {
  for (const char* name : {"VX11_TENTACULO_LINK_TOKEN", "VX11_TOKEN"}) {
    if (EnvValue(env, name)) return name;
  }
  return (config.state_dir / "token").string() + " (read, or created at start when missing)";
}

std::string FormatSettingsText(const std::vector<EffectiveSetting>& settings,
                               const std::string& token_source) {
  std::size_t name_width = std::string("SETTING").size();
  std::size_t value_width = std::string("VALUE").size();
  for (const EffectiveSetting& s : settings) {
    name_width = std::max(name_width, s.name.size());
    value_width = std::max(value_width, s.value.value_or("<unset>").size());
    value_width = std::max(value_width, std::string("<none>").size());
  }
  auto line = [&](const std::string& name, const std::string& value, const std::string& source) {
    std::string out = name;
    out.append(name_width + 2 - name.size(), ' ');
    out += value;
    out.append(value_width + 2 - value.size(), ' ');
    out += source;
    out += "\n";
    return out;
  };
  std::string out =
      "# madre serve --print-config: effective settings (flags, then --config, then the "
      "environment, then defaults); secrets redacted\n";
  out += line("SETTING", "VALUE", "SOURCE");
  for (const EffectiveSetting& s : settings) {
    const std::string value = s.value.value_or("<unset>");
    out += line(s.name, value.empty() ? "<none>" : value, s.source);
  }
  if (!token_source.empty()) out += "# the API token: " + token_source + "\n";
  return out;
}

std::string FormatSettingsJson(const std::vector<EffectiveSetting>& settings,
                               const std::string& token_source) {
  nlohmann::json rows = nlohmann::json::array();
  for (const EffectiveSetting& s : settings) {
    rows.push_back({{"name", s.name},
                    {"value", s.value ? nlohmann::json(*s.value) : nlohmann::json(nullptr)},
                    {"source", s.source},
                    {"secret", s.secret}});
  }
  nlohmann::json out{{"settings", rows}};
  if (!token_source.empty()) out["token_source"] = token_source;
  return out.dump(2) + "\n";
}

Result<SettingOrigins> OriginsOf(const ServeFlags& flags, const EnvLookup& env) {
  SettingOrigins origins;
  origins.env = env;
  if (!flags.config_file.empty()) {
    std::ifstream in(flags.config_file);
    if (!in) return Status::InvalidArgument("cannot read config file " + flags.config_file);
    std::stringstream text;
    text << in.rdbuf();
    origins.config_file = flags.config_file;
    ASSIGN_OR_RETURN(origins.file_keys, TomlKeys(text.str(), flags.config_file));
  }
  auto flag = [&](bool given, const char* name, const char* text) {
    if (given) origins.flags[name] = text;
  };
  flag(flags.bind.has_value(), "VX11_MADRE_BIND", "--bind");
  flag(flags.port.has_value(), "VX11_MADRE_PORT", "--port");
  flag(flags.project.has_value(), "VX11_COMPOSE_PROJECT", "--project");
  flag(flags.compose_dir.has_value(), "VX11_COMPOSE_DIR", "--compose-dir");
  flag(!flags.compose_files.empty(), "VX11_COMPOSE_FILES", "--compose-file");
  flag(flags.compose_cmd.has_value(), "VX11_COMPOSE_CMD", "--compose-cmd");
  flag(flags.always_on.has_value(), "VX11_ALWAYS_ON", "--always-on");
  flag(flags.allowlist.has_value(), "VX11_ALLOWLIST", "--allowlist");
  flag(flags.max_concurrent.has_value(), "VX11_POWER_WINDOWS_MAX_CONCURRENT", "--max-concurrent");
  flag(flags.timeout.has_value(), "VX11_POWER_WINDOWS_TIMEOUT_SEC", "--timeout");
  flag(flags.state_dir.has_value(), "VX11_STATE_DIR", "--state-dir");
  flag(flags.audit_dir.has_value(), "VX11_AUDIT_DIR", "--audit-dir");
  flag(flags.log_level.has_value(), "VX11_POWER_WINDOWS_LOG_LEVEL", "--log-level");
  return origins;
}

int PrintConfig(const ServeFlags& flags, const EnvLookup& env, std::ostream& out,
                std::ostream& err) {
  auto fail = [&err](const std::string& message) {
    err << "madre: " << message << "\n";
    return 2;
  };
  DaemonConfig config;
  if (Status status = BuildConfig(flags, env, config); !status.ok()) return fail(status.message());
  // The token as serve resolves it, from the environment only: the token file is not read (it
  // would be created when missing).
  for (const char* name : {"VX11_TENTACULO_LINK_TOKEN", "VX11_TOKEN"}) {
    if (Value v = EnvValue(env, name)) {
      config.token = *v;
      config.token_source = name;
      break;
    }
  }
  if (Status status = CheckDefaultTokenIsNotNamed(config); !status.ok()) {
    return fail(status.message());
  }
  if (Status status = CheckProviderSettings(config); !status.ok()) return fail(status.message());
  if (Status status = CheckStopStrategy(config); !status.ok()) return fail(status.message());
  if (config.intent_policy_file) {
    if (Result<IntentPolicy> policy = LoadIntentPolicy(*config.intent_policy_file); !policy.ok()) {
      return fail("VX11_INTENT_POLICY_FILE: " + policy.status().message());
    }
  }
  if (Result<std::optional<std::string>> key = ReadAuditHmacKey(config); !key.ok()) {
    return fail(key.status().message());
  }
  Result<SettingOrigins> origins = OriginsOf(flags, env);
  if (!origins.ok()) return fail(origins.status().message());
  const std::vector<EffectiveSetting> settings = EffectiveSettings(config, *origins);
  const std::string token_source = TokenSourceText(config, env);
  out << (flags.json ? FormatSettingsJson(settings, token_source)
                     : FormatSettingsText(settings, token_source));
  return 0;
}

}  // namespace madre
