#include "daemon/serve_config.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/compose/compose_argv.h"
#include "base/sha256.h"
#include "daemon/tokens_file.h"
#include "daemon/webhooks_file.h"

namespace madre {

Status BuildConfig(const ServeFlags& flags, const EnvLookup& env, DaemonConfig& config) {
  RETURN_IF_ERROR(ApplyEnv(env, config));
  if (!flags.config_file.empty()) {
    std::ifstream in(flags.config_file);
    if (!in) return Status::InvalidArgument("cannot read config file " + flags.config_file);
    std::stringstream text;
    text << in.rdbuf();
    RETURN_IF_ERROR(ApplyToml(text.str(), flags.config_file, config));
  }
  if (flags.bind) config.bind = *flags.bind;
  if (flags.port) config.port = *flags.port;
  if (flags.project) config.compose_project = *flags.project;
  if (flags.compose_dir) config.compose_dir = *flags.compose_dir;
  if (!flags.compose_files.empty()) config.compose_files = flags.compose_files;
  if (flags.compose_cmd) config.compose_cmd = *flags.compose_cmd;
  if (flags.always_on) {
    auto items = SplitList(*flags.always_on);
    config.always_on = std::set<std::string>(items.begin(), items.end());
  }
  if (flags.allowlist) {
    auto items = SplitList(*flags.allowlist);
    config.allowlist = std::set<std::string>(items.begin(), items.end());
  }
  if (flags.max_concurrent) config.max_concurrent = *flags.max_concurrent;
  if (flags.timeout) config.timeout_sec = *flags.timeout;
  if (flags.state_dir) config.state_dir = *flags.state_dir;
  if (flags.audit_dir) config.audit_dir = *flags.audit_dir;
  if (flags.log_level) config.log_level = *flags.log_level;
  if (config.compose_dir.empty()) config.compose_dir = std::filesystem::current_path();
  if (config.compose_files.empty()) config.compose_files = DefaultComposeFiles(config.compose_dir);
  for (const auto& file : config.compose_files) {
    const std::filesystem::path path = std::filesystem::path(file).is_absolute()
                                           ? std::filesystem::path(file)
                                           : config.compose_dir / file;
    if (!std::filesystem::exists(path)) {
      return Status::InvalidArgument("compose file " + path.string() +
                                     " does not exist (set VX11_COMPOSE_DIR / VX11_COMPOSE_FILES)");
    }
  }
  if (config.tokens_file) {
    ASSIGN_OR_RETURN(config.tokens, LoadTokensFile(*config.tokens_file));
  }
  if (config.webhooks_file) {
    ASSIGN_OR_RETURN(config.webhooks, LoadWebhooksFile(*config.webhooks_file));
  }
  return Status::Ok();
}

Status CheckDefaultTokenIsNotNamed(const DaemonConfig& config) {
  if (config.token.empty() || config.tokens.empty()) return Status::Ok();
  const std::string hash = Sha256Hex(config.token);
  for (const TokenEntry& entry : config.tokens) {
    if (entry.token_sha256 == hash) {
      return Status::InvalidArgument("tokens file " + config.tokens_file->string() + ": [tokens." +
                                     entry.name + "] is the token of " + config.token_source +
                                     " (the admin named default): give it a token of its own");
    }
  }
  return Status::Ok();
}

Status CheckStopStrategy(const DaemonConfig& config) {
  if ((config.stop_strategy == "pause" || config.stop_strategy == "cpu_idle") &&
      config.docker_host.rfind("unix://", 0) != 0) {
    return Status::InvalidArgument("VX11_STOP_STRATEGY=" + config.stop_strategy +
                                   " needs the Engine API (a unix:// DOCKER_HOST)");
  }
  return Status::Ok();
}

}  // namespace madre
