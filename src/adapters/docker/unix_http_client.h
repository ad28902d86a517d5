// A blocking HTTP/1.1 client for the Docker Engine API on its unix socket (over the
// Beast-based client of adapters/httpclient).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"

namespace madre {

struct UnixHttpResponse {
  long status = 0;  // HTTP status code
  std::string body;
};

// One connection per request, so a client is safe to use from any number of threads at once.
class UnixHttpClient {
 public:
  // Bodies longer than `max_body_bytes` fail the request with kInternal.
  explicit UnixHttpClient(std::string socket_path, std::size_t max_body_bytes = 16 << 20);

  // Sends `method` (GET, POST, DELETE...) to `target` ("/v1.41/containers/json?all=1").
  // A POST has an empty body unless `json_body` is given (sent as application/json). Any HTTP
  // status is a response, not an error. Errors: kDeadlineExceeded when `timeout` passes,
  // kUnavailable when the socket does not answer, kInternal for an oversized body or another
  // transport failure.
  Result<UnixHttpResponse> Send(std::string_view method, std::string_view target, Duration timeout,
                                std::string_view json_body = {}) const;

  const std::string& socket_path() const { return socket_path_; }

 private:
  std::string socket_path_;
  std::size_t max_body_bytes_;
};

}  // namespace madre
