// Tests the real server on 127.0.0.1 (ephemeral port) with a tiny blocking client of our own.
// Nothing sleeps: waits are bounded socket receive timeouts or future waits.
#include "adapters/http/http_server.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace madre {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Clock = std::chrono::steady_clock;

constexpr int kReceiveTimeoutSeconds = 5;

struct ClientResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A blocking HTTP/1.1 client over a POSIX socket, just enough to drive the server.
class TestClient {
 public:
  explicit TestClient(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{kReceiveTimeoutSeconds, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~TestClient() { Close(); }
  TestClient(const TestClient&) = delete;
  TestClient& operator=(const TestClient&) = delete;

  bool connected() const { return connected_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  int LocalPort() const {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Reads one response. With `head`, no body is expected whatever Content-Length says; without
  // Content-Length the body runs to EOF. nullopt on timeout or EOF before the response is whole.
  std::optional<ClientResponse> ReadResponse(bool head = false) {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    ClientResponse response;
    const std::string head_text = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    std::size_t line_end = head_text.find("\r\n");
    const std::string status_line = head_text.substr(0, line_end);
    if (status_line.size() < 12) return std::nullopt;
    response.status = std::stoi(status_line.substr(9, 3));
    for (std::size_t pos = line_end + 2; pos < head_text.size();) {
      const std::size_t next = head_text.find("\r\n", pos);
      const std::string line = head_text.substr(pos, next - pos);
      const std::size_t colon = line.find(':');
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      response.headers[Lower(line.substr(0, colon))] = value;
      pos = next + 2;
    }
    if (head || response.status == 100) return response;
    auto length = response.headers.find("content-length");
    if (length == response.headers.end()) {
      while (Fill()) {
      }
      if (!eof_) return std::nullopt;
      response.body = std::move(buffer_);
      buffer_.clear();
      return response;
    }
    const std::size_t n = std::stoul(length->second);
    while (buffer_.size() < n) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return response;
  }

  // True when the server closes (EOF or reset) before the receive timeout; unread data is
  // discarded.
  bool WaitForClose() {
    while (Fill()) buffer_.clear();
    return eof_;
  }

 private:
  // Appends what arrives; false on EOF/reset (eof_ set) or timeout.
  bool Fill() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(n));
      return true;
    }
    eof_ = n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
    return false;
  }

  int fd_ = -1;
  bool connected_ = false;
  bool eof_ = false;
  std::string buffer_;
};

std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

class HttpServerTest : public ::testing::Test {
 protected:
  ~HttpServerTest() override {
    server_.reset();
    for (std::thread& t : threads_) t.join();
  }

  void StartServer(HttpServerOptions options = {}) {
    options.port = 0;
    auto server = HttpServer::Start(std::move(options), [this](HttpRequest r, Responder respond) {
      {
        std::lock_guard lock(mu_);
        requests_.push_back(r);
      }
      handler_(std::move(r), std::move(respond));
    });
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
  }

  std::vector<HttpRequest> requests() {
    std::lock_guard lock(mu_);
    return requests_;
  }

  // Default handler: 200 "<METHOD> <path>" as text, with an extra header.
  static void Echo(HttpRequest request, Responder respond) {
    HttpResponse response;
    response.content_type = "text/plain";
    response.body = request.method + " " + request.path;
    response.headers.emplace_back("X-Echo", "yes");
    respond(std::move(response));
  }

  void RunLater(std::function<void()> fn) {
    std::lock_guard lock(mu_);
    threads_.emplace_back(std::move(fn));
  }

