// `madre serve --print-config`: every setting madre reads (KnownSettings() and DOCKER_HOST, in
// that set's order), its effective value and where the value came from, secrets redacted.
// Creates nothing: the token file is not read or created, no state dir, no database.
#pragma once

#include <iosfwd>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "daemon/config.h"
#include "daemon/serve_config.h"

namespace madre {

// Where the settings came from besides the defaults (the precedence: flags, then the --config
// file, then the environment).
struct SettingOrigins {
  EnvLookup env;
  std::string config_file;                   // "" : no --config
  std::set<std::string> file_keys;           // the top-level keys the --config file sets
  std::map<std::string, std::string> flags;  // setting name -> the flag that set it ("--bind")
};

struct EffectiveSetting {
  std::string name;                  // VX11_MADRE_BIND
  std::optional<std::string> value;  // nullopt: unset; a secret's is "<redacted>"
  std::string source;  // "default", "env", "env DEEPSEEK_API_KEY", "flag --bind", or the file
  bool secret = false;
};

// True for a name that says TOKEN, KEY, SECRET or PASSWORD, unless it ends in _FILE (a path to
// a secret, such as VX11_AUDIT_HMAC_KEY_FILE or VX11_TOKENS_FILE, is shown).
bool IsSecretSettingName(std::string_view name);

// The names --print-config lists, in order: KnownSettings() (a sorted set) with DOCKER_HOST.
std::vector<std::string> PrintedSettingNames();

// True when --print-config knows how to show `name` (a unit test checks every printed name).
bool IsDescribedSetting(const std::string& name);

// The rows for `config` (as BuildConfig left it; config.token is not looked at).
std::vector<EffectiveSetting> EffectiveSettings(const DaemonConfig& config,
                                                const SettingOrigins& origins);

// Aligned columns SETTING VALUE SOURCE, a header line first; unset values show as <unset>,
// empty ones (an empty list) as <none>. `token_source` (TokenSourceText), when not empty, is a
// last comment line: where the API token comes from.
std::string FormatSettingsText(const std::vector<EffectiveSetting>& settings,
                               const std::string& token_source = "");
// {"settings":[{"name","value" (null when unset),"source","secret"}...], "token_source"}
std::string FormatSettingsJson(const std::vector<EffectiveSetting>& settings,
                               const std::string& token_source = "");

// Where serve takes the API token from, without reading or creating the token file:
// "VX11_TENTACULO_LINK_TOKEN", "VX11_TOKEN", or "<state dir>/token (read, or created at start
// when missing)".
std::string TokenSourceText(const DaemonConfig& config, const EnvLookup& env);

// SettingOrigins of `flags` over `env` (reads the --config file for its keys).
Result<SettingOrigins> OriginsOf(const ServeFlags& flags, const EnvLookup& env);

// The whole command: builds the config as serve does, runs serve's checks that read settings
// files (the tokens file, the intent policy, the audit HMAC key), and prints the settings to
// `out`. Exit code as serve's: 0, or 2 for a bad setting with `madre: <error>` on `err`.
int PrintConfig(const ServeFlags& flags, const EnvLookup& env, std::ostream& out,
                std::ostream& err);

}  // namespace madre
