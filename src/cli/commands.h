// The `madre` client subcommands (everything except `serve`).
//
// main.cc builds the CLI::App, adds `serve`, then:
//
//   int exit_code = 0;
//   madre::cli::RegisterCommands(app, &exit_code);
//   app.require_subcommand(1);
//   try {
//     app.parse(argc, argv);
//   } catch (const CLI::ParseError& e) {
//     return madre::cli::HandleParseError(app, e);  // prints; 0 for --help, else 2
//   }
//   return exit_code;
//
// Subcommands: open, close, hold, extend, state, status, windows, window, audit,
// solo-madre, services, health, conductor, intents, intent, build, builds, build-log, diagnose,
// autofix (and autofix reset), completion (a shell completion script: cli/completion.h). Every one
// takes --url, --token, --token-file, --json and
// --timeout (for `autofix`, --timeout bounds the whole wait; each call has 30 s). `token hash`
// talks to no madre: it prints the SHA-256 of a token (stdin or --token-file) for VX11_TOKENS_FILE.
// Errors print `madre: <detail>` on stderr.
//
// Exit codes (also in the --help footer; constants in cli/exit_codes.h):
//   0 ok · 1 any other error · 2 usage (CLI11 parse errors, HTTP 400) · 3 auth (401/403)
//   4 not found (404) · 5 conflict (409/422) · 6 docker failure (500/503, window failed)
//   7 timeout (client-side or 504) · 8 cannot connect to madre · 9 autofix: not every failure
//   fixed · 10 autofix: a remediation waits for approval
#pragma once

#include <CLI/CLI.hpp>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <string>

#include "base/clock.h"
#include "base/time.h"
#include "cli/api_client.h"
#include "cli/client_options.h"
#include "cli/exit_codes.h"

namespace madre::cli {

// Where and how a command reaches madre, after flags and environment are resolved.
struct Connection {
  std::string url;                 // e.g. "http://127.0.0.1:8001"
  std::string token;               // may be empty
  Duration timeout = Seconds(30);  // per HTTP call
};

// Everything a command touches outside itself. RealCommandEnv() is the real world;
// tests replace members (a fake transport, string streams, a fake clock and sleeper).
struct CommandEnv {
  GetEnvFn getenv;
  // The transport to madre for one command run.
  std::function<std::unique_ptr<Transport>(const Connection&)> make_transport;
  // The transport for absolute probe URLs (conductor availability checks): no token.
  std::function<std::unique_ptr<Transport>(Duration timeout)> make_probe_transport;
  std::istream* in = nullptr;  // stdin: `madre token hash` reads the token from it
  std::ostream* out = nullptr;
  std::ostream* err = nullptr;
  bool out_is_tty = false;  // live redraw for `open --wait`
  std::shared_ptr<const Clock> clock;
  std::function<void(Duration)> sleep;
  // Polled by `audit --follow` between polls; true ends the loop.
  std::function<bool()> interrupted;
  std::filesystem::path proc_root = "/proc";
};

// std::cout / std::cerr, isatty(1), SystemClock, a real sleep, HttpTransport, getenv.
CommandEnv RealCommandEnv();

// Adds every client subcommand to `app` and the exit-code table to its footer.
// Each subcommand's callback stores its exit code in *exit_code (which must outlive
// app.parse). The overload with `env` is for tests.
void RegisterCommands(CLI::App& app, int* exit_code);
void RegisterCommands(CLI::App& app, int* exit_code, CommandEnv env);

// For a CLI::ParseError thrown by app.parse: prints it the CLI11 way (help text for
// --help) and returns the process exit code: 0 for --help/--version, else kExitUsage.
int HandleParseError(const CLI::App& app, const CLI::ParseError& error);
int HandleParseError(const CLI::App& app, const CLI::ParseError& error, std::ostream& out,
                     std::ostream& err);

}  // namespace madre::cli
