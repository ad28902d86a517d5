#include "adapters/httpclient/http_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <string>
#include <thread>

namespace madre {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The server side of one connection: reads what the client sent, writes what it is told.
class Peer {
 public:
  explicit Peer(int fd) : fd_(fd) {}
  // The request head and as much of the body as Content-Length announces.
  std::string ReadRequest() {
    std::string data;
    char buf[4096];
    for (;;) {
      std::size_t end = data.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        std::size_t at = data.find("Content-Length: ");
        if (at != std::string::npos && at < end) length = std::stoul(data.substr(at + 16));
        if (data.size() >= end + 4 + length) return data;
      }
      ssize_t n = read(fd_, buf, sizeof(buf));
      if (n <= 0) return data;
      data.append(buf, static_cast<std::size_t>(n));
    }
  }
  void Write(std::string_view data) {
    ASSERT_EQ(write(fd_, data.data(), data.size()), static_cast<ssize_t>(data.size()));
  }
  // Blocks until the client closes its end (EOF or error).
  void WaitForClose() {
    char buf[256];
    while (read(fd_, buf, sizeof(buf)) > 0) {
    }
  }

 private:
  int fd_;
};

// Accepts connections on a unix socket (or 127.0.0.1) and runs `handler` for each, one at a
// time, on its own thread.
class TestServer {
 public:
  enum class Kind { kUnix, kTcp };
  TestServer(Kind kind, std::function<void(Peer&)> handler) : handler_(std::move(handler)) {
    if (kind == Kind::kUnix) {
      char dir_template[] = "/tmp/madre-httpclient-test-XXXXXX";
      dir_ = mkdtemp(dir_template);
      std::string path = dir_ + "/s.sock";
      listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_un addr{};
      addr.sun_family = AF_UNIX;
      path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
      EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
      endpoint_ = HttpEndpoint::Unix(path);
    } else {
      listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
      socklen_t len = sizeof(addr);
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
      endpoint_ = HttpEndpoint::Tcp("127.0.0.1", ntohs(addr.sin_port));
    }
    EXPECT_EQ(listen(listen_fd_, 8), 0);
    EXPECT_EQ(pipe2(wake_, O_CLOEXEC), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestServer() {
    EXPECT_EQ(write(wake_[1], "x", 1), 1);
    thread_.join();
    close(listen_fd_);
    close(wake_[0]);
    close(wake_[1]);
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }
  const HttpEndpoint& endpoint() const { return endpoint_; }
  std::string last_request() const {
    std::lock_guard lock(mu_);
    return last_request_;
  }
  void set_last_request(std::string request) {
    std::lock_guard lock(mu_);
    last_request_ = std::move(request);
  }

 private:
  void Serve() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) <= 0 || (fds[1].revents & POLLIN) != 0) return;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      Peer peer(fd);
      handler_(peer);
      close(fd);
    }
  }

  std::function<void(Peer&)> handler_;
  std::string dir_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  HttpEndpoint endpoint_;
  std::thread thread_;
  mutable std::mutex mu_;
  std::string last_request_;
};

// Replies with `answer` after reading the request (kept in last_request()).
std::function<void(Peer&)> Answer(TestServer*& self, std::string answer) {
  return [&self, answer = std::move(answer)](Peer& peer) {
    self->set_last_request(peer.ReadRequest());
    peer.Write(answer);
  };
}

HttpClientRequest Get(std::string target) {
  HttpClientRequest request;
  request.target = std::move(target);
  return request;
}

