#include "api/intent_view.h"

#include <gtest/gtest.h>

namespace madre {
namespace {

using nlohmann::json;

Intent Pending() {
  Intent intent;
  intent.id = "intent-1";
  intent.identity = "default";
  intent.type = "build";
  intent.payload = R"({"target_service":"web"})";
  intent.created_at = FromMicros(1'795'514'400'000'000);
  intent.state_changed_at = intent.created_at;
  intent.expires_at = intent.created_at + Seconds(900);
  return intent;
}

TEST(IntentViewTest, TheSubmitAnswerCarriesStatusAndDuplicateButNoPayload) {
  const json view = IntentSubmitView(Pending(), true);
  EXPECT_EQ(view["status"], "pending");
  EXPECT_EQ(view["state"], "pending");
  EXPECT_EQ(view["duplicate"], true);
  EXPECT_FALSE(view.contains("payload"));
  EXPECT_TRUE(view["task_id"].is_null());
  EXPECT_TRUE(view["decided_at"].is_null());
  EXPECT_FALSE(view["expires_at"].is_null());
}

TEST(IntentViewTest, TheIntentObjectHasThePayloadAndNoExpiryOnceDecided) {
  Intent intent = Pending();
  intent.state = IntentState::kSucceeded;
  intent.task_id = "build:7";
  const json view = IntentView(intent);
  EXPECT_EQ(view["payload"], json({{"target_service", "web"}}));
  EXPECT_FALSE(view.contains("duplicate"));
  EXPECT_EQ(view["task_id"], "build:7");
  EXPECT_TRUE(view["expires_at"].is_null());
}

}  // namespace
}  // namespace madre
