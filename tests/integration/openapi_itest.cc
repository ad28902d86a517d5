// The API contract against a real madre: a window's lifecycle, service commands, intents,
// builds, autofix and the reads, each live answer validated against the schema its operation
// and status have in docs/openapi.json (tools/validate_openapi.py, JSON Schema 2020-12 with
// Debian's python3-jsonschema); every operation of the document is exercised; and an answer
// with a required key dropped must fail the validation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "docker_env.h"
#include "madre_process.h"

namespace madre::itest {
namespace {

using nlohmann::json;

std::filesystem::path DocumentPath() { return SourceDir() / "docs" / "openapi.json"; }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class OpenApiContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    if (!RunCommandForTest({"python3", "-c", "import jsonschema; jsonschema.Draft202012Validator"},
                           {}, std::chrono::seconds(30))
             .ok()) {
      MADRE_SKIP_OR_FAIL() << "python3 with jsonschema (Debian's python3-jsonschema) is needed";
    }
    EnsureImages();
    project_ = UniqueProjectName("mopenapi");
    answer_file_ = std::filesystem::temp_directory_path() / ("madre_" + project_ + ".json");
    env_ = FixtureEnv(project_, "two_services",
                      {{"VX11_POWER_WINDOWS_MAX_CONCURRENT", "2"}});  // a second client window
    compose_ = std::make_unique<ComposeProject>(project_, FixtureComposeFile("two_services"), env_);
    madre_ = std::make_unique<MadreProcess>(env_);
    ASSERT_TRUE(madre_->Start());
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    compose_.reset();
    std::error_code ignored;
    std::filesystem::remove(answer_file_, ignored);
  }

  // Whether `body` validates as the `status` answer of `method template` (the validator's
  // reasons in the failure).
  ::testing::AssertionResult Validates(const std::string& method, const std::string& path,
                                       long status, const std::string& body) {
    std::ofstream(answer_file_) << body;
    const CommandOutput out = RunCommandForTest(
        {"python3", (SourceDir() / "tools" / "validate_openapi.py").string(),
         DocumentPath().string(), method, path, std::to_string(status), answer_file_.string()},
        {}, std::chrono::seconds(60));
    if (out.ok()) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << method << " " << path << " " << status << " (exit "
                                         << out.exit_code << "): " << out.output << "\n"
                                         << body;
  }

  // Validates a live answer as its operation's, and counts the operation as exercised.
  void Check(const std::string& method, const std::string& path, const HttpAnswer& answer,
             long want) {
    EXPECT_EQ(answer.status, want) << method << " " << path << ": " << answer.body;
    EXPECT_TRUE(Validates(method, path, answer.status, answer.body));
    exercised_.insert(method + " " + path);
  }
  json Get(const std::string& url_path, const std::string& path, long want = 200) {
    HttpAnswer answer = madre_->Get(url_path);
    Check("GET", path, answer, want);
    return json::parse(answer.body, nullptr, false);
  }
  json Post(const std::string& url_path, const std::string& path, const std::string& body,
            long want = 200) {
    HttpAnswer answer = madre_->Post(url_path, body);
    Check("POST", path, answer, want);
    return json::parse(answer.body, nullptr, false);
  }

  std::string project_;
  std::map<std::string, std::string> env_;
  std::filesystem::path answer_file_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<MadreProcess> madre_;
  std::set<std::string> exercised_;  // "METHOD /path/{template}"
};

