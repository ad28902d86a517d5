// Pure helpers of the Docker Engine API client: DOCKER_HOST parsing, URL building and the
// decoding of Engine API answers. No I/O, so they are unit-tested without a dockerd.
// Malformed or unexpected input gives kInternal (for answers) or kInvalidArgument /
// kUnavailable (for configuration), never a crash or an exception.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/diagnosis.h"
#include "core/health_exec.h"
#include "core/model.h"
#include "ports/container_exec.h"

namespace madre {

// The newest Engine API version this client was tested against (dockerd 20.10).
inline constexpr std::string_view kMaxTestedDockerApi = "1.41";

// "unix:///var/run/docker.sock" -> "/var/run/docker.sock". Empty means the default socket.
// Any other scheme (tcp://, ssh://, npipe://) is kUnavailable: only unix:// is supported.
Result<std::string> UnixSocketPathFromDockerHost(std::string_view docker_host);

// Percent-encodes everything but RFC 3986 unreserved characters (for query values).
std::string PercentEncode(std::string_view text);

// True for a container id or name that may go into a URL path: [A-Za-z0-9][A-Za-z0-9_.-]*.
bool IsValidContainerRef(std::string_view ref);

// The `filters` query value selecting the project's service containers (one-off `run`
// containers excluded):
// {"label":["com.docker.compose.project=P","com.docker.compose.oneoff=False"]}, not yet
// percent-encoded.
std::string ProjectLabelFilter(std::string_view project);

// `ApiVersion` of a GET /version answer.
Result<std::string> ParseApiVersion(std::string_view version_json);

// The version to put in request paths: the server's, but never above kMaxTestedDockerApi.
// An unparsable server version falls back to kMaxTestedDockerApi.
std::string ChooseApiVersion(std::string_view server_version);

// "healthy" / "unhealthy" / "starting" from a container list `Status` text such as
// "Up 3 seconds (health: starting)"; "" when it names no health.
std::string ParseHealthFromStatus(std::string_view status_text);

// A GET /containers/json answer. Fills service (com.docker.compose.service label),
// config_hash (com.docker.compose.config-hash label, "" without it), container (first name
// without the '/'), id, state, and health from the Status text. Order kept.
Result<std::vector<ContainerState>> ParseContainerList(std::string_view list_json);

// A GET /containers/{id}/json answer. service and config_hash come from Config.Labels.
// Also fills restart_count, and exit_code for containers
// that have run and stopped (exited, dead, restarting). Health comes from State.Health: its
// Status, FailingStreak and the ExitCode of the last entry of its Log (the newest).
Result<ContainerState> ParseInspect(std::string_view inspect_json);

// Config.Healthcheck of a GET /containers/{id}/json answer: Test, and Interval, Timeout,
// StartPeriod (nanoseconds) and Retries, each Docker's default when 0 or missing. A container
// without one gives an empty `test`. kInternal when the answer is not an inspect answer.
Result<HealthcheckConfig> ParseHealthcheckConfig(std::string_view inspect_json);

// What a GET /containers/{id}/json answer says about a failure (core/diagnosis.h): service (its
// compose label), state, exit_code (once it ran, or when its start failed: State.Error set),
// oom_killed, error (State.Error), health and the outputs of its last 3 checks (oldest first),
// image (Config.Image) and its bind mounts ("source:destination"). Logs, dependencies and the
// model's facts are the caller's. kInternal when it is not an inspect answer.
Result<FailureEvidence> ParseFailureEvidence(std::string_view inspect_json);

// The body of POST /containers/{id}/exec running `argv` with nothing attached.
std::string ExecCreateBody(const std::vector<std::string>& argv);
// The `Id` of a POST /containers/{id}/exec answer.
Result<std::string> ParseExecCreated(std::string_view body);
// `Running` and `ExitCode` of a GET /exec/{id}/json answer.
Result<ExecProgress> ParseExecInspect(std::string_view body);

// The `message` of an Engine API error body, or the body itself when it is not such JSON.
std::string EngineErrorMessage(std::string_view body);

// Decodes the multiplexed stream of GET /containers/{id}/logs for a container without a TTY:
// frames of an 8-byte header {stream (0 stdin, 1 stdout, 2 stderr, 3 systemerr), 0, 0, 0,
// big-endian uint32 size} and `size` payload bytes. Payloads are concatenated in order (stdout
// and stderr interleaved as they were written). Stream 3 is dockerd's own error, e.g. a Swarm
// service's logs whose node is down ("Error grabbing logs: ... node X is not available"): kept
// as text, so that it reaches the log lines madre reports. Text that does not start with such a
// header (a container with a TTY) is returned as it is. A frame cut short is kInternal.
Result<std::string> DemuxDockerLogs(std::string_view raw);

// The non-empty lines of demultiplexed log text, in order, without their "\r\n" or "\n".
std::vector<std::string> LogLines(std::string_view text);

// A `GET /containers/{id}/stats?stream=false` answer: CPU % from the cpu/precpu delta
// (100 = one core), memory usage minus the page cache. kInternal on unexpected JSON.
Result<ContainerStats> ParseStats(std::string_view body);

// An image name or id that may stand in an Engine API path: [A-Za-z0-9._/:@-], at most 255,
// not starting with '-' or '/', without "..".
bool IsValidImageRef(std::string_view ref);

// A GET /images/{name}/json answer: its Id ("sha256:...").
Result<std::string> ParseImageId(std::string_view image_json);

// A container inspect answer's HostConfig.NanoCpus (0 when absent: no limit). kInternal on
// unexpected JSON.
Result<std::int64_t> ParseNanoCpus(std::string_view inspect_json);

// A GET /info answer's NCPU (> 0). kInternal on unexpected JSON.
Result<int> ParseHostCpus(std::string_view info_json);

}  // namespace madre
