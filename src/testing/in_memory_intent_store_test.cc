#include "testing/in_memory_intent_store.h"

#include <gtest/gtest.h>

#include "testing/intent_store_contract.h"

namespace madre {
namespace {

class InMemoryIntentStoreEnv {
 public:
  IntentStore& store() { return store_; }

 private:
  InMemoryIntentStore store_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(InMemory, IntentStoreContractTest,
                               ::testing::Types<InMemoryIntentStoreEnv>);

TEST(InMemoryIntentStoreTest, FailUpdatesFailsOnlyUpdates) {
  InMemoryIntentStore store;
  const Intent intent = intent_contract::IntentAt("intent-1", 0);
  ASSERT_TRUE(store.Submit(intent).ok());
  store.FailUpdates(true);
  Intent approved = intent;
  approved.state = IntentState::kApproved;
  EXPECT_EQ(store.Update(approved, IntentState::kPending).code(), StatusCode::kInternal);
  EXPECT_EQ((*store.Get("intent-1"))->state, IntentState::kPending);
  store.FailUpdates(false);
  EXPECT_TRUE(store.Update(approved, IntentState::kPending).ok());
}

}  // namespace
}  // namespace madre
