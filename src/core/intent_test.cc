#include "core/intent.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

const TimePoint kT0 = FromMicros(1'795'514'400'000'000);

TEST(NewPendingIntentTest, IsPendingFromNowUntilItsTtlAndCanBeDecidedInItsSubmission) {
  const TimePoint now = TimePoint{} + Seconds(1000);
  Intent intent = NewPendingIntent("abc", now, Seconds(60));
  EXPECT_EQ(intent.id, "intent-abc");
  EXPECT_EQ(intent.state, IntentState::kPending);
  EXPECT_EQ(intent.created_at, now);
  EXPECT_EQ(intent.state_changed_at, now);
  EXPECT_EQ(intent.expires_at, now + Seconds(60));
  EXPECT_TRUE(intent.decided_by.empty());
  DecideAtSubmission(intent, IntentState::kApproved, "policy:r1",
                     "auto-approved by policy rule r1");
  EXPECT_EQ(intent.state, IntentState::kApproved);
  EXPECT_EQ(intent.decided_by, "policy:r1");
  EXPECT_EQ(intent.decided_at, now);
  EXPECT_EQ(intent.reason, "auto-approved by policy rule r1");
}

TEST(IntentTest, StateNamesRoundTrip) {
  for (IntentState s : kAllIntentStates) EXPECT_EQ(ParseIntentState(IntentStateName(s)), s);
  EXPECT_EQ(ParseIntentState("nope"), std::nullopt);
  EXPECT_EQ(ParseIntentState("running"), std::nullopt) << "older names are the store's business";
  EXPECT_STREQ(IntentStateName(IntentState::kExecuting), "executing");
  EXPECT_STREQ(IntentStateName(IntentState::kSucceeded), "succeeded");
}

Intent Pending() {
  Intent intent;
  intent.id = "intent-1";
  intent.identity = "hermes";
  intent.created_at = kT0;
  intent.state_changed_at = kT0;
  intent.expires_at = kT0 + Seconds(900);
  return intent;
}

TEST(IntentLifecycleTest, APendingIntentIsApprovedRejectedExpiredOrCancelled) {
  const TimePoint later = kT0 + Seconds(5);
  const std::pair<DecisionKind, IntentState> cases[] = {
      {DecisionKind::kApprove, IntentState::kApproved},
      {DecisionKind::kReject, IntentState::kRejected},
      {DecisionKind::kExpire, IntentState::kExpired},
      {DecisionKind::kCancel, IntentState::kCancelled}};
  for (const auto& [kind, want] : cases) {
    Result<Intent> out = ApplyDecision(Pending(), Decision{kind, "ops@10.0.0.2", "why"}, later);
    ASSERT_TRUE(out.ok()) << DecisionKindName(kind) << ": " << out.status().ToString();
    EXPECT_EQ(out->state, want);
    EXPECT_EQ(out->state_changed_at, later);
    EXPECT_EQ(out->decided_at, later);
    EXPECT_EQ(out->decided_by, "ops@10.0.0.2");
    EXPECT_EQ(out->reason, "why");
    EXPECT_EQ(out->created_at, kT0);
    EXPECT_FALSE(out->self_approved);
  }
}

TEST(IntentLifecycleTest, TerminalStatesNeverChangeAndTheConflictNamesTheState) {
  for (IntentState terminal :
       {IntentState::kRejected, IntentState::kExpired, IntentState::kCancelled,
        IntentState::kSucceeded, IntentState::kFailed}) {
    EXPECT_TRUE(IsTerminal(terminal));
    Intent intent = Pending();
    intent.state = terminal;
    for (DecisionKind kind : {DecisionKind::kApprove, DecisionKind::kReject, DecisionKind::kCancel,
                              DecisionKind::kExpire}) {
      Result<Intent> out = ApplyDecision(intent, Decision{kind, "a", ""}, kT0);
      ASSERT_FALSE(out.ok());
      EXPECT_EQ(out.status().code(), StatusCode::kFailedPrecondition);
      EXPECT_NE(out.status().message().find(IntentStateName(terminal)), std::string::npos)
          << out.status().message();
    }
  }
  EXPECT_FALSE(IsTerminal(IntentState::kPending));
  EXPECT_FALSE(IsTerminal(IntentState::kExecuting));
}

TEST(IntentLifecycleTest, AnApprovedIntentMayOnlyBeCancelled) {
  Result<Intent> approved =
      ApplyDecision(Pending(), Decision{DecisionKind::kApprove, "ops", "", true}, kT0);
  ASSERT_TRUE(approved.ok());
  EXPECT_TRUE(approved->self_approved);
  EXPECT_FALSE(ApplyDecision(*approved, Decision{DecisionKind::kApprove, "x", ""}, kT0).ok());
  EXPECT_FALSE(ApplyDecision(*approved, Decision{DecisionKind::kReject, "x", ""}, kT0).ok());
  EXPECT_FALSE(ApplyDecision(*approved, Decision{DecisionKind::kExpire, "x", ""}, kT0).ok());
  Result<Intent> cancelled =
      ApplyDecision(*approved, Decision{DecisionKind::kCancel, "hermes", "not needed"}, kT0);
  ASSERT_TRUE(cancelled.ok());
  EXPECT_EQ(cancelled->state, IntentState::kCancelled);
  EXPECT_FALSE(cancelled->self_approved);
  Intent executing = Pending();
  executing.state = IntentState::kExecuting;
  EXPECT_FALSE(ApplyDecision(executing, Decision{DecisionKind::kCancel, "x", ""}, kT0).ok());
}

TEST(IntentLifecycleTest, APendingIntentExpiresAtItsDeadline) {
  const Intent intent = Pending();
  EXPECT_FALSE(IsPendingExpired(intent, kT0 + Seconds(899)));
  EXPECT_TRUE(IsPendingExpired(intent, kT0 + Seconds(900)));
  Intent approved = intent;
  approved.state = IntentState::kApproved;
  EXPECT_FALSE(IsPendingExpired(approved, kT0 + Seconds(9000)));
}

TEST(IntentTest, WordsAndCorrelationIdsAreChecked) {
  EXPECT_TRUE(IsValidIntentWord("hormiguero"));
  EXPECT_TRUE(IsValidIntentWord("build:switch-v2.1"));
  EXPECT_FALSE(IsValidIntentWord(""));
  EXPECT_FALSE(IsValidIntentWord("two words"));
  EXPECT_FALSE(IsValidIntentWord(std::string(65, 'a')));
  EXPECT_TRUE(IsValidCorrelationId("3f2a-9c/1"));
  EXPECT_FALSE(IsValidCorrelationId("has space"));
  EXPECT_FALSE(IsValidCorrelationId(std::string(129, 'a')));
  EXPECT_FALSE(IsValidCorrelationId("nul\x01"));
}

TEST(RateLimiterTest, AdmitsABurstThenOnePerIntervalPerKey) {
  RateLimiter limiter(3, Seconds(2));
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(limiter.Admit("queen", kT0)) << i;
  EXPECT_FALSE(limiter.Admit("queen", kT0));
  EXPECT_TRUE(limiter.Admit("other", kT0)) << "each key has its own bucket";
  EXPECT_FALSE(limiter.Admit("queen", kT0 + Seconds(1)));
  EXPECT_TRUE(limiter.Admit("queen", kT0 + Seconds(3))) << "one token back after 2 s";
  EXPECT_FALSE(limiter.Admit("queen", kT0 + Seconds(3)));
  EXPECT_TRUE(limiter.Admit("queen", kT0 + Seconds(60)));
  EXPECT_TRUE(limiter.Admit("queen", kT0 + Seconds(60)));
  EXPECT_TRUE(limiter.Admit("queen", kT0 + Seconds(60)));
  EXPECT_FALSE(limiter.Admit("queen", kT0 + Seconds(60))) << "never more than the burst";
}

}  // namespace
}  // namespace madre

