#include "adapters/httpclient/http_client.h"

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <limits>
#include <optional>

namespace madre {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;

HttpCancelScope::HttpCancelScope(HttpCancel* cancel, std::function<void()> hook) : cancel_(cancel) {
  if (cancel_ == nullptr) return;
  std::lock_guard lock(cancel_->mu_);
  already_cancelled_ = cancel_->cancelled_;
  if (!already_cancelled_) cancel_->hook_ = std::move(hook);
}

HttpCancelScope::~HttpCancelScope() {
  if (cancel_ == nullptr) return;
  std::lock_guard lock(cancel_->mu_);  // after this, Cancel() cannot reach our io_context
  cancel_->hook_ = nullptr;
}

void HttpCancel::Cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  if (hook_) hook_();
}

bool HttpCancel::cancelled() const {
  std::lock_guard lock(mu_);
  return cancelled_;
}

void HttpCancel::Reset() {
  std::lock_guard lock(mu_);
  cancelled_ = false;
}

std::string HttpEndpoint::Describe() const {
  if (unix_socket) return "unix://" + address;
  bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

namespace {

constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kStreamBufferBytes = 16 * 1024;

long long ToMillis(Duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

enum class Phase { kConnect, kSend, kRead };

// One call: its io_context, deadline and cancellation, whatever the socket type.
class CallRunner {
 public:
  CallRunner(const HttpEndpoint& endpoint, HttpCancel* cancel)
      : endpoint_(endpoint), cancel_(cancel), timer_(ioc_) {}

  net::io_context& ioc() { return ioc_; }

  // Arms (or re-arms) the deadline; `on_expiry` closes the socket.
  void ArmDeadline(Duration timeout, std::function<void()> on_expiry) {
    timeout_ = timeout;
    timer_.expires_after(timeout);
    timer_.async_wait([this, on_expiry = std::move(on_expiry)](error_code ec) {
      if (ec) return;  // cancelled: the call went on or ended
      timed_out_ = true;
      on_expiry();
    });
  }
  void DisarmDeadline() { timer_.cancel(); }

  // Runs the io_context until `done`. Every async operation we start completes (with
  // operation_aborted at worst once the socket is closed), so this cannot spin forever.
  // An io_context stops each time it runs out of work (between two operations of ours).
  void RunUntil(const bool& done) {
    while (!done) {
      if (ioc_.stopped()) ioc_.restart();
      std::size_t ran = ioc_.run_one();
      MADRE_CHECK_MSG(ran > 0 || done, "http client: io_context ran out of work mid-call");
    }
  }

  // Starts one async operation with `start(handler)` and runs until it completes; its error.
  template <class Start>
  error_code Await(Start start) {
    bool done = false;
    error_code result;
    start([&done, &result](error_code ec, auto&&...) {
      result = ec;
      done = true;
    });
    RunUntil(done);
    return result;
  }

  Status Error(Phase phase, const error_code& ec) const {
    std::string where = endpoint_.Describe();
    if (cancel_ != nullptr && cancel_->cancelled()) {
      return Status::Unavailable("request to " + where + " cancelled");
    }
    if (timed_out_) {
      return Status::DeadlineExceeded("no answer from " + where + " within " +
                                      std::to_string(ToMillis(timeout_)) + " ms");
    }
    if (ec == http::error::body_limit) {
      return Status::PayloadTooLarge("the answer from " + where + " is too large");
    }
    if (ec.category() == http::make_error_code(http::error::end_of_stream).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return Status::Internal(where + " answered something that is not HTTP/1.1: " + ec.message());
    }
    switch (phase) {
      case Phase::kConnect:
        return Status::Unavailable("cannot connect to " + where + ": " + ec.message());
      case Phase::kSend:
        return Status::Unavailable("cannot send the request to " + where + ": " + ec.message());
      case Phase::kRead:
        break;
    }
    return Status::Unavailable("connection to " + where + " lost: " + ec.message());
  }

 private:
  const HttpEndpoint& endpoint_;
  HttpCancel* cancel_;
  net::io_context ioc_{1};
  net::steady_timer timer_;
  Duration timeout_{};
  bool timed_out_ = false;
};

http::request<http::string_body> BuildRequest(const HttpClientRequest& request) {
  http::request<http::string_body> req;
  req.version(11);
  req.method_string(request.method);
  req.target(request.target);
  req.set(http::field::host, request.host);
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  bool has_body = !request.body.empty() || (request.method != "GET" && request.method != "HEAD");
  if (has_body) {
    req.body() = request.body;
    req.prepare_payload();  // Content-Length, also 0 for an empty POST (dockerd wants it)
  }
  return req;
}

// Connects `socket` to the endpoint (resolving a TCP host name first).
error_code Connect(CallRunner& run, net::local::stream_protocol::socket& socket,
                   const HttpEndpoint& endpoint) {
  return run.Await([&](auto handler) {
    socket.async_connect(net::local::stream_protocol::endpoint(endpoint.address), handler);
  });
}

error_code Connect(CallRunner& run, net::ip::tcp::socket& socket, const HttpEndpoint& endpoint) {
  net::ip::tcp::resolver resolver(run.ioc());
  net::ip::tcp::resolver::results_type endpoints;
  error_code resolved = run.Await([&](auto handler) {
    resolver.async_resolve(endpoint.address, std::to_string(endpoint.port),
                           net::ip::tcp::resolver::numeric_service,
                           [&endpoints, handler](error_code ec, auto found) mutable {
                             endpoints = std::move(found);
                             handler(ec);
                           });
  });
  if (resolved) return resolved;
  return run.Await([&](auto handler) { net::async_connect(socket, endpoints, handler); });
}

template <class Socket>
Status Send(CallRunner& run, Socket& socket, const HttpClientRequest& request) {
  http::request<http::string_body> req = BuildRequest(request);
  error_code written = run.Await([&](auto handler) { http::async_write(socket, req, handler); });
  if (written) return run.Error(Phase::kSend, written);
  return Status::Ok();
}

template <class Socket>
Result<HttpClientResponse> CallOn(CallRunner& run, Socket& socket, const HttpEndpoint& endpoint,
                                  const HttpClientRequest& request, std::size_t max_body_bytes) {
  if (error_code ec = Connect(run, socket, endpoint)) return run.Error(Phase::kConnect, ec);
  if (Status sent = Send(run, socket, request); !sent.ok()) return sent;

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(max_body_bytes);
  error_code read =
      run.Await([&](auto handler) { http::async_read_header(socket, buffer, parser, handler); });
  if (read) return run.Error(Phase::kRead, read);
  // Beast 1.74 does not apply body_limit to a response's Content-Length (it does to chunked
  // and to-EOF bodies): check it here, before reading the body.
  if (parser.content_length() && *parser.content_length() > max_body_bytes) {
    return run.Error(Phase::kRead, http::error::body_limit);
  }
  read = run.Await([&](auto handler) { http::async_read(socket, buffer, parser, handler); });
  if (read) return run.Error(Phase::kRead, read);
  HttpClientResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  response.body = std::move(parser.get().body());
  return response;
}

template <class Socket>
Status StreamOn(CallRunner& run, Socket& socket, const HttpEndpoint& endpoint,
                const HttpClientRequest& request, const HttpStreamHandlers& handlers) {
  if (error_code ec = Connect(run, socket, endpoint)) return run.Error(Phase::kConnect, ec);
  if (Status sent = Send(run, socket, request); !sent.ok()) return sent;

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.header_limit(kHeaderLimit);
  // No limit. Not boost::none: Beast 1.74 then refuses any Content-Length (see CallOn).
  parser.body_limit(std::numeric_limits<std::uint64_t>::max());
  error_code read =
      run.Await([&](auto handler) { http::async_read_header(socket, buffer, parser, handler); });
  if (read) return run.Error(Phase::kRead, read);
  run.DisarmDeadline();  // the headers came: the stream may now stay silent for hours
  if (handlers.on_head) handlers.on_head(static_cast<int>(parser.get().result_int()));

  std::array<char, kStreamBufferBytes> chunk;
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    read = run.Await([&](auto handler) { http::async_read_some(socket, buffer, parser, handler); });
    std::size_t got = chunk.size() - parser.get().body().size;
    if (got > 0 && handlers.on_data) handlers.on_data(std::string_view(chunk.data(), got));
    if (read == http::error::need_buffer) continue;  // the buffer filled up: read on
    if (read) return run.Error(Phase::kRead, read);
  }
  return Status::Ok();
}

// Runs `body(run, socket)` on a socket of the endpoint's kind, under the deadline and the
// cancellation. `body` returns a Status or a Result.
template <class R, class Body>
R WithSocket(const HttpEndpoint& endpoint, Duration timeout, HttpCancel* cancel, Body body) {
  CallRunner run(endpoint, cancel);
  auto go = [&](auto& socket) -> R {
    auto close = [&socket] {
      error_code ignored;
      socket.close(ignored);
    };
    HttpCancelScope scope(cancel, [&run, close] { net::post(run.ioc(), close); });
    if (scope.already_cancelled()) {
      return Status::Unavailable("request to " + endpoint.Describe() + " cancelled");
    }
    run.ArmDeadline(timeout, close);
    R outcome = body(run, socket);
    close();
    return outcome;
  };
  if (endpoint.unix_socket) {
    net::local::stream_protocol::socket socket(run.ioc());
    return go(socket);
  }
  net::ip::tcp::socket socket(run.ioc());
  return go(socket);
}

}  // namespace

Result<HttpClientResponse> HttpCall(const HttpEndpoint& endpoint, const HttpClientRequest& request,
                                    Duration timeout, std::size_t max_body_bytes,
                                    HttpCancel* cancel) {
  return WithSocket<Result<HttpClientResponse>>(
      endpoint, timeout, cancel, [&](CallRunner& run, auto& socket) {
        return CallOn(run, socket, endpoint, request, max_body_bytes);
      });
}

Status HttpStream(const HttpEndpoint& endpoint, const HttpClientRequest& request,
                  Duration connect_timeout, const HttpStreamHandlers& handlers,
                  HttpCancel* cancel) {
  return WithSocket<Status>(endpoint, connect_timeout, cancel, [&](CallRunner& run, auto& socket) {
    return StreamOn(run, socket, endpoint, request, handlers);
  });
}

Result<ParsedHttpUrl> ParseHttpUrl(std::string_view url) {
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument("bad URL '" + std::string(url) + "': " + std::string(why));
  };
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return invalid(url.find("://") != std::string_view::npos
                       ? "only http:// is supported (madre talks plain HTTP on loopback)"
                       : "expected http://host[:port][/path]");
  }
  std::string_view rest = url.substr(kScheme.size());
  std::size_t slash = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, slash);
  std::string target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (std::size_t hash = target.find('#'); hash != std::string::npos) target.resize(hash);
  if (target.empty() || target.front() != '/') target.insert(0, "/");
  if (authority.find('@') != std::string_view::npos) return invalid("user info is not supported");

  std::string_view host = authority;
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unclosed '[' in the host");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return invalid("unexpected text after the IPv6 address");
      port_text = after.substr(1);
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return invalid("no host");
  for (char c : host) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return invalid("bad character in the host");
  }
  std::uint16_t port = 80;
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return invalid("bad port");
    }
    port = static_cast<std::uint16_t>(value);
  }
  return ParsedHttpUrl{HttpEndpoint::Tcp(std::string(host), port), std::string(authority),
                       std::move(target)};
}

}  // namespace madre
