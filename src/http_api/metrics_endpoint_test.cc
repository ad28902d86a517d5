#include "http_api/metrics_endpoint.h"

#include <cstdio>

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class MetricsEndpointTest : public HttpApiTest {
 protected:
  std::string OpenWindow(const std::string& body) {
    HttpResponse r = Call("POST", "/madre/power/window/open", body);
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body)["window_id"];
  }
};

TEST_F(MetricsEndpointTest, HostFiguresComeFromTheHostReadingsOfTheScrape) {
  host_ = [] {
    HostFigures figures;
    figures.cpu_percent = 42;
    figures.memory_total_bytes = 1000;
    figures.memory_available_bytes = 400;
    figures.load = std::array<double, 3>{0.5, 0.25, 0.125};
    return figures;
  };
  Build();
  HttpResponse text = Call("GET", "/metrics");
  EXPECT_THAT(text.body, HasSubstr("madre_host_cpu_percent 42"));
  EXPECT_THAT(text.body, HasSubstr("madre_host_memory_bytes{kind=\"used\"} 600"));
  EXPECT_THAT(text.body, HasSubstr("madre_host_load{period=\"5m\"} 0.25"));
  EXPECT_THAT(text.body, HasSubstr("madre_windows_open 0"));
}

TEST_F(MetricsEndpointTest, IntentsAreCountedByStateAtEachScrape) {
  Build();
  ASSERT_EQ(Call("POST", "/madre/intent", R"({"type":"spawn"})").status, 200);
  ASSERT_EQ(Call("POST", "/madre/intent", R"({"type":"spawn"})").status, 200);
  ASSERT_EQ(Call("POST", "/madre/intents/intent-2/reject").status, 200);
  HttpResponse text = Call("GET", "/metrics");
  EXPECT_THAT(text.body, HasSubstr("madre_intents{state=\"pending\"} 1"));
  EXPECT_THAT(text.body, HasSubstr("madre_intents{state=\"rejected\"} 1"));
  EXPECT_THAT(text.body, HasSubstr("madre_intents{state=\"succeeded\"} 0"));
  ASSERT_EQ(Call("POST", "/madre/intents/intent-1/cancel").status, 200);
  text = Call("GET", "/metrics");
  EXPECT_THAT(text.body, HasSubstr("madre_intents{state=\"pending\"} 0"));
  EXPECT_THAT(text.body, HasSubstr("madre_intents{state=\"cancelled\"} 1"));
}

TEST_F(MetricsEndpointTest, TheAdmissionWaitOfIntentsIsAHistogramByType) {
  double busy = 90;
  cpu_busy_ = [&busy] { return std::optional<double>(busy); };
  options_.intents.policy.rules = {
      PolicyRule{"spawns", "", "spawn", PolicyAction::kAutoApprove, {}}};
  Build();
  HttpResponse text = Call("GET", "/metrics");
  EXPECT_THAT(text.body, HasSubstr("# TYPE madre_intent_admission_wait_seconds histogram"));
  EXPECT_THAT(text.body, Not(HasSubstr("madre_intent_admission_wait_seconds_count")))
      << "nothing admitted yet";
  ASSERT_EQ(Call("POST", "/madre/intent", R"({"type":"spawn"})").status, 200);
  for (int i = 0; i < 15; ++i) {  // 30 s in the queue
    clock_.Advance(Seconds(2));
    timers_.FireDue();
    Drain();
  }
  busy = 10;
  clock_.Advance(Seconds(2));
  timers_.FireDue();
  Drain();
  text = Call("GET", "/metrics");
  EXPECT_THAT(text.body, HasSubstr("madre_intent_admission_wait_seconds_count{type=\"spawn\"} 1"));
  EXPECT_THAT(text.body, HasSubstr("madre_intent_admission_wait_seconds_sum{type=\"spawn\"} 32"));
  EXPECT_THAT(text.body,
              HasSubstr("madre_intent_admission_wait_seconds_bucket{type=\"spawn\",le=\"30\"} 0"));
  EXPECT_THAT(text.body,
              HasSubstr("madre_intent_admission_wait_seconds_bucket{type=\"spawn\",le=\"60\"} 1"));
}

// Monitoring tells dormant (stopped on purpose) from down (wanted, not running), and each live
// window's expiry.
TEST_F(MetricsEndpointTest, ServiceStatesAndWindowDeadlines) {
  Build();
  HttpResponse text = Call("GET", "/metrics");
  EXPECT_THAT(text.body, HasSubstr("# TYPE madre_service_state gauge"));
  EXPECT_THAT(text.body, HasSubstr("madre_service_state{service=\"redis\",state=\"running\"} 1"));
  EXPECT_THAT(text.body, HasSubstr("madre_service_state{service=\"db\",state=\"dormant\"} 1"));
  EXPECT_THAT(text.body, HasSubstr("madre_service_state{service=\"db\",state=\"running\"} 0"));
  EXPECT_THAT(text.body, HasSubstr("madre_service_state{service=\"db\",state=\"down\"} 0"));
  EXPECT_THAT(text.body, Not(HasSubstr("madre_window_deadline_timestamp_seconds{")));

  const std::string id = OpenWindow(R"({"services":["db"],"ttl_sec":60})");
  char deadline[32];  // the Unix time of the deadline, as the text format writes it
  std::snprintf(deadline, sizeof deadline, "%.15g",
                static_cast<double>(ToMicros(clock_.Now() + Seconds(60))) / 1e6);
  text = Call("GET", "/metrics");
  EXPECT_THAT(text.body, HasSubstr("madre_service_state{service=\"db\",state=\"running\"} 1"));
  EXPECT_THAT(text.body, HasSubstr("madre_window_deadline_timestamp_seconds{window_id=\"" + id +
                                   "\"} " + deadline));

  // db dies behind madre's back while its window wants it, and does not start again: down, not
  // dormant.
  docker_.SetRunning("db", false);
  docker_.FailNext("up", Status::Unavailable("start refused"));
  DockerEvent died;
  died.action = "die";
  died.service = "db";
  died.container_id = "id-db";
  died.exit_code = 137;
  died.time = clock_.Now();
  engine_->OnDockerEvent(died);
  Drain();
  text = Call("GET", "/metrics");
  EXPECT_THAT(text.body, HasSubstr("madre_service_state{service=\"db\",state=\"down\"} 1"));
  EXPECT_THAT(text.body, HasSubstr("madre_service_state{service=\"web\",state=\"dormant\"} 1"));
}

TEST_F(MetricsEndpointTest, AScrapeAnswersAtOnceAndStartsTheStatsSampler) {
  Build();
  std::optional<HttpResponse> answer;
  router_->Handle(Request("GET", "/metrics"), [&answer](HttpResponse r) { answer = std::move(r); });
  ASSERT_TRUE(answer.has_value());  // before any queued job ran: it never waits for Docker
  EXPECT_EQ(answer->status, 200);
  EXPECT_TRUE(router_->sampler().ticking());
}

TEST_F(MetricsEndpointTest, WithoutMetricsTheBodySaysSo) {
  options_.metrics = nullptr;
  Build();
  EXPECT_EQ(Call("GET", "/metrics").body, "# metrics are not enabled\n");
}

}  // namespace
}  // namespace madre
