// madre against the real dockerd: each test has its own compose project, port and state dir.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "docker_env.h"
#include "madre_process.h"

namespace madre::itest {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

std::string Fixture(const std::string& name) {
  return std::string(MADRE_SOURCE_DIR) + "/tests/integration/fixtures/" + name;
}

// A compose project of a fixture plus a madre serving it.
class DaemonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
  }

  void StartMadre(const std::string& fixture, std::map<std::string, std::string> extra = {}) {
    project_ = UniqueProjectName("mitest");
    env_ = FixtureEnv(project_, fixture, extra);
    compose_ = std::make_unique<ComposeProject>(project_, FixtureComposeFile(fixture), env_);
    madre_ = std::make_unique<MadreProcess>(env_);
    ASSERT_TRUE(madre_->Start());
  }

  // kill -9, then the same daemon (state dir, port, token) again.
  void Restart() { madre_->Kill9(); }

  std::vector<std::string> Running() { return RunningServices(project_); }

  // Waits (bounded) until `pred` holds; returns whether it did.
  template <typename Pred>
  bool Eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    const auto give_up = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < give_up) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return pred();
  }

  void TearDown() override {
    if (madre_ && HasFailure()) std::cerr << "madre log:\n" << madre_->log() << std::endl;
    madre_.reset();
    compose_.reset();
  }

  std::string project_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<ComposeProject> compose_;
  std::unique_ptr<MadreProcess> madre_;
};

TEST_F(DaemonTest, OpenRunsTheServiceAndItsDependencyAndCloseStopsBoth) {
  StartMadre("two_services");
  HttpAnswer opened = madre_->Post("/madre/power/window/open",
                                   R"({"services":["web"],"ttl_sec":120,"reason":"itest"})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  json window = opened.Json();
  EXPECT_EQ(window["state"], "open");
  EXPECT_EQ(window["services_started"], json({"db", "web"}));
  EXPECT_LE(window["ttl_remaining_sec"].get<int>(), 120);
  EXPECT_EQ(window["deadline"].get<std::string>().back(), 'Z');
  EXPECT_THAT(Running(), ElementsAre("db", "web"));
  // The service really answers through its published loopback port.
  EXPECT_EQ(Http("GET", "http://127.0.0.1:" + env_["WEB_PORT"] + "/health", "", "").status, 200);

  HttpAnswer closed = madre_->Post("/madre/power/window/close", "");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.Json()["state"], "closed");
  EXPECT_EQ(closed.Json()["services_stopped"], json({"web", "db"}));
  EXPECT_THAT(Running(), IsEmpty());
  json solo = madre_->Get("/madre/power/policy/solo_madre/status").Json();
  EXPECT_EQ(solo["policy_active"], true);
}

TEST_F(DaemonTest, ShortTtlReallyStopsTheContainersAndReturnsToSoloMadre) {
  StartMadre("two_services");
  HttpAnswer opened =
      madre_->Post("/madre/power/window/open", R"({"services":["db"],"ttl_sec":2})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  EXPECT_THAT(Running(), ElementsAre("db"));
  EXPECT_TRUE(Eventually([&] { return Running().empty(); }, std::chrono::seconds(15)));
  json status;
  EXPECT_TRUE(Eventually([&] {
    status = madre_->Get("/madre/power/windows/status").Json();
    return status["policy"] == "solo_madre" && !status["history"].empty();
  }));
  ASSERT_FALSE(status["history"].empty());
  EXPECT_EQ(status["history"][0]["close_reason"], "ttl_expired");
  EXPECT_EQ(madre_->Get("/madre/power/policy/solo_madre/status").Json()["policy_active"], true);
}

TEST_F(DaemonTest, SharedServiceSurvivesTheFirstClose) {
  StartMadre("shared", {{"VX11_POWER_WINDOWS_MAX_CONCURRENT", "2"}});
  HttpAnswer a =
      madre_->Post("/madre/power/windows/open", R"({"services":["a"],"ttl_sec":120,"wait":true})");
  ASSERT_EQ(a.status, 200) << a.body;
  HttpAnswer b =
      madre_->Post("/madre/power/windows/open", R"({"services":["b"],"ttl_sec":120,"wait":true})");
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.Json()["services_started"], json({"b"}));  // common was already up: shared
  EXPECT_THAT(Running(), ElementsAre("a", "b", "common"));
  // Two windows: a close without an id is ambiguous.
  EXPECT_EQ(madre_->Post("/madre/power/windows/close", "{}").status, 409);
  HttpAnswer closed =
      madre_->Post("/madre/power/windows/close", json{{"window_id", a.Json()["window_id"]}}.dump());
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.Json()["services_stopped"], json({"a"}));
  EXPECT_THAT(Running(), ElementsAre("b", "common"));
  closed = madre_->Post("/madre/power/windows/close", "{}");
  ASSERT_EQ(closed.status, 200) << closed.body;
  EXPECT_EQ(closed.Json()["services_stopped"], json({"b", "common"}));
  EXPECT_THAT(Running(), IsEmpty());
}

