// Security properties of a real `madre serve` (SPEC §3-§5): authentication on every
// /madre/power route, the token never leaves the process, the HTTP server's limits (body,
// headers, slowloris, many idle connections) and hostile window ids / service names.
//
// One madre (and one compose project of the two_services fixture) serves every test of the
// suite; nothing here starts a container. Requests the curl helper cannot express (an empty
// header, 64 KiB of headers, half a request line, raw targets) go through a raw socket.
#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/sha256.h"
#include "docker_env.h"
#include "madre_process.h"
#include "raw_http.h"

namespace madre::itest {
namespace {

using nlohmann::json;
using ::testing::IsEmpty;
using SteadyClock = std::chrono::steady_clock;

std::string ReadFileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// ---- the fixture -------------------------------------------------------------------------

constexpr char kViewerToken[] = "viewer-token-0123456789abcdef";
constexpr char kOperatorToken[] = "operator-token-0123456789abcdef";

struct SharedMadre {
  std::string project;
  std::filesystem::path tokens_file;
  std::map<std::string, std::string> env;
  std::unique_ptr<ComposeProject> compose;
  std::unique_ptr<MadreProcess> madre;
  bool started = false;
};

class SecurityTest : public ::testing::Test {
 protected:
  static void TearDownTestSuite() {
    if (!shared_) return;
    shared_->madre.reset();
    shared_->compose.reset();
    std::error_code ignored;
    std::filesystem::remove(shared_->tokens_file, ignored);
    shared_.reset();
  }

  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
    if (!shared_) {
      shared_ = std::make_unique<SharedMadre>();
      shared_->project = UniqueProjectName("msec");
      // Two named tokens beside VX11_TOKEN (the admin "default"), stored by their SHA-256.
      shared_->tokens_file =
          std::filesystem::temp_directory_path() / (shared_->project + "-tokens.toml");
      std::ofstream(shared_->tokens_file)
          << "[tokens.watcher]\nrole = \"viewer\"\ntoken_sha256 = \"" << Sha256Hex(kViewerToken)
          << "\"\n\n[tokens.ci]\nrole = \"operator\"\ntoken_sha256 = \""
          << Sha256Hex(kOperatorToken) << "\"\n";
      shared_->env = {{"VX11_COMPOSE_PROJECT", shared_->project},
                      {"VX11_COMPOSE_DIR", FixtureDir().string()},
                      {"VX11_ALWAYS_ON", "madre"},
                      {"VX11_TOKENS_FILE", shared_->tokens_file.string()},
                      {"DB_PORT", std::to_string(FreeLoopbackPort())},
                      {"WEB_PORT", std::to_string(FreeLoopbackPort())}};
      shared_->compose = std::make_unique<ComposeProject>(
          shared_->project, FixtureComposeFile("two_services"), shared_->env);
      shared_->madre = std::make_unique<MadreProcess>(shared_->env);
      shared_->started = shared_->madre->Start();
    }
    ASSERT_TRUE(shared_->started) << "madre did not start";
    madre_ = shared_->madre.get();
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
  }

  static std::filesystem::path FixtureDir() {
    return FixtureComposeFile("two_services").parent_path();
  }
  int port() const { return madre_->port(); }
  const std::string& token() const { return madre_->token(); }
  std::string TokenHeader() const { return "X-VX11-Token: " + token(); }
  std::vector<std::string> Running() const { return RunningServices(shared_->project); }

  // Every answer body seen by a test, to check that none holds the token.
  void Saw(const std::string& body) { bodies_.push_back(body); }
  void ExpectNoBodyHoldsTheToken() {
    for (const auto& body : bodies_) {
      EXPECT_EQ(body.find(token()), std::string::npos) << "token echoed in: " << body;
    }
  }

  // A 4xx JSON error {"detail","code"}.
  static void ExpectJsonError(const std::string& what, long status, const std::string& body) {
    EXPECT_GE(status, 400) << what << " -> " << body;
    EXPECT_LT(status, 500) << what << " -> " << body;
    json parsed = json::parse(body, nullptr, false);
    ASSERT_TRUE(parsed.is_object()) << what << " -> " << body;
    EXPECT_TRUE(parsed.contains("detail") && parsed["detail"].is_string())
        << what << " -> " << body;
    EXPECT_TRUE(parsed.contains("code") && parsed["code"].is_string()) << what << " -> " << body;
  }

