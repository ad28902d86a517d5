#include "adapters/docker/docker_engine_client.h"

#include <algorithm>
#include <initializer_list>
#include <tuple>
#include <utility>

#include "adapters/docker/docker_parse.h"

namespace madre {
namespace {

Status StatusFromHttp(const UnixHttpResponse& response, const std::string& what) {
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

Status CheckRef(const std::string& id) {
  if (IsValidContainerRef(id)) return Status::Ok();
  return Status::InvalidArgument("not a container id or name: \"" + id + "\"");
}

}  // namespace

DockerEngineClient::DockerEngineClient(DockerEngineOptions options) : options_(std::move(options)) {
  Result<std::string> socket = UnixSocketPathFromDockerHost(options_.docker_host);
  if (socket.ok()) {
    http_.emplace(*socket);
  } else {
    config_status_ = socket.status();
  }
}

std::string DockerEngineClient::ApiVersion() {
  std::lock_guard lock(version_mu_);
  if (api_version_) return *api_version_;
  if (!http_) return std::string(kMaxTestedDockerApi);
  // Unversioned: /version answers on every API version.
  Result<UnixHttpResponse> response = http_->Send("GET", "/version", options_.timeout);
  if (!response.ok() || response->status != 200) return std::string(kMaxTestedDockerApi);
  Result<std::string> server = ParseApiVersion(response->body);
  if (!server.ok()) return std::string(kMaxTestedDockerApi);
  api_version_ = ChooseApiVersion(*server);
  return *api_version_;
}

Result<UnixHttpResponse> DockerEngineClient::Call(const char* method, const std::string& path,
                                              Duration timeout) {
  RETURN_IF_ERROR(config_status_);
  return http_->Send(method, "/v" + ApiVersion() + path, timeout);
}

Result<UnixHttpResponse> DockerEngineClient::CallExpecting(const char* method, const std::string& path,
                                                       Duration timeout,
                                                       std::initializer_list<long> ok_statuses) {
  ASSIGN_OR_RETURN(UnixHttpResponse response, Call(method, path, timeout));
  if (std::find(ok_statuses.begin(), ok_statuses.end(), response.status) == ok_statuses.end()) {
    return StatusFromHttp(response, std::string("docker ") + method + " " + path);
  }
  return response;
}

Status DockerEngineClient::Ping() {
  RETURN_IF_ERROR(config_status_);
  ASSIGN_OR_RETURN(UnixHttpResponse response, http_->Send("GET", "/_ping", options_.timeout));
  if (response.status != 200) return StatusFromHttp(response, "docker GET /_ping");
  return Status::Ok();
}

Result<std::vector<ContainerState>> DockerEngineClient::ListProject() {
  std::string path =
      "/containers/json?all=1&filters=" + PercentEncode(ProjectLabelFilter(options_.project));
  ASSIGN_OR_RETURN(UnixHttpResponse list, CallExpecting("GET", path, options_.timeout, {200}));
  ASSIGN_OR_RETURN(std::vector<ContainerState> containers, ParseContainerList(list.body));
  for (ContainerState& c : containers) {
    Result<ContainerState> detail = Inspect(c.id);
    if (detail.ok()) {
      c = std::move(*detail);
    } else if (detail.code() != StatusCode::kNotFound) {
      return detail.status();
    }  // else: removed since the list; keep what the list said
  }
  std::sort(
      containers.begin(), containers.end(), [](const ContainerState& a, const ContainerState& b) {
        return std::tie(a.service, a.container, a.id) < std::tie(b.service, b.container, b.id);
      });
  return containers;
}

Result<ContainerState> DockerEngineClient::Inspect(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  ASSIGN_OR_RETURN(UnixHttpResponse response,
                   CallExpecting("GET", "/containers/" + id + "/json", options_.timeout, {200}));
  return ParseInspect(response.body);
}

Status DockerEngineClient::Start(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  return CallExpecting("POST", "/containers/" + id + "/start", options_.timeout, {204, 304})
      .status();
}

Result<ContainerStats> DockerEngineClient::Stats(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  ASSIGN_OR_RETURN(UnixHttpResponse response,
                   CallExpecting("GET", "/containers/" + id + "/stats?stream=false", options_.timeout, {200}));
  return ParseStats(response.body);
}

Status DockerEngineClient::PauseContainer(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  return CallExpecting("POST", "/containers/" + id + "/pause", options_.timeout, {204}).status();
}

Status DockerEngineClient::UnpauseContainer(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  return CallExpecting("POST", "/containers/" + id + "/unpause", options_.timeout, {204}).status();
}

Status DockerEngineClient::Stop(const std::string& id, int timeout_sec) {
  RETURN_IF_ERROR(CheckRef(id));
  timeout_sec = std::max(timeout_sec, 0);
  // The engine waits up to timeout_sec before SIGKILL: the request may take that long.
  Duration request_timeout = options_.timeout + Seconds(timeout_sec);
  return CallExpecting("POST", "/containers/" + id + "/stop?t=" + std::to_string(timeout_sec),
                       request_timeout, {204, 304})
      .status();
}

Result<std::string> DockerEngineClient::Logs(const std::string& id, int tail) {
  RETURN_IF_ERROR(CheckRef(id));
  std::string path =
      "/containers/" + id + "/logs?stdout=1&stderr=1&tail=" + std::to_string(std::max(tail, 0));
  ASSIGN_OR_RETURN(UnixHttpResponse response, CallExpecting("GET", path, options_.timeout, {200}));
  return DemuxDockerLogs(response.body);
}

}  // namespace madre