TEST(HttpClientTest, GetsAnAnswerOverAUnixSocket) {
  TestServer* self = nullptr;
  TestServer server(TestServer::Kind::kUnix,
                    Answer(self, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"));
  self = &server;
  Result<HttpClientResponse> answer =
      HttpCall(server.endpoint(), Get("/v1.41/_ping?x=1"), Seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "hello");
  std::string request = server.last_request();
  EXPECT_THAT(request, StartsWith("GET /v1.41/_ping?x=1 HTTP/1.1\r\n"));
  EXPECT_THAT(request, HasSubstr("Host: localhost\r\n"));
  EXPECT_THAT(request, HasSubstr("Connection: close\r\n"));
  EXPECT_THAT(request, testing::Not(HasSubstr("Content-Length")));
}

TEST(HttpClientTest, PostsABodyWithHeadersOverTcp) {
  TestServer* self = nullptr;
  TestServer server(TestServer::Kind::kTcp,
                    Answer(self, "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"));
  self = &server;
  HttpClientRequest request;
  request.method = "POST";
  request.target = "/madre/power/window/open";
  request.host = "127.0.0.1:8001";
  request.headers = {{"X-VX11-Token", "t0k"}, {"Content-Type", "application/json"}};
  request.body = R"({"services":["a"]})";
  Result<HttpClientResponse> answer = HttpCall(server.endpoint(), request, Seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 201);
  EXPECT_EQ(answer->body, "{}");
  std::string seen = server.last_request();
  EXPECT_THAT(seen, StartsWith("POST /madre/power/window/open HTTP/1.1\r\n"));
  EXPECT_THAT(seen, HasSubstr("Host: 127.0.0.1:8001\r\n"));
  EXPECT_THAT(seen, HasSubstr("X-VX11-Token: t0k\r\n"));
  EXPECT_THAT(seen, HasSubstr("Content-Length: 18\r\n"));
  EXPECT_THAT(seen, testing::EndsWith("\r\n\r\n" + request.body));
}

TEST(HttpClientTest, AnEmptyPostCarriesContentLengthZero) {
  TestServer* self = nullptr;
  TestServer server(TestServer::Kind::kUnix, Answer(self, "HTTP/1.1 204 No Content\r\n\r\n"));
  self = &server;
  HttpClientRequest request;
  request.method = "POST";
  request.target = "/containers/abc/start";
  Result<HttpClientResponse> answer = HttpCall(server.endpoint(), request, Seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 204);
  EXPECT_THAT(server.last_request(), HasSubstr("Content-Length: 0\r\n"));
}

TEST(HttpClientTest, ANotModifiedAnswerHasNoBody) {
  TestServer* self = nullptr;
  // No Content-Length and the connection stays open: a 304 must not wait for a body.
  TestServer server(TestServer::Kind::kUnix, [&self](Peer& peer) {
    self->set_last_request(peer.ReadRequest());
    peer.Write("HTTP/1.1 304 Not Modified\r\n\r\n");
    peer.WaitForClose();
  });
  self = &server;
  Result<HttpClientResponse> answer = HttpCall(server.endpoint(), Get("/x"), Seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 304);
  EXPECT_EQ(answer->body, "");
}

TEST(HttpClientTest, AssemblesAChunkedBodyAndABodyEndedByClose) {
  TestServer* self = nullptr;
  TestServer chunked(TestServer::Kind::kUnix,
                     Answer(self,
                            "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3\r\n{\"m\r\n9\r\nessage\":1\r\n1\r\n}\r\n0\r\n\r\n"));
  self = &chunked;
  Result<HttpClientResponse> answer = HttpCall(chunked.endpoint(), Get("/x"), Seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->status, 404);
  EXPECT_EQ(answer->body, R"({"message":1})");

  TestServer* self2 = nullptr;
  TestServer until_close(TestServer::Kind::kUnix,
                         Answer(self2, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of it"));
  self2 = &until_close;
  answer = HttpCall(until_close.endpoint(), Get("/x"), Seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  EXPECT_EQ(answer->body, "all of it");
}

TEST(HttpClientTest, ABodyOverTheLimitIsRefused) {
  TestServer* self = nullptr;
  TestServer server(TestServer::Kind::kUnix,
                    Answer(self, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789"));
  self = &server;
  Result<HttpClientResponse> answer = HttpCall(server.endpoint(), Get("/x"), Seconds(5), 9);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kPayloadTooLarge);

  TestServer* self2 = nullptr;
  TestServer chunked(TestServer::Kind::kUnix,
                     Answer(self2,
                            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "5\r\n01234\r\n5\r\n56789\r\n0\r\n\r\n"));
  self2 = &chunked;
  answer = HttpCall(chunked.endpoint(), Get("/x"), Seconds(5), 9);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kPayloadTooLarge);
  answer = HttpCall(server.endpoint(), Get("/x"), Seconds(5), 10);  // exactly the limit
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
}

TEST(HttpClientTest, NothingListeningIsUnavailable) {
  Result<HttpClientResponse> answer =
      HttpCall(HttpEndpoint::Unix("/tmp/madre-no-such-dir/docker.sock"), Get("/"), Seconds(5));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(answer.status().message(),
              HasSubstr("cannot connect to unix:///tmp/madre-no-such-dir/docker.sock"));

  // A port nobody listens on: bind one, note it, close it.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  answer = HttpCall(HttpEndpoint::Tcp("127.0.0.1", ntohs(addr.sin_port)), Get("/"), Seconds(5));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
}

TEST(HttpClientTest, AClosedConnectionWithoutAnswerIsUnavailable) {
  TestServer server(TestServer::Kind::kUnix, [](Peer& peer) { peer.ReadRequest(); });
  Result<HttpClientResponse> answer = HttpCall(server.endpoint(), Get("/"), Seconds(5));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
}

TEST(HttpClientTest, AnAnswerThatIsNotHttpIsInternal) {
  TestServer* self = nullptr;
  TestServer server(TestServer::Kind::kUnix, Answer(self, "SSH-2.0-OpenSSH_9.2\r\n\r\n"));
  self = &server;
  Result<HttpClientResponse> answer = HttpCall(server.endpoint(), Get("/"), Seconds(5));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kInternal);
  EXPECT_THAT(answer.status().message(), HasSubstr("not HTTP"));
}

TEST(HttpClientTest, ASilentServerTimesOut) {
  TestServer server(TestServer::Kind::kUnix, [](Peer& peer) {
    peer.ReadRequest();
    peer.WaitForClose();  // never answers; the client gives up and closes
  });
  Result<HttpClientResponse> answer = HttpCall(server.endpoint(), Get("/"), Millis(50));
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(answer.status().message(), HasSubstr("within 50 ms"));
}

// A stream whose pieces the test releases one by one, so that it can check each piece is
// delivered while the stream is still open.
class SteppedStream {
 public:
  void Release() {
    std::lock_guard lock(mu_);
    ++released_;
    cv_.notify_all();
  }
  void WaitReleased(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return released_ >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int released_ = 0;
};

TEST(HttpClientTest, AStreamDeliversEachPieceAsItComes) {
  SteppedStream steps;
  TestServer server(TestServer::Kind::kUnix, [&steps](Peer& peer) {
    peer.ReadRequest();
    peer.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n");
    steps.WaitReleased(1);
    peer.Write("7\r\nsecond\n\r\n0\r\n\r\n");
  });
  std::vector<int> heads;
  std::string received;
  std::vector<std::string> pieces;
  Status done = HttpStream(server.endpoint(), Get("/events"), Seconds(5),
                           {.on_head = [&](int status) { heads.push_back(status); },
                            .on_data =
                                [&](std::string_view data) {
                                  received.append(data);
                                  if (received == "first\n") steps.Release();
                                }});
  ASSERT_TRUE(done.ok()) << done.ToString();
  EXPECT_THAT(heads, testing::ElementsAre(200));
  EXPECT_EQ(received, "first\nsecond\n");  // would hang if "first" waited for more data
}

TEST(HttpClientTest, AStreamCutMidBodyIsLost) {
  TestServer server(TestServer::Kind::kUnix, [](Peer& peer) {
    peer.ReadRequest();
    peer.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nfirst\n\r\n");
  });
  std::string received;
  Status done = HttpStream(server.endpoint(), Get("/events"), Seconds(5),
                           {.on_head = {}, .on_data = [&](std::string_view d) { received += d; }});
  EXPECT_EQ(done.code(), StatusCode::kUnavailable);
  EXPECT_THAT(done.message(), HasSubstr("lost"));
  EXPECT_EQ(received, "first\n");
}

TEST(HttpClientTest, CancelEndsAnIdleStreamAtOnce) {
  SteppedStream connected;
  TestServer server(TestServer::Kind::kUnix, [](Peer& peer) {
    peer.ReadRequest();
    peer.Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    peer.WaitForClose();
  });
  HttpCancel cancel;
  auto stream = std::async(std::launch::async, [&] {
    return HttpStream(server.endpoint(), Get("/events"), Seconds(5),
                      {.on_head = [&](int) { connected.Release(); }, .on_data = {}}, &cancel);
  });
  connected.WaitReleased(1);
  cancel.Cancel();
  // Without the cancel the stream would wait for ever (the server holds it open).
  ASSERT_EQ(stream.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Status done = stream.get();
  EXPECT_EQ(done.code(), StatusCode::kUnavailable);
  EXPECT_THAT(done.message(), HasSubstr("cancelled"));
}

TEST(HttpClientTest, ACancelledTokenStopsTheNextCallBeforeItConnects) {
  std::atomic<int> connections{0};
  TestServer server(TestServer::Kind::kUnix, [&](Peer&) { ++connections; });
  HttpCancel cancel;
  cancel.Cancel();
  Status done = HttpStream(server.endpoint(), Get("/events"), Seconds(5), {}, &cancel);
  EXPECT_THAT(done.message(), HasSubstr("cancelled"));
  cancel.Reset();
  EXPECT_FALSE(cancel.cancelled());
  EXPECT_EQ(connections.load(), 0);
}

TEST(HttpClientTest, AnAnswerCarriesItsHeaderFieldsInOrderWithRepeats) {
  TestServer* self = nullptr;
  TestServer server(TestServer::Kind::kTcp,
                    Answer(self,
                           "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: a=1\r\n"
                           "Set-Cookie: b=2\r\nContent-Length: 2\r\n\r\nok"));
  self = &server;
  Result<HttpClientResponse> answer = HttpCall(server.endpoint(), Get("/"), Seconds(5));
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  using Field = std::pair<std::string, std::string>;
  EXPECT_THAT(answer->headers,
              testing::ElementsAre(Field{"Content-Type", "text/plain"}, Field{"Set-Cookie", "a=1"},
                                   Field{"Set-Cookie", "b=2"}, Field{"Content-Length", "2"}));
}

TEST(HttpClientTest, CancelEndsAWaitingCallAtOnce) {
  SteppedStream asked;
  TestServer server(TestServer::Kind::kUnix, [&asked](Peer& peer) {
    peer.ReadRequest();
    asked.Release();
    peer.WaitForClose();  // never answers
  });
  HttpCancel cancel;
  auto call = std::async(std::launch::async, [&] {
    return HttpCall(server.endpoint(), Get("/slow"), Seconds(60), 1 << 20, &cancel);
  });
  asked.WaitReleased(1);
  cancel.Cancel();
  // Without the cancel the call would wait for its 60 s deadline.
  ASSERT_EQ(call.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  Result<HttpClientResponse> answer = call.get();
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(answer.status().message(), HasSubstr("cancelled"));
}

TEST(HttpClientTest, ParsesHttpUrls) {
  Result<ParsedHttpUrl> url = ParseHttpUrl("http://127.0.0.1:8001/madre/power/state?x=1#frag");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  EXPECT_FALSE(url->endpoint.unix_socket);
  EXPECT_EQ(url->endpoint.address, "127.0.0.1");
  EXPECT_EQ(url->endpoint.port, 8001);
  EXPECT_EQ(url->host_header, "127.0.0.1:8001");
  EXPECT_EQ(url->target, "/madre/power/state?x=1");

  url = ParseHttpUrl("http://localhost");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->endpoint.port, 80);
  EXPECT_EQ(url->target, "/");

  url = ParseHttpUrl("http://[::1]:9000?q");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->endpoint.address, "::1");
  EXPECT_EQ(url->endpoint.port, 9000);
  EXPECT_EQ(url->target, "/?q");
  EXPECT_EQ(url->endpoint.Describe(), "[::1]:9000");

  for (const char* bad : {"https://127.0.0.1/", "127.0.0.1:8001", "http://", "http://:80/",
                          "http://h:0/", "http://h:65536/", "http://h:8x/", "http://u@h/",
                          "http://[::1/", "http://h h/", "http://[::1]x/"}) {
    Result<ParsedHttpUrl> parsed = ParseHttpUrl(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  EXPECT_THAT(ParseHttpUrl("https://x/").status().message(), HasSubstr("only http://"));
}

}  // namespace
}  // namespace madre
