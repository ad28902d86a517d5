// LoopbackProbe against tiny servers of the test's own on 127.0.0.1 (ephemeral ports). The
// only wall-clock waits are the probe's own bounded timeouts.
#include "adapters/probe/loopback_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace madre {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using SteadyClock = std::chrono::steady_clock;

// A socket bound to 127.0.0.1 on an ephemeral port. Not listening unless Listen() is called,
// so until then a connection to it is refused.
class LoopbackSocket {
 public:
  LoopbackSocket() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    EXPECT_EQ(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    port_ = ntohs(addr.sin_port);
  }
  ~LoopbackSocket() { close(fd_); }
  void Listen() { EXPECT_EQ(listen(fd_, 16), 0); }
  int fd() const { return fd_; }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Answers every connection with `answer` after reading the request head, or never answers
// when `answer` is empty (it accepts, reads, and waits for the client to give up).
class TinyHttpServer {
 public:
  explicit TinyHttpServer(std::string answer) : answer_(std::move(answer)) {
    EXPECT_EQ(pipe2(wake_, O_CLOEXEC), 0);
    socket_.Listen();
    thread_ = std::thread([this] { Serve(); });
  }
  ~TinyHttpServer() {
    EXPECT_EQ(write(wake_[1], "x", 1), 1);
    thread_.join();
    close(wake_[0]);
    close(wake_[1]);
  }

  int port() const { return socket_.port(); }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }
  int connections() const { return connections_; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  bool WaitReadable(int fd) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    return poll(fds, 2, -1) > 0 && (fds[1].revents & POLLIN) == 0;
  }

  void Serve() {
    while (WaitReadable(socket_.fd())) {
      int fd = accept4(socket_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      ++connections_;
      std::string head;
      char buf[4096];
      while (head.find("\r\n\r\n") == std::string::npos && WaitReadable(fd)) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0) break;
        head.append(buf, static_cast<std::size_t>(n));
      }
      {
        std::lock_guard lock(mu_);
        requests_.push_back(head);
      }
      if (answer_.empty()) {
        while (WaitReadable(fd) && read(fd, buf, sizeof(buf)) > 0) {
        }
      } else {
        // Not checked: a probe that stops reading at its cap may close before all is sent.
        (void)send(fd, answer_.data(), answer_.size(), MSG_NOSIGNAL);
      }
      close(fd);
    }
  }

  std::string answer_;
  LoopbackSocket socket_;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  std::atomic<int> connections_{0};
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

constexpr Duration kTimeout = Seconds(5);
constexpr Duration kTcpHold = Millis(50);  // what a TCP probe waits for a hang-up, here

TEST(LoopbackProbeHttpTest, TwoHundredIsReady) {
  TinyHttpServer server("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  LoopbackProbe probe;
  Status status = probe.HttpGet(server.url("/health"), kTimeout);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(LoopbackProbeHttpTest, AnyTwoXxIsReady) {
  TinyHttpServer server("HTTP/1.0 204 No Content\r\n\r\n");
  LoopbackProbe probe;
  EXPECT_TRUE(probe.HttpGet(server.url("/"), kTimeout).ok());
}

TEST(LoopbackProbeHttpTest, SendsAnHttp10GetWithTheHostOfTheUrl) {
  TinyHttpServer server("HTTP/1.1 200 OK\r\n\r\n");
  LoopbackProbe probe;
  std::string url = "http://localhost:" + std::to_string(server.port()) + "/health?deep=1#frag";
  ASSERT_TRUE(probe.HttpGet(url, kTimeout).ok());
  ASSERT_EQ(server.requests().size(), 1u);
  EXPECT_THAT(server.requests()[0], StartsWith("GET /health?deep=1 HTTP/1.0\r\nHost: localhost:" +
                                               std::to_string(server.port()) + "\r\n"));
}

TEST(LoopbackProbeHttpTest, FiveHundredIsUnavailableAndSaysSo) {
  TinyHttpServer server("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n");
  LoopbackProbe probe;
  Status status = probe.HttpGet(server.url("/health"), kTimeout);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("500"));
}

TEST(LoopbackProbeHttpTest, ARedirectIsNotReady) {
  TinyHttpServer server("HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\n\r\n");
  LoopbackProbe probe;
  EXPECT_EQ(probe.HttpGet(server.url("/"), kTimeout).code(), StatusCode::kUnavailable);
}

TEST(LoopbackProbeHttpTest, SomethingThatIsNotHttpIsUnavailable) {
  TinyHttpServer server("SSH-2.0-OpenSSH_9.2\r\n");
  LoopbackProbe probe;
  Status status = probe.HttpGet(server.url("/"), kTimeout);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("not an HTTP answer"));
}

