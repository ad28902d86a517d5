// The client half of the madre HTTP API (SPEC §5).
//
// `Transport` is the one seam to the network: commands and the conductor talk
// to madre through it, and tests replace it with a fake. `HttpTransport` is the
// real one (adapters/httpclient). `CallApi` turns a reply into parsed JSON plus the exit code
// the command should end with.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"

namespace madre::cli {

struct HttpReply {
  int status = 0;    // HTTP status code
  std::string body;  // raw body, as received
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one request and returns whatever HTTP answer came, whatever its status.
  // `path` is either a path with query ("/madre/power/state?x=1"), resolved against
  // the transport's base URL, or an absolute "http://..." URL used as is.
  // `body` is sent as JSON for POST (an empty body is sent as zero bytes).
  // Errors only when no answer came: kUnavailable (could not connect),
  // kDeadlineExceeded (the call timed out), kInternal (anything else).
  virtual Result<HttpReply> Send(std::string_view method, std::string_view path,
                                 std::string_view body) = 0;
};

// Plain HTTP/1.1, one connection per call; safe to share across threads.
class HttpTransport final : public Transport {
 public:
  // `base_url` like "http://127.0.0.1:8001" (no trailing slash needed). `token`
  // goes in `X-VX11-Token` when not empty. `timeout` bounds each whole call.
  HttpTransport(std::string base_url, std::string token, Duration timeout);

  // Transport
  Result<HttpReply> Send(std::string_view method, std::string_view path,
                         std::string_view body) override;

 private:
  std::string base_url_;
  std::string token_;
  Duration timeout_;
};

// The outcome of one API call, ready for a command to print and exit with.
struct ApiResponse {
  int http_status = 0;  // 0 when no HTTP answer came
  nlohmann::json body;  // the parsed body; null when empty or not JSON
  std::string detail;   // a human sentence when !ok(): the server's "detail" or ours
  int exit_code = 0;    // kExitOk on 2xx, else per exit_codes.h

  bool ok() const { return exit_code == 0; }
};

// Sends `method path` with `body` (null json: no body) and classifies the answer.
ApiResponse CallApi(Transport& transport, std::string_view method, std::string_view path,
                    const nlohmann::json& body = nullptr);

// The exit code for a Transport error (no HTTP answer).
int ExitCodeForTransportError(const Status& status);

// The "detail" of an error body `{"detail","code"}` (or its "error", as the autofix routes
// answer); a readable fallback for other bodies.
std::string ErrorDetail(int http_status, const nlohmann::json& body, std::string_view raw);

// Percent-encodes a path segment (window ids are server-made, but be safe).
std::string EscapePathSegment(std::string_view segment);

}  // namespace madre::cli
