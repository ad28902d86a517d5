#include "core/window.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace madre {
namespace {

constexpr ServiceState kEveryServiceState[] = {ServiceState::kPending, ServiceState::kUnknown,
                                               ServiceState::kStopped, ServiceState::kStarting,
                                               ServiceState::kRunning, ServiceState::kStopping,
                                               ServiceState::kFailed,  ServiceState::kCrashloop};

TEST(ServiceStateTest, EveryStateRoundTripsThroughItsName) {
  std::set<std::string> names;
  for (ServiceState state : kEveryServiceState) {
    const std::string name = ServiceStateName(state);
    names.insert(name);
    EXPECT_EQ(ParseServiceState(name), state) << name;
  }
  EXPECT_EQ(names.size(), std::size(kEveryServiceState));  // no two share a name
}

TEST(ServiceStateTest, TheWireNamesAreThoseOfBefore) {
  EXPECT_STREQ(ServiceStateName(ServiceState::kPending), "pending");
  EXPECT_STREQ(ServiceStateName(ServiceState::kUnknown), "unknown");
  EXPECT_STREQ(ServiceStateName(ServiceState::kStopped), "stopped");
  EXPECT_STREQ(ServiceStateName(ServiceState::kStarting), "starting");
  EXPECT_STREQ(ServiceStateName(ServiceState::kRunning), "running");
  EXPECT_STREQ(ServiceStateName(ServiceState::kStopping), "stopping");
  EXPECT_STREQ(ServiceStateName(ServiceState::kFailed), "failed");
  EXPECT_STREQ(ServiceStateName(ServiceState::kCrashloop), "crashloop");
}

TEST(ServiceStateTest, AnUnknownNameDoesNotParse) {
  for (const char* text : {"", "Running", "running ", "shared", "exited", "ready", "open"}) {
    EXPECT_EQ(ParseServiceState(text), std::nullopt) << text;
  }
}

TEST(ServiceStateTest, ANewServiceStatusIsPending) {
  EXPECT_EQ(ServiceStatus{}.state, ServiceState::kPending);
}

TEST(LiveWindowWantingTest, FindsTheFirstLiveWindowWithTheServiceOptionallySkippingHolds) {
  std::map<std::string, Window> windows;
  auto make = [](std::string id, WindowKind kind, WindowState state,
                 std::vector<std::string> services) {
    Window w;
    w.id = std::move(id);
    w.kind = kind;
    w.state = state;
    w.effective_services = std::move(services);
    return w;
  };
  const Window closed = make("a", WindowKind::kClient, WindowState::kClosing, {"db", "web"});
  const Window hold = make("b", WindowKind::kServiceHold, WindowState::kOpening, {"web"});
  const Window open = make("c", WindowKind::kClient, WindowState::kOpen, {"db", "web"});
  windows = {{"a", closed}, {"b", hold}};
  EXPECT_EQ(LiveWindowWanting(windows, "db"), nullptr);  // closing is not live
  ASSERT_NE(LiveWindowWanting(windows, "web"), nullptr);
  EXPECT_EQ(LiveWindowWanting(windows, "web")->id, "b");
  EXPECT_EQ(LiveWindowWanting(windows, "web", false), nullptr);
  windows.emplace("c", open);
  EXPECT_EQ(LiveWindowWanting(windows, "web", false)->id, "c");
  EXPECT_EQ(LiveWindowWanting(windows, "db")->id, "c");
  EXPECT_EQ(LiveWindowWanting(windows, "cache"), nullptr);
}

}  // namespace
}  // namespace madre