TEST_F(OpenApiContractTest, LiveAnswersValidateAgainstTheDocumentAndEveryOperationIsExercised) {
  const std::string token = madre_->token();
  // The public routes; the document is the one in the source tree.
  HttpAnswer health = Http("GET", madre_->Url("/health"), "", "");
  Check("GET", "/health", health, 200);
  HttpAnswer served = Http("GET", madre_->Url("/openapi.json"), "", "");
  Check("GET", "/openapi.json", served, 200);
  EXPECT_EQ(served.body, ReadFile(DocumentPath()));
  const json doc = json::parse(served.body);

  // Reads at rest.
  const json me = Get("/madre/whoami", "/madre/whoami");
  EXPECT_EQ(me.value("role", ""), "admin") << me.dump();
  Get("/madre/power/state", "/madre/power/state");
  Get("/madre/power/services", "/madre/power/services");
  Get("/madre/power/status", "/madre/power/status");
  Get("/madre/power/policy/solo_madre/status", "/madre/power/policy/solo_madre/status");
  Get("/madre/power/flows", "/madre/power/flows");
  Get("/madre/power/flows?service=nope", "/madre/power/flows", 404);
  Get("/madre/power/windows/status", "/madre/power/windows/status");

  // A window's lifecycle.
  const json opened = Post("/madre/power/windows/open", "/madre/power/windows/open",
                           R"({"services":["web"],"ttl_sec":120,"reason":"contract","wait":true})");
  ASSERT_EQ(opened.value("state", ""), "open") << opened.dump();
  const std::string id = opened["window_id"];
  const std::string with_id = R"({"window_id":")" + id + R"(")";
  Get("/madre/power/windows/" + id, "/madre/power/windows/{id}");
  const json state = Get("/madre/power/state", "/madre/power/state");
  EXPECT_EQ(state.value("window_id", ""), id);
  Get("/madre/power/windows/status?limit=5", "/madre/power/windows/status");
  Get("/madre/power/status?stats=1", "/madre/power/status");
  Get("/madre/power/policy/solo_madre/status", "/madre/power/policy/solo_madre/status");
  Post("/madre/power/windows/hold", "/madre/power/windows/hold", with_id + R"(,"hold":true})");
  Post("/madre/power/windows/extend", "/madre/power/windows/extend", with_id + R"(,"ttl_sec":60})");
  Post("/madre/power/windows/hold", "/madre/power/windows/hold", with_id + R"(,"hold":false})");
  // Refusals: a bad body, a service outside the allowlist, an unknown window, a second client
  // window closed without an id.
  Post("/madre/power/windows/open", "/madre/power/windows/open", R"({"services":["web"],"ttl":5})",
       400);
  Post("/madre/power/windows/open", "/madre/power/windows/open", R"({"services":["nope"]})", 422);
  Get("/madre/power/windows/no-such-window", "/madre/power/windows/{id}", 404);
  Post("/madre/power/windows/extend", "/madre/power/windows/extend",
       R"({"window_id":"no-such-window","ttl_sec":5})", 404);
  Post("/madre/power/window/open", "/madre/power/window/open",
       R"({"services":["db"],"ttl_sec":60,"reason":"compatible"})");
  Post("/madre/power/window/close", "/madre/power/window/close", "{}", 409);
  Post("/madre/power/window/close", "/madre/power/window/close", with_id + "}");
  Post("/madre/power/windows/close", "/madre/power/windows/close", "");
  Post("/madre/power/windows/close", "/madre/power/windows/close", "", 404);
  Get("/madre/power/windows/status", "/madre/power/windows/status");
  const json audit = Get("/madre/power/audit?limit=20", "/madre/power/audit");
  EXPECT_FALSE(audit.value("records", json::array()).empty());
  Get("/madre/power/audit?limit=0", "/madre/power/audit", 400);

  // Authentication: no token, a wrong one.
  for (const auto& [given, want] : {std::pair<std::string, long>{"", 401}, {"wrong", 403}}) {
    Check("GET", "/madre/power/state", Http("GET", madre_->Url("/madre/power/state"), "", given),
          want);
    Check("POST", "/madre/power/windows/open",
          Http("POST", madre_->Url("/madre/power/windows/open"), R"({"services":["db"]})", given),
          want);
  }

  // Service commands: the plan, a service hold, a restart, the body forms, SOLO_MADRE.
  Post("/madre/power/service/db/start", "/madre/power/service/{name}/start", R"({"apply":false})");
  const json held = Post("/madre/power/service/db/start", "/madre/power/service/{name}/start", "");
  EXPECT_TRUE(held.contains("window")) << held.dump();
  // A restart needs the service running and idle (its hold's start answered within 4 s).
  const bool ready = WaitUntil(
      [&] {
        const json status = madre_->Get("/madre/power/status").Json();
        if (!status.is_object() || !status.contains("services")) return false;
        for (const json& entry : status["services"]) {
          if (entry.value("service", "") == "db") return entry.value("ready", false);
        }
        return false;
      },
      std::chrono::seconds(60));
  ASSERT_TRUE(ready) << "db did not become ready";
  Post("/madre/power/service/db/restart", "/madre/power/service/{name}/restart", "");
  Post("/madre/power/service/db/stop", "/madre/power/service/{name}/stop", "");
  Post("/madre/power/service/nope/stop", "/madre/power/service/{name}/stop", "", 404);
  Post("/madre/power/service/start", "/madre/power/service/start", R"({"service":"db"})");
  Post("/madre/power/service/stop", "/madre/power/service/stop", R"({"service":"db"})");
  Post("/madre/power/service/stop", "/madre/power/service/stop", "{}", 400);
  Post("/madre/power/policy/solo_madre/apply", "/madre/power/policy/solo_madre/apply", "");

  // Intents: submit, read, list, reject, cancel, and a decision in the wrong state.
  const json submitted =
      Post("/madre/intent", "/madre/intent",
           R"({"type":"window","payload":{"services":["db"]},"correlation_id":"contract-1"})");
  const std::string intent = submitted.value("intent_id", "");
  ASSERT_FALSE(intent.empty()) << submitted.dump();
  Post("/madre/intent", "/madre/intent", R"({"payload":{}})", 400);
  Get("/madre/intents/" + intent, "/madre/intents/{id}");
  Get("/madre/intent/" + intent, "/madre/intent/{id}");
  Get("/madre/intents?state=pending", "/madre/intents");
  Get("/madre/intents?state=nonsense", "/madre/intents", 400);
  Post("/madre/intents/" + intent + "/reject", "/madre/intents/{id}/reject",
       R"({"reason":"contract test"})");
  Post("/madre/intents/" + intent + "/approve", "/madre/intents/{id}/approve", "", 409);
  const json second =
      Post("/madre/intent", "/madre/intent", R"({"type":"window","payload":{"services":["db"]}})");
  Post("/madre/intents/" + second.value("intent_id", "") + "/cancel", "/madre/intents/{id}/cancel",
       "");
  Get("/madre/intents/intent-none", "/madre/intents/{id}", 404);
  // The manifestator's route is off unless VX11_MANIFESTATOR_EMIT_INTENT_ENABLED=1.
  Post("/manifestator/builder/emit-intent", "/manifestator/builder/emit-intent",
       R"({"intent_type":"build","target_service":"web"})", 404);

  // Builds and autofix.
  Get("/madre/builds", "/madre/builds");
  Get("/madre/builds?limit=0", "/madre/builds", 400);
  Get("/madre/builds/42", "/madre/builds/{id}", 404);
  Get("/madre/autofix/diagnose/db", "/madre/autofix/diagnose/{service}");
  Get("/madre/autofix/diagnose/nope", "/madre/autofix/diagnose/{service}", 404);
  Get("/madre/autofix/diagnoses", "/madre/autofix/diagnoses");
  const json incident =
      Post("/madre/autofix/incidents", "/madre/autofix/incidents",
           R"({"service":"db","phase":"availability","detail":"GET /health: 503"})", 202);
  Get("/madre/autofix/incidents/" + incident.value("incident", "none"),
      "/madre/autofix/incidents/{id}");
  Get("/madre/autofix/incidents/none", "/madre/autofix/incidents/{id}", 404);
  Post("/madre/autofix/reset/db", "/madre/autofix/reset/{service}", "");

  // Every operation of the document was exercised, but the two that do not answer JSON.
  for (const auto& [path, item] : doc["paths"].items()) {
    for (const auto& [method, operation] : item.items()) {
      std::string name = method == "get" ? "GET " : "POST ";
      name += path;
      if (name == "GET /metrics" || name == "GET /madre/power/events") continue;
      EXPECT_TRUE(exercised_.count(name)) << name << " is not exercised by this test";
    }
  }
}