  static inline std::unique_ptr<SharedMadre> shared_;
  MadreProcess* madre_ = nullptr;
  std::vector<std::string> bodies_;
};

// Every /madre/power route, known or not, as (method, path).
const std::vector<std::pair<std::string, std::string>>& PowerRoutes() {
  static const std::vector<std::pair<std::string, std::string>> routes = {
      {"POST", "/madre/power/window/open"},
      {"POST", "/madre/power/window/close"},
      {"POST", "/madre/power/windows/open"},
      {"POST", "/madre/power/windows/close"},
      {"POST", "/madre/power/windows/hold"},
      {"POST", "/madre/power/windows/extend"},
      {"GET", "/madre/power/windows/status"},
      {"GET", "/madre/power/windows/w-1"},
      {"GET", "/madre/power/state"},
      {"GET", "/madre/power/status"},
      {"GET", "/madre/power/services"},
      {"GET", "/madre/power/audit"},
      {"GET", "/madre/power/audit?limit=5"},
      {"GET", "/madre/power/events"},
      {"GET", "/madre/power/policy/solo_madre/status"},
      {"POST", "/madre/power/policy/solo_madre/apply"},
      {"POST", "/madre/power/service/db/start"},
      {"POST", "/madre/power/service/db/stop"},
      {"POST", "/madre/power/service/db/restart"},
      // unknown routes and wrong methods: still authentication first
      {"GET", "/madre/power/"},
      {"GET", "/madre/power/nope"},
      {"POST", "/madre/power/policy/nope/apply"},
      {"GET", "/madre/power/policy/solo_madre/apply"},
      {"DELETE", "/madre/power/state"},
      {"POST", "/madre/power/service/db/explode"},
      // the original madre's routes under /madre/power: a legacy prefix, one not served yet
      {"POST", "/madre/power/maintenance/post_task"},
      {"POST", "/madre/power/token"},
  };
  return routes;
}

TEST_F(SecurityTest, EveryPowerRouteNeedsTheToken) {
  for (const auto& [method, path] : PowerRoutes()) {
    const std::string what = method + " " + path;
    // Missing header.
    RawAnswer missing = RawRequest(port(), method, path, {});
    EXPECT_EQ(missing.status, 401) << what << " -> " << missing.body;
    EXPECT_EQ(missing.Json()["detail"], "auth_required: X-VX11-Token header missing") << what;
    // Empty header.
    RawAnswer empty = RawRequest(port(), method, path, {"X-VX11-Token:"});
    EXPECT_EQ(empty.status, 401) << what << " -> " << empty.body;
    // Wrong ones: another token, the right one with a byte more or less, other case.
    for (const std::string& wrong :
         {std::string("wrong-token"), token() + "x", token().substr(0, token().size() - 1),
          std::string(" ") + token() + "0"}) {
      RawAnswer forbidden = RawRequest(port(), method, path, {"X-VX11-Token: " + wrong});
      EXPECT_EQ(forbidden.status, 403) << what << " with " << wrong << " -> " << forbidden.body;
      EXPECT_EQ(forbidden.Json()["detail"], "forbidden: invalid token") << what;
      Saw(forbidden.body);
    }
    Saw(missing.body);
    Saw(empty.body);
  }
  // The header name is case-insensitive; the right token gets past authentication.
  RawAnswer lower = RawRequest(port(), "GET", "/madre/power/state", {"x-vx11-token: " + token()});
  EXPECT_EQ(lower.status, 200) << lower.body;
  // /health needs no token; /metrics does (X-VX11-Token or a Bearer token, as Prometheus sends).
  RawAnswer health = RawRequest(port(), "GET", "/health", {});
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_EQ(health.Json()["module"], "madre");
  RawAnswer anonymous = RawRequest(port(), "GET", "/metrics", {});
  EXPECT_EQ(anonymous.status, 401) << anonymous.body;
  RawAnswer wrong = RawRequest(port(), "GET", "/metrics", {"Authorization: Bearer nope"});
  EXPECT_EQ(wrong.status, 403) << wrong.body;
  RawAnswer metrics = RawRequest(port(), "GET", "/metrics", {"Authorization: Bearer " + token()});
  EXPECT_EQ(metrics.status, 200) << metrics.body;
  // Every refused authentication above is counted, none of them echoed the token.
  EXPECT_NE(metrics.body.find("madre_auth_failures_total{reason=\"missing\"}"), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("madre_auth_failures_total{reason=\"invalid\"}"), std::string::npos)
      << metrics.body;
  Saw(health.body);
  Saw(anonymous.body);
  Saw(wrong.body);
  Saw(metrics.body);
  ExpectNoBodyHoldsTheToken();
  // Nothing was done by any of those requests.
  EXPECT_THAT(Running(), IsEmpty());
  EXPECT_EQ(madre_->Get("/madre/power/state").Json()["policy"], "solo_madre");
}

// VX11_TOKENS_FILE: each named token acts with its role; a role too small is refused (403,
// naming the token and the role needed) before anything is done, and the audit names the token.
TEST_F(SecurityTest, NamedTokensActWithTheirRoles) {
  auto as = [this](const char* token, const std::string& method, const std::string& path,
                   const std::string& body = "") {
    std::vector<std::string> headers = {std::string("X-VX11-Token: ") + token};
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    RawAnswer answer = RawRequest(port(), method, path, headers, body);
    Saw(answer.body);
    return answer;
  };
  // The viewer reads, and may not open, submit or apply.
  EXPECT_EQ(as(kViewerToken, "GET", "/madre/power/state").status, 200);
  EXPECT_EQ(as(kViewerToken, "GET", "/madre/power/audit?limit=1").status, 200);
  RawAnswer refused =
      as(kViewerToken, "POST", "/madre/power/windows/open", R"({"services":["db"]})");
  EXPECT_EQ(refused.status, 403) << refused.body;
  EXPECT_EQ(refused.Json()["code"], "forbidden");
  EXPECT_THAT(refused.Json()["detail"].get<std::string>(),
              ::testing::AllOf(::testing::HasSubstr("'watcher'"), ::testing::HasSubstr("viewer"),
                               ::testing::HasSubstr("operator")));
  // The operator passes the role check (its bad body is the next refusal) but may not apply
  // SOLO_MADRE, which is the admin's.
  RawAnswer bad = as(kOperatorToken, "POST", "/madre/power/windows/open", R"({"services":[]})");
  EXPECT_EQ(bad.status, 400) << bad.body;
  RawAnswer apply = as(kOperatorToken, "POST", "/madre/power/policy/solo_madre/apply", "{}");
  EXPECT_EQ(apply.status, 403) << apply.body;
  // A token whose hash is not in the file is still just wrong.
  EXPECT_EQ(as("someone-elses-token-0123456789", "GET", "/madre/power/state").status, 403);
  // The operator's close of an unknown window is refused and audited under its name.
  RawAnswer close = as(kOperatorToken, "POST", "/madre/power/windows/close",
                       R"({"window_id":"00000000-0000-4000-8000-000000000000"})");
  EXPECT_EQ(close.status, 404) << close.body;
  json audit = madre_->Get("/madre/power/audit?limit=20").Json();
  bool named = false;
  for (const json& record : audit["records"]) {
    named = named || record.value("actor", "").rfind("ci@127.0.0.1", 0) == 0;
  }
  EXPECT_TRUE(named) << audit.dump();
  RawAnswer metrics = RawRequest(port(), "GET", "/metrics", {"X-VX11-Token: " + token()});
  EXPECT_NE(metrics.body.find("madre_auth_failures_total{reason=\"role\"}"), std::string::npos);
  ExpectNoBodyHoldsTheToken();
  EXPECT_THAT(Running(), IsEmpty());
}

TEST_F(SecurityTest, TheTokenIsNeverLoggedAuditedStoredOrEchoed) {
  const std::string near_miss = token() + "x";  // holds the real token as a prefix
  // Wrong tokens carrying the real one, with the real token in the body and the query.
  const std::string body_with_token = json{
      {"services", {"db"}},
      {"reason", token()},
      {"window_id", token()},
      {"token", token()}}.dump();
  for (const auto& [method, path] : PowerRoutes()) {
    RawAnswer a = RawRequest(port(), method, path, {"X-VX11-Token: " + near_miss}, body_with_token);
    EXPECT_EQ(a.status, 403) << method << " " << path;
    Saw(a.body);
    RawAnswer b =
        RawRequest(port(), method,
                   path + (path.find('?') == std::string::npos ? "?" : "&") + "token=" + token(),
                   {}, body_with_token);
    EXPECT_EQ(b.status, 401) << method << " " << path;
    Saw(b.body);
  }
  // Authenticated requests whose bodies carry token-like (not the real) strings, and bad
  // bodies, so that rejections get audited.
  const std::string fake = "itest-token-0-0";
  for (const std::string& body :
       {json{{"services", {fake}}, {"reason", "X-VX11-Token: " + fake}}.dump(),
        std::string(R"({"services":["db"],"ttl_sec":"X-VX11-Token"})"), std::string("{not json"),
        json{{"window_id", fake}}.dump()}) {
    for (const char* path : {"/madre/power/window/open", "/madre/power/windows/close",
                             "/madre/power/windows/hold", "/madre/power/windows/extend"}) {
      HttpAnswer answer = madre_->Post(path, body);
      EXPECT_GE(answer.status, 400) << path << " " << body << " -> " << answer.body;
      Saw(answer.body);
    }
  }
  HttpAnswer unknown = madre_->Get("/madre/power/nope?token=" + token());
  EXPECT_EQ(unknown.status, 404);
  Saw(unknown.body);
  ExpectNoBodyHoldsTheToken();

  // The audit API.
  HttpAnswer audit = madre_->Get("/madre/power/audit?limit=10000");
  ASSERT_EQ(audit.status, 200) << audit.body;
  EXPECT_FALSE(audit.Json()["records"].empty()) << "the rejections above should be audited";
  EXPECT_EQ(audit.body.find(token()), std::string::npos);
  // The log.
  const std::string log = madre_->log();
  EXPECT_FALSE(log.empty());
  EXPECT_EQ(log.find(token()), std::string::npos) << "token in the log";
  // Every file madre wrote: audit JSON Lines, database (+WAL), log. The token came from the
  // environment, so no file may hold it.
  int audit_files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(madre_->state_dir())) {
    if (!entry.is_regular_file()) continue;
    if (entry.path().parent_path().filename() == "audit") ++audit_files;
    EXPECT_EQ(ReadFileBytes(entry.path()).find(token()), std::string::npos)
        << "token in " << entry.path();
  }
  EXPECT_GT(audit_files, 0) << "no audit JSON Lines file under " << madre_->state_dir();
}

