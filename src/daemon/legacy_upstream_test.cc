#include "daemon/legacy_upstream.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace madre {
namespace {

using ::testing::HasSubstr;

TEST(LegacyUpstreamTest, TheForwardOptionsComeFromTheUrlAndTheTimeout) {
  DaemonConfig config;
  EXPECT_TRUE(LegacyForwardOptionsOf(config).url.empty());  // unset: forwarding off
  config.legacy_forward_timeout_sec = 7;
  Result<LegacyMadreUrl> url = ParseLegacyMadreUrl("X", "http://[::1]:9000/base/");
  ASSERT_TRUE(url.ok()) << url.status().ToString();
  config.legacy_madre_url = *url;
  LegacyForwardOptions options = LegacyForwardOptionsOf(config);
  EXPECT_EQ(options.url, "http://[::1]:9000/base/");
  EXPECT_EQ(options.host, "[::1]:9000");
  EXPECT_EQ(options.path_prefix, "/base");
  EXPECT_EQ(options.timeout, Seconds(7));
}

TEST(LegacyUpstreamTest, AfterCancelAllACallEndsAtOnceWithoutConnecting) {
  Result<LegacyMadreUrl> url = ParseLegacyMadreUrl("X", "http://192.0.2.1:9");  // TEST-NET
  ASSERT_TRUE(url.ok());
  LegacyUpstream upstream(*url, Seconds(60), 1024);
  upstream.CancelAll();
  LegacyCall call;
  call.method = "GET";
  call.target = "/vx11/x";
  Result<LegacyAnswer> answer = upstream.Call(call);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(answer.status().message(), HasSubstr("cancelled"));
}

}  // namespace
}  // namespace madre
