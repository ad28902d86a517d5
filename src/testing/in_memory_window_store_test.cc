#include "testing/in_memory_window_store.h"

#include <gtest/gtest.h>

#include "testing/window_store_contract.h"

namespace madre {
namespace {

class InMemoryWindowStoreEnv {
 public:
  WindowStore& store() { return store_; }

 private:
  InMemoryWindowStore store_;
};

INSTANTIATE_TYPED_TEST_SUITE_P(InMemory, WindowStoreContractTest,
                               ::testing::Types<InMemoryWindowStoreEnv>);

TEST(InMemoryWindowStoreTest, FailNextSaveFailsOnceAndStoresNothing) {
  InMemoryWindowStore store;
  store.FailNextSave(Status::Internal("disk full"));
  const Window window = contract::WindowIn("w", WindowState::kOpen, 0);
  EXPECT_EQ(store.Save(window), Status::Internal("disk full"));
  Result<std::optional<Window>> got = store.Get("w");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->has_value());
  EXPECT_TRUE(store.Save(window).ok());
  EXPECT_EQ(store.save_count(), 1);
}

TEST(InMemoryWindowStoreTest, FailAllFailsEveryCallUntilHealed) {
  InMemoryWindowStore store;
  ASSERT_TRUE(store.Save(contract::WindowIn("w", WindowState::kOpen, 0)).ok());
  store.FailAll(Status::Internal("io error"));
  EXPECT_FALSE(store.Save(contract::WindowIn("v", WindowState::kOpen, 0)).ok());
  EXPECT_EQ(store.LoadOpen().status(), Status::Internal("io error"));
  EXPECT_FALSE(store.History(5).ok());
  EXPECT_FALSE(store.Get("w").ok());
  store.Heal();
  Result<std::vector<Window>> open = store.LoadOpen();
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(contract::Ids(*open), std::vector<std::string>{"w"});
  EXPECT_EQ(store.All().size(), 1u);
}

TEST(InMemoryWindowStoreTest, FailSavesOfFailsOnlyThatStateUntilHealed) {
  InMemoryWindowStore store;
  store.FailSavesOf(WindowState::kClosed, Status::Internal("io error"));
  EXPECT_TRUE(store.Save(contract::WindowIn("w", WindowState::kOpen, 0)).ok());
  EXPECT_EQ(store.Save(contract::WindowIn("w", WindowState::kClosed, 0)),
            Status::Internal("io error"));
  EXPECT_EQ(store.Get("w")->value().state, WindowState::kOpen);
  store.Heal();
  EXPECT_TRUE(store.Save(contract::WindowIn("w", WindowState::kClosed, 0)).ok());
  EXPECT_EQ(store.Get("w")->value().state, WindowState::kClosed);
}

}  // namespace
}  // namespace madre
