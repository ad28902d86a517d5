#include "daemon/webhooks.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "core/webhook.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

// A one-request HTTP server on 127.0.0.1 answering `status`; keeps the request.
class OneShotServer {
 public:
  explicit OneShotServer(int status) : status_(status) {
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
  OneShotServer(const OneShotServer&) = delete;
  OneShotServer& operator=(const OneShotServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
  const std::string& request() const { return request_; }  // valid after the call returned

 private:
  void Serve() {
    const int conn = accept(fd_, nullptr, nullptr);
    if (conn < 0) return;
    char buf[8192];
    for (;;) {
      const ssize_t n = read(conn, buf, sizeof buf);
      if (n <= 0) break;
      request_.append(buf, static_cast<std::size_t>(n));
      const std::size_t head_end = request_.find("\r\n\r\n");
      if (head_end == std::string::npos) continue;
      const std::size_t cl = request_.find("Content-Length: ");
      const std::size_t length = cl == std::string::npos ? 0 : std::stoul(request_.substr(cl + 16));
      if (request_.size() >= head_end + 4 + length) break;
    }
    const std::string answer = "HTTP/1.1 " + std::to_string(status_) +
                               " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    (void)write(conn, answer.data(), answer.size());
    close(conn);
  }

  int status_;
  int fd_ = -1;
  int port_ = 0;
  std::string request_;
  std::thread thread_;
};

EnvLookup Env(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

class WebhooksCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("madre-webhooks-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string WriteFile(const std::string& url) {
    const std::filesystem::path path = dir_ / "webhooks.toml";
    std::ofstream(path) << "[webhooks.ops]\nurl = \"" << url << "\"\nsecret = \"shh-0123\"\n";
    return path.string();
  }

  std::filesystem::path dir_;
  std::ostringstream out_;
  std::ostringstream err_;
};

TEST_F(WebhooksCommandTest, PostsOneSignedTestEventAndExitsZeroOn2xx) {
  OneShotServer server(204);
  const std::string file = WriteFile(server.url());
  EXPECT_EQ(RunWebhooksTest("", "", Env({{"VX11_WEBHOOKS_FILE", file}}), out_, err_), 0)
      << err_.str();
  EXPECT_THAT(out_.str(), HasSubstr("ops"));
  EXPECT_THAT(out_.str(), HasSubstr("HTTP 204"));
  const std::string& request = server.request();
  ASSERT_THAT(request, HasSubstr("POST /hook HTTP/1.1"));
  const std::string body = request.substr(request.find("\r\n\r\n") + 4);
  const nlohmann::json event = nlohmann::json::parse(body);
  EXPECT_EQ(event["type"], "webhook.test");
  auto header = [&request](const std::string& name) {
    const std::size_t at = request.find("\r\n" + name + ": ");
    if (at == std::string::npos) return std::string();
    const std::size_t from = at + name.size() + 4;
    return request.substr(from, request.find("\r\n", from) - from);
  };
  EXPECT_EQ(header("X-VX11-Delivery"), event["id"].get<std::string>());
  EXPECT_EQ(header("X-VX11-Signature"),
            WebhookSignature("shh-0123", header("X-VX11-Timestamp"), body));
}

TEST_F(WebhooksCommandTest, ExitsOneWhenAnEndpointAnswersOtherwise) {
  OneShotServer server(500);
  EXPECT_EQ(RunWebhooksTest("", WriteFile(server.url()), Env({}), out_, err_), 1);
  EXPECT_THAT(out_.str(), HasSubstr("FAILED  HTTP 500"));
}

TEST_F(WebhooksCommandTest, ExitsTwoWithoutAFileOrWithABadOne) {
  EXPECT_EQ(RunWebhooksTest("", "", Env({}), out_, err_), 2);
  EXPECT_THAT(err_.str(), HasSubstr("no webhooks file"));
  const std::filesystem::path bad = dir_ / "bad.toml";
  std::ofstream(bad) << "[webhooks.ops]\nurl = \"ftp://x/\"\nsecret = \"s\"\n";
  EXPECT_EQ(RunWebhooksTest("", bad.string(), Env({}), out_, err_), 2);
  EXPECT_THAT(err_.str(), HasSubstr("bad URL 'ftp://x/': expected https://"));
  EXPECT_EQ(out_.str(), "");
}

TEST(WebhookBodyTest, AnAuditRecordsEventCarriesItsFieldsWithSecretsMasked) {
  AuditRecord record;
  record.seq = 7;
  record.time = TimePoint(std::chrono::seconds(1'700'000'000));
  record.actor = "default@127.0.0.1";
  record.action = "service.crashloop";
  record.window_id = "w-1";
  record.services = {"db"};
  record.outcome = AuditOutcome::kFail;
  record.reason = "crash loop";
  record.detail = "last log: DB_PASSWORD=hunter2 connecting with the-madre-token-123";
  const std::string body =
      MakeWebhookBody({"the-madre-token-123"})(record, "crash_loop.detected", "audit-7-abc");
  const nlohmann::json event = nlohmann::json::parse(body);
  EXPECT_EQ(event["id"], "audit-7-abc");
  EXPECT_EQ(event["type"], "crash_loop.detected");
  EXPECT_EQ(event["data"]["seq"], 7);
  EXPECT_EQ(event["data"]["action"], "service.crashloop");
  EXPECT_EQ(event["data"]["window_id"], "w-1");
  EXPECT_EQ(event["data"]["services"], nlohmann::json::array({"db"}));
  EXPECT_EQ(event["data"]["outcome"], "fail");
  EXPECT_EQ(event["data"]["reason"], "crash loop");
  EXPECT_EQ(body.find("hunter2"), std::string::npos) << body;
  EXPECT_EQ(body.find("the-madre-token-123"), std::string::npos) << body;
  EXPECT_THAT(event["data"]["detail"].get<std::string>(), HasSubstr("[SECRET-"));
}

}  // namespace
}  // namespace madre
