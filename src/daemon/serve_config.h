// `madre serve`'s flags and how they combine with the environment and the --config file into a
// DaemonConfig (shared by serve, `serve --check` and `serve --print-config`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "daemon/config.h"

namespace madre {

struct ServeFlags {
  std::string config_file;
  std::optional<std::string> bind;
  std::optional<int> port;
  std::optional<std::string> project;
  std::optional<std::string> compose_dir;
  std::vector<std::string> compose_files;
  std::optional<std::string> compose_cmd;
  std::optional<std::string> always_on;
  std::optional<std::string> allowlist;
  std::optional<int> max_concurrent;
  std::optional<int> timeout;
  std::optional<std::string> state_dir;
  std::optional<std::string> audit_dir;
  std::optional<std::string> log_level;
  bool check = false;         // --check: validate the settings and the compose model, then exit
  bool print_config = false;  // --print-config: print the effective settings, then exit
  bool json = false;          // --json (with --print-config)
};

// Defaults, then `env`, then the --config file, then the flags; then the default compose dir
// and files, a check that each compose file exists, and the tokens file. kInvalidArgument (serve
// exits 2) naming the setting or the file.
Status BuildConfig(const ServeFlags& flags, const EnvLookup& env, DaemonConfig& config);

// VX11_TOKEN (the admin named default) must not be one of the tokens file's: each token names
// one caller. kInvalidArgument naming the entry.
Status CheckDefaultTokenIsNotNamed(const DaemonConfig& config);

// A stop strategy that needs the Engine API with a DOCKER_HOST that is not unix://.
Status CheckStopStrategy(const DaemonConfig& config);

}  // namespace madre
