// `madre stack deploy` (docs/providers.md): `docker stack deploy` with the compose files madre is
// configured with, plus one file madre writes so that a redeploy keeps what madre did to the
// deployed services. Pure: the plan and the argv; the command runs them (src/daemon).
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "adapters/swarm/swarm_parse.h"

namespace madre {

struct StackDeployPlan {
  // The last `-c` file: for each service of the compose files that the stack already runs, its
  // current replica count (deploy.replicas; not for a global service) and madre's label
  // vx11.madre.replicas when it has one (deploy.labels, merged with the file's own labels).
  // "" when no service of the files is deployed yet (then no file is added).
  std::string override_yaml;
  // One line per service of the compose files, sorted: what the deploy does to it.
  std::vector<std::string> summary;
};

// `deployed`: the stack's services now (SwarmClient::ListStackServices); `model_services`: the
// services of the compose files. A deployed service that the files no longer have is left as
// `docker stack deploy` leaves it (it is not removed without --prune) and said so.
StackDeployPlan PlanStackDeploy(std::string_view stack, const std::vector<SwarmService>& deployed,
                                const std::set<std::string>& model_services);

// docker stack deploy -c FILE... [-c OVERRIDE] STACK. `override_file` "" adds none.
std::vector<std::string> StackDeployArgv(const std::vector<std::string>& compose_files,
                                         const std::string& override_file,
                                         const std::string& stack);

}  // namespace madre
