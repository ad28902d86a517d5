// The stub of llm_stub_server.h (compiled into llm_tests only: the `_test.cc` suffix keeps it
// out of madre_llm).
#include "adapters/llm/llm_stub_server.h"

// <utility> before the asio headers (see adapters/webclient/web_client.cc).
// clang-format off
#include <utility>
// clang-format on

#include <unistd.h>

#include <atomic>
#include <boost/asio/buffer.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "base/status.h"

namespace madre::testing_llm {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace http = boost::beast::http;
using boost::system::error_code;
using tcp = net::ip::tcp;

// openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 36500
//   -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1,DNS:localhost
//   -addext basicConstraints=critical,CA:TRUE
// A test-only pair: the key protects nothing.
const char* const kStubCertPem = R"(-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUVkfpqlvQgQ1G7KOlmUYSUQfb5towCgYIKoZIzj0EAwIw
FDESMBAGA1UEAwwJMTI3LjAuMC4xMCAXDTI2MTIwMzEzMjAxMloYDzIxMjYxMTA5
MTMyMDEyWjAUMRIwEAYDVQQDDAkxMjcuMC4wLjEwWTATBgcqhkjOPQIBBggqhkjO
PQMBBwNCAARDPNlmoIlOICcoGQbN0dK0IzWaIXJhA28S8wVY6yRd0C16Cy8UWc9b
sn6gSHoXYUSuA5mXTT4IodDBDo6wGHlyo28wbTAdBgNVHQ4EFgQU+xXSVLxX7Vw6
dqrtCUIDsVateEQwHwYDVR0jBBgwFoAU+xXSVLxX7Vw6dqrtCUIDsVateEQwGgYD
VR0RBBMwEYcEfwAAAYIJbG9jYWxob3N0MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZI
zj0EAwIDSAAwRQIhAMqv6FclUg37Q9cnkAQq5t9ILolNzF7bKsQOmHZMZFpWAiBl
LekWhT/b0GuPnxcpg4I6zgOTPCPZeH8Heq4xQZ5Olg==
-----END CERTIFICATE-----
)";

namespace {

const char* const kStubKeyPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOVuWPU7l4IIxS0Sr
OUt5AjrviLPeCIYAxB1o9j9seyOhRANCAARDPNlmoIlOICcoGQbN0dK0IzWaIXJh
A28S8wVY6yRd0C16Cy8UWc9bsn6gSHoXYUSuA5mXTT4IodDBDo6wGHly
-----END PRIVATE KEY-----
)";

constexpr const char* kGoodBody =
    R"({"id":"x","object":"chat.completion","model":"deepseek-reasoner","choices":[{"index":0,)"
    R"("message":{"role":"assistant","content":"```json\n{\"remediation\": \"restart\", )"
    R"(\"target\": \"api\", \"explanation\": \"api crashed once; a restart should do\"}\n```",)"
    R"("reasoning_content":"The exit code is 1 and nothing else is wrong."},)"
    R"("finish_reason":"stop"}]})";
constexpr const char* kOutsideBody =
    R"({"choices":[{"message":{"role":"assistant","content":)"
    R"("{\"remediation\": \"delete_volume\", \"target\": \"api\", \"explanation\": \"wipe it\"}"}}]})";

constexpr const char* kMaskedBody =
    R"({"choices":[{"message":{"role":"assistant","content":)"
    R"("{\"remediation\": \"start_dependency\", \"target\": \"service-2\", )"
    R"(\"explanation\": \"service-1 cannot work while service-2 is down\"}"}}]})";

}  // namespace

struct StubServer::Impl {
  explicit Impl(bool tls_on) : tls(tls_on), ctx(ssl::context::tls_server) {
    acceptor.open(tcp::v4());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(tcp::endpoint(net::ip::make_address("127.0.0.1"), 0));
    acceptor.listen();
    bound_port = acceptor.local_endpoint().port();  // read here, before the thread runs
    if (tls) {
      ctx.use_certificate_chain(net::buffer(std::string(kStubCertPem)));
      ctx.use_private_key(net::buffer(std::string(kStubKeyPem)), ssl::context::pem);
    }
    thread = std::thread([this] { Loop(); });
  }

