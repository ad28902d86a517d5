// The Engine API's request paths over its unix socket, shared by every client of it
// (DockerEngineClient, adapters/swarm): the socket from DOCKER_HOST, the API version prefix
// ("/v1.41": the server's, asked once, never above kMaxTestedDockerApi) and the mapping of an
// error answer to a Status.
#pragma once

#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "adapters/docker/unix_http_client.h"
#include "base/status.h"
#include "base/time.h"

namespace madre {

// An Engine API error answer as a Status: 400 kInvalidArgument, 404 kNotFound, 409
// kFailedPrecondition, 5xx kUnavailable, others kInternal; the message is `what`, the
// answer's `message` and the HTTP status.
Status StatusFromDockerAnswer(const UnixHttpResponse& response, const std::string& what);

// Safe to use from any thread at once.
class DockerApi {
 public:
  // `docker_host`: DOCKER_HOST ("" is the default socket); only unix:// works, anything else
  // makes every call kUnavailable. `version_timeout` bounds the one GET /version.
  DockerApi(std::string_view docker_host, Duration version_timeout);

  // Not ok when DOCKER_HOST cannot be used.
  const Status& config_status() const { return config_status_; }

  // The API version used in request paths: the server's (GET /version, asked once), never
  // above kMaxTestedDockerApi; kMaxTestedDockerApi while the server cannot be asked.
  std::string ApiVersion();

  // `method` to "/v<version>" + `path` (`path` starts with '/'). Any HTTP status is an answer.
  Result<UnixHttpResponse> Send(std::string_view method, const std::string& path, Duration timeout,
                                std::string_view json_body = {});
  // The same, but an HTTP status not in `ok_statuses` is an error (StatusFromDockerAnswer).
  Result<UnixHttpResponse> SendExpecting(std::string_view method, const std::string& path,
                                         Duration timeout, std::initializer_list<long> ok_statuses,
                                         std::string_view json_body = {});
  // Without the version prefix (GET /_ping, GET /version).
  Result<UnixHttpResponse> SendUnversioned(std::string_view method, const std::string& path,
                                           Duration timeout);

 private:
  Status config_status_;
  std::optional<UnixHttpClient> http_;
  Duration version_timeout_;
  std::mutex mu_;
  std::optional<std::string> api_version_;  // guarded by mu_
};

}  // namespace madre
