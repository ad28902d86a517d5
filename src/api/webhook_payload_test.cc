#include "api/webhook_payload.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

TEST(WebhookPayloadTest, TheBodyCarriesIdTypeTimeAndData) {
  const TimePoint t = *ParseRfc3339("2026-12-03T21:00:00Z");
  const auto body = nlohmann::json::parse(
      WebhookBody("ev-1", "window.opened", t, {{"window_id", "w1"}, {"services", {"a"}}}));
  EXPECT_EQ(body["id"], "ev-1");
  EXPECT_EQ(body["type"], "window.opened");
  EXPECT_EQ(ParseRfc3339(body["time"].get<std::string>()), t);
  EXPECT_EQ(body["data"]["window_id"], "w1");
  EXPECT_EQ(body["data"]["services"], nlohmann::json::array({"a"}));
  EXPECT_EQ(body.size(), 4u);
}

TEST(WebhookPayloadTest, TheTestEventNamesItsEndpoint) {
  const auto body =
      nlohmann::json::parse(WebhookTestBody("ev-2", "ops", *ParseRfc3339("2026-12-03T21:00:00Z")));
  EXPECT_EQ(body["type"], "webhook.test");
  EXPECT_EQ(body["id"], "ev-2");
  EXPECT_EQ(body["data"]["endpoint"], "ops");
}

}  // namespace
}  // namespace madre