  std::function<void(HttpRequest, Responder)> handler_ = Echo;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::vector<std::thread> threads_;
};

TEST_F(HttpServerTest, GetRoundTripLowerCasesHeadersAndDecodesQuery) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.connected());
  ASSERT_TRUE(client.Send(
      Get("/madre/power/audit?limit=5&q=hello%20world&x=a+b", "X-VX11-Token: Secret\r\n")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "GET /madre/power/audit");
  EXPECT_EQ(response->headers["content-type"], "text/plain");
  EXPECT_EQ(response->headers["content-length"], "22");
  EXPECT_EQ(response->headers["server"], "madre");
  EXPECT_EQ(response->headers["x-echo"], "yes");

  ASSERT_EQ(requests().size(), 1u);
  const HttpRequest request = requests()[0];
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.target, "/madre/power/audit?limit=5&q=hello%20world&x=a+b");
  EXPECT_EQ(request.path, "/madre/power/audit");
  EXPECT_EQ(request.query, (std::map<std::string, std::string>{
                               {"limit", "5"}, {"q", "hello world"}, {"x", "a b"}}));
  EXPECT_EQ(request.headers.at("x-vx11-token"), "Secret");
  EXPECT_EQ(request.headers.at("host"), "test");
}

TEST_F(HttpServerTest, PostBodyIsDelivered) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /madre/power/windows/open HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
      "Content-Length: 17\r\n\r\n{\"services\":[1]}\n"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "POST /madre/power/windows/open");
  ASSERT_EQ(requests().size(), 1u);
  EXPECT_EQ(requests()[0].body, "{\"services\":[1]}\n");
}

TEST_F(HttpServerTest, ChunkedBodyIsDelivered) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(
      client.Send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  ASSERT_EQ(requests().size(), 1u);
  EXPECT_EQ(requests()[0].body, "hello world");
}

TEST_F(HttpServerTest, KeepAliveServesTwoRequestsOnOneConnection) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/one")));
  auto first = client.ReadResponse();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->body, "GET /one");
  ASSERT_TRUE(client.Send(Get("/two")));
  auto second = client.ReadResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "GET /two");
  ASSERT_EQ(requests().size(), 2u);
  EXPECT_EQ(requests()[0].remote_address, requests()[1].remote_address);
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrderOneAtATime) {
  std::atomic<bool> first_answered{false};
  std::atomic<bool> second_seen_before_first_answer{false};
  handler_ = [&](HttpRequest request, Responder respond) {
    if (request.path == "/first") {
      // Answer later, from another thread.
      RunLater([&first_answered, respond, request] {
        first_answered = true;
        Echo(request, respond);
      });
    } else {
      if (!first_answered) second_seen_before_first_answer = true;
      Echo(std::move(request), std::move(respond));
    }
  };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/first") + Get("/second")));
  auto first = client.ReadResponse();
  auto second = client.ReadResponse();
  ASSERT_TRUE(first.has_value());
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(first->body, "GET /first");
  EXPECT_EQ(second->body, "GET /second");
  EXPECT_FALSE(second_seen_before_first_answer);
}

TEST_F(HttpServerTest, BodyOverTheLimitIsRefusedWithoutReadingIt) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send("POST /big HTTP/1.1\r\nHost: t\r\nContent-Length: 10485760\r\n\r\n" +
                          std::string(1000, 'x')));
  auto response = client.ReadResponse();  // would time out if the server waited for 10 MB
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_EQ(response->headers["content-type"], "application/json");
  EXPECT_EQ(response->headers["server"], "madre");
  EXPECT_EQ(response->body,
            R"({"detail":"request body is larger than 1048576 bytes","code":"payload_too_large"})");
  EXPECT_TRUE(requests().empty());
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, ChunkedBodyOverTheLimitIsRefused) {
  HttpServerOptions options;
  options.max_body_bytes = 100;
  StartServer(options);
  TestClient client(server_->port());
  ASSERT_TRUE(
      client.Send("POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "50\r\n" +
                  std::string(80, 'x') + "\r\n50\r\n" + std::string(80, 'x')));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 413);
  EXPECT_THAT(response->body, HasSubstr(R"("code":"payload_too_large")"));
  EXPECT_TRUE(requests().empty());
}

