#include "engine/audit_records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre::audit_records {
namespace {

using ::testing::ElementsAre;

Window WindowWith(WindowState state, std::map<std::string, ServiceState> states) {
  Window window;
  window.id = "w1";
  window.state = state;
  for (const auto& [name, service_state] : states)
    window.services_status[name].state = service_state;
  return window;
}

TEST(AuditRecordsTest, ALegacyForwardNamesMethodPathStatusAndTimeOnly) {
  AuditRecord ok = LegacyForward("10.0.0.7", "POST", "/madre/chat", 200, 12, AuditOutcome::kOk, "");
  EXPECT_EQ(ok.action, "legacy.forward");
  EXPECT_EQ(ok.actor, "10.0.0.7");
  EXPECT_EQ(ok.outcome, AuditOutcome::kOk);
  EXPECT_EQ(ok.reason, "POST /madre/chat");
  EXPECT_EQ(ok.detail, "200 in 12 ms");
  AuditRecord failed = LegacyForward("10.0.0.7", "GET", "/vx11/result/1", 502, 3,
                                     AuditOutcome::kFail, "cannot connect to 127.0.0.1:9");
  EXPECT_EQ(failed.outcome, AuditOutcome::kFail);
  EXPECT_EQ(failed.detail, "502 in 3 ms: cannot connect to 127.0.0.1:9");
}

TEST(AuditRecordsTest, AnIntentSubmittedNamesWhoWhatAndItsIds) {
  Intent intent;
  intent.id = "intent-1";
  intent.identity = "open:hormiguero";
  intent.peer = "127.0.0.1";
  intent.type = "build";
  AuditRecord bare = IntentSubmitted(intent);
  EXPECT_EQ(bare.action, "intent.submitted");
  EXPECT_EQ(bare.actor, "open:hormiguero@127.0.0.1");
  EXPECT_EQ(bare.outcome, AuditOutcome::kAccepted);
  EXPECT_EQ(bare.reason, "build");
  EXPECT_EQ(bare.detail, "intent-1");
  intent.source = "hormiguero";
  intent.correlation_id = "c-9";
  EXPECT_EQ(IntentSubmitted(intent).detail, "intent-1 from hormiguero, correlation c-9");
}

TEST(AuditRecordsTest, OpenOutcomeSaysWhetherEveryServiceCameUp) {
  EXPECT_EQ(OpenOutcome(WindowWith(WindowState::kOpen, {{"db", ServiceState::kRunning}})),
            AuditOutcome::kOk);
  EXPECT_EQ(OpenOutcome(WindowWith(WindowState::kOpen, {{"db", ServiceState::kRunning},
                                                        {"api", ServiceState::kFailed}})),
            AuditOutcome::kPartial);
  EXPECT_EQ(OpenOutcome(WindowWith(WindowState::kFailed, {{"api", ServiceState::kFailed}})),
            AuditOutcome::kFail);
  EXPECT_EQ(OpenOutcome(WindowWith(WindowState::kClosing, {{"api", ServiceState::kPending}})),
            AuditOutcome::kCancelled);
}

TEST(AuditRecordsTest, WindowClosedNamesTheStoppedServicesAndTheReason) {
  Window window = WindowWith(WindowState::kClosed,
                             {{"db", ServiceState::kStopped}, {"api", ServiceState::kFailed}});
  window.services_stopped = {"db"};
  window.close_reason = CloseReason::kTtlExpired;
  AuditRecord record = WindowClosed(window, "ttl", {});
  EXPECT_EQ(record.action, "window.closed");
  EXPECT_EQ(record.actor, "ttl");
  EXPECT_EQ(record.window_id, "w1");
  EXPECT_THAT(record.services, ElementsAre("db"));
  EXPECT_EQ(record.reason, "ttl_expired");
  EXPECT_EQ(record.outcome, AuditOutcome::kPartial);
}

TEST(AuditRecordsTest, AChangeThatWasRefusedOrNotRecordedSaysSo) {
  EXPECT_EQ(Extended("w1", 30, "me", Status::Ok(), Status::Ok()).detail, "extended by 30 s");
  EXPECT_EQ(Extended("w1", 30, "me", Status::NotFound("no"), Status::Ok()).outcome,
            AuditOutcome::kRejected);
  AuditRecord unrecorded = HoldChanged("w1", true, "me", Status::Ok(), Status::Internal("disk"));
  EXPECT_EQ(unrecorded.action, "window.hold");
  EXPECT_EQ(unrecorded.outcome, AuditOutcome::kFail);
  EXPECT_EQ(unrecorded.detail, "disk");
}

}  // namespace
}  // namespace madre::audit_records