TEST_F(DaemonTest, KillNineLosesNoWindowAndTheWindowStillExpiresOnTime) {
  StartMadre("two_services");
  HttpAnswer opened =
      madre_->Post("/madre/power/window/open", R"({"services":["db"],"ttl_sec":6})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  const std::string id = opened.Json()["window_id"];
  const std::string deadline = opened.Json()["deadline"];
  Restart();
  ASSERT_TRUE(madre_->Start());
  json window = madre_->Get("/madre/power/windows/" + id).Json();
  EXPECT_EQ(window["state"], "open");
  EXPECT_EQ(window["deadline"], deadline);
  EXPECT_THAT(Running(), ElementsAre("db"));
  EXPECT_TRUE(Eventually([&] { return Running().empty(); }, std::chrono::seconds(20)));
  EXPECT_TRUE(Eventually([&] {
    return madre_->Get("/madre/power/windows/" + id).Json()["close_reason"] == "ttl_expired";
  }));
}

TEST_F(DaemonTest, ServiceStartedByHandIsStoppedByReconcileWhenExternalStartIsStop) {
  StartMadre("two_services", {{"VX11_EXTERNAL_START", "stop"}});
  ASSERT_TRUE(compose_->Run({"up", "-d", "--no-deps", "db"}));  // madre sees it through events
  EXPECT_TRUE(Eventually([&] { return Running().empty(); }, std::chrono::seconds(20)));
  json audit;
  bool stopped = Eventually([&] {  // the record is written when the stop has finished
    audit = madre_->Get("/madre/power/audit?limit=50").Json();
    for (const auto& record : audit["records"]) {
      if (record["action"] == "reconcile.stop" && record["services"] == json({"db"})) return true;
    }
    return false;
  });
  EXPECT_TRUE(stopped) << audit.dump(2);
}

TEST_F(DaemonTest, ServiceStartedByHandIsAdoptedAndStoppedWhenItsTtlEnds) {
  StartMadre("two_services", {{"VX11_EXTERNAL_START_TTL_SEC", "4"}});  // adopt: the default
  ASSERT_TRUE(compose_->Run({"up", "-d", "--no-deps", "db"}));
  json adopted;
  ASSERT_TRUE(Eventually([&] {
    const json state = madre_->Get("/madre/power/state").Json();  // alive while we iterate
    for (const auto& w : state["windows"]) {
      if (w["kind"] == "adopted") adopted = w;
    }
    return !adopted.is_null();
  }));
  EXPECT_EQ(adopted["services"], json({"db"}));
  EXPECT_EQ(adopted["ttl_sec"], 4);
  EXPECT_EQ(adopted["reason"], "external_start");
  EXPECT_THAT(Running(), ElementsAre("db")) << "adopted, not stopped";
  const std::string id = adopted["window_id"];
  EXPECT_TRUE(Eventually([&] { return Running().empty(); }, std::chrono::seconds(30)));
  EXPECT_TRUE(Eventually([&] {
    json w = madre_->Get("/madre/power/windows/" + id).Json();
    return w["state"] == "closed" && w["close_reason"] == "ttl_expired";
  }));
  json audit = madre_->Get("/madre/power/audit?limit=50").Json();
  bool recorded = false;
  for (const auto& record : audit["records"]) {
    recorded = recorded || (record["action"] == "window.adopted" && record["actor"] == "external" &&
                            record["window_id"] == id);
  }
  EXPECT_TRUE(recorded) << audit.dump(2);
}

TEST_F(DaemonTest, ServiceStartsTakeNoWindowSlotSoAWindowOpensAfterTwoOfThem) {
  StartMadre("shared");  // the default VX11_POWER_WINDOWS_MAX_CONCURRENT=1
  json services = madre_->Get("/madre/power/services").Json()["allowlist"];
  ASSERT_GE(services.size(), 3u) << services.dump();
  const std::string first = services[0], second = services[1], third = services[2];
  HttpAnswer a = madre_->Post("/madre/power/service/" + first + "/start", "");
  ASSERT_EQ(a.status, 200) << a.body;
  EXPECT_EQ(a.Json()["status"], "ok");
  EXPECT_EQ(a.Json()["window"]["kind"], "service_hold");
  HttpAnswer b = madre_->Post("/madre/power/service/start", json{{"service", second}}.dump());
  ASSERT_EQ(b.status, 200) << b.body;
  EXPECT_EQ(b.Json()["status"], "ok");
  HttpAnswer open =
      madre_->Post("/madre/power/window/open", json{{"services", {third}}, {"ttl_sec", 60}}.dump());
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_EQ(open.Json()["kind"], "client");
  json state = madre_->Get("/madre/power/state").Json();
  EXPECT_EQ(state["window_id"], open.Json()["window_id"]) << "the client window, not a hold";
  EXPECT_EQ(state["windows"].size(), 3u) << state.dump(2);
  HttpAnswer closed = madre_->Post("/madre/power/window/close", "");
  EXPECT_EQ(closed.status, 200) << "a close without an id picks the one client window: "
                                << closed.body;
  HttpAnswer stop = madre_->Post("/madre/power/service/" + first + "/stop", "");
  EXPECT_EQ(stop.status, 200) << stop.body;
  EXPECT_EQ(stop.Json()["windows_closed"], json({a.Json()["window_id"]}));
}

TEST_F(DaemonTest, AComponentWithoutATokenSubmitsAnIntentThatSurvivesKill9) {
  StartMadre("two_services", {{"VX11_INTENT_OPEN_SOURCES", "hormiguero"}});
  const std::string url = "http://127.0.0.1:" + std::to_string(madre_->port()) + "/madre/intent";
  const json queen = {{"type", "spawn"},
                      {"payload", {{"task", "scan"}}},
                      {"correlation_id", "q-1"},
                      {"source", "hormiguero"}};
  HttpAnswer first = Http("POST", url, queen.dump(), "");  // no token, as the queen sends it
  ASSERT_EQ(first.status, 200) << first.body;
  EXPECT_EQ(first.Json()["status"], "pending");
  EXPECT_EQ(first.Json()["requires_approval"], true);
  const std::string id = first.Json()["intent_id"];
  json stranger = queen;
  stranger["source"] = "stranger";
  EXPECT_EQ(Http("POST", url, stranger.dump(), "").status, 401);
  Restart();
  ASSERT_TRUE(madre_->Start());
  HttpAnswer again = Http("POST", url, queen.dump(), "");
  ASSERT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["intent_id"], id) << "the idempotency key outlived kill -9";
  EXPECT_EQ(again.Json()["duplicate"], true);
  HttpAnswer read = madre_->Get("/madre/intent/" + id);
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_EQ(read.Json()["payload"], json({{"task", "scan"}}));
}

