// The behaviour every WindowStore has (InMemoryWindowStore, SqliteWindowStore).
//
// Use: give a test environment class with a default constructor that sets up a fresh, empty
// store (and whose destructor cleans up), and `WindowStore& store()`. Then:
//   INSTANTIATE_TYPED_TEST_SUITE_P(Sqlite, WindowStoreContractTest, ::testing::Types<MyEnv>);
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ports/window_store.h"

namespace madre {
namespace contract {

inline constexpr std::int64_t kT0Micros = 1'795'514'400'123'456;  // 2026-11-24T10:00:00.123456Z

// A window with every field set to something other than its default.
inline Window FullWindow(const std::string& id) {
  Window w;
  w.id = id;
  w.state = WindowState::kClosed;
  w.hold = true;
  w.mode = "hold";
  w.services = {"hermes", "switch"};
  w.effective_services = {"db", "switch", "hermes"};
  w.reason = "e2e \"quoted\" ñ";
  w.actor = "127.0.0.1:5555";
  w.created_at = FromMicros(kT0Micros);
  w.opened_at = FromMicros(kT0Micros + 1'500'001);
  w.ttl_sec = 600;
  w.deadline = FromMicros(kT0Micros + 601'500'001);
  w.closed_at = FromMicros(kT0Micros + 700'000'007);
  w.close_reason = CloseReason::kTtlExpired;
  w.services_started = {"db", "switch"};
  w.services_stopped = {"switch", "db"};
  w.services_status["switch"] = {ServiceState::kStopped, "healthy", 2, ""};
  w.services_status["hermes"] = {ServiceState::kFailed, "unhealthy", 5, "crashloop: exit 137"};
  w.error = "partial failure";
  w.skip_health = true;
  w.cpu_limit = 0.5;
  return w;
}

inline Window WindowIn(const std::string& id, WindowState state, std::int64_t created_s,
                       std::optional<std::int64_t> closed_s = std::nullopt) {
  Window w;
  w.id = id;
  w.state = state;
  w.created_at = FromMicros(kT0Micros + created_s * 1'000'000);
  if (closed_s) w.closed_at = FromMicros(kT0Micros + *closed_s * 1'000'000);
  return w;
}

inline std::vector<std::string> Ids(const std::vector<Window>& windows) {
  std::vector<std::string> ids;
  for (const Window& w : windows) ids.push_back(w.id);
  return ids;
}

}  // namespace contract

template <typename Env>
class WindowStoreContractTest : public ::testing::Test {
 protected:
  WindowStore& store() { return env_.store(); }

  void SaveAll(const std::vector<Window>& windows) {
    for (const Window& w : windows) ASSERT_TRUE(store().Save(w).ok()) << w.id;
  }

  Env env_;
};

TYPED_TEST_SUITE_P(WindowStoreContractTest);

TYPED_TEST_P(WindowStoreContractTest, GetOfAnUnknownIdFindsNothing) {
  Result<std::optional<Window>> got = this->store().Get("nope");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_FALSE(got->has_value());
}

TYPED_TEST_P(WindowStoreContractTest, SavedWindowComesBackWithEveryField) {
  const Window window = contract::FullWindow("w-1");
  ASSERT_TRUE(this->store().Save(window).ok());
  Result<std::optional<Window>> got = this->store().Get("w-1");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ(**got, window);
}

TYPED_TEST_P(WindowStoreContractTest, DefaultWindowRoundTripsWithEmptyOptionals) {
  Window window;
  window.id = "w-default";
  ASSERT_TRUE(this->store().Save(window).ok());
  Result<std::optional<Window>> got = this->store().Get("w-default");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, window);
}

TYPED_TEST_P(WindowStoreContractTest, SaveReplacesTheWindowWithTheSameId) {
  Window window = contract::WindowIn("w-1", WindowState::kOpen, 0);
  ASSERT_TRUE(this->store().Save(window).ok());
  window.state = WindowState::kClosing;
  window.services_status["web"].state = ServiceState::kStopping;
  ASSERT_TRUE(this->store().Save(window).ok());
  Result<std::optional<Window>> got = this->store().Get("w-1");
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(**got, window);
  Result<std::vector<Window>> open = this->store().LoadOpen();
  ASSERT_TRUE(open.ok());
  EXPECT_EQ(open->size(), 1u);
}

