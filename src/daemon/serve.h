// `madre serve`: builds the object graph and runs the daemon until SIGTERM/SIGINT.
#pragma once

#include <CLI/CLI.hpp>

namespace madre {

// Adds the `serve` subcommand; its callback stores the exit code in *exit_code.
void RegisterServe(CLI::App& app, int* exit_code);
// Adds `verify-audit`: checks the audit files' hash chain offline.
void RegisterVerifyAudit(CLI::App& app, int* exit_code);

}  // namespace madre
