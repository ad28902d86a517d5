#include "adapters/docker/docker_api.h"

#include <algorithm>
#include <utility>

#include "adapters/docker/docker_parse.h"

namespace madre {

Status StatusFromDockerAnswer(const UnixHttpResponse& response, const std::string& what) {
  std::string message = what + ": " + EngineErrorMessage(response.body) + " (HTTP " +
                        std::to_string(response.status) + ")";
  switch (response.status) {
    case 400:
      return Status::InvalidArgument(std::move(message));
    case 404:
      return Status::NotFound(std::move(message));
    case 409:
      return Status::FailedPrecondition(std::move(message));
    default:
      break;
  }
  if (response.status >= 500) return Status::Unavailable(std::move(message));
  return Status::Internal(std::move(message));
}

DockerApi::DockerApi(std::string_view docker_host, Duration version_timeout)
    : version_timeout_(version_timeout) {
  Result<std::string> socket = UnixSocketPathFromDockerHost(docker_host);
  if (socket.ok()) {
    http_.emplace(*socket);
  } else {
    config_status_ = socket.status();
  }
}

std::string DockerApi::ApiVersion() {
  std::lock_guard lock(mu_);
  if (api_version_) return *api_version_;
  if (!http_) return std::string(kMaxTestedDockerApi);
  // Unversioned: /version answers on every API version.
  Result<UnixHttpResponse> response = http_->Send("GET", "/version", version_timeout_);
  if (!response.ok() || response->status != 200) return std::string(kMaxTestedDockerApi);
  Result<std::string> server = ParseApiVersion(response->body);
  if (!server.ok()) return std::string(kMaxTestedDockerApi);
  api_version_ = ChooseApiVersion(*server);
  return *api_version_;
}

Result<UnixHttpResponse> DockerApi::Send(std::string_view method, const std::string& path,
                                         Duration timeout, std::string_view json_body) {
  RETURN_IF_ERROR(config_status_);
  return http_->Send(method, "/v" + ApiVersion() + path, timeout, json_body);
}

Result<UnixHttpResponse> DockerApi::SendExpecting(std::string_view method, const std::string& path,
                                                  Duration timeout,
                                                  std::initializer_list<long> ok_statuses,
                                                  std::string_view json_body) {
  ASSIGN_OR_RETURN(UnixHttpResponse response, Send(method, path, timeout, json_body));
  if (std::find(ok_statuses.begin(), ok_statuses.end(), response.status) == ok_statuses.end()) {
    return StatusFromDockerAnswer(response, "docker " + std::string(method) + " " + path);
  }
  return response;
}

Result<UnixHttpResponse> DockerApi::SendUnversioned(std::string_view method,
                                                    const std::string& path, Duration timeout) {
  RETURN_IF_ERROR(config_status_);
  return http_->Send(method, path, timeout);
}

}  // namespace madre
