// Webhooks (docs/webhooks.md) with a real `madre serve`: a receiver stub on 127.0.0.1 that
// answers 500 twice and then 200 gets every window event, in order, signed, a repeat only ever
// with the same delivery id; also when events wait in the outbox across a SIGTERM restart and a
// kill -9 restart.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/webhook.h"
#include "docker_env.h"
#include "madre_process.h"

namespace madre::itest {
namespace {

using nlohmann::json;

constexpr char kSecret[] = "webhook-secret-0123456789";

struct Received {
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int answered = 0;
};

// A one-thread HTTP/1.1 server on 127.0.0.1: records every request and answers 500 while
// `failures_left` > 0 (counting down) or `always_fail` is set, else 200.
class Receiver {
 public:
  Receiver() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    const int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::listen(fd_, 16) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~Receiver() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  int port() const { return port_; }
  void FailNext(int n) { failures_left_ = n; }
  void AlwaysFail(bool on) { always_fail_ = on; }
  std::vector<Received> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const int conn = ::accept(fd_, nullptr, nullptr);
      if (conn < 0) continue;
      Handle(conn);
      ::close(conn);
    }
  }

  void Handle(int conn) {
    std::string data;
    char buf[4096];
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    std::size_t head_end = std::string::npos;
    std::size_t length = 0;
    while (std::chrono::steady_clock::now() < give_up) {
      pollfd p{conn, POLLIN, 0};
      if (::poll(&p, 1, 100) <= 0) continue;
      const ssize_t n = ::read(conn, buf, sizeof(buf));
      if (n <= 0) return;
      data.append(buf, static_cast<std::size_t>(n));
      if (head_end == std::string::npos) {
        head_end = data.find("\r\n\r\n");
        if (head_end == std::string::npos) continue;
        Received r;
        std::size_t at = data.find("\r\n") + 2;
        while (at < head_end) {
          const std::size_t eol = data.find("\r\n", at);
          const std::string line = data.substr(at, eol - at);
          const std::size_t colon = line.find(':');
          if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            r.headers[name] = value;
          }
          at = eol + 2;
        }
        length = r.headers.count("content-length") ? std::stoul(r.headers["content-length"]) : 0;
        pending_ = r;
      }
      if (data.size() >= head_end + 4 + length) {
        Received r = pending_;
        r.body = data.substr(head_end + 4, length);
        int status = 200;
        if (always_fail_) {
          status = 500;
        } else if (failures_left_ > 0) {
          --failures_left_;
          status = 500;
        }
        r.answered = status;
        {
          std::lock_guard lock(mu_);
          requests_.push_back(r);
        }
        const std::string answer = "HTTP/1.1 " + std::to_string(status) +
                                   " X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        (void)::write(conn, answer.data(), answer.size());
        return;
      }
    }
  }

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> failures_left_{0};
  std::atomic<bool> always_fail_{false};
  Received pending_;
  mutable std::mutex mu_;
  std::vector<Received> requests_;
  std::thread thread_;
};

class WebhooksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
    ASSERT_GT(receiver_.port(), 0);
    project_ = UniqueProjectName("mhook");
    hooks_file_ = std::filesystem::temp_directory_path() / (project_ + "-webhooks.toml");
    std::ofstream(hooks_file_) << "[webhooks.stub]\nurl = \"http://127.0.0.1:" << receiver_.port()
                               << "/hook\"\nevents = [\"window\"]\nsecret = \"" << kSecret
                               << "\"\n";
    env_ = FixtureEnv(project_, "two_services", {{"VX11_WEBHOOKS_FILE", hooks_file_.string()}});
    compose_ = std::make_unique<ComposeProject>(project_, FixtureComposeFile("two_services"), env_);
    madre_ = std::make_unique<MadreProcess>(env_);
    ASSERT_TRUE(madre_->Start());
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    compose_.reset();
    std::error_code ignored;
    std::filesystem::remove(hooks_file_, ignored);
  }

  template <typename Pred>
  bool Eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pred();
  }

  void OpenAndClose() {
    HttpAnswer opened =
        madre_->Post("/madre/power/window/open", R"({"services":["db"],"ttl_sec":120})");
    ASSERT_EQ(opened.status, 200) << opened.body;
    HttpAnswer closed = madre_->Post("/madre/power/window/close", "");
    ASSERT_EQ(closed.status, 200) << closed.body;
  }

  // The window.* audit records so far, oldest first, as (action, seq).
  std::vector<std::pair<std::string, std::int64_t>> WindowRecords() { return Records({"window."}); }

  // The audit records whose action starts with one of `prefixes`, after `after_seq`, oldest
  // first, as (action, seq).
  std::vector<std::pair<std::string, std::int64_t>> Records(
      const std::vector<std::string>& prefixes, std::int64_t after_seq = 0) {
    json audit = madre_->Get("/madre/power/audit?limit=500").Json();
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const auto& record : audit["records"]) {
      const std::string action = record["action"];
      const std::int64_t seq = record["seq"].get<int64_t>();
      for (const std::string& prefix : prefixes) {
        if (seq > after_seq && action.rfind(prefix, 0) == 0) out.emplace_back(action, seq);
      }
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    return out;
  }

  // The delivered events (answered 200), in order, as (type, data.seq).
  std::vector<std::pair<std::string, std::int64_t>> Delivered() {
    std::vector<std::pair<std::string, std::int64_t>> out;
    for (const Received& r : receiver_.requests()) {
      if (r.answered != 200) continue;
      const json body = json::parse(r.body);
      out.emplace_back(body["type"].get<std::string>(), body["data"]["seq"].get<int64_t>());
    }
    return out;
  }

  // Every request: signature valid, delivery header = body id, and one body per id.
  void ExpectSignedAndConsistent() {
    std::map<std::string, std::string> body_of;
    for (const Received& r : receiver_.requests()) {
      ASSERT_EQ(r.headers.count("x-vx11-signature"), 1u);
      ASSERT_EQ(r.headers.count("x-vx11-timestamp"), 1u);
      ASSERT_EQ(r.headers.count("x-vx11-delivery"), 1u);
      EXPECT_EQ(r.headers.at("content-type"), "application/json");
      EXPECT_EQ(r.headers.at("x-vx11-signature"),
                WebhookSignature(kSecret, r.headers.at("x-vx11-timestamp"), r.body));
      const json body = json::parse(r.body);
      const std::string id = body["id"];
      EXPECT_EQ(r.headers.at("x-vx11-delivery"), id);
      auto [it, added] = body_of.emplace(id, r.body);
      if (!added) {
        EXPECT_EQ(it->second, r.body) << "a repeat of " << id << " with another body";
      }
    }
    // Each body has one id (a repeat only ever with the same delivery id).
    std::map<std::string, std::string> id_of;
    for (const auto& [id, body] : body_of) {
      auto [it, added] = id_of.emplace(body, id);
      EXPECT_TRUE(added) << "the same event under two ids: " << it->second << ", " << id;
    }
  }

  // Every window record arrives, delivered once each, in order; at least an open and a close
  // per window.
  void ExpectEveryWindowEventDeliveredInOrder(std::size_t windows) {
    std::vector<std::pair<std::string, std::int64_t>> expected;
    const bool all = Eventually([&] {
      expected = WindowRecords();
      return !expected.empty() && Delivered() == expected;
    });
    EXPECT_TRUE(all) << "expected " << expected.size() << " events, delivered "
                     << Delivered().size();
    EXPECT_GE(expected.size(), 2 * windows);
    ExpectSignedAndConsistent();
  }

  Receiver receiver_;
  std::string project_;
  std::filesystem::path hooks_file_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<MadreProcess> madre_;
};

