// ProcessRunner on POSIX: posix_spawnp with an argv (never a shell), the child
// in its own process group, output captured through one pipe.
#pragma once

#include <utility>

#include "adapters/process/child_env.h"
#include "base/status.h"
#include "base/time.h"
#include "ports/process_runner.h"

namespace madre {

// How a child is run:
// - argv[0] is looked up in PATH (posix_spawnp); no shell is ever involved, so
//   shell metacharacters in arguments reach the program literally.
// - The child leads a new process group, starts with an empty signal mask and
//   default dispositions for every signal, reads stdin from /dev/null, writes
//   stdout and stderr into one pipe, inherits no descriptor above 2, runs in
//   `spec.working_dir` (when set) and sees the inherited environment, filtered
//   by the runner's ChildEnvPolicy (child_env.h: secret-looking names such as
//   VX11_TOKEN are removed unless the policy keeps them), with `spec.extra_env`
//   added (an extra variable replaces an inherited one of the same name and is
//   never filtered).
// - The pipe is read until the leader exits. Once the leader is reaped, what is
//   already readable is drained and the call returns, even if a grandchild still
//   holds the pipe open.
// - Output past `spec.max_output_bytes` is read and dropped; `truncated` is set.
// - When `spec.timeout` (monotonic) passes, the whole group gets SIGTERM, then
//   SIGKILL after `kill_grace`; the leader is reaped and `timed_out` is set.
// - exit_code is the exit status, or 128+N when the leader died of signal N.
//
// Errors (the child did not start): kInvalidArgument for an empty argv,
// kNotFound for a missing program or working directory, kPermissionDenied when
// the program is not executable, kInternal for anything else.
//
// Thread-safe: holds no mutable state; Run may be called from several threads.
class PosixProcessRunner final : public ProcessRunner {
 public:
  explicit PosixProcessRunner(Duration kill_grace = Millis(500), ChildEnvPolicy env_policy = {})
      : kill_grace_(kill_grace), env_policy_(std::move(env_policy)) {}

  // ProcessRunner
  Result<ProcessResult> Run(const ProcessSpec& spec) override;

 private:
  const Duration kill_grace_;
  const ChildEnvPolicy env_policy_;
};

}  // namespace madre
