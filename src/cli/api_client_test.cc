#include "cli/api_client.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "cli/cli_test_support.h"
#include "cli/exit_codes.h"

namespace madre::cli {
namespace {

using testing::FakeTransport;
using ::testing::HasSubstr;

TEST(ExitCodeTest, HttpStatusesMapToDocumentedExitCodes) {
  EXPECT_EQ(ExitCodeForHttpStatus(200), kExitOk);
  EXPECT_EQ(ExitCodeForHttpStatus(204), kExitOk);
  EXPECT_EQ(ExitCodeForHttpStatus(400), kExitUsage);
  EXPECT_EQ(ExitCodeForHttpStatus(401), kExitAuth);
  EXPECT_EQ(ExitCodeForHttpStatus(403), kExitAuth);
  EXPECT_EQ(ExitCodeForHttpStatus(404), kExitNotFound);
  EXPECT_EQ(ExitCodeForHttpStatus(409), kExitConflict);
  EXPECT_EQ(ExitCodeForHttpStatus(422), kExitConflict);
  EXPECT_EQ(ExitCodeForHttpStatus(500), kExitDocker);
  EXPECT_EQ(ExitCodeForHttpStatus(503), kExitDocker);
  EXPECT_EQ(ExitCodeForHttpStatus(504), kExitTimeout);
  EXPECT_EQ(ExitCodeForHttpStatus(429), kExitError);
  EXPECT_EQ(ExitCodeForHttpStatus(418), kExitError);
}

TEST(ExitCodeTest, TransportErrorsMapToConnectAndTimeout) {
  EXPECT_EQ(ExitCodeForTransportError(Status::Unavailable("refused")), kExitNoConnect);
  EXPECT_EQ(ExitCodeForTransportError(Status::DeadlineExceeded("slow")), kExitTimeout);
  EXPECT_EQ(ExitCodeForTransportError(Status::Internal("odd")), kExitError);
}

TEST(ExitCodeTest, HelpFooterListsEveryCode) {
  const std::string help = ExitCodesHelp();
  for (const ExitCodeDoc& doc : kExitCodeTable) {
    EXPECT_THAT(help, HasSubstr("  " + std::to_string(doc.code) + "  " + doc.meaning));
  }
}

TEST(CallApiTest, ErrorBodyDetailIsTheMessage) {
  FakeTransport t;
  t.OnJson("POST", "/madre/power/windows/open", 422,
           {{"detail", "Services not in allowlist: [\"foo\"]"}, {"code", "not_allowed"}});
  ApiResponse r = CallApi(t, "POST", "/madre/power/windows/open", {{"services", {"foo"}}});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.exit_code, kExitConflict);
  EXPECT_EQ(r.http_status, 422);
  EXPECT_EQ(r.detail, "Services not in allowlist: [\"foo\"]");
  EXPECT_EQ(t.calls.at(0).Json()["services"][0], "foo");
}

TEST(CallApiTest, AnErrorBodyWithErrorInsteadOfDetailGivesItsText) {
  FakeTransport t;
  t.OnJson("POST", "/madre/autofix/incidents", 409,
           {{"error", "web is quarantined"}, {"code", "quarantined"}});
  ApiResponse r = CallApi(t, "POST", "/madre/autofix/incidents", {{"service", "web"}});
  EXPECT_EQ(r.exit_code, kExitConflict);
  EXPECT_EQ(r.detail, "web is quarantined");
}

TEST(CallApiTest, NonJsonErrorKeepsStatusAndText) {
  FakeTransport t;
  t.On("GET", "/madre/power/state", HttpReply{502, "Bad Gateway\n"});
  ApiResponse r = CallApi(t, "GET", "/madre/power/state");
  EXPECT_EQ(r.exit_code, kExitError);
  EXPECT_EQ(r.detail, "HTTP 502: Bad Gateway");
  EXPECT_TRUE(r.body.is_null());
}

TEST(CallApiTest, NoAnswerGivesConnectExitCode) {
  FakeTransport t;
  t.On("GET", "/health", Status::Unavailable("cannot connect to madre at http://x"));
  ApiResponse r = CallApi(t, "GET", "/health");
  EXPECT_EQ(r.exit_code, kExitNoConnect);
  EXPECT_EQ(r.http_status, 0);
  EXPECT_THAT(r.detail, HasSubstr("cannot connect"));
}

TEST(CallApiTest, GetSendsNoBody) {
  FakeTransport t;
  t.OnJson("GET", "/health", 200, {{"status", "ok"}});
  ApiResponse r = CallApi(t, "GET", "/health");
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(r.body["status"], "ok");
  EXPECT_EQ(t.calls.at(0).body, "");
}

TEST(EscapePathSegmentTest, KeepsSafeCharactersAndEncodesTheRest) {
  EXPECT_EQ(EscapePathSegment("w-1_a.b~c"), "w-1_a.b~c");
  EXPECT_EQ(EscapePathSegment("a/b c"), "a%2Fb%20c");
}

// A one-request HTTP server on 127.0.0.1, to test HttpTransport for real.
class OneShotServer {
 public:
  explicit OneShotServer(std::string response) : response_(std::move(response)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(listen(fd_, 1), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~OneShotServer() {
    thread_.join();
    close(fd_);
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::string& request() const { return request_; }  // valid after the call returned

 private:
  void Serve() {
    int conn = accept(fd_, nullptr, nullptr);
    if (conn < 0) return;
    char buf[4096];
    for (;;) {
      const std::size_t header_end = request_.find("\r\n\r\n");
      if (header_end != std::string::npos) {
        std::size_t length = 0;
        const std::size_t cl = request_.find("Content-Length: ");
        if (cl != std::string::npos) length = std::stoul(request_.substr(cl + 16));
        if (request_.size() >= header_end + 4 + length) break;
      }
      const ssize_t n = read(conn, buf, sizeof buf);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
    }
    const ssize_t written = write(conn, response_.data(), response_.size());
    (void)written;
    close(conn);
  }

  int fd_ = -1;
  int port_ = 0;
  std::string response_;
  std::string request_;
  std::thread thread_;
};

TEST(HttpTransportTest, PostsJsonWithTokenAndReadsTheAnswer) {
  const std::string body = R"({"window_id":"w1"})";
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  HttpTransport transport(server.url() + "/", "s3cret", Seconds(5));
  Result<HttpReply> reply = transport.Send("POST", "/madre/power/windows/close", R"({"a":1})");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 200);
  EXPECT_EQ(reply->body, body);
  EXPECT_THAT(server.request(), HasSubstr("POST /madre/power/windows/close HTTP/1.1"));
  EXPECT_THAT(server.request(), HasSubstr("X-VX11-Token: s3cret"));
  EXPECT_THAT(server.request(), HasSubstr("Content-Type: application/json"));
  EXPECT_THAT(server.request(), HasSubstr(R"({"a":1})"));
}

TEST(HttpTransportTest, BodylessPostSendsZeroLength) {
  OneShotServer server(
      "HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}");
  HttpTransport transport(server.url(), "", Seconds(5));
  Result<HttpReply> reply = transport.Send("POST", "/madre/power/policy/solo_madre/apply", "");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_EQ(reply->status, 401);
  EXPECT_THAT(server.request(), HasSubstr("Content-Length: 0"));
  EXPECT_THAT(server.request(), ::testing::Not(HasSubstr("X-VX11-Token")));
}

TEST(HttpTransportTest, TokenIsNotSentToAbsoluteProbeUrls) {
  OneShotServer server("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  HttpTransport transport("http://127.0.0.1:1", "s3cret", Seconds(5));
  Result<HttpReply> reply = transport.Send("GET", server.url() + "/health", "");
  ASSERT_TRUE(reply.ok()) << reply.status().ToString();
  EXPECT_THAT(server.request(), HasSubstr("GET /health HTTP/1.1"));
  EXPECT_THAT(server.request(), ::testing::Not(HasSubstr("s3cret")));
}

TEST(HttpTransportTest, RefusedConnectionIsUnavailable) {
  // Bind then close a socket to get a port that nothing listens on.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  HttpTransport transport("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), "",
                          Seconds(5));
  Result<HttpReply> reply = transport.Send("GET", "/health", "");
  ASSERT_FALSE(reply.ok());
  EXPECT_EQ(reply.code(), StatusCode::kUnavailable);
  EXPECT_EQ(ExitCodeForTransportError(reply.status()), kExitNoConnect);
}

}  // namespace
}  // namespace madre::cli