TEST_F(DaemonTest, BadInputGetsTheSpecErrorAndChangesNothing) {
  StartMadre("two_services");
  const std::string open = "/madre/power/window/open";
  struct Case {
    std::string body;
    long status;
  };
  std::vector<Case> cases = {
      {"{not json", 400},
      {R"(["db"])", 400},
      {R"({"services":"db"})", 400},
      {R"({"services":["db"],"ttl_sec":"ten"})", 400},
      {R"({"services":["db"],"ttl_sec":1.5})", 400},
      {R"({"services":["db"],"ttl_sec":-1})", 400},
      {R"({"services":["db"],"ttl_sec":999999999})", 400},
      {R"({"services":["nope"]})", 422},
      {R"({"services":["x; touch /tmp/pwned"]})", 422},
  };
  std::filesystem::remove("/tmp/pwned");
  for (const auto& c : cases) {
    HttpAnswer answer = madre_->Post(open, c.body);
    EXPECT_EQ(answer.status, c.status) << c.body << " -> " << answer.body;
    EXPECT_TRUE(answer.Json().contains("detail")) << answer.body;
    EXPECT_TRUE(answer.Json().contains("code")) << answer.body;
  }
  HttpAnswer refused = madre_->Post(open, R"({"services":["zz","nope","db; rm -rf /"]})");
  EXPECT_EQ(refused.Json()["detail"],
            "Services not in allowlist: [\"db; rm -rf /\", \"nope\", \"zz\"]");
  std::string huge =
      R"({"services":["db"],"reason":")" + std::string(10 * 1024 * 1024, 'x') + "\"}";
  EXPECT_EQ(madre_->Post(open, huge).status, 413);
  EXPECT_EQ(Http("POST", madre_->Url(open), R"({"services":["db"]})", "").status, 401);
  HttpAnswer wrong = Http("POST", madre_->Url(open), R"({"services":["db"]})", "wrong-token");
  EXPECT_EQ(wrong.status, 403);
  EXPECT_EQ(wrong.Json()["detail"], "forbidden: invalid token");
  EXPECT_EQ(Http("GET", madre_->Url("/madre/power/policy/solo_madre/status"), "", "").status, 401);
  EXPECT_EQ(Http("GET", madre_->Url("/health"), "", "").status, 200);
  EXPECT_FALSE(std::filesystem::exists("/tmp/pwned"));
  EXPECT_THAT(Running(), IsEmpty());
  EXPECT_EQ(madre_->Get("/madre/power/state").Json()["policy"], "solo_madre");
  EXPECT_TRUE(madre_->Get("/madre/power/windows/status").Json()["history"].empty());
  EXPECT_EQ(madre_->log().find(madre_->token()), std::string::npos);  // never logged
}

