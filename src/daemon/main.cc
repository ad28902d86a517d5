// The one binary: `madre serve` runs the daemon; every other subcommand is a client.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "daemon/serve.h"
#include "daemon/stack_command.h"
#include "daemon/webhooks.h"

#ifndef MADRE_VERSION
#define MADRE_VERSION "dev"
#endif

int main(int argc, char** argv) {
  CLI::App app{"madre " MADRE_VERSION
               ": the VX11 Power Windows controller.\n"
               "Keeps a Docker Compose stack at SOLO_MADRE and opens time-boxed power windows.\n"
               "`madre serve` runs the daemon; the other commands talk to it over HTTP.\n"
               "Shell completion: source <(madre completion bash) (also zsh; fish: "
               "madre completion fish | source)."};
  app.set_version_flag("--version", MADRE_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  madre::RegisterServe(app, &exit_code);
  madre::RegisterVerifyAudit(app, &exit_code);
  madre::RegisterStack(app, &exit_code);
  madre::RegisterWebhooksCommand(app, &exit_code);
  madre::cli::RegisterCommands(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  return exit_code;
}