// The validation is not vacuous: a real answer with a required key dropped (at the top, or in
// a window nested in /state) fails it, and the whole answer passes.
TEST_F(OpenApiContractTest, AnAnswerMissingARequiredKeyFailsTheValidation) {
  HttpAnswer opened =
      madre_->Post("/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  json window = opened.Json();
  EXPECT_TRUE(Validates("POST", "/madre/power/windows/open", 200, window.dump()));
  for (const char* key : {"window_id", "state", "services_status", "deadline"}) {
    json dropped = window;
    dropped.erase(key);
    EXPECT_FALSE(Validates("POST", "/madre/power/windows/open", 200, dropped.dump())) << key;
  }
  // A key of the wrong type fails too.
  json wrong = window;
  wrong["hold"] = "no";
  EXPECT_FALSE(Validates("POST", "/madre/power/windows/open", 200, wrong.dump()));

  HttpAnswer state = madre_->Get("/madre/power/state");
  ASSERT_EQ(state.status, 200);
  json body = state.Json();
  ASSERT_FALSE(body["windows"].empty()) << state.body;
  EXPECT_TRUE(Validates("GET", "/madre/power/state", 200, body.dump()));
  body["windows"][0].erase("effective_services");
  EXPECT_FALSE(Validates("GET", "/madre/power/state", 200, body.dump()));

  HttpAnswer health = Http("GET", madre_->Url("/health"), "", "");
  json ready = health.Json();
  ready.erase("ready");
  EXPECT_FALSE(Validates("GET", "/health", 200, ready.dump()));
  // An error body without its code, and a status the operation does not document.
  EXPECT_FALSE(Validates("GET", "/madre/power/windows/{id}", 404, R"({"detail":"No window x"})"));
  EXPECT_FALSE(Validates("GET", "/madre/power/state", 418, "{}"));
  // New keys do not break a client: an extra key passes.
  window["a_key_of_tomorrow"] = 1;
  EXPECT_TRUE(Validates("POST", "/madre/power/windows/open", 200, window.dump()));
}

}  // namespace
}  // namespace madre::itest
