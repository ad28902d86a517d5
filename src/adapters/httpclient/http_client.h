// A small blocking HTTP/1.1 client (Boost.Beast) for the two places madre talks HTTP as a
// client: the Docker Engine API on its unix socket, and the CLI talking to madre on loopback.
//
// Why not libcurl: Debian's libcurl brings ~30 shared libraries (OpenSSL, GnuTLS, Kerberos,
// LDAP...), about 8 MiB of resident memory in an idle daemon that only ever speaks plain
// HTTP/1.1 to a unix socket or 127.0.0.1. Beast is already linked for the server.
//
// One connection per call (`Connection: close`), one io_context per call, so calls from any
// number of threads at once are independent. Beast lives in http_client.cc only (it is slow
// to compile).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace madre {

// Where a call connects: a unix socket path, or a TCP host and port.
struct HttpEndpoint {
  static HttpEndpoint Unix(std::string path) { return {true, std::move(path), 0}; }
  static HttpEndpoint Tcp(std::string host, std::uint16_t port) {
    return {false, std::move(host), port};
  }
  std::string Describe() const;  // "unix:///var/run/docker.sock", "127.0.0.1:8001"

  bool unix_socket = false;
  std::string address;  // socket path, or host name / IP literal
  std::uint16_t port = 0;
};

struct HttpClientRequest {
  std::string method = "GET";      // any token: GET, POST, DELETE...
  std::string target = "/";        // origin form: "/v1.41/containers/json?all=1"
  std::string host = "localhost";  // the Host header
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;  // sent with Content-Length (also when empty, for methods with a body)
};

struct HttpClientResponse {
  int status = 0;
  // The answer's header fields in the order received (names as sent), repeats kept.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Lets another thread end a call at once (a stream that may stay silent for hours).
// Cancel() before the call starts makes it return at once. Reusable only by one call at a
// time; Reset() arms it again.
class HttpCancel {
 public:
  void Cancel();
  bool cancelled() const;
  void Reset();

 private:
  friend class HttpCancelScope;
  mutable std::mutex mu_;
  bool cancelled_ = false;
  std::function<void()> hook_;  // set while a call runs: interrupts it
};

// For a call's implementation (here and adapters/webclient): registers `hook`, which
// interrupts the running call, with `cancel` (may be null) for the scope's lifetime; Cancel()
// from another thread runs it. already_cancelled(): Cancel() came first, do not start.
class HttpCancelScope {
 public:
  HttpCancelScope(HttpCancel* cancel, std::function<void()> hook);
  ~HttpCancelScope();
  HttpCancelScope(const HttpCancelScope&) = delete;
  HttpCancelScope& operator=(const HttpCancelScope&) = delete;

  bool already_cancelled() const { return already_cancelled_; }

 private:
  HttpCancel* cancel_;
  bool already_cancelled_ = false;
};

// Sends `request` and reads the whole answer. Any HTTP status is an answer, not an error.
// `timeout` bounds the whole call (connect, send, read). Errors: kUnavailable when nothing
// listens (no socket, refused, reset or closed before an answer), kDeadlineExceeded when the
// timeout passes, kPayloadTooLarge when the body exceeds `max_body_bytes`, kInternal for an
// answer that is not HTTP. Messages say what failed; callers add what they were doing.
// `cancel` (may be null) ends the call at once from another thread: kUnavailable "cancelled".
Result<HttpClientResponse> HttpCall(const HttpEndpoint& endpoint, const HttpClientRequest& request,
                                    Duration timeout, std::size_t max_body_bytes = 16 << 20,
                                    HttpCancel* cancel = nullptr);

struct HttpStreamHandlers {
  // Once, when the status line and headers have arrived.
  std::function<void(int status)> on_head;
  // For each piece of the body as it arrives (chunked or not; pieces do not follow chunk
  // or line boundaries).
  std::function<void(std::string_view data)> on_data;
};

// Sends `request` and delivers the answer as it comes, for answers that never end on their
// own (Docker /events, Server-Sent Events). `connect_timeout` bounds the time until the
// headers arrive; after them the call waits as long as the stream lasts. Returns Ok when the
// server ends the body, the same errors as HttpCall otherwise, and kUnavailable with
// "cancelled" after `cancel` (may be null). A stream idle in a read costs no CPU: the thread
// sleeps in epoll_wait without a timeout.
Status HttpStream(const HttpEndpoint& endpoint, const HttpClientRequest& request,
                  Duration connect_timeout, const HttpStreamHandlers& handlers,
                  HttpCancel* cancel = nullptr);

// "http://host:port/path?q" -> endpoint + target. Only plain http (no TLS: madre and its
// probes are on loopback). A missing port is 80; a missing path is "/"; IPv6 literals in
// brackets. kInvalidArgument for anything else.
struct ParsedHttpUrl {
  HttpEndpoint endpoint;
  std::string host_header;  // "host:port" as written
  std::string target;
};
Result<ParsedHttpUrl> ParseHttpUrl(std::string_view url);

}  // namespace madre