TEST_F(WebhooksTest, EveryEventArrivesInOrderSignedAfterTwo500s) {
  receiver_.FailNext(2);
  OpenAndClose();
  ExpectEveryWindowEventDeliveredInOrder(1);
  int failed = 0;
  for (const Received& r : receiver_.requests()) failed += r.answered == 500 ? 1 : 0;
  EXPECT_EQ(failed, 2);
  // The retries were of the first event, with its delivery id.
  const std::vector<Received> requests = receiver_.requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests[0].headers.at("x-vx11-delivery"), requests[2].headers.at("x-vx11-delivery"));
  const std::string metrics = madre_->Get("/metrics").body;
  EXPECT_NE(metrics.find("madre_webhook_deliveries_total{endpoint=\"stub\",result=\"failed\"} 2"),
            std::string::npos)
      << metrics;
}

TEST_F(WebhooksTest, ServiceAndIntentEventsArriveAsTheFilterSays) {
  // The same endpoint, now for the service and intent families only (a restart reads the file).
  EXPECT_EQ(madre_->Terminate(), 0);
  std::ofstream(hooks_file_) << "[webhooks.stub]\nurl = \"http://127.0.0.1:" << receiver_.port()
                             << "/hook\"\nevents = [\"service\", \"intent.*\"]\nsecret = \""
                             << kSecret << "\"\n";
  ASSERT_TRUE(madre_->Start());
  json audit = madre_->Get("/madre/power/audit?limit=1").Json();
  ASSERT_FALSE(audit["records"].empty());
  const std::int64_t start_seq = audit["records"][0]["seq"].get<int64_t>();
  // A service hold (window.* records, filtered out) and its stop (service.stop), then an
  // intent (intent.submitted).
  HttpAnswer held = madre_->Post("/madre/power/service/db/start", "");
  ASSERT_EQ(held.status, 200) << held.body;
  HttpAnswer stopped = madre_->Post("/madre/power/service/db/stop", "");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  HttpAnswer intent = madre_->Post(
      "/madre/intent", R"({"type":"window","payload":{"services":["db"],"ttl_sec":60}})");
  ASSERT_EQ(intent.status, 200) << intent.body;
  std::vector<std::pair<std::string, std::int64_t>> expected;
  const bool all = Eventually([&] {
    expected = Records({"service.", "intent."}, start_seq);
    bool has_service = false;
    bool has_intent = false;
    for (const auto& [action, seq] : expected) {
      has_service |= action.rfind("service.", 0) == 0;
      has_intent |= action == "intent.submitted";
    }
    return has_service && has_intent && Delivered() == expected;
  });
  std::string seen;
  for (const auto& [action, seq] : Records({""}, start_seq)) {
    seen += " " + action + "#" + std::to_string(seq);
  }
  std::string delivered;
  for (const auto& [type, seq] : Delivered()) delivered += " " + type + "#" + std::to_string(seq);
  EXPECT_TRUE(all) << "audit since the restart:" << seen << "; delivered:" << delivered;
  for (const auto& [type, seq] : Delivered()) {
    EXPECT_EQ(type.rfind("window.", 0), std::string::npos) << type << " passed the filter";
  }
  ExpectSignedAndConsistent();
}

TEST_F(WebhooksTest, UndeliveredEventsSurviveASigtermRestart) {
  receiver_.AlwaysFail(true);
  OpenAndClose();
  ASSERT_TRUE(Eventually([&] { return !receiver_.requests().empty(); }));
  EXPECT_EQ(madre_->Terminate(), 0);
  receiver_.AlwaysFail(false);
  ASSERT_TRUE(madre_->Start());
  OpenAndClose();
  ExpectEveryWindowEventDeliveredInOrder(2);
}

TEST_F(WebhooksTest, UndeliveredEventsSurviveAKill9Restart) {
  receiver_.FailNext(1);
  OpenAndClose();
  ExpectEveryWindowEventDeliveredInOrder(1);
  receiver_.AlwaysFail(true);
  const std::size_t before = receiver_.requests().size();
  OpenAndClose();
  ASSERT_TRUE(Eventually([&] { return receiver_.requests().size() > before; }));
  madre_->Kill9();
  receiver_.AlwaysFail(false);
  ASSERT_TRUE(madre_->Start());
  ExpectEveryWindowEventDeliveredInOrder(2);
}

}  // namespace
}  // namespace madre::itest
