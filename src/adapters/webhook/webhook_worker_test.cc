#include "adapters/webhook/webhook_worker.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "adapters/llm/llm_stub_server.h"
#include "adapters/sqlite/sqlite_audit_log.h"
#include "adapters/sqlite/test_temp_dir.h"

namespace madre {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class NoClock final : public Clock {
 public:
  TimePoint Now() const override { return TimePoint(seconds(1'700'000'000)); }
};

std::unique_ptr<SqliteDb> OpenDbOrDie(const std::filesystem::path& path) {
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(path);
  MADRE_CHECK_MSG(db.ok(), db.status().ToString());
  return std::move(db).value();
}

const WebhookEndpoint kOps{
    .name = "ops", .url = "http://127.0.0.1:1/hook", .events = {}, .secret = "shh", .ca_file = ""};

struct Attempt {
  std::string event_id;
  std::string body;
  TimePoint at;
};

class WebhookWorkerTest : public ::testing::Test {
 protected:
  WebhookWorkerTest() : engine_db_(OpenDbOrDie(dir_.path() / "madre.db")) {
    Result<std::unique_ptr<SqliteAuditLog>> log =
        OpenSqliteAuditLog(*engine_db_, dir_.path() / "audit");
    MADRE_CHECK_MSG(log.ok(), log.status().ToString());
    log_ = std::move(log).value();
  }

  std::unique_ptr<WebhookWorker> MakeWorker(std::size_t bound = 100) {
    return std::make_unique<WebhookWorker>(
        OpenDbOrDie(dir_.path() / "madre.db"), std::vector<WebhookEndpoint>{kOps}, bound,
        [](const AuditRecord& record, const std::string& type, const std::string&) {
          return type + "#" + std::to_string(record.seq);
        },
        metrics_, clock_,
        [this](const WebhookEndpoint&, const WebhookDelivery& d, TimePoint now,
               HttpCancel*) -> Result<int> {
          attempts_.push_back({d.event_id, d.body, now});
          if (answers_.empty()) return 200;
          const int status = answers_.front();
          answers_.erase(answers_.begin());
          if (status == 0) return Status::Unavailable("connection refused");
          return status;
        });
  }

  void Audit(const std::string& action) {
    AuditRecord record;
    record.time = TimePoint(seconds(1'700'000'000));
    record.actor = "127.0.0.1";
    record.action = action;
    record.outcome = AuditOutcome::kOk;
    ASSERT_TRUE(log_->Append(record).ok());
  }

  std::vector<std::string> Bodies() const {
    std::vector<std::string> out;
    for (const Attempt& a : attempts_) out.push_back(a.body);
    return out;
  }

  TestTempDir dir_;
  std::unique_ptr<SqliteDb> engine_db_;
  std::unique_ptr<SqliteAuditLog> log_;
  Metrics metrics_;
  NoClock clock_;
  std::vector<Attempt> attempts_;
  std::vector<int> answers_;  // 0: no answer; empty: 200
};

const TimePoint kT0 = TimePoint(seconds(1'700'000'000));

TEST_F(WebhookWorkerTest, DeliversEveryEventInOrder) {
  auto worker = MakeWorker();
  EXPECT_EQ(worker->RunOnce(kT0, milliseconds(250)), milliseconds(250));  // sets the cursor
  Audit("window.open");
  Audit("reconcile.stop");
  Audit("window.close");
  worker->RunOnce(kT0, milliseconds(250));
  EXPECT_EQ(Bodies(), (std::vector<std::string>{"window.open#1", "window.close#3"}));
  EXPECT_EQ(metrics_.Value("madre_webhook_deliveries_total",
                           {{"endpoint", "ops"}, {"result", "delivered"}}),
            2);
  EXPECT_EQ(metrics_.Value("madre_webhook_queue", {{"endpoint", "ops"}}), 0);
}

TEST_F(WebhookWorkerTest, AFailureRetriesTheSameEventWithBackoffAndBlocksTheLaterOnes) {
  auto worker = MakeWorker();
  worker->RunOnce(kT0, milliseconds(250));
  Audit("window.open");
  Audit("window.close");
  answers_ = {500, 0, 200};
  EXPECT_EQ(worker->RunOnce(kT0, seconds(5)), seconds(1));
  ASSERT_EQ(attempts_.size(), 1u);
  EXPECT_EQ(metrics_.Value("madre_webhook_queue", {{"endpoint", "ops"}}), 2);
  // Not due yet: nothing is sent.
  worker->RunOnce(kT0 + milliseconds(999), seconds(5));
  EXPECT_EQ(attempts_.size(), 1u);
  // Due: the same event again (no answer this time), then two seconds.
  EXPECT_EQ(worker->RunOnce(kT0 + seconds(1), seconds(5)), seconds(2));
  ASSERT_EQ(attempts_.size(), 2u);
  worker->RunOnce(kT0 + seconds(3), seconds(5));
  ASSERT_EQ(attempts_.size(), 4u);
  EXPECT_EQ(Bodies(), (std::vector<std::string>{"window.open#1", "window.open#1", "window.open#1",
                                                "window.close#2"}));
  EXPECT_EQ(attempts_[0].event_id, attempts_[2].event_id);
  EXPECT_NE(attempts_[2].event_id, attempts_[3].event_id);
  EXPECT_EQ(
      metrics_.Value("madre_webhook_deliveries_total", {{"endpoint", "ops"}, {"result", "failed"}}),
      2);
  EXPECT_EQ(metrics_.Value("madre_webhook_queue", {{"endpoint", "ops"}}), 0);
}

TEST_F(WebhookWorkerTest, WhatIsNotDeliveredIsThereForTheNextWorker) {
  {
    auto worker = MakeWorker();
    worker->RunOnce(kT0, milliseconds(250));
    Audit("window.open");
    answers_ = {503};
    worker->RunOnce(kT0, milliseconds(250));
  }
  auto worker = MakeWorker();
  worker->RunOnce(kT0 + seconds(1), milliseconds(250));
  EXPECT_EQ(Bodies(), (std::vector<std::string>{"window.open#1", "window.open#1"}));
  EXPECT_EQ(attempts_[0].event_id, attempts_[1].event_id);
}

TEST_F(WebhookWorkerTest, DroppedEventsAreCounted) {
  auto worker = MakeWorker(1);
  worker->RunOnce(kT0, milliseconds(250));
  Audit("window.open");
  Audit("window.close");
  worker->RunOnce(kT0, milliseconds(250));
  EXPECT_EQ(Bodies(), (std::vector<std::string>{"window.close#2"}));
  EXPECT_EQ(metrics_.Value("madre_webhook_dropped_total", {{"endpoint", "ops"}}), 1);
}

TEST_F(WebhookWorkerTest, OnceStartedAnEndpointThatDoesNotAnswerDelaysNoOther) {
  WebhookEndpoint slow = kOps;
  slow.name = "slow";
  WebhookEndpoint fast = kOps;
  fast.name = "fast";
  std::mutex mu;
  std::condition_variable changed;
  bool release = false;
  int slow_attempts = 0;
  std::vector<std::string> fast_bodies;
  WebhookWorker worker(
      OpenDbOrDie(dir_.path() / "madre.db"), {slow, fast}, 100,
      [](const AuditRecord& record, const std::string& type, const std::string&) {
        return type + "#" + std::to_string(record.seq);
      },
      metrics_, clock_,
      [&](const WebhookEndpoint& endpoint, const WebhookDelivery& delivery, TimePoint,
          HttpCancel*) -> Result<int> {
        std::unique_lock lock(mu);
        if (endpoint.name == "slow") {  // answers only once the test says so
          ++slow_attempts;
          changed.notify_all();
          changed.wait(lock, [&] { return release; });
          return 200;
        }
        fast_bodies.push_back(delivery.body);
        changed.notify_all();
        return 200;
      });
  ASSERT_TRUE(worker.Prime().ok());  // the cursors: events from now on
  Audit("window.open");
  Audit("window.close");
  ASSERT_TRUE(
      worker.Start([this] { return OpenSqliteDb(dir_.path() / "madre.db"); }, milliseconds(5))
          .ok());
  {
    std::unique_lock lock(mu);
    // Bounded: a failure, not a hang, if the fast endpoint waited for the slow one.
    const bool both = changed.wait_for(
        lock, seconds(60), [&] { return slow_attempts == 1 && fast_bodies.size() == 2; });
    EXPECT_TRUE(both) << "slow attempts " << slow_attempts << ", fast deliveries "
                      << fast_bodies.size();
    release = true;
  }
  changed.notify_all();
  worker.Stop();
  EXPECT_EQ(fast_bodies, (std::vector<std::string>{"window.open#1", "window.close#2"}));
  EXPECT_EQ(metrics_.Value("madre_webhook_deliveries_total",
                           {{"endpoint", "fast"}, {"result", "delivered"}}),
            2);
}

TEST(WebhookHeadersTest, CarryTheDeliveryTheTimestampAndTheSignatureOfBoth) {
  const auto headers = WebhookHeaders(kOps, "audit-1-abc", R"({"id":"audit-1-abc"})",
                                      TimePoint(seconds(1'700'000'000)));
  ASSERT_EQ(headers.size(), 4u);
  EXPECT_EQ(headers[0], (std::pair<std::string, std::string>{"Content-Type", "application/json"}));
  EXPECT_EQ(headers[1].second, "audit-1-abc");
  EXPECT_EQ(headers[2].second, "1700000000");
  EXPECT_EQ(headers[3].first, "X-VX11-Signature");
  EXPECT_EQ(headers[3].second, WebhookSignature("shh", "1700000000", R"({"id":"audit-1-abc"})"));
}

TEST(PostWebhookTest, HttpsDeliversSignedWithTheEndpointsCaFile) {
  testing_llm::StubServer receiver(/*tls=*/true);
  const testing_llm::StubCaFile ca;
  WebhookEndpoint endpoint = kOps;
  endpoint.url = receiver.Url();
  ASSERT_EQ(endpoint.url.rfind("https://127.0.0.1:", 0), 0u);
  const std::string body = R"({"id":"audit-7-x","type":"window.opened"})";
  Result<int> untrusted = PostWebhook(endpoint, "audit-7-x", body,
                                      TimePoint(seconds(1'700'000'000)), seconds(30), nullptr);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_THAT(untrusted.status().message(), ::testing::HasSubstr("certificate"));
  endpoint.ca_file = ca.path();
  Result<int> status = PostWebhook(endpoint, "audit-7-x", body, TimePoint(seconds(1'700'000'000)),
                                   seconds(30), nullptr);
  ASSERT_TRUE(status.ok()) << status.status().message();
  EXPECT_EQ(*status, 200);
  ASSERT_EQ(receiver.requests().size(), 1u);
  EXPECT_EQ(receiver.requests()[0].body, body);
  EXPECT_EQ(receiver.requests()[0].target, "/v1/chat/completions");
}

}  // namespace
}  // namespace madre
