#include "core/host_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::HasSubstr;

TEST(HostCheckTest, LoopbackNamesWithThePortPass) {
  const HostAllowlist allowed = MakeHostAllowlist("127.0.0.1", 8001, {});
  for (const char* host : {"localhost:8001", "127.0.0.1:8001", "[::1]:8001", "LocalHost:8001"}) {
    EXPECT_EQ(CheckHost(allowed, host), std::nullopt) << host;
  }
}

TEST(HostCheckTest, AnotherNameOrPortIsRefusedWithWhy) {
  const HostAllowlist allowed = MakeHostAllowlist("127.0.0.1", 8001, {});
  std::optional<std::string> why = CheckHost(allowed, "evil.example:8001");
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("evil.example"));
  EXPECT_THAT(*why, HasSubstr("VX11_UI_HOSTS"));
  why = CheckHost(allowed, "127.0.0.1:9999");
  ASSERT_TRUE(why.has_value());
  EXPECT_THAT(*why, HasSubstr("port 8001"));
  EXPECT_TRUE(CheckHost(allowed, "127.0.0.1").has_value());  // no port: only port 80
  EXPECT_TRUE(CheckHost(allowed, "").has_value());
  EXPECT_TRUE(CheckHost(allowed, "127.0.0.1:80x").has_value());
  EXPECT_TRUE(CheckHost(allowed, "[::1").has_value());
  EXPECT_TRUE(CheckHost(allowed, "[::1]x").has_value());
}

TEST(HostCheckTest, TheBindAddressUnlessAWildcardAndTheExtraNames) {
  const HostAllowlist bound = MakeHostAllowlist("10.0.0.7", 8001, {"Madre", "fd00::2"});
  EXPECT_EQ(CheckHost(bound, "10.0.0.7:8001"), std::nullopt);
  EXPECT_EQ(CheckHost(bound, "madre:8001"), std::nullopt);
  EXPECT_EQ(CheckHost(bound, "[fd00::2]:8001"), std::nullopt);
  EXPECT_TRUE(CheckHost(bound, "10.0.0.8:8001").has_value());
  const HostAllowlist wildcard = MakeHostAllowlist("0.0.0.0", 8001, {});
  EXPECT_TRUE(CheckHost(wildcard, "0.0.0.0:8001").has_value());
  EXPECT_EQ(wildcard.names, (std::set<std::string>{"localhost", "127.0.0.1", "[::1]"}));
  EXPECT_EQ(CheckHost(MakeHostAllowlist("::1", 8001, {}), "[::1]:8001"), std::nullopt);
}

TEST(HostCheckTest, PortEightyMayBeLeftOutAndPortZeroIsAnyPort) {
  EXPECT_EQ(CheckHost(MakeHostAllowlist("127.0.0.1", 80, {}), "localhost"), std::nullopt);
  EXPECT_EQ(CheckHost(MakeHostAllowlist("127.0.0.1", 80, {}), "localhost:80"), std::nullopt);
  const HostAllowlist any = MakeHostAllowlist("127.0.0.1", 0, {});
  EXPECT_EQ(CheckHost(any, "localhost:41234"), std::nullopt);
  EXPECT_EQ(CheckHost(any, "localhost"), std::nullopt);
  EXPECT_TRUE(CheckHost(any, "evil.example:41234").has_value());
}

}  // namespace
}  // namespace madre
