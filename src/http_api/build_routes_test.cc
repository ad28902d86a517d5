// GET /madre/builds and GET /madre/builds/{id} (issue 11): the history newest first, its query,
// one build with the end of its log, and the 404s.
#include "http_api/build_routes.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "http_api/http_api_test_support.h"

namespace madre {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

class BuildRoutesTest : public HttpApiTest {
 protected:
  BuildRoutesTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("madre-build-routes-" + std::to_string(getpid()))) {
    std::filesystem::create_directories(dir_);
  }
  ~BuildRoutesTest() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  // A finished build of `service` whose log holds `log` (none written when nullopt).
  std::int64_t Record(const std::string& service, BuildOutcomeKind outcome,
                      const std::optional<std::string>& log = std::nullopt) {
    BuildRecord build;
    build.service = service;
    build.intent_id = "intent-" + service;
    build.started_at = clock_.Now();
    build.image_before = "sha256:old";
    build.log_path = (dir_ / (service + std::to_string(++logs_) + ".log")).string();
    if (log) std::ofstream(build.log_path, std::ios::binary) << *log;
    build.id = builds_.Start(build).value();
    build.finished_at = clock_.Now() + Seconds(3);
    build.outcome = outcome;
    build.image_after = outcome == BuildOutcomeKind::kSucceeded ? "sha256:new" : "sha256:old";
    build.duration_ms = 3000;
    if (outcome == BuildOutcomeKind::kFailed) build.error = "compose build exited 1";
    EXPECT_TRUE(builds_.Finish(build).ok());
    return build.id;
  }

  HttpResponse List(std::map<std::string, std::string> query) {
    HttpRequest request = Request("GET", "/madre/builds");
    for (const auto& [key, value] : query) request.query[key] = value;
    return Send(std::move(request)).value_or(HttpResponse{});
  }

  std::filesystem::path dir_;
  int logs_ = 0;
};

TEST_F(BuildRoutesTest, ListsTheBuildsNewestFirst) {
  Build();
  Record("switch", BuildOutcomeKind::kSucceeded);
  Record("hermes", BuildOutcomeKind::kFailed);
  const HttpResponse r = Call("GET", "/madre/builds");
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = Json(r);
  EXPECT_EQ(body["count"], 2);
  ASSERT_EQ(body["builds"].size(), 2u);
  EXPECT_EQ(body["builds"][0]["id"], 2);
  EXPECT_EQ(body["builds"][0]["service"], "hermes");
  EXPECT_EQ(body["builds"][0]["outcome"], "failed");
  EXPECT_EQ(body["builds"][0]["error"], "compose build exited 1");
  EXPECT_EQ(body["builds"][1]["id"], 1);
  EXPECT_EQ(body["builds"][1]["outcome"], "succeeded");
  EXPECT_EQ(body["builds"][1]["image_after"], "sha256:new");
  EXPECT_EQ(body["builds"][1]["intent_id"], "intent-switch");
  EXPECT_TRUE(body["builds"][1]["error"].is_null());
  EXPECT_FALSE(body["builds"][1].contains("log_tail")) << "the list does not read logs";
}

TEST_F(BuildRoutesTest, FiltersByServiceAndLimits) {
  Build();
  for (int i = 0; i < 3; ++i) Record("switch", BuildOutcomeKind::kSucceeded);
  Record("hermes", BuildOutcomeKind::kSucceeded);
  json body = Json(List({{"service", "switch"}}));
  ASSERT_EQ(body["count"], 3);
  for (const json& build : body["builds"]) EXPECT_EQ(build["service"], "switch");
  body = Json(List({{"limit", "2"}}));
  ASSERT_EQ(body["count"], 2);
  EXPECT_EQ(body["builds"][0]["id"], 4);
  EXPECT_EQ(body["builds"][1]["id"], 3);
  EXPECT_EQ(Json(List({{"service", "nobody"}}))["builds"], json::array());
}

TEST_F(BuildRoutesTest, ABadQueryIsA400NamingIt) {
  Build();
  for (const char* limit : {"0", "1001", "ten", "-1", "5x"}) {
    const HttpResponse r = List({{"limit", limit}});
    EXPECT_EQ(r.status, 400) << limit;
    EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("limit")) << limit;
  }
  const HttpResponse unknown = List({{"state", "failed"}});
  EXPECT_EQ(unknown.status, 400);
  EXPECT_THAT(Json(unknown)["detail"].get<std::string>(), HasSubstr("\"state\""));
  EXPECT_EQ(List({{"limit", "1000"}}).status, 200);
}