TEST_F(DaemonTest, EveryEndpointAnswers) {
  StartMadre("two_services");
  json health = madre_->Get("/health").Json();
  EXPECT_EQ(health["module"], "madre");
  EXPECT_EQ(health["status"], "ok");
  EXPECT_TRUE(health["ready"].is_boolean()) << health.dump();  // the start-up reconcile
  json services = madre_->Get("/madre/power/services").Json();
  EXPECT_EQ(services["allowlist"], json({"db", "web"}));
  EXPECT_EQ(services["source"], "compose");
  HttpAnswer started = madre_->Post("/madre/power/service/db/start", "");
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string id = started.Json()["window_id"];
  EXPECT_EQ(started.Json()["window"]["hold"], true);
  json status = madre_->Get("/madre/power/status").Json();
  bool db_running = false;
  for (const auto& s : status["services"]) {
    if (s["service"] == "db") db_running = s["state"] == "running" && s["window_ids"] == json({id});
  }
  EXPECT_TRUE(db_running) << status.dump(2);
  json with_stats = madre_->Get("/madre/power/status?stats=1").Json();
  bool has_figures = false;
  for (const auto& s : with_stats["services"]) {
    if (s["service"] == "db")
      has_figures = s.contains("cpu_percent") && s["memory_bytes"].get<double>() > 0;
  }
  EXPECT_TRUE(has_figures) << with_stats.dump(2);
  HttpAnswer metrics = Http("GET", madre_->Url("/metrics"), "", madre_->token());
  EXPECT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("madre_container_memory_bytes{container=\""), std::string::npos)
      << metrics.body;
  EXPECT_NE(metrics.body.find("madre_windows_open 1"), std::string::npos) << metrics.body;
  EXPECT_EQ(madre_->Post("/madre/power/service/db/restart", "").status, 200);
  HttpAnswer extend =
      madre_->Post("/madre/power/windows/extend", json{{"window_id", id}, {"ttl_sec", 60}}.dump());
  EXPECT_EQ(extend.status, 200) << extend.body;
  HttpAnswer hold =
      madre_->Post("/madre/power/windows/hold", json{{"window_id", id}, {"hold", false}}.dump());
  EXPECT_EQ(hold.status, 200) << hold.body;
  EXPECT_EQ(hold.Json()["hold"], false);
  EXPECT_GT(hold.Json()["ttl_remaining_sec"].get<int>(), 0);
  HttpAnswer stopped = madre_->Post("/madre/power/service/db/stop", "");
  ASSERT_EQ(stopped.status, 200) << stopped.body;
  EXPECT_EQ(stopped.Json()["windows_closed"], json({id}));
  EXPECT_EQ(madre_->Get("/madre/power/windows/" + id).Json()["close_reason"], "service_stopped");
  HttpAnswer held =
      madre_->Post("/madre/power/windows/open", R"({"services":["web"],"hold":true,"wait":true})");
  ASSERT_EQ(held.status, 200) << held.body;
  HttpAnswer apply = madre_->Post("/madre/power/policy/solo_madre/apply", "");
  ASSERT_EQ(apply.status, 200) << apply.body;
  EXPECT_EQ(apply.Json()["status"], "ok");
  EXPECT_EQ(apply.Json()["exec_status"], "ok");
  EXPECT_EQ(apply.Json()["services_stopped"], json({"db", "web"}));
  EXPECT_EQ(apply.Json()["windows_closed"], json({held.Json()["window_id"]}));
  EXPECT_THAT(Running(), IsEmpty());
  json audit = madre_->Get("/madre/power/audit?limit=5").Json();
  ASSERT_EQ(audit["records"].size(), 5u);
  EXPECT_GT(audit["records"][0]["seq"].get<int>(), audit["records"][1]["seq"].get<int>());
  EXPECT_EQ(madre_->Get("/madre/power/nope").status, 404);
  // The original madre's routes: a clear 404 naming the setting that would forward them.
  HttpAnswer chat = madre_->Post("/madre/chat", R"({"message":"hi"})");
  EXPECT_EQ(chat.status, 404) << chat.body;
  EXPECT_EQ(chat.Json()["code"], "legacy_route") << chat.body;
  EXPECT_THAT(chat.Json()["detail"].get<std::string>(), HasSubstr("VX11_LEGACY_MADRE_URL"));
}

