#include "http_api/event_hub.h"

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

}  // namespace
}  // namespace madre
