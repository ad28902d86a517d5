#include "core/webhook.h"

#include <gtest/gtest.h>

#include <chrono>

namespace madre {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(WebhookTest, FiltersAreStarAFamilyAFamilyStarOrOneType) {
  for (const char* ok : {"*", "window", "window.*", "window.opened", "crash_loop",
                         "crash_loop.detected", "intent.approved", "autofix.*", "service.ready"}) {
    EXPECT_TRUE(IsValidWebhookFilter(ok)) << ok;
  }
  for (const char* bad : {"", "windows", "window.", ".opened", "window.Opened", "window.a.b", "**",
                          "window.*x", "nope.*"}) {
    EXPECT_FALSE(IsValidWebhookFilter(bad)) << bad;
  }
}

TEST(WebhookTest, AnEmptyFilterListPassesEverything) {
  EXPECT_TRUE(WebhookEventMatches({}, "window.opened"));
  EXPECT_TRUE(WebhookEventMatches({}, "autofix.proposed"));
}

TEST(WebhookTest, AFilterMatchesItsFamilyOrItsExactType) {
  EXPECT_TRUE(WebhookEventMatches({"window"}, "window.closed"));
  EXPECT_TRUE(WebhookEventMatches({"window.*"}, "window.closed"));
  EXPECT_TRUE(WebhookEventMatches({"*"}, "intent.rejected"));
  EXPECT_TRUE(WebhookEventMatches({"intent.approved", "window.opened"}, "window.opened"));
  EXPECT_FALSE(WebhookEventMatches({"window.opened"}, "window.closed"));
  EXPECT_FALSE(WebhookEventMatches({"window"}, "windows.closed"));
  EXPECT_FALSE(WebhookEventMatches({"service"}, "crash_loop.detected"));
  EXPECT_FALSE(WebhookEventMatches({"intent.*"}, "window.opened"));
}

TEST(WebhookTest, AuditActionsMapToEventTypes) {
  EXPECT_EQ(WebhookTypeOfAuditAction("window.open"), "window.open");
  EXPECT_EQ(WebhookTypeOfAuditAction("window.closed"), "window.closed");
  EXPECT_EQ(WebhookTypeOfAuditAction("service.start"), "service.start");
  EXPECT_EQ(WebhookTypeOfAuditAction("service.crashloop"), "crash_loop.detected");
  EXPECT_EQ(WebhookTypeOfAuditAction("intent.approved"), "intent.approved");
  EXPECT_EQ(WebhookTypeOfAuditAction("autofix.diagnosed"), "autofix.diagnosed");
  EXPECT_EQ(WebhookTypeOfAuditAction("reconcile.stop"), std::nullopt);
  EXPECT_EQ(WebhookTypeOfAuditAction("madre.start"), std::nullopt);
  EXPECT_EQ(WebhookTypeOfAuditAction("solo_madre.apply"), std::nullopt);
  EXPECT_EQ(WebhookTypeOfAuditAction("window"), std::nullopt);
}

TEST(WebhookTest, TheSignatureIsAnHmacOfTimestampDotBody) {
  // python3: hmac.new(b'shh', b'1700000000.{"id":"e1"}', hashlib.sha256).hexdigest()
  EXPECT_EQ(WebhookSignature("shh", "1700000000", R"({"id":"e1"})"),
            "sha256=19992ebc2d3af94355659a15c0ffb42b63f6496af1083920ed784d72f94116d8");
  EXPECT_NE(WebhookSignature("shh", "1700000001", R"({"id":"e1"})"),
            WebhookSignature("shh", "1700000000", R"({"id":"e1"})"));
  EXPECT_NE(WebhookSignature("other", "1700000000", R"({"id":"e1"})"),
            WebhookSignature("shh", "1700000000", R"({"id":"e1"})"));
}

TEST(WebhookTest, TheBackoffStartsAtOneSecondAndDoublesUpToFiveMinutes) {
  EXPECT_EQ(WebhookBackoff(0), seconds(1));
  EXPECT_EQ(WebhookBackoff(1), seconds(1));
  EXPECT_EQ(WebhookBackoff(2), seconds(2));
  EXPECT_EQ(WebhookBackoff(3), seconds(4));
  EXPECT_EQ(WebhookBackoff(9), seconds(256));
  EXPECT_EQ(WebhookBackoff(10), minutes(5));
  EXPECT_EQ(WebhookBackoff(1000), minutes(5));
}

}  // namespace
}  // namespace madre
