// The behaviour every IntentStore has (InMemoryIntentStore, SqliteIntentStore).
//
// Use: give a test environment class with a default constructor that sets up a fresh, empty
// store (and whose destructor cleans up), and `IntentStore& store()`. Then:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, IntentStoreContractTest, ::testing::Types<MyEnv>);
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ports/intent_store.h"

namespace madre {
namespace intent_contract {

inline constexpr std::int64_t kT0Micros = 1'795'514'400'123'456;

inline Intent IntentAt(const std::string& id, std::int64_t created_s,
                       IntentState state = IntentState::kPending, std::string source = "hormiguero",
                       std::string type = "window") {
  Intent intent;
  intent.id = id;
  intent.identity = "default";
  intent.source = std::move(source);
  intent.type = std::move(type);
  intent.state = state;
  intent.created_at = FromMicros(kT0Micros + created_s * 1'000'000);
  intent.state_changed_at = intent.created_at;
  intent.expires_at = intent.created_at + Seconds(900);
  return intent;
}

// Every field set to something other than its default.
inline Intent FullIntent(const std::string& id) {
  Intent intent = IntentAt(id, 0, IntentState::kApproved);
  intent.identity = "open:hormiguero";
  intent.correlation_id = "c-\"1\"";
  intent.payload = R"({"services":["switch"],"ttl_sec":60})";
  intent.peer = "127.0.0.1";
  intent.requires_approval = false;
  intent.state_changed_at = intent.created_at + Seconds(3);
  intent.decided_by = "ops@10.0.0.2";
  intent.decided_at = intent.created_at + Seconds(3);
  intent.reason = "looks fine ñ";
  intent.self_approved = true;
  return intent;
}

inline IntentFilter Filter(std::optional<IntentState> state, std::string source = "",
                           std::string type = "", int limit = 100) {
  IntentFilter filter;
  filter.state = state;
  filter.source = std::move(source);
  filter.type = std::move(type);
  filter.limit = limit;
  return filter;
}

inline std::vector<std::string> Ids(const std::vector<Intent>& intents) {
  std::vector<std::string> ids;
  for (const Intent& i : intents) ids.push_back(i.id);
  return ids;
}

}  // namespace intent_contract

template <typename Env>
class IntentStoreContractTest : public ::testing::Test {
 protected:
  IntentStore& store() { return env_.store(); }

  void SubmitAll(const std::vector<Intent>& intents) {
    for (const Intent& i : intents) ASSERT_TRUE(store().Submit(i).ok()) << i.id;
  }