TEST_F(HttpServerTest, HeadersOverTheLimitAreRefused) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/", "X-Big: " + std::string(20000, 'a') + "\r\n")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 431);
  EXPECT_EQ(
      response->body,
      R"({"detail":"request headers are larger than 16384 bytes","code":"headers_too_large"})");
  EXPECT_TRUE(requests().empty());
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, UnparsableRequestGets400AndClose) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send("NOT HTTP AT ALL\r\n\r\n"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 400);
  EXPECT_EQ(response->body, R"({"detail":"malformed HTTP request","code":"bad_request"})");
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, SlowlorisIsDisconnectedAfterHeaderTimeout) {
  HttpServerOptions options;
  options.header_timeout = Millis(200);
  StartServer(options);
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send("GET /slow HT"));
  EXPECT_TRUE(client.WaitForClose());  // the server closes, not the client's own recv timeout
  EXPECT_TRUE(requests().empty());
}

TEST_F(HttpServerTest, SilentConnectionIsDisconnectedAfterHeaderTimeout) {
  HttpServerOptions options;
  options.header_timeout = Millis(200);
  StartServer(options);
  TestClient client(server_->port());
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, IdleKeepAliveConnectionIsClosedAfterIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = Millis(200);
  StartServer(options);
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  ASSERT_TRUE(client.ReadResponse().has_value());
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, ConnectionsBeyondTheCapGet503) {
  HttpServerOptions options;
  options.max_connections = 2;
  StartServer(options);
  TestClient a(server_->port());
  TestClient b(server_->port());
  for (TestClient* client : {&a, &b}) {  // both are accepted and served
    ASSERT_TRUE(client->Send(Get("/")));
    ASSERT_TRUE(client->ReadResponse().has_value());
  }
  TestClient c(server_->port());
  ASSERT_TRUE(c.Send(Get("/third")));
  auto response = c.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 503);
  EXPECT_THAT(response->body, HasSubstr(R"("code":"too_many_connections")"));
  EXPECT_EQ(response->headers["retry-after"], "1");
  EXPECT_TRUE(c.WaitForClose());
  EXPECT_EQ(requests().size(), 2u);
  // The first two still work.
  ASSERT_TRUE(a.Send(Get("/again")));
  auto again = a.ReadResponse();
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->status, 200);
}

TEST_F(HttpServerTest, HandlerMayAnswerLaterFromAnotherThread) {
  handler_ = [this](HttpRequest, Responder respond) {
    RunLater([respond] {
      HttpResponse response;
      response.status = 202;
      response.body = R"({"later":true})";
      respond(response);
    });
  };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body, R"({"later":true})");
  EXPECT_EQ(response->headers["content-type"], "application/json");
}

TEST_F(HttpServerTest, DroppedResponderAnswers500) {
  handler_ = [](HttpRequest, Responder) {};
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_EQ(response->body, R"({"detail":"internal error: no response","code":"internal"})");
  // The connection goes on.
  ASSERT_TRUE(client.Send(Get("/")));
  auto second = client.ReadResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->status, 500);
}

TEST_F(HttpServerTest, ResponderDroppedLaterOnAnotherThreadAnswers500) {
  handler_ = [this](HttpRequest, Responder respond) {
    RunLater([respond = std::move(respond)]() mutable { Responder gone = std::move(respond); });
  };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
}

TEST_F(HttpServerTest, ThrowingHandlerAnswers500WithoutLeakingTheMessage) {
  handler_ = [](HttpRequest, Responder) { throw std::runtime_error("token=hunter2"); };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 500);
  EXPECT_THAT(response->body, HasSubstr(R"("code":"internal")"));
  EXPECT_THAT(response->body, Not(HasSubstr("hunter2")));
}

TEST_F(HttpServerTest, SecondCallOfAResponderIsIgnored) {
  handler_ = [](HttpRequest request, Responder respond) {
    HttpResponse first;
    first.body = "first " + request.path;
    respond(first);
    HttpResponse second;
    second.body = "second " + request.path;
    respond(second);
  };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/a")));
  auto a = client.ReadResponse();
  ASSERT_TRUE(client.Send(Get("/b")));
  auto b = client.ReadResponse();
  ASSERT_TRUE(a.has_value());
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(a->body, "first /a");
  EXPECT_EQ(b->body, "first /b");
}