TEST_F(BuildRoutesTest, OneBuildCarriesTheEndOfItsLog) {
  Build();
  const std::int64_t id = Record("switch", BuildOutcomeKind::kSucceeded, "Step 1/2\nStep 2/2\n");
  const HttpResponse r = Call("GET", "/madre/builds/" + std::to_string(id));
  ASSERT_EQ(r.status, 200) << r.body;
  const json body = Json(r);
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(body["service"], "switch");
  EXPECT_EQ(body["log_tail"], "Step 1/2\nStep 2/2\n");
  EXPECT_THAT(body["log_path"].get<std::string>(), HasSubstr(dir_.string()));
}

TEST_F(BuildRoutesTest, ALongLogIsCutToItsLast64KiB) {
  Build();
  std::string log(BuildRoutes::kLogTailBytes, 'a');
  log += std::string(100, 'z');
  const std::int64_t id = Record("switch", BuildOutcomeKind::kSucceeded, log);
  const json body = Json(Call("GET", "/madre/builds/" + std::to_string(id)));
  const std::string tail = body["log_tail"].get<std::string>();
  EXPECT_EQ(tail.size(), BuildRoutes::kLogTailBytes);
  EXPECT_EQ(tail.substr(tail.size() - 100), std::string(100, 'z'));
}

TEST_F(BuildRoutesTest, TheLogTailIsNullWhenTheFileIsGone) {
  Build();
  const std::int64_t id = Record("switch", BuildOutcomeKind::kFailed);  // no log written
  const HttpResponse r = Call("GET", "/madre/builds/" + std::to_string(id));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(Json(r).contains("log_tail"));
  EXPECT_TRUE(Json(r)["log_tail"].is_null());
}

TEST_F(BuildRoutesTest, TheLogIsReadOnTheWorkersNotTheEngineThread) {
  Build();
  const std::int64_t id = Record("switch", BuildOutcomeKind::kSucceeded, "done\n");
  std::optional<HttpResponse> answer;
  router_->Handle(Request("GET", "/madre/builds/" + std::to_string(id)),
                  [&answer](HttpResponse r) { answer = std::move(r); });
  EXPECT_FALSE(answer.has_value()) << "answered before the workers ran";
  EXPECT_EQ(workers_.size(), 1u);
  Drain();
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(Json(*answer)["log_tail"], "done\n");
}

TEST_F(BuildRoutesTest, AnUnknownOrMalformedIdIs404) {
  Build();
  Record("switch", BuildOutcomeKind::kSucceeded);
  for (const char* id : {"2", "0", "-1", "01", "+1", "abc", "1.5", "99999999999999999999"}) {
    const HttpResponse r = Call("GET", std::string("/madre/builds/") + id);
    EXPECT_EQ(r.status, 404) << id;
    EXPECT_EQ(Json(r)["code"], "not_found") << id;
    EXPECT_EQ(Json(r)["detail"], std::string("No build ") + id);
  }
}

TEST_F(BuildRoutesTest, AStoreFailureIs500) {
  Build();
  builds_.set_fail(true);
  EXPECT_EQ(Call("GET", "/madre/builds").status, 500);
  EXPECT_EQ(Call("GET", "/madre/builds/1").status, 500);
}

TEST_F(BuildRoutesTest, WithoutABuildStoreBothRoutesAre404) {
  builds_or_null_ = false;
  Build();
  for (const char* path : {"/madre/builds", "/madre/builds/1"}) {
    const HttpResponse r = Call("GET", path);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(Json(r)["code"], "not_found");
    EXPECT_THAT(Json(r)["detail"].get<std::string>(), HasSubstr("no build history"));
  }
}

TEST_F(BuildRoutesTest, BothRoutesNeedAToken) {
  Build();
  EXPECT_EQ(Call("GET", "/madre/builds", "", std::nullopt).status, 401);
  EXPECT_EQ(Call("GET", "/madre/builds/1", "", std::nullopt).status, 401);
}

TEST(ReadLogTail, ReadsAWholeSmallFileAndDropsACutUtf8Sequence) {
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("madre-log-tail-" + std::to_string(getpid()) + ".log");
  std::ofstream(path, std::ios::binary) << "ab\xC3\xA9xyz";  // "abéxyz"
  EXPECT_EQ(ReadLogTail(path.string(), 100), "ab\xC3\xA9xyz");
  EXPECT_EQ(ReadLogTail(path.string(), 4), "xyz") << "the cut fell inside é";
  EXPECT_EQ(ReadLogTail(path.string(), 5), "\xC3\xA9xyz");
  std::filesystem::remove(path);
  EXPECT_EQ(ReadLogTail(path.string(), 100), std::nullopt);
  EXPECT_EQ(ReadLogTail("", 100), std::nullopt);
  EXPECT_EQ(ReadLogTail(std::filesystem::temp_directory_path().string(), 100), std::nullopt)
      << "a directory is not a log";
}

}  // namespace
}  // namespace madre
