#include "adapters/compose/compose_cli_runner.h"

#include <thread>
#include <utility>

#include "adapters/compose/compose_parsers.h"
#include "base/text.h"

namespace madre {
namespace {

constexpr int kMaxAttempts = 3;
// Output kept from a mutating call: enough for the DockerOp and the message.
constexpr std::size_t kMutateOutputBytes = 256 * 1024;
// Output of config / ps / inspect must be complete to be parsed.
constexpr std::size_t kReadOutputBytes = 16 * 1024 * 1024;
constexpr std::size_t kMessageTailBytes = 1024;
constexpr Duration kDetectTimeout = Seconds(20);

std::string OutputTail(std::string_view output) {
  const std::string tail = Utf8Tail(TrimBlanksView(output), kMessageTailBytes);
  return tail.empty() ? "(no output)" : tail;
}

void RealSleep(Duration d) { std::this_thread::sleep_for(d); }

}  // namespace

std::string Utf8Tail(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return std::string(text);
  std::size_t start = text.size() - max_bytes;
  // Skip continuation bytes (10xxxxxx) so the cut starts on a character.
  while (start < text.size() && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80) ++start;
  return std::string(text.substr(start));
}

// One process run, as the audit sees it and as the caller needs it.
struct ComposeCliRunner::Attempt {
  Status status;
  bool started = false;  // false: the process could not be run at all
  std::string output;    // the full captured output (up to the cap)
  DockerOp op;
};

ComposeCliRunner::ComposeCliRunner(ComposeTarget target, ProcessRunner& processes, Duration timeout,
                                   SleepFn sleep)
    : target_(std::move(target)),
      processes_(processes),
      timeout_(timeout),
      sleep_(sleep ? std::move(sleep) : SleepFn(RealSleep)) {}

ComposeCliRunner::Attempt ComposeCliRunner::RunOnce(const std::vector<std::string>& argv,
                                                    std::size_t max_output_bytes) {
  ProcessSpec spec;
  spec.argv = argv;
  spec.working_dir = target_.working_dir;
  spec.timeout = timeout_;
  spec.max_output_bytes = max_output_bytes;

  Attempt attempt;
  attempt.op.command = JoinArgv(argv);
  const std::string quoted = "`" + attempt.op.command + "`";
  Result<ProcessResult> result = processes_.Run(spec);
  if (!result.ok()) {
    attempt.op.exit_code = -1;
    attempt.op.output = Utf8Tail(result.status().message(), kDockerOpOutputBytes);
    attempt.status = Status::Unavailable("cannot run " + quoted + ": " + result.status().message());
    return attempt;
  }
  attempt.started = true;
  attempt.output = std::move(result->output);
  attempt.op.exit_code = result->timed_out ? -1 : result->exit_code;
  attempt.op.elapsed_ms = result->elapsed_ms;
  attempt.op.output = Utf8Tail(attempt.output, kDockerOpOutputBytes);
  if (result->timed_out) {
    attempt.status =
        Status::DeadlineExceeded(quoted + " timed out after " + FormatHumanDuration(timeout_) +
                                 "; output: " + OutputTail(attempt.output));
  } else if (result->exit_code != 0) {
    attempt.status =
        Status::Unavailable(quoted + " exited with code " + std::to_string(result->exit_code) +
                            "; output: " + OutputTail(attempt.output));
  } else if (result->truncated && max_output_bytes == kReadOutputBytes) {
    attempt.status = Status::Internal(quoted + " printed more than " +
                                      std::to_string(kReadOutputBytes) + " bytes");
  }
  return attempt;
}

ComposeOutcome ComposeCliRunner::Mutate(ComposeVerb verb,
                                        const std::vector<std::string>& services) {
  ComposeOutcome outcome;
  if (services.empty()) return outcome;
  for (const std::string& service : services) {
    if (!IsValidServiceName(service)) {
      outcome.status = Status::InvalidArgument("invalid compose service name: '" + service + "'");
      return outcome;
    }
  }
  const std::vector<std::string> argv = ComposeArgv(target_, verb, services);
  for (int i = 0; i < kMaxAttempts; ++i) {
    if (i > 0) sleep_(kComposeRetryBackoff[i - 1]);
    Attempt attempt = RunOnce(argv, kMutateOutputBytes);
    outcome.ops.push_back(std::move(attempt.op));
    outcome.status = std::move(attempt.status);
    if (outcome.status.ok() || !attempt.started) break;
  }
  if (!outcome.status.ok() && outcome.ops.size() > 1) {
    outcome.status =
        Status(outcome.status.code(), outcome.status.message() + " (after " +
                                          std::to_string(outcome.ops.size()) + " attempts)");
  }
  return outcome;
}

Result<std::string> ComposeCliRunner::RunReadOnly(const std::vector<std::string>& argv) {
  Attempt attempt = RunOnce(argv, kReadOutputBytes);
  RETURN_IF_ERROR(attempt.status);
  return std::move(attempt.output);
}

Result<ServiceModel> ComposeCliRunner::Config() {
  ASSIGN_OR_RETURN(std::string output, RunReadOnly(ComposeArgv(target_, ComposeVerb::kConfig, {})));
  Result<ServiceModel> model =
      target_.flavor == ComposeFlavor::kV1 ? ParseConfigYaml(output) : ParseConfigJson(output);
  if (model.ok()) NameBuiltImages(*model, target_.flavor, target_.project);
  return model;
}

ComposeOutcome ComposeCliRunner::Up(const std::vector<std::string>& services) {
  return Mutate(ComposeVerb::kUp, services);
}

ComposeOutcome ComposeCliRunner::Stop(const std::vector<std::string>& services) {
  return Mutate(ComposeVerb::kStop, services);
}

ComposeOutcome ComposeCliRunner::Restart(const std::vector<std::string>& services) {
  return Mutate(ComposeVerb::kRestart, services);
}

ComposeOutcome ComposeCliRunner::Recreate(const std::vector<std::string>& services) {
  return Mutate(ComposeVerb::kRecreate, services);
}

Result<std::vector<ContainerState>> ComposeCliRunner::Ps() {
  switch (target_.flavor) {
    case ComposeFlavor::kV2Plugin: {
      ASSIGN_OR_RETURN(std::string output, RunReadOnly(ComposeArgv(target_, ComposeVerb::kPs, {})));
      return ParsePsJson(output);
    }
    case ComposeFlavor::kV1:
      return PsV1();
  }
  return Status::Internal("unknown compose flavor");
}

Result<std::map<std::string, std::string>> ComposeCliRunner::ConfigHashes() {
  std::lock_guard<std::mutex> lock(hash_mu_);
  // Stamped before compose reads the files: an edit during the run shows as a
  // change at the next call.
  std::vector<FileStamp> stamps = StampFiles(ConfigHashInputs(target_));
  if (hashes_ && stamps == hash_stamps_) return *hashes_;
  hashes_.reset();
  ASSIGN_OR_RETURN(std::string output,
                   RunReadOnly(ComposeArgv(target_, ComposeVerb::kConfigHash, {})));
  ASSIGN_OR_RETURN(auto hashes, ParseConfigHashes(output));
  hash_stamps_ = std::move(stamps);
  hashes_ = hashes;
  return hashes;
}

Result<std::vector<ContainerState>> ComposeCliRunner::PsV1() {
  ASSIGN_OR_RETURN(std::string ids_output, RunReadOnly(ComposeArgv(target_, ComposeVerb::kPs, {})));
  const std::vector<std::string> ids = ParseContainerIds(ids_output);
  if (ids.empty()) return std::vector<ContainerState>{};
  Attempt inspect = RunOnce(InspectArgv(ids), kReadOutputBytes);
  if (inspect.status.ok()) return ParseInspectJson(inspect.output);
  // `docker inspect` exits 1 when a container vanished after `ps`, yet still
  // prints the others; anything unparsable is the original error.
  if (inspect.started && !inspect.op.output.empty() && inspect.op.exit_code > 0) {
    Result<std::vector<ContainerState>> partial = ParseInspectJson(inspect.output);
    if (partial.ok()) return partial;
  }
  return inspect.status;
}

Result<ComposeTarget> DetectCompose(ProcessRunner& processes,
                                    std::optional<std::string> override_cmd) {
  // The flavour comes from what `version` prints; the command's name only breaks a tie
  // (a version text we cannot read).
  std::vector<ComposeTarget> candidates;
  if (override_cmd && !TrimBlanksView(*override_cmd).empty()) {
    ASSIGN_OR_RETURN(ComposeTarget parsed, ParseComposeCommand(*override_cmd));
    candidates.push_back(std::move(parsed));
  } else {
    ComposeTarget plugin;
    plugin.command = {"docker", "compose"};
    plugin.flavor = ComposeFlavor::kV2Plugin;
    ComposeTarget v1;
    v1.command = {"docker-compose"};
    v1.flavor = ComposeFlavor::kV1;
    candidates = {plugin, v1};
  }
  std::string failures;
  for (const ComposeTarget& candidate : candidates) {
    ProcessSpec spec;
    spec.argv = candidate.command;
    spec.argv.push_back("version");
    spec.timeout = kDetectTimeout;
    Result<ProcessResult> result = processes.Run(spec);
    std::string why;
    if (!result.ok()) {
      why = result.status().message();
    } else if (result->timed_out) {
      why = "timed out";
    } else if (result->exit_code != 0) {
      why = "exit code " + std::to_string(result->exit_code) + ": " +
            Utf8Tail(TrimBlanksView(result->output), 200);
    } else {
      ComposeTarget target;
      target.command = candidate.command;
      target.flavor = ParseComposeVersion(result->output).value_or(candidate.flavor);
      return target;
    }
    if (!failures.empty()) failures += "; ";
    failures += "`" + JoinArgv(spec.argv) + "`: " + why;
  }
  if (override_cmd && !TrimBlanksView(*override_cmd).empty()) {
    return Status::Unavailable("the compose command of VX11_COMPOSE_CMD does not work (" +
                               failures + ")");
  }
  return Status::Unavailable("Docker Compose not found (" + failures +
                             "); install it or set VX11_COMPOSE_CMD");
}

}  // namespace madre