TEST(LoopbackProbeHttpTest, AnEndlessFirstLineIsCutAtTheCap) {
  TinyHttpServer server(std::string(64 * 1024, 'x'));
  LoopbackProbe probe;
  Status status = probe.HttpGet(server.url("/"), kTimeout);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("8192 bytes"));
}

TEST(LoopbackProbeHttpTest, RefusedPortIsUnavailable) {
  LoopbackSocket closed;  // bound, not listening: connections are refused
  LoopbackProbe probe;
  Status status =
      probe.HttpGet("http://127.0.0.1:" + std::to_string(closed.port()) + "/health", kTimeout);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("refused"));
}

TEST(LoopbackProbeHttpTest, ASilentServerIsDeadlineExceededWithinTheTimeout) {
  TinyHttpServer server("");  // accepts, reads the request, never answers
  LoopbackProbe probe;
  Status status = probe.HttpGet(server.url("/health"), Millis(200));
  EXPECT_EQ(status.code(), StatusCode::kDeadlineExceeded) << status.ToString();
  EXPECT_EQ(server.connections(), 1);
}

TEST(LoopbackProbeHttpTest, NonLoopbackOrNonHttpUrlsAreRefusedWithoutConnecting) {
  LoopbackProbe probe;
  for (const char* url :
       {"http://10.0.0.1/", "http://example.com/", "http://10.0.0.1:8080/health",
        "https://127.0.0.1/", "ftp://127.0.0.1/", "127.0.0.1:8080/health", "http://127.0.0.2/",
        "http://127.0.0.1.example.com/", "http://localhost.example.com/", "http://[::2]/",
        "http://user@127.0.0.1/", "http://example.com@127.0.0.1/", "http://127.0.0.1@example.com/",
        "http://0.0.0.0/", "http:///health", ""}) {
    // Returning kInvalidArgument at all shows no connection was tried: a connection attempt
    // can only end in OK, kUnavailable or kDeadlineExceeded.
    Status status = probe.HttpGet(url, Seconds(30));
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << url << ": " << status.ToString();
  }
}

TEST(LoopbackProbeHttpTest, HeaderInjectionThroughThePathIsRefused) {
  LoopbackProbe probe;
  EXPECT_EQ(probe.HttpGet("http://127.0.0.1:1/a b", kTimeout).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(probe.HttpGet("http://127.0.0.1:1/x\r\nHost: evil", kTimeout).code(),
            StatusCode::kInvalidArgument);
}

TEST(LoopbackProbeTcpTest, ListeningPortConnects) {
  LoopbackSocket listening;
  listening.Listen();
  LoopbackProbe probe(kTcpHold);
  EXPECT_TRUE(probe.TcpConnect("127.0.0.1:" + std::to_string(listening.port()), kTimeout).ok());
  EXPECT_TRUE(probe.TcpConnect("localhost:" + std::to_string(listening.port()), kTimeout).ok());
}

// What docker-proxy does for a published port whose container does not listen yet:
// accept, then hang up at once.
TEST(LoopbackProbeTcpTest, AnAcceptThenAnImmediateHangUpIsNotListening) {
  LoopbackSocket proxy;
  proxy.Listen();
  std::thread hang_up([&] {
    int fd = accept4(proxy.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd >= 0) close(fd);
  });
  LoopbackProbe probe(kTcpHold);
  Status status = probe.TcpConnect("127.0.0.1:" + std::to_string(proxy.port()), kTimeout);
  hang_up.join();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("nothing listens behind the port"));
}

