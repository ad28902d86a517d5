// Running a container's own healthcheck command inside it (Engine API exec), for readiness in
// seconds whatever the healthcheck interval (core/health_exec.h). Checks are started detached
// and followed by inspecting them, so a readiness wait never blocks on one.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "core/health_exec.h"

namespace madre {

struct ExecProgress {
  bool running = true;
  int exit_code = -1;  // when !running
};

// Blocking (each call one or two short Engine API requests); thread-safe.
// At most one check per container at a time: StartCheck refuses (kFailedPrecondition) while a
// check madre started in that container has not been seen to end, including one abandoned
// (Abandon) because it outlived its timeout, until the engine shows it ended or a bounded time
// has passed. Errors: kNotFound for an unknown container or exec, kFailedPrecondition as above
// or for a container that is not running, kUnavailable / kDeadlineExceeded / kInternal as the
// Engine API client answers.
class ContainerExec {
 public:
  virtual ~ContainerExec() = default;
  // The container's Config.Healthcheck (its `test` empty when it has none).
  virtual Result<HealthcheckConfig> Healthcheck(const std::string& container) = 0;
  // Starts `argv` in the running container, detached; the exec's id.
  virtual Result<std::string> StartCheck(const std::string& container,
                                         const std::vector<std::string>& argv) = 0;
  // Whether the exec still runs, else its exit code. Seeing it ended frees its container.
  virtual Result<ExecProgress> InspectCheck(const std::string& exec_id) = 0;
  // Madre stops following the exec (it outlived its timeout when `timed_out`, else the wait
  // ended first). Docker cannot kill an exec: its container gets no new check while it may run.
  virtual void Abandon(const std::string& exec_id, bool timed_out) = 0;
};

}  // namespace madre