TEST_F(SecurityTest, TheStateDirDatabaseAndAuditFilesAreOwnerOnly) {
  // The harness made the state dir with its own umask (0755 under 022): madre tightens it at
  // start, and creates everything else under its umask 077.
  madre_->Post("/madre/power/window/close", "");  // refused or not, it writes an audit record
  auto mode = [](const std::filesystem::path& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_mode & 0777;
  };
  const std::filesystem::path state = madre_->state_dir();
  EXPECT_EQ(mode(state), 0700u);
  EXPECT_EQ(mode(state / "madre.db"), 0600u);
  EXPECT_EQ(mode(state / "audit"), 0700u);
  for (const auto& entry : std::filesystem::directory_iterator(state)) {
    if (entry.path().filename().string().rfind("madre.db", 0) == 0) {
      EXPECT_EQ(mode(entry.path()), 0600u) << entry.path();
    }
  }
  for (const auto& entry : std::filesystem::directory_iterator(state / "audit")) {
    EXPECT_EQ(mode(entry.path()), 0600u) << entry.path();
  }
}

TEST_F(SecurityTest, ABodyOverTheLimitIs413) {
  const std::string huge =
      R"({"services":["db"],"reason":")" + std::string(2 * 1024 * 1024, 'x') + "\"}";
  HttpAnswer answer = madre_->Post("/madre/power/windows/open", huge);
  EXPECT_EQ(answer.status, 413) << answer.body;
  json error = answer.Json();
  EXPECT_TRUE(error.contains("detail") && error["detail"].is_string()) << answer.body;
  EXPECT_EQ(error["code"], "payload_too_large") << answer.body;
  // Refused before the body is read: the announced length alone is enough.
  RawSocket socket(port());
  ASSERT_TRUE(socket.connected());
  ASSERT_TRUE(socket.Send("POST /madre/power/windows/open HTTP/1.1\r\nHost: x\r\n" + TokenHeader() +
                          "\r\nContent-Type: application/json\r\nContent-Length: 2097152\r\n\r\n"));
  RawAnswer early = ParseAnswer(socket.ReadToEnd(std::chrono::seconds(20)));
  EXPECT_EQ(early.status, 413) << early.head;
  EXPECT_EQ(early.Json()["code"], "payload_too_large");
  EXPECT_THAT(Running(), IsEmpty());
  EXPECT_EQ(madre_->Get("/health").status, 200);
}