// docker-proxy's first connections to a container that just started hang up late. The hold
// is an hour: a probe that did not end the hold at the hang-up would hang the test (ctest's
// timeout fails it).
TEST(LoopbackProbeTcpTest, AHangUpWithinTheHoldIsNotListening) {
  LoopbackSocket proxy;
  proxy.Listen();
  std::thread late_hang_up([&] {
    int fd = accept4(proxy.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    close(fd);
  });
  LoopbackProbe probe(Seconds(3600));
  Status status = probe.TcpConnect("127.0.0.1:" + std::to_string(proxy.port()), Seconds(3600));
  late_hang_up.join();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
}

TEST(LoopbackProbeTcpTest, AServiceThatGreetsFirstIsListening) {
  LoopbackSocket service;
  service.Listen();
  std::thread greet([&] {
    int fd = accept4(service.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    (void)send(fd, "+OK\r\n", 5, MSG_NOSIGNAL);
    char buf[16];
    (void)read(fd, buf, sizeof(buf));  // until the probe closes
    close(fd);
  });
  LoopbackProbe probe(kTcpHold);
  EXPECT_TRUE(probe.TcpConnect("127.0.0.1:" + std::to_string(service.port()), kTimeout).ok());
  greet.join();
}

TEST(LoopbackProbeTcpTest, RefusedPortIsUnavailable) {
  LoopbackSocket closed;
  LoopbackProbe probe(kTcpHold);
  Status status = probe.TcpConnect("127.0.0.1:" + std::to_string(closed.port()), kTimeout);
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("refused"));
}

TEST(LoopbackProbeTcpTest, NonLoopbackAddressesAreInvalid) {
  LoopbackProbe probe(kTcpHold);
  for (const char* target :
       {"10.0.0.1:80", "example.com:80", "127.0.0.1", "127.0.0.1:", "127.0.0.1:0",
        "127.0.0.1:65536", "127.0.0.1:80x", "[::1]", "::1:80", "localhost:-1", ""}) {
    EXPECT_EQ(probe.TcpConnect(target, Seconds(30)).code(), StatusCode::kInvalidArgument) << target;
  }
}

TEST(LoopbackProbeTcpTest, Ipv6LoopbackConnectsWhenTheHostHasIt) {
  int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 addr{};
  addr.sin6_family = AF_INET6;
  addr.sin6_addr = in6addr_loopback;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    if (fd >= 0) close(fd);
    GTEST_SKIP() << "no IPv6 loopback here";
  }
  socklen_t len = sizeof(addr);
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  LoopbackProbe probe(kTcpHold);
  Status status = probe.TcpConnect("[::1]:" + std::to_string(ntohs(addr.sin6_port)), kTimeout);
  close(fd);
  EXPECT_TRUE(status.ok()) << status.ToString();
}

TEST(ParseLoopbackTest, UrlsAndTargets) {
  Result<LoopbackHttpTarget> plain = ParseLoopbackHttpUrl("http://127.0.0.1:8002/health");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, (LoopbackHttpTarget{
                        {LoopbackEndpoint::Family::kIpv4, 8002}, "127.0.0.1:8002", "/health"}));

  Result<LoopbackHttpTarget> bare = ParseLoopbackHttpUrl("HTTP://LocalHost");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*bare, (LoopbackHttpTarget{{LoopbackEndpoint::Family::kIpv4, 80}, "LocalHost", "/"}));

  Result<LoopbackHttpTarget> v6 = ParseLoopbackHttpUrl("http://[::1]:9000?x=1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(*v6,
            (LoopbackHttpTarget{{LoopbackEndpoint::Family::kIpv6, 9000}, "[::1]:9000", "/?x=1"}));

  EXPECT_EQ(ParseLoopbackHostPort("[::1]:22").value(),
            (LoopbackEndpoint{LoopbackEndpoint::Family::kIpv6, 22}));
  EXPECT_EQ(ParseLoopbackHostPort("localhost:65535").value(),
            (LoopbackEndpoint{LoopbackEndpoint::Family::kIpv4, 65535}));
}

}  // namespace
}  // namespace madre
