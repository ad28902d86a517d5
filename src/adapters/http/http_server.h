// A small, hardened async HTTP/1.1 server (Boost.Beast behind a pimpl; this header includes no
// boost). It knows nothing about madre's routes: it parses requests, enforces limits and hands
// each request to one HttpHandler.
//
// Limits (HttpServerOptions):
//   - A request head larger than max_header_bytes gets 431 `headers_too_large`; a body larger
//     than max_body_bytes gets 413 `payload_too_large` as soon as that is known (a Content-Length
//     over the limit is refused before any of the body is read). Unparsable HTTP gets 400
//     `bad_request`. After any of these the connection is closed.
//   - The head of a request must arrive within header_timeout (counted from accept for the first
//     request, from its first byte for later ones); otherwise the connection is dropped without
//     an answer (slowloris). A keep-alive connection waiting for its next request is dropped
//     after idle_timeout, as is one whose body or response does not make progress within it.
//   - Beyond max_connections open connections, a new one is accepted, answered 503
//     `too_many_connections` and closed.
//   Errors produced by the server itself have the body {"detail":"<sentence>","code":"<code>"}.
//   Every response carries Content-Type, Content-Length and `Server: madre` (except: 204 and 304
//   have no body nor Content-Length; a streamed response has no Content-Length and ends with the
//   connection). Responses to HEAD have no body. A handler status outside 200..599 becomes 500.
//
// Threading contract:
//   - The handler is called on an io thread. With threads == 1 it runs on the same thread as
//     every Post()ed function, so the owner may keep state there without locks.
//   - The Responder may be called from any thread, at most once (later calls are ignored);
//     called by the handler itself before it returns, the answer is taken without a trip
//     through the io queue. A
//     Responder whose last copy is destroyed without being called answers 500
//     {"detail":"internal error: no response","code":"internal"}. A handler that throws gets the
//     same kind of 500. Until a request is answered, the next request of that connection is not
//     read (pipelined requests are answered in order).
//   - Responders, StreamWriters and Post() become no-ops once Stop() has begun.
//   - Stop() (and the destructor) must not be called from an io thread (it joins them).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace madre {

struct HttpRequest {
  std::string method;                          // "GET", "POST", ... (any token is passed on)
  std::string target;                          // raw target, e.g. "/madre/power/audit?limit=5"
  std::string path;                            // target without the query, not percent-decoded
  std::map<std::string, std::string> query;    // decoded ('+' and %XX); first occurrence wins
  std::map<std::string, std::string> headers;  // names lower-cased; repeats joined with ", "
  std::string body;
  std::string remote_address;  // "127.0.0.1:54321" ("[::1]:54321" for IPv6)
};

// Sends one chunk of a streamed response (e.g. one Server-Sent Event). May be called from any
// thread. Returns false once the stream is over (client gone, Stop(), or too much unsent data
// queued): the producer should then drop the writer. The response ends, and the connection
// closes, when the last copy of the writer is destroyed.
using StreamWriter = std::function<bool(std::string chunk)>;

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  // Extra headers (e.g. Retry-After). Content-Length, Transfer-Encoding, Server, Content-Type
  // (use content_type), Connection, and names or values containing CR/LF are dropped; a
  // `Connection: close` entry still closes the connection after this response.
  std::vector<std::pair<std::string, std::string>> headers;
  // Optional streaming (Server-Sent Events): when set, `body` is ignored, the head is sent
  // without Content-Length, and `stream` is called once on an io thread with the writer.
  std::function<void(StreamWriter)> stream;
};

using Responder = std::function<void(HttpResponse)>;              // called once, from any thread
using HttpHandler = std::function<void(HttpRequest, Responder)>;  // called on an io thread

struct HttpServerOptions {
  std::string bind_address = "127.0.0.1";
  int port = 8001;                           // 0 = ephemeral; see HttpServer::port()
  std::size_t max_body_bytes = 1 << 20;      // larger -> 413 without reading the whole body
  std::size_t max_header_bytes = 16 * 1024;  // larger -> 431
  Duration header_timeout = Seconds(10);     // a request head must arrive within this
  Duration idle_timeout = Seconds(60);       // keep-alive idle limit; also body/write progress
  std::size_t max_connections = 512;         // beyond: accept, answer 503, close
  int threads = 1;                           // io threads (at least 1)
  Duration stop_grace = Seconds(1);          // Stop() lets connections finish closing this long
};

class HttpServer {
 public:
  struct Impl;  // defined in http_server.cc

  // Binds, listens and starts the io threads. Errors: kInvalidArgument for an unparsable
  // bind_address or port, kUnavailable "cannot listen on <addr>:<port>: <reason>".
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, HttpHandler handler);

  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  ~HttpServer();  // Stop()s

  // The bound port (useful with options.port == 0).
  int port() const;

  // Runs `fn` on an io thread. Post()ed functions run one at a time in the order posted (and,
  // with threads == 1, never concurrently with the handler). An exception thrown by `fn` stops
  // there and is written to stderr (the daemon's log); the io thread goes on. Ignored after
  // Stop() began. Any thread.
  void Post(std::function<void()> fn);

  // Runs `fn` like Post(), once `delay` has passed, on a timer of the io context: no thread
  // waits meanwhile. Pending ones are dropped by Stop() (they never run). Any thread.
  void PostAfter(Duration delay, std::function<void()> fn);

  // Stops accepting, closes every connection (idle keep-alive ones too), joins the io threads
  // and releases the port. Idempotent. Not from an io thread.
  void Stop();

  // Use Start(); Impl cannot be built outside http_server.cc.
  explicit HttpServer(std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace madre