TYPED_TEST_P(WindowStoreContractTest, LoadOpenHasTheNonTerminalWindowsOldestFirst) {
  using contract::WindowIn;
  this->SaveAll({WindowIn("c", WindowState::kOpen, 30), WindowIn("a", WindowState::kClosing, 10),
                 WindowIn("x", WindowState::kClosed, 5, 50),
                 WindowIn("b", WindowState::kOpening, 20),
                 WindowIn("y", WindowState::kFailed, 1, 2)});
  Result<std::vector<Window>> open = this->store().LoadOpen();
  ASSERT_TRUE(open.ok()) << open.status().ToString();
  EXPECT_THAT(contract::Ids(*open), ::testing::ElementsAre("a", "b", "c"));
}

TYPED_TEST_P(WindowStoreContractTest, LoadOpenBreaksCreatedAtTiesById) {
  using contract::WindowIn;
  this->SaveAll({WindowIn("b", WindowState::kOpen, 7), WindowIn("a", WindowState::kOpen, 7)});
  Result<std::vector<Window>> open = this->store().LoadOpen();
  ASSERT_TRUE(open.ok());
  EXPECT_THAT(contract::Ids(*open), ::testing::ElementsAre("a", "b"));
}

TYPED_TEST_P(WindowStoreContractTest, HistoryHasTheTerminalWindowsNewestClosedFirst) {
  using contract::WindowIn;
  this->SaveAll({WindowIn("old", WindowState::kClosed, 0, 10),
                 WindowIn("open", WindowState::kOpen, 1),
                 WindowIn("newest", WindowState::kFailed, 2, 30),
                 WindowIn("middle", WindowState::kClosed, 3, 20)});
  Result<std::vector<Window>> history = this->store().History(10);
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  EXPECT_THAT(contract::Ids(*history), ::testing::ElementsAre("newest", "middle", "old"));
}

TYPED_TEST_P(WindowStoreContractTest, HistoryStopsAtTheLimit) {
  using contract::WindowIn;
  this->SaveAll({WindowIn("a", WindowState::kClosed, 0, 10),
                 WindowIn("b", WindowState::kClosed, 0, 20),
                 WindowIn("c", WindowState::kClosed, 0, 30)});
  Result<std::vector<Window>> two = this->store().History(2);
  ASSERT_TRUE(two.ok());
  EXPECT_THAT(contract::Ids(*two), ::testing::ElementsAre("c", "b"));
  Result<std::vector<Window>> none = this->store().History(0);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TYPED_TEST_P(WindowStoreContractTest, HistoryPutsTerminalWindowsWithoutClosedAtLast) {
  using contract::WindowIn;
  this->SaveAll({WindowIn("no-close-time", WindowState::kFailed, 0),
                 WindowIn("closed", WindowState::kClosed, 0, 10)});
  Result<std::vector<Window>> history = this->store().History(10);
  ASSERT_TRUE(history.ok());
  EXPECT_THAT(contract::Ids(*history), ::testing::ElementsAre("closed", "no-close-time"));
}

TYPED_TEST_P(WindowStoreContractTest, ClosingAWindowMovesItFromLoadOpenToHistory) {
  Window window = contract::WindowIn("w", WindowState::kOpen, 0);
  ASSERT_TRUE(this->store().Save(window).ok());
  window.state = WindowState::kClosed;
  window.closed_at = FromMicros(contract::kT0Micros + 60'000'000);
  window.close_reason = CloseReason::kManualClose;
  ASSERT_TRUE(this->store().Save(window).ok());
  Result<std::vector<Window>> open = this->store().LoadOpen();
  Result<std::vector<Window>> history = this->store().History(10);
  ASSERT_TRUE(open.ok() && history.ok());
  EXPECT_TRUE(open->empty());
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ(history->front(), window);
}

REGISTER_TYPED_TEST_SUITE_P(
    WindowStoreContractTest, GetOfAnUnknownIdFindsNothing, SavedWindowComesBackWithEveryField,
    DefaultWindowRoundTripsWithEmptyOptionals, SaveReplacesTheWindowWithTheSameId,
    LoadOpenHasTheNonTerminalWindowsOldestFirst, LoadOpenBreaksCreatedAtTiesById,
    HistoryHasTheTerminalWindowsNewestClosedFirst, HistoryStopsAtTheLimit,
    HistoryPutsTerminalWindowsWithoutClosedAtLast, ClosingAWindowMovesItFromLoadOpenToHistory);

}  // namespace madre