TEST_F(SecurityTest, HeadersOverTheLimitAre431) {
  std::vector<std::string> headers = {TokenHeader()};
  for (int i = 0; i < 64; ++i) {
    headers.push_back("X-Filler-" + std::to_string(i) + ": " + std::string(1000, 'a' + i % 26));
  }
  RawAnswer answer = RawRequest(port(), "GET", "/madre/power/state", headers);
  EXPECT_EQ(answer.status, 431) << answer.head;
  EXPECT_EQ(answer.Json()["code"], "headers_too_large") << answer.body;
  EXPECT_TRUE(answer.Json().contains("detail")) << answer.body;
  // One huge header line (64 KiB) too.
  RawAnswer one = RawRequest(port(), "GET", "/health", {"X-Big: " + std::string(64 * 1024, 'b')});
  EXPECT_EQ(one.status, 431) << one.head;
  EXPECT_EQ(madre_->Get("/health").status, 200);
}

TEST_F(SecurityTest, HalfARequestLineIsDisconnected) {
  // The header timeout (10 s by default) runs from accept: a client that sends half a request
  // line and then nothing is dropped without an answer...
  RawSocket silent(port());
  ASSERT_TRUE(silent.connected());
  // ...and so is one that keeps dripping a byte a second (the classic slowloris).
  RawSocket drip(port());
  ASSERT_TRUE(drip.connected());
  const auto start = SteadyClock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(SteadyClock::now() - start).count(); };
  ASSERT_TRUE(silent.Send("GET /madre/power/sta"));
  ASSERT_TRUE(drip.Send("GET /health HTTP/1.1\r\nX-Slow: "));

  std::optional<double> silent_closed, drip_closed;
  std::string silent_got, drip_got;
  auto next_drip = SteadyClock::now() + std::chrono::seconds(1);
  while (elapsed() < 20.0 && !(silent_closed && drip_closed)) {  // bounded wait: 20 s
    bool closed = false;
    if (!silent_closed) {
      silent_got += silent.ReadToEnd(std::chrono::milliseconds(100), &closed);
      if (closed) silent_closed = elapsed();
    }
    if (!drip_closed) {
      drip_got += drip.ReadToEnd(std::chrono::milliseconds(100), &closed);
      if (!closed && SteadyClock::now() >= next_drip) {
        closed = !drip.Send("a");
        next_drip += std::chrono::seconds(1);
      }
      if (closed) drip_closed = elapsed();
    }
  }
  ASSERT_TRUE(silent_closed.has_value()) << "half a request line still connected after 20 s";
  EXPECT_LE(*silent_closed, 15.0);
  EXPECT_GE(*silent_closed, 5.0) << "dropped long before the header timeout: by what?";
  EXPECT_EQ(silent_got, "") << "a slowloris connection is dropped without an answer";
  ASSERT_TRUE(drip_closed.has_value()) << "the dripping client still connected after 20 s";
  EXPECT_LE(*drip_closed, 15.0);
  EXPECT_EQ(drip_got, "");
  EXPECT_EQ(madre_->Get("/health").status, 200);
}

