// The daemon's settings: defaults, then the environment (SPEC §2), then an
// optional TOML file (--config), then command-line flags.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/autofix.h"
#include "core/identity.h"
#include "core/model.h"
#include "core/webhook.h"
#include "daemon/adviser_config.h"

namespace madre {

// VX11_LEGACY_MADRE_URL: the original madre, http://host[:port][/prefix].
struct LegacyMadreUrl {
  std::string host;  // a name, an IPv4 address or a bracketed IPv6 one
  int port = 80;
  std::string prefix;  // "" or "/path" without a trailing slash
  std::string text;    // as given
};

struct DaemonConfig {
  std::string bind = "127.0.0.1";
  int port = 8001;
  std::string token;         // resolved by ResolveToken; never logged
  std::string token_source;  // "VX11_TENTACULO_LINK_TOKEN", "VX11_TOKEN" or the token file path
  // VX11_TOKENS_FILE: more tokens, with names and roles (daemon/tokens_file.h); `tokens` is
  // filled from it by serve (LoadTokensFile).
  std::optional<std::filesystem::path> tokens_file;
  std::vector<TokenEntry> tokens;
  // VX11_WEBHOOKS_FILE: where events are posted (daemon/webhooks_file.h, docs/webhooks.md);
  // `webhooks` is filled from it by serve (LoadWebhooksFile).
  std::optional<std::filesystem::path> webhooks_file;
  std::vector<WebhookEndpoint> webhooks;
  std::string compose_project = "vx11";
  std::filesystem::path compose_dir;       // empty: current dir
  std::vector<std::string> compose_files;  // empty: docker-compose.yml (+ override if present)
  std::optional<std::string> compose_cmd;  // VX11_COMPOSE_CMD
  std::set<std::string> always_on = {"madre", "redis"};
  bool core_mode = false;                          // adds tentaculo_link to always_on
  std::optional<std::set<std::string>> allowlist;  // nullopt: every compose service not always-on
  bool windows_enabled = true;
  int timeout_sec = 30;
  int ttl_check_interval_sec = 1;  // accepted for compatibility; expiry is timer-driven
  int max_concurrent = 1;
  std::string log_level = "INFO";
  std::filesystem::path state_dir = "./data/madre";
  std::optional<std::filesystem::path> audit_dir;  // default <state_dir>/audit
  // VX11_AUDIT_HMAC_KEY_FILE: key of the audit chain's HMAC, outside the state dir.
  std::optional<std::filesystem::path> audit_hmac_key_file;
  int audit_retention_days = 0;           // 0: keep every audit record
  int window_history_retention_days = 0;  // 0: keep every closed window
  std::string docker_host = "unix:///var/run/docker.sock";
  int resync_sec = 30;
  // POST /madre/power/window/open answers after this at most (the window as it is, `opening`)
  // while madre goes on waiting: the original clients give up after 5 to 30 s.
  int compat_open_wait_sec = 4;
  int health_timeout_sec = 60;  // readiness limit without vx11.health.timeout_sec
  // VX11_EXTERNAL_START: a service started outside madre is adopted (a window of its own for
  // external_start_ttl_sec), stopped, or ignored.
  std::string external_start = "adopt";  // adopt|stop|ignore
  int external_start_ttl_sec = 300;      // 0: adopted until closed
  // VX11_BUILD_TIMEOUT_SEC: an image build is killed after this (ComposeImageBuilderOptions).
  int build_timeout_sec = 600;
  // VX11_BUILD_CONTEXT_MAX_MB: the cap on a build request's context (core/build.h).
  int build_context_max_mb = 200;
  // VX11_INTENT_OPEN_SOURCES: `source` values that may POST /madre/intent without a token.
  std::set<std::string> intent_open_sources;
  // VX11_INTENT_POLICY_FILE: the intent policy (TOML, daemon/intent_policy_file.h); unset:
  // every intent needs approval.
  std::optional<std::filesystem::path> intent_policy_file;
  // VX11_INTENT_PENDING_TTL_SEC: a pending intent nobody decides expires after this.
  int intent_pending_ttl_sec = 900;
  // VX11_MANIFESTATOR_EMIT_INTENT_ENABLED: POST /manifestator/builder/emit-intent is served
  // (else 404 naming the variable).
  bool manifestator_emit_intent_enabled = false;
  // VX11_UI_HOSTS: Host names (lower case, no port) accepted besides loopback and the bind
  // address for requests that carry no token (the console at /ui/, /health, /openapi.json, a
  // public /metrics: with madre's port; token-less intents).
  std::set<std::string> ui_hosts;
  // VX11_SERVICE_HOLD_TTL_SEC: a service hold's TTL; 0 (the default): none, as the original.
  int service_hold_ttl_sec = 0;
  std::string crashloop_action = "report";  // report|stop
  int throttle_cpu_pct = 70;                // 0 or 100: no throttling
  // VX11_INEE_ENABLED: approved intents are admitted against their source's quota (the
  // policy's [sources.NAME]) as well as the host CPU threshold (docs/intents.md).
  bool inee_enabled = false;
  // VX11_AUTOFIX_AUTO_ACTIONS: the remediation kinds autofix applies without a human (default
  // none: it only proposes); VX11_AUTOFIX_MAX_CYCLES: cycles per incident before it gives up.
  std::set<RemediationKind> autofix_auto_actions;
  int autofix_max_cycles = kDefaultAutofixMaxCycles;
  std::string throttle_mode = "wait";  // wait|refuse
  std::string stop_strategy = "stop";  // stop|pause|cpu_idle
  // VX11_PROVIDER: compose (the compose CLI and the Engine API's containers) or swarm (the
  // stack's services scaled through the Engine API; docs/providers.md).
  std::string provider = "compose";
  std::size_t max_body_bytes = 1 << 20;
  bool metrics_public = false;  // VX11_METRICS_PUBLIC: GET /metrics without the token
  // VX11_LEGACY_MADRE_URL: where the legacy prefixes are forwarded; unset, they answer 404
  // `legacy_route` (docs/http_api.md).
  std::optional<LegacyMadreUrl> legacy_madre_url;
  int legacy_forward_timeout_sec = 30;  // VX11_LEGACY_FORWARD_TIMEOUT_SEC: then 504
  // VX11_LEGACY_FORWARD_PREFIXES; nullopt: the router's default list
  // (DefaultLegacyForwardPrefixes in http_api/router.h).
  std::optional<std::vector<std::string>> legacy_forward_prefixes;
  // VX11_AUTOFIX_LLM_*: autofix's LLM adviser (daemon/adviser_config.h); off without a URL.
  AdviserConfig adviser;

