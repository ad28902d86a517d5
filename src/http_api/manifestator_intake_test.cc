// POST /manifestator/builder/emit-intent: the manifestator's build request, through the same
// submission as POST /madre/intent, answered with the manifestator's fields; and the build
// request's check off the engine thread.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_api/http_api_test_support.h"
#include "http_api/intent_routes.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kEmit[] = "/manifestator/builder/emit-intent";

class ManifestatorIntakeTest : public HttpApiTest {
 protected:
  ManifestatorIntakeTest() {
    options_.intents.manifestator_emit_intent = true;
    options_.intents.build_executor = true;
    check_build_ = [this](const BuildIntent& b) {
      ++checks_;
      return b.target_service == "web"
                 ? Status::Ok()
                 : Status::InvalidArgument("service '" + b.target_service + "' has no build:");
    };
    run_build_ = [](const BuildIntent&, const std::string&) -> Result<BuildRecord> {
      return Status::Internal("not in these tests");
    };
  }
  static json Manifestator(const std::string& service) {
    return {{"intent_type", "build"},
            {"target_service", service},
            {"dockerfile_path", "web/Dockerfile"},
            {"build_context", "web"},
            {"reason", "drift"}};
  }
  void AddBuild(BuildOutcomeKind outcome, std::int64_t ms) {
    BuildRecord row;
    row.service = "web";
    row.outcome = outcome;
    row.duration_ms = ms;
    Result<std::int64_t> id = builds_.Start(row);
    ASSERT_TRUE(id.ok());
    row.id = *id;
    ASSERT_TRUE(builds_.Finish(row).ok());
  }
  int checks_ = 0;
};