TEST_F(SecurityTest, HealthAnswersPromptlyWhile200IdleConnectionsAreOpen) {
  std::vector<std::unique_ptr<RawSocket>> idle;
  for (int i = 0; i < 200; ++i) {
    idle.push_back(std::make_unique<RawSocket>(port()));
    ASSERT_TRUE(idle.back()->connected()) << "connection " << i;
  }
  // A few of them even started a request and stopped.
  for (int i = 0; i < 200; i += 20) ASSERT_TRUE(idle[i]->Send("GET /hea"));
  const auto start = SteadyClock::now();
  HttpAnswer health = Http("GET", madre_->Url("/health"), "", "", /*timeout_sec=*/5);
  const double took = std::chrono::duration<double>(SteadyClock::now() - start).count();
  EXPECT_EQ(health.status, 200) << health.body;
  EXPECT_LT(took, 2.0);
  HttpAnswer state = Http("GET", madre_->Url("/madre/power/state"), "", token(), 5);
  EXPECT_EQ(state.status, 200) << state.body;
  idle.clear();
  EXPECT_EQ(madre_->Get("/health").status, 200);
}

TEST_F(SecurityTest, PathAndShellTricksAreRefusedAndDoNothing) {
  const std::string marker =
      "/tmp/madre-sec-pwned-" + std::to_string(getpid());  // created only if a shell ran
  std::filesystem::remove(marker);
  const std::filesystem::path state = madre_->state_dir();
  auto snapshot = [](const std::filesystem::path& dir) {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir))
      names.push_back(e.path().string());
    std::sort(names.begin(), names.end());
    return names;
  };
  const std::vector<std::string> fixture_before = snapshot(FixtureDir());

  struct Case {
    std::string method, target, body;
  };
  const std::string touch = "$(touch%20" + marker + ")";
  const std::vector<Case> cases = {
      {"GET", "/madre/power/windows/..%2F..%2Fetc%2Fpasswd", ""},
      {"GET", "/madre/power/windows/../../../etc/passwd", ""},
      {"GET", "/madre/power/windows/$(id)", ""},
      {"GET", "/madre/power/windows/" + touch, ""},
      {"GET", "/madre/power/windows/%2e%2e", ""},
      {"GET", "/madre/power/windows/x%00y", ""},
      {"POST", "/madre/power/service/x;id/start", ""},
      {"POST", "/madre/power/service/db;id/start", ""},
      {"POST", "/madre/power/service/" + touch + "/start", ""},
      {"POST", "/madre/power/service/..%2Fdb/start", ""},
      {"POST", "/madre/power/service/../db/start", ""},
      {"POST", "/madre/power/service/-db/stop", ""},
      {"POST", "/madre/power/service/--help/restart", ""},
      {"POST", "/madre/power/windows/close", R"({"window_id":"../../x"})"},
      {"POST", "/madre/power/windows/hold", R"({"window_id":"../../x","hold":true})"},
      {"POST", "/madre/power/windows/extend", R"({"window_id":"../../x","ttl_sec":60})"},
      {"POST", "/madre/power/window/close", R"({"window_id":"$(touch )" + marker + ")\"}"},
      {"POST", "/madre/power/windows/hold", R"({"window_id":"x;id","hold":false})"},
      {"POST", "/madre/power/windows/extend", R"({"window_id":"/etc/passwd","ttl_sec":1})"},
      {"POST", "/madre/power/windows/open", R"({"services":["../db"]})"},
      {"POST", "/madre/power/windows/open", R"({"services":["db;id"]})"},
      {"POST", "/madre/power/windows/open", R"({"services":["$(touch )" + marker + ")\"]}"},
      {"POST", "/madre/power/window/open", R"({"services":["--file=/etc/passwd"]})"},
      {"POST", "/madre/power/window/open", R"({"services":["-d"]})"},
  };
  for (const Case& c : cases) {
    RawAnswer answer = RawRequest(port(), c.method, c.target,
                                  {TokenHeader(), "Content-Type: application/json"}, c.body);
    ExpectJsonError(c.method + " " + c.target + " " + c.body, answer.status, answer.body);
  }
  // Nothing ran, nothing started, nothing written outside the state dir.
  EXPECT_FALSE(std::filesystem::exists(marker));
  EXPECT_THAT(Running(), IsEmpty());
  for (const std::filesystem::path& p :
       {state.parent_path() / "x", state.parent_path().parent_path() / "x", state / "x",
        std::filesystem::path("/x"), std::filesystem::current_path() / "x"}) {
    EXPECT_FALSE(std::filesystem::exists(p) &&
                 std::filesystem::last_write_time(p) >
                     std::filesystem::file_time_type::clock::now() - std::chrono::minutes(5))
        << p;
  }
  EXPECT_EQ(snapshot(FixtureDir()), fixture_before);
  json windows = madre_->Get("/madre/power/windows/status").Json();
  EXPECT_TRUE(windows["windows"].empty()) << windows.dump();
  EXPECT_TRUE(windows["history"].empty()) << windows.dump();
  EXPECT_EQ(madre_->Get("/madre/power/state").Json()["policy"], "solo_madre");
}

}  // namespace
}  // namespace madre::itest