  std::set<std::string> EffectiveAlwaysOn() const;
  // The services windows may name: `allowlist` when set, else every service of `services`
  // that is not always-on.
  std::set<std::string> EffectiveAllowlist(const std::set<std::string>& services) const;
  std::filesystem::path AuditDir() const { return audit_dir.value_or(state_dir / "audit"); }
};

using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup ProcessEnv();

// Applies the environment variables over `config`. kInvalidArgument naming the variable.
Status ApplyEnv(const EnvLookup& env, DaemonConfig& config);
// Applies a TOML document (keys: see docs/configuration in README/HACKING).
Status ApplyToml(std::string_view toml_text, const std::string& origin, DaemonConfig& config);
// The top-level keys of a TOML document (kInvalidArgument when it does not parse, as ApplyToml).
Result<std::set<std::string>> TomlKeys(std::string_view toml_text, const std::string& origin);
// Fills config.token: VX11_TENTACULO_LINK_TOKEN, then VX11_TOKEN, else the content of
// <state dir>/token without leading and trailing blanks (TrimBlanks, as the CLI reads it; the
// file is created with a random token, mode 0600, when missing). kInvalidArgument when the file
// exists but holds only blanks.
Status ResolveToken(const EnvLookup& env, DaemonConfig& config);

// Reads config.audit_hmac_key_file (its content without leading and trailing blanks); nullopt
// when the setting is not set. kInvalidArgument when the file is inside the state or audit dir
// (whoever can rewrite the audit must not be able to read the key there), empty, or shorter
// than 16 bytes; kNotFound when it cannot be read.
Result<std::optional<std::string>> ReadAuditHmacKey(const DaemonConfig& config);

// A token shorter than this is accepted with a warning (ConfigWarnings).
inline constexpr std::size_t kMinTokenLength = 16;

// True for 127.0.0.0/8, ::1 (also bracketed), ::ffff:127.x.y.z and "localhost"; false for any
// other address, 0.0.0.0 and :: included.
bool IsLoopbackAddress(std::string_view address);

// What serve logs as warnings once the config and the token are resolved: a bind address that
// is not loopback (no TLS: the token travels in clear text), a token shorter than
// kMinTokenLength. Never contains the token.
std::vector<std::string> ConfigWarnings(const DaemonConfig& config);

// With VX11_PROVIDER=swarm, one warning per service label the Swarm provider accepts but does
// not act on (docs/providers.md, "Features per provider"): vx11.health.exec (madre's own run
// of a healthcheck needs a container), vx11.cpu.limit (CPU limits go through the container
// API), vx11.health.url / vx11.health.tcp (they dial 127.0.0.1: they answer only if the stack
// publishes the port on this host). None with compose.
std::vector<std::string> ProviderModelWarnings(const DaemonConfig& config,
                                               const ServiceModel& model);

// The combinations VX11_PROVIDER=swarm does not support (docs/providers.md): a DOCKER_HOST that
// is not unix://, VX11_STOP_STRATEGY other than stop. kInvalidArgument naming them.
Status CheckProviderSettings(const DaemonConfig& config);

// Whether madre follows Docker's events: with a unix:// DOCKER_HOST (the container events of the
// compose project, or of a swarm stack's tasks and services with VX11_PROVIDER=swarm).
bool FollowsContainerEvents(const DaemonConfig& config);

// http://host[:port][/prefix] (`name` is the setting, for the error). kInvalidArgument naming
// the setting for any other scheme, a user, a query, a fragment, a bad host or port.
Result<LegacyMadreUrl> ParseLegacyMadreUrl(const std::string& name, const std::string& value);

// "a,b , c" -> {"a","b","c"}; empty items dropped.
std::vector<std::string> SplitList(const std::string& text);
Result<int> ParseIntSetting(const std::string& name, const std::string& value, int min, int max);
Result<bool> ParseBoolSetting(const std::string& name, const std::string& value);

// The help text listing every setting (for `madre serve --help`).
std::string SettingsHelp();

// Every VX11_* name madre reads: those SettingsHelp() documents, and VX11_MADRE_URL (the
// CLI's). A unit test checks that every name ApplyEnv and ResolveToken ask for is here.
const std::set<std::string>& KnownSettings();

// The VX11_* names among `environment` (entries "NAME=value", as in `environ`) that madre does
// not read and `also_used` does not hold (the names the compose files interpolate), sorted: a
// typo, or a flag of the original system that did nothing (such as VX11_INEE_FORWARD_ENABLED).
// Serve logs a warning for each, so none passes silently.
std::vector<std::string> UnreadSettings(const std::vector<std::string>& environment,
                                        const std::set<std::string>& also_used = {});
// `environ` as such entries.
std::vector<std::string> ProcessEnvironment();

}  // namespace madre