TEST_F(ManifestatorIntakeTest, TheManifestatorShapeIsRecordedAndAnsweredWithItsFields) {
  Build();
  json body = Manifestator("web");
  body["correlation_id"] = "m-1";
  HttpResponse r = Call("POST", kEmit, body.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const json answer = Json(r);
  EXPECT_EQ(answer["intent_id"], "intent-1");
  EXPECT_EQ(answer["status"], "pending") << "the actual state: the default policy asks approval";
  EXPECT_EQ(answer["assigned_to"], "madre");
  EXPECT_EQ(answer["estimated_time_sec"], kDefaultBuildEstimateSec) << "no build history yet";
  ASSERT_EQ(intents_.intents().size(), 1u);
  const Intent& intent = intents_.intents().at("intent-1");
  EXPECT_EQ(intent.type, "build");
  EXPECT_EQ(intent.source, "manifestator") << "the route's source when the body names none";
  EXPECT_EQ(json::parse(intent.payload), json({{"target_service", "web"},
                                               {"dockerfile_path", "web/Dockerfile"},
                                               {"build_context", "web"},
                                               {"reason", "drift"}}));
  EXPECT_EQ(checks_, 1);
  // The same (source, correlation_id) again: the same intent, nothing new.
  HttpResponse again = Call("POST", kEmit, body.dump());
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(Json(again)["intent_id"], "intent-1");
  EXPECT_EQ(Json(again)["duplicate"], true);
  EXPECT_EQ(intents_.intents().size(), 1u);
  // The same request through POST /madre/intent is the same intent too.
  body["source"] = "manifestator";
  EXPECT_EQ(Json(Call("POST", "/madre/intent", body.dump()))["intent_id"], "intent-1");
}

TEST_F(ManifestatorIntakeTest, TheEstimateIsTheMedianOfTheServicesLastSuccessfulBuilds) {
  AddBuild(BuildOutcomeKind::kSucceeded, 10'000);
  AddBuild(BuildOutcomeKind::kSucceeded, 40'000);
  AddBuild(BuildOutcomeKind::kFailed, 900'000);
  AddBuild(BuildOutcomeKind::kSucceeded, 20'500);
  Build();
  HttpResponse r = Call("POST", kEmit, Manifestator("web").dump());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Json(r)["estimated_time_sec"], 21) << "median 20.5 s, rounded up";
}

TEST_F(ManifestatorIntakeTest, OffUnlessTheVariableSaysSo) {
  options_.intents.manifestator_emit_intent = false;
  Build();
  HttpResponse r = Call("POST", kEmit, Manifestator("web").dump());
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(Json(r)["detail"].get<std::string>(),
              HasSubstr("VX11_MANIFESTATOR_EMIT_INTENT_ENABLED"));
  EXPECT_TRUE(intents_.intents().empty());
}

TEST_F(ManifestatorIntakeTest, BadInputIs400NamingWhatIsWrongAndRecordsNothing) {
  Build();
  const std::vector<std::pair<json, std::string>> cases = {
      {{{"intent_type", "window"}, {"target_service", "web"}}, "intent_type must be \"build\""},
      {{{"target_service", "web"}}, "intent_type) is required"},
      {{{"intent_type", "build"}}, "target_service is required"},
      {{{"intent_type", "build"}, {"target_service", 7}}, "target_service must be a string"},
      {Manifestator("db"), "has no build:"},
  };
  for (const auto& [body, wanted] : cases) {
    HttpResponse r = Call("POST", kEmit, body.dump());
    EXPECT_EQ(r.status, 400) << body.dump() << " " << r.body;
    EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr(wanted)) << body.dump();
  }
  EXPECT_EQ(Call("POST", kEmit, "not json").status, 400);
  EXPECT_TRUE(intents_.intents().empty());
  EXPECT_TRUE(audit_.records().empty() || audit_.records().back().action.rfind("intent.", 0) != 0);
}

TEST_F(ManifestatorIntakeTest, WithoutATokenOnlyAnOpenSourceMaySubmit) {
  options_.intents.open_sources = {"manifestator"};
  Build();
  HttpRequest request = Request("POST", kEmit, Manifestator("web").dump(), std::nullopt);
  request.headers["content-type"] = "application/json";
  request.headers["host"] = "127.0.0.1:8001";
  std::optional<HttpResponse> r = Send(request);
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  EXPECT_EQ(intents_.intents().at("intent-1").identity, "open:manifestator");
  json other = Manifestator("web");
  other["source"] = "stranger";
  request.body = other.dump();
  EXPECT_EQ(Send(request)->status, 401);
}

// The check of a build request walks its context: never on the engine thread.
TEST_F(ManifestatorIntakeTest, TheBuildChecksRunOnTheWorkersAndTheAnswerComesBackOnTheLoop) {
  Build();
  int n = 0;
  for (const char* path : {kEmit, "/madre/intent"}) {
    std::optional<HttpResponse> answer;
    json body = Manifestator("web");
    body["correlation_id"] = path;
    router_->Handle(Request("POST", path, body.dump()),
                    [&answer](HttpResponse r) { answer = std::move(r); });
    EXPECT_FALSE(answer) << path;
    EXPECT_EQ(checks_, n) << "queued on the workers";
    EXPECT_EQ(intents_.intents().size(), static_cast<std::size_t>(n)) << "nothing recorded yet";
    workers_.RunAll();
    EXPECT_EQ(checks_, n + 1);
    EXPECT_FALSE(answer) << "answered on the loop";
    loop_.RunAll();
    ASSERT_TRUE(answer) << path;
    EXPECT_EQ(answer->status, 200) << answer->body;
    ++n;
    EXPECT_EQ(intents_.intents().size(), static_cast<std::size_t>(n));
  }
}

TEST(EstimateBuildSecondsTest, MedianOfTheLastFiveSuccessesRoundedUp) {
  auto row = [](BuildOutcomeKind outcome, std::int64_t ms) {
    BuildRecord r;
    r.outcome = outcome;
    r.duration_ms = ms;
    return r;
  };
  using enum BuildOutcomeKind;
  EXPECT_EQ(EstimateBuildSeconds({}), kDefaultBuildEstimateSec);
  EXPECT_EQ(EstimateBuildSeconds({row(kFailed, 5'000), row(kRunning, 0)}),
            kDefaultBuildEstimateSec);
  EXPECT_EQ(EstimateBuildSeconds({row(kSucceeded, 1)}), 1) << "at least a second";
  EXPECT_EQ(EstimateBuildSeconds({row(kSucceeded, 30'000), row(kSucceeded, 10'000)}), 20);
  // Newest first: the sixth success is not counted.
  EXPECT_EQ(EstimateBuildSeconds({row(kSucceeded, 1'000), row(kSucceeded, 2'000), row(kFailed, 1),
                                  row(kSucceeded, 3'000), row(kSucceeded, 4'000),
                                  row(kSucceeded, 5'000), row(kSucceeded, 900'000)}),
            3);
}

}  // namespace
}  // namespace madre
