// The only translation unit that includes Boost.Beast with OpenSSL.
#include "adapters/webclient/web_client.h"

// <utility> must come before the asio headers: Boost 1.74's asio/awaitable.hpp uses
// std::exchange without including it.
// clang-format off
#include <utility>
// clang-format on

#include <openssl/ssl.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>

namespace madre {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using boost::system::error_code;
using tcp = net::ip::tcp;

namespace {

constexpr std::uint32_t kHeaderLimit = 64 * 1024;

auto Awaitable(error_code& ec) { return net::redirect_error(net::use_awaitable, ec); }

bool IsIpLiteral(const std::string& host) {
  error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

// One TLS exchange; `status` is Ok and `response` filled when it completed.
struct Exchange {
  const WebUrl& url;
  const HttpClientRequest& request;
  std::size_t max_body_bytes;
  tcp::resolver& resolver;
  ssl::stream<tcp::socket>& stream;
  bool finished = false;
  Status status = Status::Ok();
  HttpClientResponse response;
};

std::string Where(const WebUrl& url) { return url.host + ":" + std::to_string(url.port); }

net::awaitable<void> Run(Exchange& x) {
  error_code ec;
  const std::string where = Where(x.url);
  auto results = co_await x.resolver.async_resolve(x.url.host, std::to_string(x.url.port),
                                                   tcp::resolver::numeric_service, Awaitable(ec));
  if (ec) {
    x.status = Status::Unavailable("cannot resolve " + x.url.host + ": " + ec.message());
    co_return;
  }
  co_await net::async_connect(x.stream.next_layer(), results, Awaitable(ec));
  if (ec) {
    x.status = Status::Unavailable("cannot connect to " + where + ": " + ec.message());
    co_return;
  }
  co_await x.stream.async_handshake(ssl::stream_base::client, Awaitable(ec));
  if (ec) {
    long verify = SSL_get_verify_result(x.stream.native_handle());
    std::string why = ec.message();
    if (verify != X509_V_OK) {
      why = std::string("certificate not trusted: ") + X509_verify_cert_error_string(verify);
    }
    // Not kUnavailable: trying again would not change the certificate.
    x.status = Status::FailedPrecondition("TLS handshake with " + where + " failed: " + why);
    co_return;
  }
  http::request<http::string_body> req;
  req.version(11);
  req.method_string(x.request.method);
  req.target(x.request.target);
  req.set(http::field::host, x.request.host);
  req.set(http::field::connection, "close");
  for (const auto& [name, value] : x.request.headers) req.set(name, value);
  req.body() = x.request.body;
  req.prepare_payload();
  co_await http::async_write(x.stream, req, Awaitable(ec));
  if (ec) {
    x.status = Status::Unavailable("cannot send the request to " + where + ": " + ec.message());
    co_return;
  }
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kHeaderLimit);
  parser.body_limit(x.max_body_bytes);
  co_await http::async_read_header(x.stream, buffer, parser, Awaitable(ec));
  // Beast 1.74 does not apply body_limit to a response's Content-Length (http_client.cc).
  if (!ec && parser.content_length() && *parser.content_length() > x.max_body_bytes) {
    ec = http::error::body_limit;
  }
  if (!ec) co_await http::async_read(x.stream, buffer, parser, Awaitable(ec));
  if (ec == http::error::body_limit) {
    x.status = Status::PayloadTooLarge("the answer from " + where + " is too large");
    co_return;
  }
  if (ec) {
    x.status = Status::Unavailable("no complete answer from " + where + ": " + ec.message());
    co_return;
  }
  x.response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    x.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  x.response.body = std::move(parser.get().body());
}

net::awaitable<void> RunToEnd(Exchange& x) {
  co_await Run(x);
  x.finished = true;
}

Result<HttpClientResponse> TlsCall(const WebUrl& url, const HttpClientRequest& request,
                                   const WebCallOptions& options) {
  ssl::context ctx(ssl::context::tls_client);
  error_code ec;
  ctx.set_default_verify_paths(ec);  // the system store; a failure leaves only the CA file
  if (!options.ca_file.empty()) {
    ctx.load_verify_file(options.ca_file, ec);
    if (ec) {
      return Status::InvalidArgument("cannot read the CA file " + options.ca_file + ": " +
                                     ec.message());
    }
  }
  ctx.set_verify_mode(ssl::verify_peer);
  net::io_context ioc(1);
  tcp::resolver resolver(ioc);
  ssl::stream<tcp::socket> stream(ioc, ctx);
  stream.set_verify_callback(ssl::host_name_verification(url.host));
  // SNI: a name only (RFC 6066 forbids IP literals there).
  if (!IsIpLiteral(url.host) &&
      SSL_set_tlsext_host_name(stream.native_handle(), url.host.c_str()) != 1) {
    return Status::Internal("cannot set the TLS server name " + url.host);
  }
  Exchange x{.url = url,
             .request = request,
             .max_body_bytes = options.max_body_bytes,
             .resolver = resolver,
             .stream = stream,
             .finished = false,
             .status = Status::Ok(),
             .response = {}};
  {
    // A Cancel() from another thread stops the io_context: run_for returns at once.
    HttpCancelScope scope(options.cancel, [&ioc] { ioc.stop(); });
    if (scope.already_cancelled()) {
      return Status::Unavailable("request to " + Where(url) + " cancelled");
    }
    net::co_spawn(ioc, RunToEnd(x), net::detached);
    ioc.run_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(options.timeout));
  }
  if (!x.finished) {
    // The deadline or a cancel: end whatever is pending, and let the coroutine finish.
    resolver.cancel();
    error_code ignored;
    stream.next_layer().close(ignored);
    ioc.restart();
    ioc.run();
    if (options.cancel != nullptr && options.cancel->cancelled()) {
      return Status::Unavailable("request to " + Where(url) + " cancelled");
    }
    return Status::DeadlineExceeded(
        "no answer from " + Where(url) + " within " +
        std::to_string(
            std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout).count()) +
        " ms");
  }
  if (!x.status.ok()) return x.status;
  return std::move(x.response);
}

}  // namespace

Result<WebUrl> ParseWebUrl(std::string_view url) {
  constexpr std::string_view kHttps = "https://";
  bool tls = url.substr(0, kHttps.size()) == kHttps;
  std::string plain = tls ? "http://" + std::string(url.substr(kHttps.size())) : std::string(url);
  Result<ParsedHttpUrl> parsed = ParseHttpUrl(plain);
  if (!parsed.ok()) {
    return Status::InvalidArgument("bad URL '" + std::string(url) +
                                   "': expected https://host[:port]/path or "
                                   "http://host[:port]/path");
  }
  WebUrl out;
  out.tls = tls;
  out.host = parsed->endpoint.address;
  out.port = parsed->endpoint.port;
  out.host_header = parsed->host_header;
  out.target = parsed->target;
  out.text = std::string(url);
  const std::string& authority = parsed->host_header;
  std::size_t colon = authority.rfind(':');
  std::size_t bracket = authority.rfind(']');
  bool has_port = colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  if (tls && !has_port) out.port = 443;
  return out;
}

Result<HttpClientResponse> WebCall(const WebUrl& url, const HttpClientRequest& request,
                                   const WebCallOptions& options) {
  if (url.tls) return TlsCall(url, request, options);
  return HttpCall(HttpEndpoint::Tcp(url.host, url.port), request, options.timeout,
                  options.max_body_bytes, options.cancel);
}

}  // namespace madre
