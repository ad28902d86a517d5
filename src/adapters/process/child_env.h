// Which of madre's environment variables a child process sees (README "Security").
//
// madre's environment may hold secrets (VX11_TOKEN, cloud keys). A child gets every inherited
// variable except those whose name looks like a secret (IsSecretEnvName), unless the policy
// keeps that name. Compose interpolates ${VAR} in the compose files from madre's environment,
// so for compose the names the files (and .env) reference are kept (ComposeEnvPolicy).
#pragma once

#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace madre {

struct ChildEnvPolicy {
  bool scrub_secrets = true;   // false: the child inherits everything (tests, opt-out)
  std::set<std::string> keep;  // secret-looking names the child still gets (exact match)
};

// True when `name` contains TOKEN, KEY or SECRET, in any case ("VX11_TOKEN", "aws_secret",
// "MONKEY" too: the rule is simple on purpose).
bool IsSecretEnvName(std::string_view name);

// The variable names `text` references the way compose interpolates: ${NAME}, ${NAME:-x},
// ${NAME-x}, ${NAME:?x}, ${NAME?x}, ${NAME:+x}, ${NAME+x} and $NAME; "$$" is a literal dollar.
std::set<std::string> ReferencedEnvNames(std::string_view text);

// Every name the compose files (relative ones under `compose_dir`) and `<compose_dir>/.env`
// reference (ReferencedEnvNames). A file that cannot be read is skipped.
std::set<std::string> ComposeReferencedNames(const std::filesystem::path& compose_dir,
                                             const std::vector<std::string>& compose_files);

// The environment policy for compose children: secrets scrubbed except the names that the
// compose files (relative ones under `compose_dir`) and `<compose_dir>/.env` reference. A file
// that cannot be read is skipped (compose itself reports it).
ChildEnvPolicy ComposeEnvPolicy(const std::filesystem::path& compose_dir,
                                const std::vector<std::string>& compose_files);

// `environ`-style "NAME=value" entries filtered by `policy`.
std::vector<std::string> FilterEnvironment(const std::vector<std::string>& entries,
                                           const ChildEnvPolicy& policy);

}  // namespace madre
