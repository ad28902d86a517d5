// The Docker Engine API over its unix socket: what the project's containers are doing, and
// direct start/stop/logs of one container. Compose still creates containers; this client is
// for the fast, frequent calls (see DEPENDENCIES.md: ~0.3 s against ~0.8 s for compose).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "adapters/docker/docker_api.h"
#include "adapters/docker/docker_inspect_cache.h"
#include "adapters/docker/unix_http_client.h"
#include "base/clock.h"
#include "base/status.h"
#include "base/time.h"
#include "core/model.h"
#include "ports/container_control.h"
#include "ports/container_exec.h"
#include "ports/container_observer.h"
#include "ports/image_inspector.h"

namespace madre {

struct DockerEngineOptions {
  std::string docker_host = "unix:///var/run/docker.sock";  // DOCKER_HOST; only unix://
  std::string project;                                      // compose project name (-p)
  Duration timeout = Seconds(30);                           // per Engine API request
  // ListProject reuses a container's inspect answer while the list describes the container
  // the same way, for at most this long and less than the age its Status text shows
  // (docker_inspect_cache.h). 0: inspect every container on every call.
  Duration inspect_cache_max_age = Seconds(30);
  int max_parallel_inspects = 8;  // inspects in flight at once during one ListProject (>= 1)
  // A check madre abandoned (ContainerExec::Abandon) blocks new checks in its container until
  // Docker shows it ended, or for at most this long after it started.
  Duration abandoned_check_bound = Seconds(300);
};

// Blocking; every method is safe to call from any thread at once (one connection per call).
// Errors: kUnavailable when dockerd does not answer (or DOCKER_HOST is not unix://),
// kDeadlineExceeded when a request outlives the timeout, kNotFound for an unknown container,
// kInvalidArgument for a container reference that is not an id or a name, kInternal for an
// answer that cannot be understood.
class DockerEngineClient final : public ContainerObserver,
                                 public ContainerControl,
                                 public ContainerExec,
                                 public ImageInspector {
 public:
  explicit DockerEngineClient(DockerEngineOptions options);
  // `clock` (borrowed, outlives the client) ages the inspect cache.
  DockerEngineClient(DockerEngineOptions options, const Clock& clock);

  // GET /_ping.
  Status Ping();

  // ContainerObserver. Every container of the project (running or not, one-off `run`
  // containers excluded), sorted by service then container name, each as an inspect of it
  // answers (restart_count, exit_code, health). One list request, then an inspect of each
  // container whose list entry (state, name, Status text) changed since its last inspect, or
  // whose inspect is older than inspect_cache_max_age or than the age its Status text shows
  // ("Up 3 seconds": 3 s); up to max_parallel_inspects at once.
  // A container removed between list and inspect keeps what the list said. An inspect that
  // fails otherwise fails the call (the first such error in list order).
  Result<std::vector<ContainerState>> ListProject() override;

  // One container by id or name.
  Result<ContainerState> Inspect(const std::string& id);
  // Starting a running container succeeds.
  Status Start(const std::string& id);
  // SIGTERM, then SIGKILL after `timeout_sec`. Stopping a stopped container succeeds.
  Status Stop(const std::string& id, int timeout_sec);
  // The last `tail` lines of stdout and stderr, interleaved, demultiplexed.
  Result<std::string> Logs(const std::string& id, int tail) override;
  // The inspect's evidence of a failure and the last `tail` log lines (ParseFailureEvidence).
  Result<FailureEvidence> Evidence(const std::string& id, int tail) override;
  // One stats sample (the engine takes about a second to measure CPU).
  Result<ContainerStats> Stats(const std::string& id) override;

  // ContainerControl
  Status StartContainer(const std::string& id) override { return Start(id); }
  Status StopContainer(const std::string& id, int timeout_sec) override {
    return Stop(id, timeout_sec);
  }
  Status PauseContainer(const std::string& id) override;
  Status UnpauseContainer(const std::string& id) override;
  // GET /containers/{id}/json: HostConfig.NanoCpus.
  Result<std::int64_t> CpuLimit(const std::string& id) override;
  // POST /containers/{id}/update {"NanoCpus": N}. Docker ignores a NanoCpus of 0 in an update
  // (0 means "unchanged" there), and a CpuQuota of -1, which does lift the kernel's quota, would
  // override every later NanoCpus once the container restarts. So a lift (0) sets NanoCpus to
  // the whole host (GET /info NCPU * 1e9, asked once): no limit in effect, and CpuLimit answers
  // that instead of 0. Checked on dockerd 20.10 (API 1.41).
  Status UpdateCpuLimit(const std::string& id, std::int64_t nano_cpus) override;

  // ContainerExec: POST /containers/{id}/exec, POST /exec/{id}/start (detached),
  // GET /exec/{id}/json. One check per container at a time (ports/container_exec.h).
  Result<HealthcheckConfig> Healthcheck(const std::string& container) override;
  Result<std::string> StartCheck(const std::string& container,
                                 const std::vector<std::string>& argv) override;
  Result<ExecProgress> InspectCheck(const std::string& exec_id) override;

  // ImageInspector: GET /images/{name}/json; a 404 is "" (no such image).
  Result<std::string> ImageId(const std::string& name) override;
  // POST /images/{source}/tag?repo=&tag= (201); DELETE /images/{name} (200; 404 is not an
  // error).
  Status TagImage(const std::string& source, const std::string& target) override;
  Status RemoveImageName(const std::string& name) override;
  void Abandon(const std::string& exec_id, bool timed_out) override;
  // Checks abandoned because they outlived their timeout, since the client was made.
  std::uint64_t abandoned_checks() const { return abandoned_checks_.load(); }

  // The API version used in request paths: the server's (GET /version, asked once), never
  // above kMaxTestedDockerApi; kMaxTestedDockerApi while the server cannot be asked.
  std::string ApiVersion();

 private:
  // `path` starts with '/' and comes after the version prefix.
  Result<UnixHttpResponse> Call(const char* method, const std::string& path, Duration timeout);
  Result<UnixHttpResponse> CallExpecting(const char* method, const std::string& path,
                                         Duration timeout, std::initializer_list<long> ok_statuses,
                                         std::string_view json_body = {});
  // Whether the exec madre tracks for `container` may still run (asks Docker; forgets it when
  // it ended, is unknown, or is older than the bound).
  bool CheckMayRun(const std::string& container, const std::string& exec_id);
  void ForgetCheck(const std::string& exec_id);

  DockerEngineOptions options_;
  DockerApi api_;  // the socket, the version prefix, error answers

  std::mutex cpus_mu_;
  std::optional<int> host_cpus_;  // GET /info NCPU; guarded by cpus_mu_

  SystemClock system_clock_;
  const Clock* clock_;  // &system_clock_ or borrowed
  InspectCache inspect_cache_;

  // The checks madre started and has not seen end, by container ("" exec id: being started).
  struct TrackedCheck {
    std::string exec_id;
    TimePoint started{};
  };
  std::mutex checks_mu_;
  std::map<std::string, TrackedCheck> checks_;  // guarded by checks_mu_
  std::atomic<std::uint64_t> abandoned_checks_{0};
};

}  // namespace madre
