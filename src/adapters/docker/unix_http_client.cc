#include "adapters/docker/unix_http_client.h"

#include <utility>

#include "adapters/httpclient/http_client.h"

namespace madre {

UnixHttpClient::UnixHttpClient(std::string socket_path, std::size_t max_body_bytes)
    : socket_path_(std::move(socket_path)), max_body_bytes_(max_body_bytes) {}

Result<UnixHttpResponse> UnixHttpClient::Send(std::string_view method, std::string_view target,
                                              Duration timeout, std::string_view json_body) const {
  HttpClientRequest request;
  request.method = std::string(method);
  request.target = std::string(target);
  if (!json_body.empty()) {
    request.headers.emplace_back("Content-Type", "application/json");
    request.body = std::string(json_body);
  }
  Result<HttpClientResponse> answer =
      HttpCall(HttpEndpoint::Unix(socket_path_), request, timeout, max_body_bytes_);
  if (!answer.ok()) {
    const Status& status = answer.status();
    std::string where = std::string(method) + " " + std::string(target);
    switch (status.code()) {
      case StatusCode::kDeadlineExceeded:
        return Status::DeadlineExceeded("docker did not answer " + where +
                                        " in time: " + status.message());
      case StatusCode::kUnavailable:
        return Status::Unavailable("docker engine unreachable (" + where +
                                   "): " + status.message());
      case StatusCode::kPayloadTooLarge:
        return Status::Internal("docker answer to " + where + " on " + socket_path_ +
                                " is larger than " + std::to_string(max_body_bytes_) + " bytes");
      default:
        return Status::Internal("docker request " + where + " failed: " + status.message());
    }
  }
  return UnixHttpResponse{answer->status, std::move(answer->body)};
}

}  // namespace madre
