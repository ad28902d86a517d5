// Pure argv builders for Docker Compose (v2 plugin `docker compose` and v1
// `docker-compose`). No processes are run here.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/model.h"  // IsValidServiceName

namespace madre {

// Which compose's command lines and output formats to use. The command itself is separate
// (ComposeTarget::command): a standalone v2 binary is often installed as `docker-compose`.
enum class ComposeFlavor {
  kV2Plugin,  // Compose v2 (`docker compose ...`, or a standalone v2 `docker-compose`)
  kV1,        // Compose v1, the Python `docker-compose`
};

// Which compose command to run, for which project.
struct ComposeTarget {
  std::vector<std::string> command;  // e.g. {"docker", "compose"} or {"docker-compose"}
  ComposeFlavor flavor = ComposeFlavor::kV2Plugin;
  std::string project;                // always passed as `-p`
  std::vector<std::string> files;     // each passed as `-f`, in order
  std::filesystem::path working_dir;  // the child's working directory (empty: inherit)
};

enum class ComposeVerb {
  kConfig,      // v2: `config --format json`; v1: `config` (YAML)
  kUp,          // `up -d --no-deps --no-build <services>`
  kStop,        // `stop <services>`
  kRestart,     // `restart <services>`
  kPs,          // v2: `ps --all --format json`; v1: `ps -a -q` (ids; see InspectArgv)
  kCreate,      // `up --no-start --no-deps --no-build <services>`
  kConfigHash,  // every service's config hash: v2 `config --hash *`; v1 `config --hash=*`
  kBuild,       // `build <service>`: the image of a service with `build:` (never from `up`)
  kRecreate,    // `up -d --no-deps --no-build --force-recreate <services>` (autofix's recreate)
};

// The verb's name, for messages ("up", "stop", ...).
const char* ComposeVerbName(ComposeVerb verb);

// `command -p <project> -f <file>... <verb and flags> <services>...`.
//
// Choices:
// - `up` passes `--no-deps` (dependencies are started explicitly, in order, by
//   the caller) and `--no-build` (a daemon must never start an image build).
//   `--no-recreate` is deliberately NOT passed: when the compose file changed,
//   `up` recreates the container so the new configuration is applied; an
//   unchanged running container is left alone by compose anyway.
// - `stop` and `restart` pass no `-t`: compose uses each service's
//   stop_grace_period.
// - kConfig, kPs and kConfigHash take no services (CHECKed). kConfigHash asks
//   for every service (`*`): v1's docopt parser needs `--hash=*` as one word,
//   v2 (cobra) takes the value as the next word. Both print `<service> <hash>`
//   lines; the wildcard is an argv word, so no shell ever expands it.
//
// Every service name must pass IsValidServiceName (CHECKed: callers validate
// input before it gets here).
std::vector<std::string> ComposeArgv(const ComposeTarget& target, ComposeVerb verb,
                                     const std::vector<std::string>& services);

// `docker inspect <ids>...`, the second step of a v1 Ps(). Ids must be hex
// (CHECKed; see IsContainerId).
std::vector<std::string> InspectArgv(const std::vector<std::string>& container_ids);

// A full or short container id: 1 to 64 lowercase hex digits.
bool IsContainerId(std::string_view text);

// Parses VX11_COMPOSE_CMD ("docker compose", "docker-compose",
// "/usr/bin/docker-compose", "/usr/local/bin/docker compose"): split on
// whitespace. It is the v2 plugin when there are at least two words, the last
// is `compose` and the one before is a binary named `docker` (any directory);
// otherwise v1. Only `command` and `flavor` are filled.
// kInvalidArgument when the text is empty or blank.
Result<ComposeTarget> ParseComposeCommand(std::string_view text);

// The flavour a `<compose> version` output names: "docker-compose version 1.29.2, build x"
// is v1; "Docker Compose version v2.24.5" (plugin) and "docker-compose version v2.x" or
// "Docker Compose version 2.x" (standalone v2) are v2. nullopt when no version is found.
std::optional<ComposeFlavor> ParseComposeVersion(std::string_view output);

// The compose files of `dir`, as names relative to it, as compose itself finds
// them: the first existing of docker-compose.yml, docker-compose.yaml,
// compose.yaml, compose.yml, followed by the matching override file
// (docker-compose.override.yml/.yaml, or compose.override.yaml/.yml) if it
// exists. When no base file exists, {"docker-compose.yml"}, so that compose
// reports the missing file itself.
std::vector<std::string> DefaultComposeFiles(const std::filesystem::path& dir);

// The argv joined with single spaces, for messages and the audit.
std::string JoinArgv(const std::vector<std::string>& argv);

}  // namespace madre