namespace madre {
namespace {

TEST(IntentAdvanceTest, ExecutionGoesForwardOnlyAlongItsSteps) {
  Intent intent;
  intent.id = "intent-1";
  intent.state = IntentState::kApproved;
  intent.decided_by = "ops@10.0.0.2";
  const TimePoint t = FromMicros(1'795'514'400'000'000);
  Result<Intent> admitted = Advance(intent, IntentState::kAdmitted, "host CPU under", t);
  ASSERT_TRUE(admitted.ok());
  EXPECT_EQ(admitted->state_changed_at, t);
  EXPECT_EQ(admitted->decided_by, "ops@10.0.0.2") << "the decision stays as it was";
  Result<Intent> executing = Advance(*admitted, IntentState::kExecuting, "", t);
  ASSERT_TRUE(executing.ok());
  Result<Intent> done = Advance(*executing, IntentState::kSucceeded, "window w-1 open", t, "w-1");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->task_id, "w-1");
  EXPECT_EQ(done->detail, "window w-1 open");
  EXPECT_TRUE(Advance(*admitted, IntentState::kFailed, "could not start", t).ok());
  // Anything else is a conflict naming the state: no skipping, no going back, no leaving a
  // terminal state.
  EXPECT_EQ(Advance(intent, IntentState::kExecuting, "", t).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(Advance(*done, IntentState::kFailed, "", t).status().code(),
            StatusCode::kFailedPrecondition);
  Intent pending = intent;
  pending.state = IntentState::kPending;
  Status refused = Advance(pending, IntentState::kAdmitted, "", t).status();
  EXPECT_NE(refused.message().find("is pending"), std::string::npos) << refused.message();
}

}  // namespace
}  // namespace madre
