// `madre stack deploy` (VX11_PROVIDER=swarm, docs/providers.md): `docker stack deploy` of the
// compose files madre is configured with, keeping the deployed services at their current scale
// and madre's labels (adapters/swarm/stack_deploy.h).
#pragma once

#include <iosfwd>

#include "daemon/serve_config.h"

namespace CLI {
class App;
}

namespace madre {

struct StackDeployFlags {
  ServeFlags settings;  // --config, --project, --compose-dir, --compose-file (as serve reads them)
  bool dry_run = false;
};

// Exit codes: 0 deployed (or the dry run printed), 1 Docker could not be read or the deploy
// failed (its output is shown), 2 a bad setting or a provider other than swarm.
int StackDeploy(const StackDeployFlags& flags, std::ostream& out, std::ostream& err);

// Adds `madre stack deploy`; its callback stores the exit code in *exit_code.
void RegisterStack(CLI::App& app, int* exit_code);

}  // namespace madre
