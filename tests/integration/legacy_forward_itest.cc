// Forwarding to the original madre (VX11_LEGACY_MADRE_URL) with the real `madre serve`: a stub
// upstream on 127.0.0.1 (a plain socket server in this file) records what arrives and answers
// with hop-by-hop fields of its own. Requests go through a raw socket, so that the test chooses
// every header (Connection, Keep-Alive, Proxy-*, X-Forwarded-For). The 404 without the setting
// is covered in daemon_itest.cc.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "docker_env.h"
#include "madre_process.h"
#include "raw_http.h"

namespace madre::itest {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using SteadyClock = std::chrono::steady_clock;

std::string Lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Reads one request (head, then Content-Length bytes of body) from `fd`; waits at most 10 s.
std::string ReadRequest(int fd) {
  std::string data;
  const auto give_up = SteadyClock::now() + std::chrono::seconds(10);
  char buf[4096];
  while (SteadyClock::now() < give_up) {
    const std::size_t end = data.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::size_t length = 0;
      const std::string head = Lower(data.substr(0, end));
      if (auto at = head.find("\r\ncontent-length:"); at != std::string::npos) {
        length = std::stoul(head.substr(at + 17));
      }
      if (data.size() >= end + 4 + length) return data;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 200) <= 0) continue;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return data;
    data.append(buf, static_cast<std::size_t>(n));
  }
  return data;
}

// The original madre, as far as this test needs it: answers every request 201 with a JSON
// body naming the request line, end-to-end and hop-by-hop fields; /vx11/slow answers after 3 s.
class StubUpstream {
 public:
  StubUpstream() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    EXPECT_EQ(::listen(listen_fd_, 16), 0);
    EXPECT_EQ(::pipe2(wake_, O_CLOEXEC), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~StubUpstream() {
    EXPECT_EQ(::write(wake_[1], "x", 1), 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  int port() const { return port_; }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) <= 0 || (fds[1].revents & POLLIN) != 0) return;
      const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      const std::string request = ReadRequest(fd);
      {
        std::lock_guard lock(mu_);
        requests_.push_back(request);
      }
      if (request.rfind("GET /vx11/slow", 0) == 0)
        std::this_thread::sleep_for(std::chrono::seconds(3));
      const std::string body = json{{"line", request.substr(0, request.find("\r\n"))}}.dump();
      const std::string answer =
          "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nX-Upstream: stub\r\n"
          "Connection: close, X-Hop-Back\r\nX-Hop-Back: 1\r\nKeep-Alive: timeout=5\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(fd);
    }
  }

  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> requests_;
};

// As a client behind a proxy would send it: Host madre:8001, and the connection's end left
// to the test's own headers (hop-by-hop ones included).
RawAnswer ProxiedRequest(int port, const std::string& method, const std::string& target,
                         const std::vector<std::string>& headers, const std::string& body = "") {
  return RawRequest(port, method, target, headers, body,
                    {.host = "madre:8001", .add_connection_close = false});
}

class LegacyForwardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
  }

  // madre (on the two_services fixture, no container started) forwarding to `url`.
  void StartMadre(const std::string& url) {
    project_ = UniqueProjectName("mlegacy");
    const EnvVars env =
        FixtureEnv(project_, "two_services",
                   {{"VX11_LEGACY_MADRE_URL", url}, {"VX11_LEGACY_FORWARD_TIMEOUT_SEC", "1"}});
    compose_ = std::make_unique<ComposeProject>(project_, FixtureComposeFile("two_services"), env);
    madre_ = std::make_unique<MadreProcess>(env);
    ASSERT_TRUE(madre_->Start());
  }

  // The legacy.forward records of the audit, newest first.
  std::vector<json> ForwardRecords() {
    std::vector<json> out;
    const json audit = madre_->Get("/madre/power/audit?limit=50").Json();
    for (const json& record : audit["records"]) {
      if (record["action"] == "legacy.forward") out.push_back(record);
    }
    return out;
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    compose_.reset();
  }

  std::string TokenHeader() const { return "X-VX11-Token: " + madre_->token(); }

  std::string project_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<MadreProcess> madre_;
};

