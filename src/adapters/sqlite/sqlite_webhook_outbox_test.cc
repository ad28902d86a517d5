#include "adapters/sqlite/sqlite_webhook_outbox.h"

#include <gtest/gtest.h>

#include "adapters/sqlite/sqlite_audit_log.h"
#include "adapters/sqlite/test_temp_dir.h"

namespace madre {
namespace {

std::unique_ptr<SqliteDb> OpenDbOrDie(const std::filesystem::path& path) {
  Result<std::unique_ptr<SqliteDb>> db = OpenSqliteDb(path);
  MADRE_CHECK_MSG(db.ok(), db.status().ToString());
  return std::move(db).value();
}

class SqliteWebhookOutboxTest : public ::testing::Test {
 protected:
  SqliteWebhookOutboxTest() : db_(OpenDbOrDie(dir_.path() / "madre.db")) {
    Result<std::unique_ptr<SqliteAuditLog>> log = OpenSqliteAuditLog(*db_, dir_.path() / "audit");
    MADRE_CHECK_MSG(log.ok(), log.status().ToString());
    log_ = std::move(log).value();
  }

  void Audit(const std::string& action) {
    AuditRecord record;
    record.time = TimePoint(std::chrono::seconds(1'700'000'000));
    record.actor = "127.0.0.1";
    record.action = action;
    record.outcome = AuditOutcome::kOk;
    ASSERT_TRUE(log_->Append(record).ok());
  }

  static std::string Body(const AuditRecord& record, const std::string& type,
                          const std::string& id) {
    return type + "|" + record.action + "|" + id;
  }

  Result<std::map<std::string, int>> Collect(SqliteWebhookOutbox& outbox,
                                             const std::vector<WebhookEndpoint>& endpoints) {
    return outbox.Collect(endpoints, Body);
  }

  TestTempDir dir_;
  std::unique_ptr<SqliteDb> db_;
  std::unique_ptr<SqliteAuditLog> log_;
};

const WebhookEndpoint kAll{
    .name = "all", .url = "http://127.0.0.1:1/", .events = {}, .secret = "s", .ca_file = ""};
const WebhookEndpoint kIntents{.name = "intents",
                               .url = "http://127.0.0.1:1/",
                               .events = {"intent"},
                               .secret = "s",
                               .ca_file = ""};

TEST_F(SqliteWebhookOutboxTest, ANewEndpointStartsAfterTheHistoryAndThenGetsEveryEventInOrder) {
  Audit("window.open");  // before the endpoint existed: not posted
  SqliteWebhookOutbox outbox(*db_, 100);
  ASSERT_TRUE(Collect(outbox, {kAll, kIntents}).ok());
  EXPECT_EQ(*outbox.Size("all"), 0);
  Audit("window.open");
  Audit("reconcile.stop");  // not an event
  Audit("intent.approved");
  Audit("service.crashloop");
  ASSERT_TRUE(Collect(outbox, {kAll, kIntents}).ok());
  EXPECT_EQ(*outbox.Size("all"), 3);
  EXPECT_EQ(*outbox.Size("intents"), 1);

  std::vector<std::string> bodies;
  for (;;) {
    Result<std::optional<WebhookDelivery>> head = outbox.Head("all");
    ASSERT_TRUE(head.ok());
    if (!head->has_value()) break;
    bodies.push_back((*head)->body.substr(0, (*head)->body.find("|audit-")));
    EXPECT_EQ((*head)->body.substr((*head)->body.find("|audit-") + 1), (*head)->event_id);
    ASSERT_TRUE(outbox.Delivered("all", (*head)->seq).ok());
  }
  EXPECT_EQ(bodies,
            (std::vector<std::string>{"window.open|window.open", "intent.approved|intent.approved",
                                      "crash_loop.detected|service.crashloop"}));
  // Collecting again adds nothing: the cursor moved.
  ASSERT_TRUE(Collect(outbox, {kAll, kIntents}).ok());
  EXPECT_EQ(*outbox.Size("all"), 0);
}

TEST_F(SqliteWebhookOutboxTest, AFailedAttemptKeepsTheHeadWithItsAttemptsAndNextTime) {
  SqliteWebhookOutbox outbox(*db_, 100);
  ASSERT_TRUE(Collect(outbox, {kAll}).ok());
  Audit("window.open");
  Audit("window.close");
  ASSERT_TRUE(Collect(outbox, {kAll}).ok());
  Result<std::optional<WebhookDelivery>> head = outbox.Head("all");
  ASSERT_TRUE(head.ok() && head->has_value());
  const TimePoint later = TimePoint(std::chrono::seconds(1'700'000'010));
  ASSERT_TRUE(outbox.Failed("all", (*head)->seq, 2, later).ok());
  Result<std::optional<WebhookDelivery>> again = outbox.Head("all");
  ASSERT_TRUE(again.ok() && again->has_value());
  EXPECT_EQ((*again)->seq, (*head)->seq);
  EXPECT_EQ((*again)->event_id, (*head)->event_id);
  EXPECT_EQ((*again)->attempts, 2);
  EXPECT_EQ((*again)->next_at, later);
}

TEST_F(SqliteWebhookOutboxTest, BeyondTheBoundTheOldestAreDroppedAndCounted) {
  SqliteWebhookOutbox outbox(*db_, 2);
  ASSERT_TRUE(Collect(outbox, {kAll}).ok());
  Audit("window.open");
  Audit("window.hold");
  Audit("window.close");
  Result<std::map<std::string, int>> dropped = Collect(outbox, {kAll});
  ASSERT_TRUE(dropped.ok());
  EXPECT_EQ(*dropped, (std::map<std::string, int>{{"all", 1}}));
  EXPECT_EQ(*outbox.Size("all"), 2);
  Result<std::optional<WebhookDelivery>> head = outbox.Head("all");
  ASSERT_TRUE(head.ok() && head->has_value());
  EXPECT_EQ((*head)->body.substr(0, 11), "window.hold");
}

TEST_F(SqliteWebhookOutboxTest, TheOutboxSurvivesReopeningTheDatabase) {
  {
    SqliteWebhookOutbox outbox(*db_, 100);
    ASSERT_TRUE(Collect(outbox, {kAll}).ok());
    Audit("window.open");
    ASSERT_TRUE(Collect(outbox, {kAll}).ok());
  }
  log_.reset();
  db_.reset();
  db_ = OpenDbOrDie(dir_.path() / "madre.db");
  SqliteWebhookOutbox outbox(*db_, 100);
  EXPECT_EQ(*outbox.Size("all"), 1);
  ASSERT_TRUE(Collect(outbox, {kAll}).ok());
  EXPECT_EQ(*outbox.Size("all"), 1);  // not collected twice
}

}  // namespace
}  // namespace madre
