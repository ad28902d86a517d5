// Drives `docker compose` / `docker-compose` for one configured project.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/model.h"

namespace madre {

// One docker operation as recorded in the audit (SPEC §7).
struct DockerOp {
  std::string command;  // the argv joined with spaces, or "POST /containers/x/start"
  int exit_code = 0;    // -1 when it could not run or timed out
  std::int64_t elapsed_ms = 0;
  std::string output;  // stdout+stderr, cut to 4 KiB
  friend bool operator==(const DockerOp&, const DockerOp&) = default;
};

// The result of a mutating compose call: the status of the whole call and
// every process it ran (including the retry).
struct ComposeOutcome {
  Status status;
  std::vector<DockerOp> ops;
};

// Blocking; safe to call from any thread. Every call passes `-p` and `-f` and
// runs in the configured working dir. A command that outlives the configured
// timeout has its process group killed and gives kDeadlineExceeded; a non-zero
// exit gives kUnavailable with the tail of the output. A failed mutating call
// is retried once after a back-off (1 s, then 5 s before giving up).
class ComposeRunner {
 public:
  virtual ~ComposeRunner() = default;
  // The service model from `config` (v2 JSON or v1 YAML).
  virtual Result<ServiceModel> Config() = 0;
  // `up -d --no-deps <services>`: services are in start order.
  virtual ComposeOutcome Up(const std::vector<std::string>& services) = 0;
  virtual ComposeOutcome Stop(const std::vector<std::string>& services) = 0;
  virtual ComposeOutcome Restart(const std::vector<std::string>& services) = 0;
  // `up -d --no-deps --no-build --force-recreate <services>`: new containers from the compose
  // definition (autofix's `recreate` remediation).
  virtual ComposeOutcome Recreate(const std::vector<std::string>& services) = 0;
  // Every container of the project, running or not.
  virtual Result<std::vector<ContainerState>> Ps() = 0;
  // The configuration hash of every service (`config --hash=*`): service name ->
  // the value compose puts in the com.docker.compose.config-hash label of a
  // container it creates from the current compose files. A container whose
  // label differs was created from an older configuration, and `Up` recreates it.
  // May be cached by the implementation (see ComposeCliRunner).
  virtual Result<std::map<std::string, std::string>> ConfigHashes() = 0;
};

}  // namespace madre
