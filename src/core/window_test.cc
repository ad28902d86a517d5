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

}  // namespace
}  // namespace madre
