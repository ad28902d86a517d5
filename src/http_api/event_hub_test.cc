#include "http_api/event_hub.h"

#include <string>
#include <vector>

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using ::testing::HasSubstr;

class EventHubTest : public HttpApiTest {
 protected:
  // Subscribes through the route; the chunks land in `chunks_`.
  void Subscribe(bool keep_open = true) {
    HttpResponse r = Call("GET", "/madre/power/events");
    ASSERT_EQ(r.content_type, "text/event-stream");
    ASSERT_TRUE(r.stream);
    r.stream([this, keep_open](std::string chunk) {
      chunks_.push_back(std::move(chunk));
      return keep_open;
    });
  }
  std::vector<std::string> chunks_;
};

TEST_F(EventHubTest, ANewSubscriberGetsTheKeptWindowsThenEachChange) {
  Build();
  ASSERT_EQ(Call("POST", "/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})").status,
            200);
  Subscribe();
  ASSERT_EQ(chunks_.size(), 2u);
  EXPECT_EQ(chunks_[0], ": madre events\n\n");
  EXPECT_THAT(chunks_[1], HasSubstr("event: window\ndata: {"));
  EXPECT_EQ(router_->subscribers(), 1u);
  ASSERT_EQ(Call("POST", "/madre/power/window/close").status, 200);
  EXPECT_GT(chunks_.size(), 2u);
  EXPECT_THAT(chunks_.back(), HasSubstr("\"state\":\"closed\""));
}

TEST_F(EventHubTest, ContainerEventsAreBroadcastAndGoneSubscribersDropped) {
  Build();
  Subscribe();
  DockerEvent event;
  event.action = "die";
  event.service = "db";
  event.container_name = "p-db-1";
  event.exit_code = 137;
  router_->PublishDockerEvent(event);
  EXPECT_THAT(chunks_.back(), HasSubstr("event: container\ndata: {\"action\":\"die\""));
  EXPECT_THAT(chunks_.back(), HasSubstr("\"exit_code\":137"));

  chunks_.clear();
  Subscribe(/*keep_open=*/false);         // this one's writer says the client is gone
  EXPECT_EQ(router_->subscribers(), 1u);  // it failed its first write and was never kept
}

// Each change of an intent's state goes out as `event: intent`, the intent as GET
// /madre/intents/{id} shows it: from the submission, the decisions, the expiry and each
// execution step alike (they all pass through the one store the router hands out).
TEST_F(EventHubTest, EveryIntentStateChangeIsAnIntentEvent) {
  options_.intents.policy.rules = {
      PolicyRule{"ci-windows", "ci", "window", PolicyAction::kAutoApprove, {}}};
  options_.intents.pending_ttl = Seconds(60);
  Build();
  Subscribe();
  auto states = [this] {
    std::vector<std::string> out;
    for (const std::string& chunk : chunks_) {
      const std::string prefix = "event: intent\ndata: ";
      if (chunk.rfind(prefix, 0) != 0) continue;
      const nlohmann::json intent = nlohmann::json::parse(chunk.substr(prefix.size()));
      out.push_back(intent["intent_id"].get<std::string>() + " " +
                    intent["state"].get<std::string>());
      EXPECT_TRUE(intent.contains("payload")) << "the full view";
      EXPECT_FALSE(intent.contains("duplicate"));
    }
    return out;
  };
  ASSERT_EQ(Call("POST", "/madre/intent", R"({"type":"spawn","correlation_id":"c-1"})").status,
            200);
  ASSERT_EQ(Call("POST", "/madre/intent", R"({"type":"spawn","correlation_id":"c-1"})").status,
            200);  // a duplicate changes nothing (it used up the id intent-2)
  ASSERT_EQ(Call("POST", "/madre/intents/intent-1/reject").status, 200);
  ASSERT_EQ(Call("POST", "/madre/intent", R"({"type":"spawn"})").status, 200);
  ASSERT_EQ(Call("POST", "/madre/intent", R"({"type":"spawn"})").status, 200);
  ASSERT_EQ(Call("POST", "/madre/intents/intent-3/cancel").status, 200);
  clock_.Advance(Seconds(61));
  timers_.FireDue();  // intent-4 expires
  ASSERT_EQ(Call("POST", "/madre/intent",
                 R"({"type":"window","source":"ci","payload":{"services":["db"],"ttl_sec":60}})")
                .status,
            200);
  EXPECT_EQ(states(),
            (std::vector<std::string>{"intent-1 pending", "intent-1 rejected", "intent-3 pending",
                                      "intent-4 pending", "intent-3 cancelled", "intent-4 expired",
                                      "intent-5 approved", "intent-5 admitted",
                                      "intent-5 executing", "intent-5 succeeded"}));
}

}  // namespace
}  // namespace madre