TEST_F(DaemonTest, ServeCheckValidatesTheModelWarnsAboutSharedDependenciesAndCreatesNothing) {
  const std::filesystem::path state =
      std::filesystem::temp_directory_path() / UniqueProjectName("madre-check-state");
  CommandOutput ok = RunCommandForTest({MADRE_BINARY, "serve", "--check"},
                                       {{"VX11_COMPOSE_DIR", Fixture("shared")},
                                        {"VX11_COMPOSE_PROJECT", UniqueProjectName("mcheck")},
                                        {"VX11_ALWAYS_ON", "madre"},
                                        {"VX11_STATE_DIR", state.string()}});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, HasSubstr("the settings and the compose model are valid"));
  EXPECT_THAT(ok.output, HasSubstr("service common is needed by a, b")) << "the gateway case";
  EXPECT_FALSE(std::filesystem::exists(state)) << "--check creates nothing";
  CommandOutput bad = RunCommandForTest({MADRE_BINARY, "serve", "--check"},
                                        {{"VX11_COMPOSE_DIR", Fixture("shared")},
                                         {"VX11_EXTERNAL_START", "sometimes"},
                                         {"VX11_STATE_DIR", state.string()}});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("VX11_EXTERNAL_START=sometimes must be adopt, stop or ignore"));
}

// An abstract AF_UNIX datagram socket standing in for systemd's NOTIFY_SOCKET.
class NotifyListener {
 public:
  explicit NotifyListener(const std::string& name) : name_("@" + name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::memcpy(address.sun_path + 1, name.data(), name.size());
    bound_ = ::bind(fd_, reinterpret_cast<const sockaddr*>(&address),
                    static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size())) == 0;
  }
  ~NotifyListener() { ::close(fd_); }
  NotifyListener(const NotifyListener&) = delete;
  NotifyListener& operator=(const NotifyListener&) = delete;

  bool bound() const { return bound_; }
  const std::string& name() const { return name_; }  // "@name", as NOTIFY_SOCKET says it
  // Every datagram received so far, in order.
  const std::vector<std::string>& Drain() {
    char buffer[4096];
    for (ssize_t n; (n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT)) > 0;) {
      received_.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return received_;
  }
  int Count(const std::string& prefix) {
    int count = 0;
    for (const std::string& d : Drain()) count += d.rfind(prefix, 0) == 0 ? 1 : 0;
    return count;
  }

 private:
  std::string name_;
  int fd_ = -1;
  bool bound_ = false;
  std::vector<std::string> received_;
};

TEST_F(DaemonTest, UnderSystemdServeNotifiesReadyBeatsTheWatchdogAndNotifiesStopping) {
  NotifyListener notify(UniqueProjectName("madre-notify"));
  ASSERT_TRUE(notify.bound());
  // WatchdogSec=1s: a beat every 0.5 s.
  StartMadre("two_services", {{"NOTIFY_SOCKET", notify.name()}, {"WATCHDOG_USEC", "1000000"}});
  ASSERT_TRUE(Eventually([&] { return notify.Count("READY=1") == 1; }));
  EXPECT_EQ(notify.Drain().front(),
            "READY=1\nSTATUS=listening on http://127.0.0.1:" + std::to_string(madre_->port()));
  ASSERT_TRUE(Eventually([&] { return notify.Count("WATCHDOG=1") >= 3; }))
      << "the watchdog beats every half of WATCHDOG_USEC";
  EXPECT_EQ(notify.Count("STOPPING=1"), 0);
  EXPECT_EQ(madre_->Terminate(), 0);
  EXPECT_EQ(notify.Count("STOPPING=1"), 1);
  EXPECT_EQ(notify.Count("READY=1"), 1);
  EXPECT_THAT(madre_->log(), HasSubstr("systemd notified: ready, watchdog on"));
}