  Env env_;
};

TYPED_TEST_SUITE_P(IntentStoreContractTest);

TYPED_TEST_P(IntentStoreContractTest, ASubmittedIntentComesBackWithEveryField) {
  const Intent full = intent_contract::FullIntent("intent-1");
  Result<IntentStore::Submitted> submitted = this->store().Submit(full);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  EXPECT_FALSE(submitted->duplicate);
  Result<std::optional<Intent>> got = this->store().Get("intent-1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, full);
  EXPECT_FALSE(this->store().Get("intent-2")->has_value());
}

TYPED_TEST_P(IntentStoreContractTest, TheSameCorrelationIdOfOneIdentityReturnsTheFirst) {
  Intent first = intent_contract::IntentAt("intent-1", 0);
  first.correlation_id = "c-1";
  ASSERT_TRUE(this->store().Submit(first).ok());
  Intent again = intent_contract::IntentAt("intent-2", 1);
  again.correlation_id = "c-1";
  Result<IntentStore::Submitted> dup = this->store().Submit(again);
  ASSERT_TRUE(dup.ok());
  EXPECT_TRUE(dup->duplicate);
  EXPECT_EQ(dup->intent.id, "intent-1");
  EXPECT_FALSE(this->store().Get("intent-2")->has_value());
  again.identity = "ops";
  EXPECT_FALSE(this->store().Submit(again)->duplicate) << "the key is scoped by identity";
}

TYPED_TEST_P(IntentStoreContractTest, UpdateIsACompareAndSetOnTheState) {
  const Intent pending = intent_contract::IntentAt("intent-1", 0);
  ASSERT_TRUE(this->store().Submit(pending).ok());
  Intent approved = pending;
  approved.state = IntentState::kApproved;
  approved.decided_by = "ops";
  ASSERT_TRUE(this->store().Update(approved, IntentState::kPending).ok());
  EXPECT_EQ(**this->store().Get("intent-1"), approved);
  Intent rejected = pending;
  rejected.state = IntentState::kRejected;
  const Status lost = this->store().Update(rejected, IntentState::kPending);
  EXPECT_EQ(lost.code(), StatusCode::kFailedPrecondition) << "the second decision loses";
  EXPECT_THAT(lost.message(), ::testing::HasSubstr("approved"));
  EXPECT_EQ((*this->store().Get("intent-1"))->state, IntentState::kApproved) << "nothing written";
  EXPECT_EQ(
      this->store().Update(intent_contract::IntentAt("intent-9", 0), IntentState::kPending).code(),
      StatusCode::kNotFound);
  EXPECT_EQ(*this->store().CountPending("default"), 0);
}

TYPED_TEST_P(IntentStoreContractTest, ListIsNewestFirstFilteredAndLimited) {
  using intent_contract::IntentAt;
  this->SubmitAll({IntentAt("intent-a", 1), IntentAt("intent-b", 2, IntentState::kApproved),
                   IntentAt("intent-c", 3, IntentState::kPending, "operator", "spawn"),
                   IntentAt("intent-d", 4, IntentState::kPending, "hormiguero", "build")});
  using ::testing::ElementsAre;
  EXPECT_THAT(intent_contract::Ids(*this->store().List({})),
              ElementsAre("intent-d", "intent-c", "intent-b", "intent-a"));
  EXPECT_THAT(
      intent_contract::Ids(*this->store().List(intent_contract::Filter(IntentState::kPending))),
      ElementsAre("intent-d", "intent-c", "intent-a"));
  EXPECT_THAT(intent_contract::Ids(
                  *this->store().List(intent_contract::Filter(std::nullopt, "hormiguero"))),
              ElementsAre("intent-d", "intent-b", "intent-a"));
  EXPECT_THAT(intent_contract::Ids(
                  *this->store().List(intent_contract::Filter(std::nullopt, "", "window"))),
              ElementsAre("intent-b", "intent-a"));
  EXPECT_THAT(intent_contract::Ids(*this->store().List(
                  intent_contract::Filter(IntentState::kPending, "hormiguero", "window"))),
              ElementsAre("intent-a"));
  EXPECT_THAT(
      intent_contract::Ids(*this->store().List(intent_contract::Filter(std::nullopt, "", "", 2))),
      ElementsAre("intent-d", "intent-c"));
  EXPECT_TRUE(this->store().List(intent_contract::Filter(IntentState::kFailed))->empty());
}

TYPED_TEST_P(IntentStoreContractTest, ListByStateIsOldestFirstAndCountsGoByState) {
  using intent_contract::IntentAt;
  this->SubmitAll({IntentAt("intent-b", 2), IntentAt("intent-a", 1),
                   IntentAt("intent-c", 3, IntentState::kApproved),
                   IntentAt("intent-d", 4, IntentState::kRejected)});
  EXPECT_THAT(intent_contract::Ids(*this->store().ListByState(IntentState::kPending)),
              ::testing::ElementsAre("intent-a", "intent-b"));
  EXPECT_THAT(intent_contract::Ids(*this->store().ListByState(IntentState::kApproved)),
              ::testing::ElementsAre("intent-c"));
  const std::map<IntentState, int> want = {
      {IntentState::kPending, 2}, {IntentState::kApproved, 1}, {IntentState::kRejected, 1}};
  EXPECT_EQ(*this->store().CountByState(), want);
}

REGISTER_TYPED_TEST_SUITE_P(IntentStoreContractTest, ASubmittedIntentComesBackWithEveryField,
                            TheSameCorrelationIdOfOneIdentityReturnsTheFirst,
                            UpdateIsACompareAndSetOnTheState, ListIsNewestFirstFilteredAndLimited,
                            ListByStateIsOldestFirstAndCountsGoByState);

}  // namespace madre