// Stop's grace period is an hour here: a Stop that waited for it instead of closing the
// connections would hang the test until ctest's timeout.
TEST_F(HttpServerTest, StopReturnsWithoutTheGracePeriodWithAnIdleKeepAliveClient) {
  HttpServerOptions options;
  options.stop_grace = Seconds(3600);
  StartServer(options);
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  ASSERT_TRUE(client.ReadResponse().has_value());
  server_->Stop();
  EXPECT_TRUE(client.WaitForClose());
  server_->Stop();  // idempotent
}

TEST_F(HttpServerTest,
       StopWithAnUnansweredRequestReturnsWithoutTheGracePeriodAndLateAnswersAreIgnored) {
  std::promise<Responder> held;
  handler_ = [&held](HttpRequest, Responder respond) { held.set_value(std::move(respond)); };
  HttpServerOptions options;
  options.stop_grace = Seconds(3600);
  StartServer(options);
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto future = held.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  Responder respond = future.get();
  server_->Stop();
  respond(HttpResponse{});  // no effect, no crash
  server_.reset();
  respond(HttpResponse{});
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, RemoteAddressIsFilled) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  ASSERT_TRUE(client.ReadResponse().has_value());
  ASSERT_EQ(requests().size(), 1u);
  EXPECT_EQ(requests()[0].remote_address, "127.0.0.1:" + std::to_string(client.LocalPort()));
}

TEST_F(HttpServerTest, HeadResponseHasContentLengthButNoBody) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto head = client.ReadResponse(/*head=*/true);
  ASSERT_TRUE(head.has_value());
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->headers["content-length"], "7");  // "HEAD /x"
  // Had a body been sent, it would now be read as the start of the next response.
  ASSERT_TRUE(client.Send(Get("/next")));
  auto next = client.ReadResponse();
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(next->body, "GET /next");
}

TEST_F(HttpServerTest, UnknownMethodIsPassedToTheHandler) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send("BREW /pot HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "BREW /pot");
}

TEST_F(HttpServerTest, ConnectionCloseIsHonoured) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/", "Connection: close\r\n")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->headers["connection"], "close");
  EXPECT_TRUE(client.WaitForClose());
}

TEST_F(HttpServerTest, Http10ClosesAfterTheResponseUnlessKeepAlive) {
  StartServer();
  TestClient plain(server_->port());
  ASSERT_TRUE(plain.Send("GET /old HTTP/1.0\r\n\r\n"));
  auto response = plain.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->body, "GET /old");
  EXPECT_TRUE(plain.WaitForClose());

  TestClient keep(server_->port());
  ASSERT_TRUE(keep.Send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  ASSERT_TRUE(keep.ReadResponse().has_value());
  ASSERT_TRUE(keep.Send("GET /b HTTP/1.0\r\n\r\n"));
  auto second = keep.ReadResponse();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "GET /b");
}

TEST_F(HttpServerTest, ExpectContinueGets100BeforeTheBody) {
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(
      "POST /p HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
  auto interim = client.ReadResponse();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("hello"));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  ASSERT_EQ(requests().size(), 1u);
  EXPECT_EQ(requests()[0].body, "hello");
}

TEST_F(HttpServerTest, InjectedAndReservedExtraHeadersAreDropped) {
  handler_ = [](HttpRequest, Responder respond) {
    HttpResponse response;
    response.body = "{}";
    response.headers = {
        {"Content-Length", "99"}, {"X-Bad", "a\r\nX-Injected: 1"}, {"Retry-After", "3"}};
    respond(response);
  };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  auto response = client.ReadResponse();
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->headers["content-length"], "2");
  EXPECT_EQ(response->headers.count("x-injected"), 0u);
  EXPECT_EQ(response->headers.count("x-bad"), 0u);
  EXPECT_EQ(response->headers["retry-after"], "3");
}