  void Loop() {
    while (true) {
      tcp::socket socket(ioc);
      error_code ec;
      acceptor.accept(socket, ec);
      if (stop) return;
      if (ec) continue;
      if (tls) {
        ssl::stream<tcp::socket&> stream(socket, ctx);
        stream.handshake(ssl::stream_base::server, ec);
        if (!ec) Handle(stream);
      } else {
        Handle(socket);
      }
      socket.close(ec);
    }
  }

  StubReply Next() {
    std::lock_guard lock(mu);
    if (script.empty()) return StubReply::kGood;
    StubReply next = script.front();
    script.erase(script.begin());
    return next;
  }

  template <class Stream>
  void Handle(Stream& stream) {
    boost::beast::flat_buffer buffer;
    http::request<http::string_body> req;
    error_code ec;
    http::read(stream, buffer, req, ec);
    if (ec) return;
    {
      std::lock_guard lock(mu);
      recorded.push_back({.target = std::string(req.target()),
                          .authorization = std::string(req[http::field::authorization]),
                          .body = req.body()});
    }
    StubReply reply = Next();
    if (reply == StubReply::kHang) {  // until the client closes
      char byte = 0;
      while (!ec) stream.read_some(net::buffer(&byte, 1), ec);
      return;
    }
    http::response<http::string_body> res;
    res.version(11);
    res.set(http::field::content_type, "application/json");
    switch (reply) {
      case StubReply::kGood:
        res.result(200);
        res.body() = kGoodBody;
        break;
      case StubReply::kTooManyRequests:
        res.result(429);
        res.body() = R"({"error":{"message":"rate limited"}})";
        break;
      case StubReply::kServerError:
        res.result(503);
        res.body() = R"({"error":{"message":"busy"}})";
        break;
      case StubReply::kMalformed:
        res.result(200);
        res.body() = R"({"choices": [{"message": {"content": )";
        break;
      case StubReply::kOutsideCatalogue:
        res.result(200);
        res.body() = kOutsideBody;
        break;
      case StubReply::kMaskedNames:
        res.result(200);
        res.body() = kMaskedBody;
        break;
      case StubReply::kHang:
        break;
    }
    res.prepare_payload();
    http::write(stream, res, ec);
  }

  bool tls;
  net::io_context ioc;
  tcp::acceptor acceptor{ioc};
  ssl::context ctx;
  std::uint16_t bound_port = 0;
  std::thread thread;
  std::atomic<bool> stop{false};
  mutable std::mutex mu;
  std::vector<StubReply> script;      // guarded by mu
  std::vector<StubRequest> recorded;  // guarded by mu
};

StubServer::StubServer(bool tls) : impl_(std::make_unique<Impl>(tls)) {}

StubServer::~StubServer() {
  impl_->stop = true;
  net::io_context ioc;
  tcp::socket wake(ioc);
  error_code ec;
  wake.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port()), ec);
  impl_->thread.join();
}

std::uint16_t StubServer::port() const { return impl_->bound_port; }

std::string StubServer::Url() const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port()) +
         "/v1/chat/completions";
}

void StubServer::Script(std::vector<StubReply> replies) {
  std::lock_guard lock(impl_->mu);
  impl_->script = std::move(replies);
}

std::vector<StubRequest> StubServer::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->recorded;
}

StubCaFile::StubCaFile() {
  char name[] = "/tmp/madre_stub_ca_XXXXXX";
  const int fd = ::mkstemp(name);
  MADRE_CHECK_MSG(fd >= 0, "cannot make a temporary CA file");
  ::close(fd);
  path_ = name;
  std::ofstream(path_) << kStubCertPem;
}

StubCaFile::~StubCaFile() { std::remove(path_.c_str()); }

}  // namespace madre::testing_llm
