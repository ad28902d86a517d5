// ComposeRunner over the compose CLI (`docker compose` v2 or `docker-compose`
// v1), run through a ProcessRunner.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/compose/compose_argv.h"
#include "adapters/compose/compose_config_hash.h"
#include "base/status.h"
#include "base/time.h"
#include "core/model.h"
#include "ports/compose_runner.h"
#include "ports/process_runner.h"

namespace madre {

// Runs compose for one project: every command carries `-p` and each `-f` of the
// target and runs in the target's working directory, with `timeout` per process.
//
// Mutating calls (Up, Stop, Restart):
// - An empty service list is OK at once and runs nothing.
// - An invalid service name (see IsValidServiceName) is kInvalidArgument and
//   runs nothing.
// - Up to 3 attempts: the first at once, the second after sleeping 1 s, the
//   third after sleeping 5 s more. An attempt fails when the process exits
//   non-zero or times out; a process that cannot be started at all is not
//   retried.
// - The outcome's status is that of the last attempt: OK, kDeadlineExceeded
//   (timeout), or kUnavailable (non-zero exit, or compose could not be run).
//   Failure messages carry the command and the last ~1 KiB of its output.
// - outcome.ops has one DockerOp per process run, in order: the argv joined
//   with spaces, the exit code (-1 when timed out or not started), the elapsed
//   ms, and the last 4 KiB of the output (cut on a UTF-8 boundary).
//
// Read-only calls (Config, Ps) make one attempt, with the same timeout and
// error mapping. Unparsable output is kInvalidArgument from the parsers.
// Ps() on v2 runs `ps --all --format json`; on v1 it runs `ps -a -q`, then
// `docker inspect <ids>` (none when there is no container). Containers that
// vanish between the two steps are left out.
//
// ConfigHashes() runs `config --hash=*` (v1) / `config --hash *` (v2) and keeps
// the answer with a stamp of its inputs (ConfigHashInputs: the compose files
// and .env, by path, size, mtime, ctime and inode). Each later call stats
// those few files (microseconds) and runs compose again only when a stamp
// changed. A failure is returned and not kept: the next call tries again.
//
// Thread-safe as long as the ProcessRunner and the sleep function are. The only
// mutable state is the hash cache, behind a mutex that is held while compose
// computes the hashes, so that callers racing after a change run it once.
class ComposeCliRunner final : public ComposeRunner {
 public:
  using SleepFn = std::function<void(Duration)>;

  // `processes` is borrowed and must outlive the runner. `sleep` is used for
  // the retry back-off; empty means std::this_thread::sleep_for.
  ComposeCliRunner(ComposeTarget target, ProcessRunner& processes, Duration timeout,
                   SleepFn sleep = {});

  const ComposeTarget& target() const { return target_; }

  // ComposeRunner
  Result<ServiceModel> Config() override;
  ComposeOutcome Up(const std::vector<std::string>& services) override;
  ComposeOutcome Stop(const std::vector<std::string>& services) override;
  ComposeOutcome Restart(const std::vector<std::string>& services) override;
  ComposeOutcome Recreate(const std::vector<std::string>& services) override;
  Result<std::vector<ContainerState>> Ps() override;
  Result<std::map<std::string, std::string>> ConfigHashes() override;

 private:
  struct Attempt;

  ComposeOutcome Mutate(ComposeVerb verb, const std::vector<std::string>& services);
  Attempt RunOnce(const std::vector<std::string>& argv, std::size_t max_output_bytes);
  Result<std::string> RunReadOnly(const std::vector<std::string>& argv);
  Result<std::vector<ContainerState>> PsV1();

  const ComposeTarget target_;
  ProcessRunner& processes_;
  const Duration timeout_;
  const SleepFn sleep_;

  std::mutex hash_mu_;
  std::vector<FileStamp> hash_stamps_;                        // guarded by hash_mu_
  std::optional<std::map<std::string, std::string>> hashes_;  // guarded by hash_mu_
};

// The back-off before the 2nd and the 3rd attempt of a mutating call.
inline constexpr Duration kComposeRetryBackoff[] = {Seconds(1), Seconds(5)};
// Most output kept in a DockerOp.
inline constexpr std::size_t kDockerOpOutputBytes = 4 * 1024;

// Finds the compose command. With a non-blank `override_cmd` (VX11_COMPOSE_CMD)
// it is parsed (ParseComposeCommand) and not run. Otherwise `docker compose
// version` is tried (exit 0: v2 plugin), then `docker-compose version` (exit
// 0: v1). kUnavailable, naming both attempts, when neither works. Only
// `command` and `flavor` are filled; the caller sets project, files and dir.
Result<ComposeTarget> DetectCompose(ProcessRunner& processes,
                                    std::optional<std::string> override_cmd);

// The last `max_bytes` of `text` or fewer, never starting inside a UTF-8
// sequence.
std::string Utf8Tail(std::string_view text, std::size_t max_bytes);

}  // namespace madre