TEST_F(HttpServerTest, PostRunsOnTheIoThread) {
  std::promise<std::thread::id> handler_thread;
  handler_ = [&handler_thread](HttpRequest request, Responder respond) {
    handler_thread.set_value(std::this_thread::get_id());
    Echo(std::move(request), std::move(respond));
  };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/")));
  ASSERT_TRUE(client.ReadResponse().has_value());
  std::promise<std::thread::id> posted_thread;
  server_->Post([&posted_thread] { posted_thread.set_value(std::this_thread::get_id()); });
  auto posted = posted_thread.get_future();
  ASSERT_EQ(posted.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(posted.get(), handler_thread.get_future().get());
}

TEST_F(HttpServerTest, PostAfterRunsLaterOnTheIoThreadAndStopDropsPendingOnes) {
  StartServer();
  std::promise<std::thread::id> posted_thread;
  std::promise<std::thread::id> delayed_thread;
  server_->Post([&posted_thread] { posted_thread.set_value(std::this_thread::get_id()); });
  server_->PostAfter(Millis(1),
                     [&delayed_thread] { delayed_thread.set_value(std::this_thread::get_id()); });
  auto delayed = delayed_thread.get_future();
  ASSERT_EQ(delayed.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(delayed.get(), posted_thread.get_future().get());
  bool ran = false;
  server_->PostAfter(Seconds(3600), [&ran] { ran = true; });
  server_->Stop();  // returns without waiting the hour, and the job never runs
  EXPECT_FALSE(ran);
}

TEST_F(HttpServerTest, StartFailsWhenThePortIsTaken) {
  StartServer();
  HttpServerOptions options;
  options.port = server_->port();
  auto second = HttpServer::Start(options, Echo);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.code(), StatusCode::kUnavailable);
  EXPECT_EQ(
      second.status().message(),
      "cannot listen on 127.0.0.1:" + std::to_string(server_->port()) + ": Address already in use");
}

TEST_F(HttpServerTest, StartRejectsABadBindAddress) {
  HttpServerOptions options;
  options.bind_address = "not-an-ip";
  auto server = HttpServer::Start(options, Echo);
  ASSERT_FALSE(server.ok());
  EXPECT_EQ(server.code(), StatusCode::kInvalidArgument);
}

TEST_F(HttpServerTest, StreamedResponseSendsChunksUntilTheWriterIsDropped) {
  handler_ = [this](HttpRequest, Responder respond) {
    HttpResponse response;
    response.content_type = "text/event-stream";
    response.stream = [this](StreamWriter write) {
      RunLater([write = std::move(write)]() mutable {
        write("data: 1\n\n");
        write("data: 2\n\n");
        write = nullptr;  // ends the stream
      });
    };
    respond(std::move(response));
  };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/madre/events")));
  auto response = client.ReadResponse();  // no Content-Length: reads to EOF
  ASSERT_TRUE(response.has_value());
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers["content-type"], "text/event-stream");
  EXPECT_EQ(response->headers.count("content-length"), 0u);
  EXPECT_EQ(response->body, "data: 1\n\ndata: 2\n\n");
}

TEST_F(HttpServerTest, StreamWriterReportsFalseAfterStop) {
  std::promise<StreamWriter> held;
  handler_ = [&held](HttpRequest, Responder respond) {
    HttpResponse response;
    response.content_type = "text/event-stream";
    response.stream = [&held](StreamWriter write) { held.set_value(std::move(write)); };
    respond(std::move(response));
  };
  StartServer();
  TestClient client(server_->port());
  ASSERT_TRUE(client.Send(Get("/madre/events")));
  auto future = held.get_future();
  ASSERT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  StreamWriter write = future.get();
  EXPECT_TRUE(write("data: hello\n\n"));
  server_->Stop();
  EXPECT_FALSE(write("data: late\n\n"));
}

TEST_F(HttpServerTest, WorksWithSeveralIoThreads) {
  HttpServerOptions options;
  options.threads = 2;
  StartServer(options);
  TestClient a(server_->port());
  TestClient b(server_->port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(a.Send(Get("/a")));
    ASSERT_TRUE(b.Send(Get("/b")));
    auto ra = a.ReadResponse();
    auto rb = b.ReadResponse();
    ASSERT_TRUE(ra.has_value());
    ASSERT_TRUE(rb.has_value());
    EXPECT_EQ(ra->body, "GET /a");
    EXPECT_EQ(rb->body, "GET /b");
  }
}

}  // namespace
}  // namespace madre