TEST_F(DaemonTest, ServePrintConfigShowsSourcesRedactsTheTokenAndCreatesNothing) {
  const std::filesystem::path state =
      std::filesystem::temp_directory_path() / UniqueProjectName("madre-print-state");
  const std::string token = "print-config-token-" + UniqueProjectName("t");
  CommandOutput ok = RunCommandForTest({MADRE_BINARY, "serve", "--print-config", "--port", "9123"},
                                       {{"VX11_COMPOSE_DIR", Fixture("shared")},
                                        {"VX11_STATE_DIR", state.string()},
                                        {"VX11_THROTTLE_MODE", "refuse"},
                                        {"VX11_TOKEN", token}});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_THAT(ok.output, ::testing::ContainsRegex("VX11_MADRE_PORT +9123 +flag --port"));
  EXPECT_THAT(ok.output, ::testing::ContainsRegex("VX11_THROTTLE_MODE +refuse +env"));
  EXPECT_THAT(ok.output, ::testing::ContainsRegex("VX11_TOKEN +<redacted> +env"));
  EXPECT_THAT(ok.output, Not(HasSubstr(token)));
  EXPECT_FALSE(std::filesystem::exists(state)) << "--print-config creates nothing";
  CommandOutput bad = RunCommandForTest({MADRE_BINARY, "serve", "--print-config"},
                                        {{"VX11_COMPOSE_DIR", Fixture("shared")},
                                         {"VX11_EXTERNAL_START", "sometimes"},
                                         {"VX11_STATE_DIR", state.string()}});
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_THAT(bad.output, HasSubstr("VX11_EXTERNAL_START=sometimes must be adopt, stop or ignore"));
}

TEST_F(DaemonTest, AuditChainVerifiesAndATamperedRecordIsNamed) {
  StartMadre("two_services");
  ASSERT_EQ(madre_->Post("/madre/power/window/open", R"({"services":["db"],"ttl_sec":60})").status,
            200);
  ASSERT_EQ(madre_->Post("/madre/power/window/close", "").status, 200);
  const std::string dir = (madre_->state_dir() / "audit").string();
  CommandOutput ok = RunCommandForTest({MADRE_BINARY, "verify-audit", "--audit-dir", dir});
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  // Change the outcome of one record in place: the chain must name it.
  std::filesystem::path file;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) file = entry.path();
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  std::string content = text.str();
  const auto at = content.find("\"outcome\":\"accepted\"");
  ASSERT_NE(at, std::string::npos) << content;
  content.replace(at, std::string("\"outcome\":\"accepted\"").size(), "\"outcome\":\"rejected\"");
  std::ofstream(file, std::ios::trunc) << content;
  CommandOutput broken = RunCommandForTest({MADRE_BINARY, "verify-audit", "--audit-dir", dir});
  EXPECT_EQ(broken.exit_code, 1) << broken.output;
  EXPECT_NE(broken.output.find("audit chain broken at seq"), std::string::npos) << broken.output;
}

TEST_F(DaemonTest, EventsStreamShowsTheWindowOpeningAndOpen) {
  StartMadre("two_services");
  CommandOutput events;
  std::thread follower([&] {
    // Follows until killed at the time limit: everything printed by then is kept.
    events = RunCommandForTest(
        {MADRE_BINARY, "events", "--url", madre_->Url(""), "--token", madre_->token()}, {},
        std::chrono::seconds(8));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let the stream start
  HttpAnswer opened =
      madre_->Post("/madre/power/windows/open", R"({"services":["db"],"ttl_sec":60,"wait":true})");
  ASSERT_EQ(opened.status, 200) << opened.body;
  follower.join();
  EXPECT_TRUE(events.timed_out) << events.output;
  const std::string id = opened.Json()["window_id"];
  EXPECT_NE(events.output.find("window " + id + " opening (db)"), std::string::npos)
      << events.output;
  EXPECT_NE(events.output.find("window " + id + " open (db)"), std::string::npos) << events.output;
}

}  // namespace
}  // namespace madre::itest