TEST_F(LegacyForwardTest, ARequestReachesTheUpstreamWholeAndItsAnswerComesBack) {
  StubUpstream upstream;
  const std::string authority = "127.0.0.1:" + std::to_string(upstream.port());
  StartMadre("http://" + authority);

  const std::string body = R"({"message":"hello"})";
  RawAnswer chat =
      ProxiedRequest(madre_->port(), "POST", "/madre/chat?session=7&q=a%20b",
                     {"Content-Type: application/json", "X-Client: c1",
                      "X-Forwarded-For: 192.0.2.1", "Connection: close, X-Hop", "X-Hop: secret-hop",
                      "Keep-Alive: timeout=5", "Proxy-Authorization: Basic eA==", "TE: trailers"},
                     body);
  ASSERT_EQ(chat.status, 201) << chat.head << "\n" << chat.body;
  EXPECT_EQ(chat.Json()["line"], "POST /madre/chat?session=7&q=a%20b HTTP/1.1");
  const std::string answer_head = Lower(chat.head);
  EXPECT_THAT(answer_head, HasSubstr("\r\nx-upstream: stub"));
  EXPECT_THAT(answer_head, HasSubstr("\r\ncontent-type: application/json"));
  EXPECT_THAT(answer_head, Not(HasSubstr("x-hop-back")));
  EXPECT_THAT(answer_head, Not(HasSubstr("keep-alive")));

  ASSERT_EQ(upstream.requests().size(), 1u);
  const std::string seen = upstream.requests()[0];
  const std::string head = Lower(seen.substr(0, seen.find("\r\n\r\n")));
  EXPECT_THAT(seen, StartsWith("POST /madre/chat?session=7&q=a%20b HTTP/1.1\r\n"));
  EXPECT_THAT(seen, testing::EndsWith("\r\n\r\n" + body));
  EXPECT_THAT(head, HasSubstr("\r\nhost: " + authority + "\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\ncontent-type: application/json\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nx-client: c1\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\nx-forwarded-for: 192.0.2.1, 127.0.0.1\r\n"));
  EXPECT_THAT(head, HasSubstr("\r\ncontent-length: " + std::to_string(body.size())));
  for (const char* hop : {"x-hop", "keep-alive", "proxy-authorization", "\r\nte:"}) {
    EXPECT_THAT(head, Not(HasSubstr(hop))) << hop;
  }
  EXPECT_THAT(head, Not(HasSubstr("secret-hop")));

  // Other prefixes need no token of madre's either.
  RawAnswer result =
      ProxiedRequest(madre_->port(), "GET", "/vx11/result/abc", {"Connection: close"});
  EXPECT_EQ(result.status, 201) << result.body;
  EXPECT_EQ(result.Json()["line"], "GET /vx11/result/abc HTTP/1.1");

  std::vector<json> records = ForwardRecords();
  ASSERT_EQ(records.size(), 2u) << madre_->Get("/madre/power/audit?limit=50").body;
  EXPECT_EQ(records[1]["actor"], "127.0.0.1");
  EXPECT_EQ(records[1]["outcome"], "ok");
  EXPECT_EQ(records[1]["reason"], "POST /madre/chat?...");  // no query values
  EXPECT_THAT(records[1]["detail"].get<std::string>(), StartsWith("201 in "));
  EXPECT_EQ(records[0]["reason"], "GET /vx11/result/abc");
  for (const json& record : records) {
    EXPECT_THAT(record.dump(), Not(HasSubstr("hello")));  // never the body
  }
}

TEST_F(LegacyForwardTest, MaintenanceNeedsMadresTokenBeforeItIsForwarded) {
  StubUpstream upstream;
  StartMadre("http://127.0.0.1:" + std::to_string(upstream.port()));
  const std::string path = "/madre/power/maintenance/post_task";
  RawAnswer missing = ProxiedRequest(madre_->port(), "POST", path, {"Connection: close"}, "{}");
  EXPECT_EQ(missing.status, 401) << missing.body;
  RawAnswer wrong = ProxiedRequest(madre_->port(), "POST", path,
                                   {"Connection: close", "X-VX11-Token: nope"}, "{}");
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  EXPECT_TRUE(upstream.requests().empty());

  RawAnswer with_token =
      ProxiedRequest(madre_->port(), "POST", path, {"Connection: close", TokenHeader()}, "{}");
  EXPECT_EQ(with_token.status, 201) << with_token.body;
  ASSERT_EQ(upstream.requests().size(), 1u);
  EXPECT_THAT(upstream.requests()[0], StartsWith("POST " + path + " HTTP/1.1\r\n"));
  // The original madre checks the same token: it is passed on.
  EXPECT_THAT(Lower(upstream.requests()[0]), HasSubstr("\r\nx-vx11-token: " + madre_->token()));

  // An upstream slower than VX11_LEGACY_FORWARD_TIMEOUT_SEC (1 s here): 504.
  const auto sent = SteadyClock::now();
  RawAnswer slow = ProxiedRequest(madre_->port(), "GET", "/vx11/slow", {"Connection: close"});
  EXPECT_EQ(slow.status, 504) << slow.body;
  EXPECT_EQ(slow.Json()["code"], "upstream_timeout");
  EXPECT_LT(SteadyClock::now() - sent, std::chrono::milliseconds(2900));
  EXPECT_EQ(ForwardRecords().front()["outcome"], "fail");
}

TEST_F(LegacyForwardTest, AnUpstreamThatIsDownAnswers502NamingTheUrl) {
  const std::string url = "http://127.0.0.1:" + std::to_string(FreeLoopbackPort());
  StartMadre(url);
  RawAnswer chat =
      ProxiedRequest(madre_->port(), "POST", "/madre/chat", {"Connection: close"}, "{}");
  EXPECT_EQ(chat.status, 502) << chat.body;
  EXPECT_EQ(chat.Json()["code"], "upstream_unavailable");
  EXPECT_THAT(chat.Json()["detail"].get<std::string>(), HasSubstr(url));
  // madre itself goes on serving.
  EXPECT_EQ(madre_->Get("/madre/power/state").status, 200);
  std::vector<json> records = ForwardRecords();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0]["outcome"], "fail");
  EXPECT_THAT(records[0]["detail"].get<std::string>(), StartsWith("502 in "));
}

}  // namespace
}  // namespace madre::itest
