// Internal to src/cli: what every client command shares once its flags are
// parsed (resolved connection, transport, output, error printing), and the
// per-command argument structs that CLI11 fills in.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace madre::cli {

// The options every client subcommand takes.
struct CommonFlags {
  std::string url;
  std::string token;
  std::string token_file;
  bool json = false;
  std::string timeout;  // a duration; empty: the command's default
};

// One command run. Resolves the connection lazily (Init), then makes calls and prints.
class CommandContext {
 public:
  CommandContext(const CommandEnv& env, const CommonFlags& flags, Duration default_timeout);

  // Resolves URL, token and timeout and builds the transport. On failure prints
  // `madre: ...` and returns the exit code to end with.
  std::optional<int> Init();

  ApiResponse Call(std::string_view method, std::string_view path,
                   const nlohmann::json& body = nullptr);

  // Prints the error of a failed call (`madre: <detail>` on stderr; with --json the
  // server's error body on stdout too) and returns its exit code.
  int Fail(const ApiResponse& response);
  // Prints `madre: <message>` on stderr and returns `exit_code`.
  int Fail(int exit_code, const std::string& message);

  // The common shape of a read or simple write: call, then print the JSON (--json)
  // or `render(body)`. Returns the exit code.
  int CallAndPrint(std::string_view method, std::string_view path, const nlohmann::json& body,
                   const std::function<std::string(const nlohmann::json&)>& render);

  bool json() const { return flags_.json; }
  std::ostream& out() const { return *env_.out; }
  std::ostream& err() const { return *env_.err; }
  const CommandEnv& env() const { return env_; }
  const Connection& connection() const { return connection_; }
  Transport& transport() { return *transport_; }

 private:
  const CommandEnv& env_;
  const CommonFlags& flags_;
  Duration default_timeout_;
  Connection connection_;
  std::unique_ptr<Transport> transport_;
};

// "2m" -> seconds; used after CLI11 validation, so it only fails on odd input.
std::optional<std::int64_t> DurationSeconds(const std::string& text);

struct OpenArgs {
  std::vector<std::string> services;
  std::string ttl;
  bool hold = false;
  bool wait = false;
  std::string wait_timeout = "120s";
  std::string reason = "manual";
};
int RunOpen(CommandContext& ctx, const OpenArgs& args);

// `madre build SERVICE`: a build intent for SERVICE, followed until it ends (build_command.cc).
struct BuildArgs {
  std::string service;
  std::string reason;
  std::string source;  // the intent's source ("" : none), matched by the policy
  bool no_follow = false;
  std::string wait_timeout = "1h";
};
int RunBuild(CommandContext& ctx, const BuildArgs& args);

struct ConductorArgs {
  std::string reason;
  std::vector<std::string> services = {"switch", "hermes"};
  std::string ttl = "60";
  std::string out = "./out/conductor";
  std::string health_timeout = "60";
  std::string startup_wait = "60";
  double cpu_threshold = 70;
  std::vector<std::string> checks;
  std::string flows_file;  // --flows FILE
  std::string flow;        // --flow SERVICE:NAME
  int latency_samples = 10;
  std::string force_fail;
  bool autofix = false;                 // --autofix: after a failed run, `madre autofix` on it
  std::string autofix_timeout = "300";  // --autofix-timeout
};
int RunConductorCommand(CommandContext& ctx, const ConductorArgs& args);

// `madre autofix [--test-result FILE] [--timeout D]` (autofix_command.cc; logic in autofix.h).
struct AutofixArgs {
  std::string test_result;              // a report file or run directory; "": the newest
  std::string out = "./out/conductor";  // where the newest is looked for
  std::string timeout = "300";          // how long to follow the incidents
  bool no_rerun = false;  // --no-rerun: do not run the conductor again once all is fixed
};
int RunAutofixCommand(CommandContext& ctx, const AutofixArgs& args);
// `madre autofix reset SERVICE`: lifts SERVICE's quarantine.
int RunAutofixReset(CommandContext& ctx, const std::string& service);

// `madre flows [SERVICE] [--flows FILE]`: the flows the conductor would run.
int RunFlowsCommand(CommandContext& ctx, const std::string& service, const std::string& flows_file);

}  // namespace madre::cli
