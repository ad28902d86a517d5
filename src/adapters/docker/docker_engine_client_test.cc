// DockerEngineClient against a scripted HTTP server on a unix socket: paths, versions, status
// mapping and decoding, without a dockerd. tests/integration/ runs it against the real one.
#include "adapters/docker/docker_engine_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "testing/fake_clock.h"

namespace madre {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

struct CannedResponse {
  int status = 200;
  std::string body;
  bool hang = false;  // never answer; wait for the client to give up
};

// Answers one request per connection from a table keyed by "METHOD /path?query", each
// connection on its own thread. Unknown requests get 404 {"message":"page not found"}.
// Records every request line, and how many container inspects were in flight at once.
class ScriptedDockerd {
 public:
  ScriptedDockerd() {
    char dir_template[] = "/tmp/madre-dockerd-test-XXXXXX";
    dir_ = mkdtemp(dir_template);
    path_ = dir_ + "/docker.sock";
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedDockerd() {
    shutdown(listen_fd_, SHUT_RDWR);  // wakes accept()
    thread_.join();
    for (std::thread& connection : connections_) connection.join();
    close(listen_fd_);
    std::filesystem::remove_all(dir_);
  }

  void On(const std::string& request, CannedResponse response) {
    std::lock_guard lock(mu_);
    routes_[request] = std::move(response);
  }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  std::string docker_host() const { return "unix://" + path_; }

  // Holds each inspect answer back until `in_flight` inspects are waiting at once, or `total`
  // have arrived (the last, smaller batch). A client that never gets there is let go after
  // a few seconds, and the test sees too few in flight.
  void GateInspects(int in_flight, int total) {
    std::lock_guard lock(mu_);
    gate_in_flight_ = in_flight;
    gate_total_ = total;
  }
  int max_inspects_in_flight() const {
    std::lock_guard lock(mu_);
    return max_inspects_in_flight_;
  }

 private:
  static bool IsInspect(const std::string& line) {
    return line.find("/containers/") != std::string::npos &&
           line.find("/containers/json") == std::string::npos && line.ends_with("/json");
  }

  void Serve() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      std::lock_guard lock(mu_);
      connections_.emplace_back([this, fd] {
        Handle(fd);
        close(fd);
      });
    }
  }

  // Counts an inspect in flight and waits for the gate, if any.
  void EnterInspect() {
    std::unique_lock lock(mu_);
    ++inspects_in_flight_;
    max_inspects_in_flight_ = std::max(max_inspects_in_flight_, inspects_in_flight_);
    const int mine = inspects_started_++;
    if (gate_in_flight_ == 0) return;
    if (inspects_in_flight_ >= gate_in_flight_ || inspects_started_ >= gate_total_) {
      inspects_released_ = inspects_started_;
      gate_cv_.notify_all();
    }
    gate_cv_.wait_for(lock, std::chrono::seconds(3), [&] { return mine < inspects_released_; });
  }
  void LeaveInspect() {
    std::lock_guard lock(mu_);
    --inspects_in_flight_;
  }

  void Handle(int fd) {
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) return;
      head.append(buf, static_cast<std::size_t>(n));
    }
    std::string line = head.substr(0, head.find(" HTTP/1.1"));
    CannedResponse response{404, R"js({"message":"page not found"})js"};
    {
      std::lock_guard lock(mu_);
      requests_.push_back(line);
      if (auto it = routes_.find(line); it != routes_.end()) response = it->second;
    }
    if (response.hang) {
      while (read(fd, buf, sizeof(buf)) > 0) {
      }
      return;
    }
    if (IsInspect(line)) {
      EnterInspect();
      LeaveInspect();  // before the answer: the client's next inspect cannot overlap this one
    }
    std::string reply = "HTTP/1.1 " + std::to_string(response.status) +
                        " X\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(response.body.size()) + "\r\nConnection: close\r\n\r\n" +
                        response.body;
    std::size_t sent = 0;
    while (sent < reply.size()) {
      ssize_t n = write(fd, reply.data() + sent, reply.size() - sent);
      if (n <= 0) return;
      sent += static_cast<std::size_t>(n);
    }
  }

  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::thread> connections_;  // GUARDED_BY(mu_)
  std::map<std::string, CannedResponse> routes_;
  std::vector<std::string> requests_;
  std::condition_variable gate_cv_;
  int gate_in_flight_ = 0;  // 0: no gate
  int gate_total_ = 0;
  int inspects_in_flight_ = 0;
  int max_inspects_in_flight_ = 0;
  int inspects_started_ = 0;
  int inspects_released_ = 0;
};

const std::string kFilter =
    "%7B%22label%22%3A%5B%22com.docker.compose.project%3Dvx11%22%2C%22"
    "com.docker.compose.oneoff%3DFalse%22%5D%7D";

class DockerEngineClientTest : public ::testing::Test {
 protected:
  DockerEngineClientTest() { dockerd_.On("GET /version", {200, R"js({"ApiVersion":"1.41"})js"}); }
  DockerEngineClient MakeClient(Duration timeout = Seconds(5)) {
    return DockerEngineClient(
        {.docker_host = dockerd_.docker_host(), .project = "vx11", .timeout = timeout});
  }
  ScriptedDockerd dockerd_;
};

TEST_F(DockerEngineClientTest, PingAsksTheUnversionedPingEndpoint) {
  dockerd_.On("GET /_ping", {200, "OK"});
  DockerEngineClient client = MakeClient();
  EXPECT_TRUE(client.Ping().ok());
  EXPECT_THAT(dockerd_.requests(), ElementsAre("GET /_ping"));
}

TEST_F(DockerEngineClientTest, ImageIdInspectsTheImageAndAMissingOneIsEmpty) {
  dockerd_.On("GET /v1.41/images/mine/app:1/json", {200, R"js({"Id":"sha256:3f57"})js"});
  dockerd_.On("GET /v1.41/images/vx11_gone/json", {404, R"js({"message":"No such image"})js"});
  dockerd_.On("GET /v1.41/images/vx11_err/json", {500, R"js({"message":"boom"})js"});
  DockerEngineClient client = MakeClient();
  EXPECT_EQ(client.ImageId("mine/app:1").value(), "sha256:3f57");
  EXPECT_EQ(client.ImageId("vx11_gone").value(), "");
  EXPECT_FALSE(client.ImageId("vx11_err").ok());
  EXPECT_EQ(client.ImageId("../x").code(), StatusCode::kInvalidArgument);
}

TEST_F(DockerEngineClientTest, UsesAnOlderServerApiVersion) {
  dockerd_.On("GET /version", {200, R"js({"ApiVersion":"1.40"})js"});
  dockerd_.On("GET /v1.40/containers/abc/json",
              {200, R"js({"Id":"abc","Name":"/x","State":{"Status":"running"}})js"});
  DockerEngineClient client = MakeClient();
  EXPECT_TRUE(client.Inspect("abc").ok());
  EXPECT_EQ(client.ApiVersion(), "1.40");
}

TEST_F(DockerEngineClientTest, NeverUsesANewerApiVersionThanTestedAndAsksOnce) {
  dockerd_.On("GET /version", {200, R"js({"ApiVersion":"1.50"})js"});
  dockerd_.On("POST /v1.41/containers/abc/start", {204, ""});
  DockerEngineClient client = MakeClient();
  EXPECT_TRUE(client.Start("abc").ok());
  EXPECT_TRUE(client.Start("abc").ok());
  EXPECT_THAT(dockerd_.requests(), ElementsAre("GET /version", "POST /v1.41/containers/abc/start",
                                               "POST /v1.41/containers/abc/start"));
}

TEST_F(DockerEngineClientTest, ListProjectFiltersByProjectInspectsAndSorts) {
  dockerd_.On("GET /v1.41/containers/json?all=1&filters=" + kFilter, {200, R"js([
      {"Id":"s1","Names":["/vx11_switch_1"],"Labels":{"com.docker.compose.service":"switch"},
       "State":"running","Status":"Up 3 seconds (healthy)"},
      {"Id":"c1","Names":["/vx11_crashy_1"],"Labels":{"com.docker.compose.service":"crashy"},
       "State":"restarting","Status":"Restarting (1) 1 second ago"},
      {"Id":"gone","Names":["/vx11_hermes_1"],"Labels":{"com.docker.compose.service":"hermes"},
       "State":"exited","Status":"Exited (0) 1 second ago"}])js"});
  dockerd_.On("GET /v1.41/containers/s1/json",
              {200, R"js({"Id":"s1","Name":"/vx11_switch_1","RestartCount":0,
                       "State":{"Status":"running","ExitCode":0,"Health":{"Status":"healthy"}},
                       "Config":{"Labels":{"com.docker.compose.service":"switch"}}})js"});
  dockerd_.On("GET /v1.41/containers/c1/json",
              {200, R"js({"Id":"c1","Name":"/vx11_crashy_1","RestartCount":5,
                       "State":{"Status":"restarting","ExitCode":1},
                       "Config":{"Labels":{"com.docker.compose.service":"crashy"}}})js"});
  dockerd_.On("GET /v1.41/containers/gone/json",
              {404, R"js({"message":"No such container: gone"})js"});

  DockerEngineClient client = MakeClient();
  Result<std::vector<ContainerState>> list = client.ListProject();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].service, "crashy");
  EXPECT_EQ((*list)[0].restart_count, 5);
  EXPECT_EQ((*list)[0].exit_code, 1);
  EXPECT_EQ((*list)[1].service, "hermes");  // removed after the list: the list's view is kept
  EXPECT_EQ((*list)[1].state, "exited");
  EXPECT_EQ((*list)[2].service, "switch");
  EXPECT_EQ((*list)[2].health, "healthy");
  EXPECT_EQ((*list)[2].container, "vx11_switch_1");
}

TEST_F(DockerEngineClientTest, ListProjectOfAnEmptyProjectIsEmpty) {
  dockerd_.On("GET /v1.41/containers/json?all=1&filters=" + kFilter, {200, "[]"});
  DockerEngineClient client = MakeClient();
  Result<std::vector<ContainerState>> list = client.ListProject();
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(*list, IsEmpty());
}

TEST_F(DockerEngineClientTest, GarbageFromTheEngineIsInternal) {
  dockerd_.On("GET /v1.41/containers/json?all=1&filters=" + kFilter, {200, "<html>oops"});
  DockerEngineClient client = MakeClient();
  EXPECT_EQ(client.ListProject().code(), StatusCode::kInternal);
}

TEST_F(DockerEngineClientTest, StopPassesTheGraceAndTreats304AsSuccess) {
  dockerd_.On("POST /v1.41/containers/web/stop?t=3", {304, ""});
  DockerEngineClient client = MakeClient();
  EXPECT_TRUE(client.Stop("web", 3).ok());
}

TEST_F(DockerEngineClientTest, UnknownContainerIsNotFoundWithTheEngineMessage) {
  dockerd_.On("POST /v1.41/containers/nope/stop?t=1",
              {404, R"js({"message":"No such container: nope"})js"});
  DockerEngineClient client = MakeClient();
  Status status = client.Stop("nope", 1);
  EXPECT_EQ(status.code(), StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("No such container: nope"));
}

TEST_F(DockerEngineClientTest, EngineServerErrorIsUnavailable) {
  dockerd_.On("POST /v1.41/containers/web/start", {500, R"js({"message":"driver failed"})js"});
  DockerEngineClient client = MakeClient();
  Status status = client.Start("web");
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("driver failed"));
}

TEST_F(DockerEngineClientTest, ABadContainerReferenceNeverReachesTheEngine) {
  DockerEngineClient client = MakeClient();
  EXPECT_EQ(client.Inspect("../images/json").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(client.Stop("a/b", 1).code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(dockerd_.requests(), IsEmpty());
}

TEST_F(DockerEngineClientTest, LogsAreDemultiplexed) {
  std::string raw = std::string("\x01\0\0\0\0\0\0\x06", 8) + "hello\n" +
                    std::string("\x02\0\0\0\0\0\0\x04", 8) + "err\n";
  dockerd_.On("GET /v1.41/containers/web/logs?stdout=1&stderr=1&tail=20", {200, raw});
  DockerEngineClient client = MakeClient();
  Result<std::string> logs = client.Logs("web", 20);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_EQ(*logs, "hello\nerr\n");
}

TEST_F(DockerEngineClientTest, AnEngineThatDoesNotAnswerInTimeIsDeadlineExceeded) {
  dockerd_.On("GET /v1.41/containers/slow/json", {200, "", /*hang=*/true});
  DockerEngineClient client = MakeClient(Millis(100));
  EXPECT_EQ(client.Inspect("slow").code(), StatusCode::kDeadlineExceeded);
}

// A container as the scripted engine lists and inspects it.
struct FakeContainer {
  std::string id;
  std::string service;
  std::string state = "running";
  std::string status = "Up 5 minutes";
  int restart_count = 0;
};

std::string ListJson(const std::vector<FakeContainer>& containers) {
  std::string json = "[";
  for (const FakeContainer& c : containers) {
    if (json.size() > 1) json += ",";
    json += R"js({"Id":")js" + c.id + R"js(","Names":["/vx11_)js" + c.service +
            R"js(_1"],"Labels":{"com.docker.compose.service":")js" + c.service +
            R"js("},"State":")js" + c.state + R"js(","Status":")js" + c.status + R"js("})js";
  }
  return json + "]";
}

std::string InspectJson(const FakeContainer& c) {
  return R"js({"Id":")js" + c.id + R"js(","Name":"/vx11_)js" + c.service +
         R"js(_1","RestartCount":)js" + std::to_string(c.restart_count) +
         R"js(,"State":{"Status":")js" + c.state +
         R"js(","ExitCode":0},"Config":{"Labels":{"com.docker.compose.service":")js" + c.service +
         R"js("}}})js";
}

class ListProjectCacheTest : public DockerEngineClientTest {
 protected:
  static constexpr Duration kMaxAge = Seconds(30);

  // The engine lists `containers` and answers an inspect of each.
  void Serve(const std::vector<FakeContainer>& containers) {
    dockerd_.On("GET /v1.41/containers/json?all=1&filters=" + kFilter, {200, ListJson(containers)});
    for (const FakeContainer& c : containers) {
      dockerd_.On("GET /v1.41/containers/" + c.id + "/json", {200, InspectJson(c)});
    }
  }
  DockerEngineClient MakeCachingClient(int max_parallel = 8, Duration max_age = kMaxAge) {
    return DockerEngineClient({.docker_host = dockerd_.docker_host(),
                               .project = "vx11",
                               .timeout = Seconds(5),
                               .inspect_cache_max_age = max_age,
                               .max_parallel_inspects = max_parallel},
                              clock_);
  }
  // The ids inspected since the last call, sorted.
  std::vector<std::string> TakeInspected() {
    std::vector<std::string> all = dockerd_.requests();
    std::vector<std::string> ids;
    const std::string prefix = "GET /v1.41/containers/";
    for (std::size_t i = seen_; i < all.size(); ++i) {
      const std::string& line = all[i];
      if (line.rfind(prefix, 0) != 0 || !line.ends_with("/json")) continue;
      std::string id = line.substr(prefix.size(), line.size() - prefix.size() - 5);
      if (id != "json") ids.push_back(id);
    }
    seen_ = all.size();
    std::sort(ids.begin(), ids.end());
    return ids;
  }
  static std::vector<std::string> Restarts(const std::vector<ContainerState>& list) {
    std::vector<std::string> out;
    for (const ContainerState& c : list) {
      out.push_back(c.service + "=" + std::to_string(c.restart_count));
    }
    return out;
  }

  FakeClock clock_;
  std::size_t seen_ = 0;
};

TEST_F(ListProjectCacheTest, AnUnchangedListIsAnsweredWithoutInspects) {
  Serve({{.id = "a1", .service = "alpha"}, {.id = "b1", .service = "beta"}});
  DockerEngineClient client = MakeCachingClient();
  Result<std::vector<ContainerState>> first = client.ListProject();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_THAT(TakeInspected(), ElementsAre("a1", "b1"));

  clock_.Advance(Seconds(10));
  Result<std::vector<ContainerState>> second = client.ListProject();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_THAT(TakeInspected(), IsEmpty());
  EXPECT_EQ(*second, *first);
}

TEST_F(ListProjectCacheTest, AChangedStatusTextReinspectsOnlyThatContainer) {
  Serve({{.id = "a1", .service = "alpha"}, {.id = "b1", .service = "beta"}});
  DockerEngineClient client = MakeCachingClient();
  ASSERT_TRUE(client.ListProject().ok());
  TakeInspected();

  // beta restarted on its own: a new start time in the text, a new restart count inside.
  Serve({{.id = "a1", .service = "alpha"},
         {.id = "b1", .service = "beta", .status = "Up 1 second", .restart_count = 1}});
  Result<std::vector<ContainerState>> list = client.ListProject();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_THAT(TakeInspected(), ElementsAre("b1"));
  EXPECT_THAT(Restarts(*list), ElementsAre("alpha=0", "beta=1"));
}

TEST_F(ListProjectCacheTest, ACachedInspectExpiresAfterItsMaxAge) {
  Serve({{.id = "a1", .service = "alpha"}});
  DockerEngineClient client = MakeCachingClient();
  ASSERT_TRUE(client.ListProject().ok());
  TakeInspected();
  // A restart the list text does not show: only the inspect knows.
  Serve({{.id = "a1", .service = "alpha", .restart_count = 3}});

  clock_.Advance(kMaxAge - Millis(1));
  Result<std::vector<ContainerState>> before = client.ListProject();
  ASSERT_TRUE(before.ok());
  EXPECT_THAT(TakeInspected(), IsEmpty());
  EXPECT_THAT(Restarts(*before), ElementsAre("alpha=0"));

  clock_.Advance(Millis(1));
  Result<std::vector<ContainerState>> after = client.ListProject();
  ASSERT_TRUE(after.ok());
  EXPECT_THAT(TakeInspected(), ElementsAre("a1"));
  EXPECT_THAT(Restarts(*after), ElementsAre("alpha=3"));
}

TEST_F(ListProjectCacheTest, AClockThatStepsBackDoesNotKeepAnEntryForever) {
  Serve({{.id = "a1", .service = "alpha"}});
  DockerEngineClient client = MakeCachingClient();
  ASSERT_TRUE(client.ListProject().ok());
  TakeInspected();
  clock_.Advance(-Seconds(3600));
  ASSERT_TRUE(client.ListProject().ok());
  EXPECT_THAT(TakeInspected(), ElementsAre("a1"));
}

TEST_F(ListProjectCacheTest, AContainerGoneFromTheListIsForgotten) {
  Serve({{.id = "a1", .service = "alpha"}, {.id = "b1", .service = "beta"}});
  DockerEngineClient client = MakeCachingClient();
  ASSERT_TRUE(client.ListProject().ok());
  TakeInspected();
  Serve({{.id = "a1", .service = "alpha"}});
  ASSERT_TRUE(client.ListProject().ok());
  EXPECT_THAT(TakeInspected(), IsEmpty());

  // The same id listed the same way again (e.g. the lists of a project down and up in
  // between): asked again, not taken from before.
  Serve({{.id = "a1", .service = "alpha"}, {.id = "b1", .service = "beta"}});
  ASSERT_TRUE(client.ListProject().ok());
  EXPECT_THAT(TakeInspected(), ElementsAre("b1"));
}

TEST_F(ListProjectCacheTest, AContainerRemovedBeforeItsInspectKeepsTheListViewUncached) {
  Serve({{.id = "a1", .service = "alpha"},
         {.id = "g1", .service = "gone", .state = "exited", .status = "Exited (2) 1 second ago"}});
  dockerd_.On("GET /v1.41/containers/g1/json", {404, R"js({"message":"No such container"})js"});
  DockerEngineClient client = MakeCachingClient();
  Result<std::vector<ContainerState>> list = client.ListProject();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].service, "gone");
  EXPECT_EQ((*list)[1].state, "exited");
  EXPECT_EQ((*list)[1].exit_code, std::nullopt) << "the list's view: no inspect answer";
  TakeInspected();

  ASSERT_TRUE(client.ListProject().ok());
  EXPECT_THAT(TakeInspected(), ElementsAre("g1"));
}

TEST_F(ListProjectCacheTest, AFailedInspectFailsTheCallAndOnlyItIsAskedAgain) {
  Serve({{.id = "a1", .service = "alpha"}, {.id = "b1", .service = "beta"}});
  dockerd_.On("GET /v1.41/containers/b1/json", {500, R"js({"message":"boom"})js"});
  DockerEngineClient client = MakeCachingClient();
  Result<std::vector<ContainerState>> failed = client.ListProject();
  EXPECT_EQ(failed.code(), StatusCode::kUnavailable);
  EXPECT_THAT(failed.status().message(), HasSubstr("boom"));
  TakeInspected();

  Serve({{.id = "a1", .service = "alpha"}, {.id = "b1", .service = "beta"}});
  ASSERT_TRUE(client.ListProject().ok());
  EXPECT_THAT(TakeInspected(), ElementsAre("b1"));
}

// The readiness wait counts restarts: a crash loop that keeps showing the same young text
// ("Up Less than a second") must not hide them.
TEST_F(ListProjectCacheTest, AContainerStartedLessThanASecondAgoIsAlwaysInspected) {
  Serve({{.id = "a1", .service = "alpha", .status = "Up Less than a second"}});
  DockerEngineClient client = MakeCachingClient();
  ASSERT_TRUE(client.ListProject().ok());
  Serve({{.id = "a1", .service = "alpha", .status = "Up Less than a second", .restart_count = 1}});
  Result<std::vector<ContainerState>> list = client.ListProject();
  ASSERT_TRUE(list.ok());
  EXPECT_THAT(TakeInspected(), ElementsAre("a1", "a1"));
  EXPECT_THAT(Restarts(*list), ElementsAre("alpha=1"));
}

TEST_F(ListProjectCacheTest, AYoungContainersAnswerLastsNoLongerThanItsUptime) {
  Serve({{.id = "a1", .service = "alpha", .status = "Up 3 seconds"}});
  DockerEngineClient client = MakeCachingClient();
  ASSERT_TRUE(client.ListProject().ok());
  TakeInspected();
  clock_.Advance(Millis(2900));
  ASSERT_TRUE(client.ListProject().ok());
  EXPECT_THAT(TakeInspected(), IsEmpty());
  clock_.Advance(Millis(100));  // 3 s: it could have restarted and be "Up 3 seconds" again
  ASSERT_TRUE(client.ListProject().ok());
  EXPECT_THAT(TakeInspected(), ElementsAre("a1"));
}

TEST_F(ListProjectCacheTest, AZeroMaxAgeInspectsEveryTime) {
  Serve({{.id = "a1", .service = "alpha"}});
  DockerEngineClient client = MakeCachingClient(8, Duration::zero());
  ASSERT_TRUE(client.ListProject().ok());
  ASSERT_TRUE(client.ListProject().ok());
  EXPECT_THAT(TakeInspected(), ElementsAre("a1", "a1"));
}

TEST_F(ListProjectCacheTest, InspectsRunInParallelUpToTheBound) {
  std::vector<FakeContainer> containers;
  for (char c = 'a'; c <= 'g'; ++c) {
    containers.push_back({.id = std::string(1, c) + "1", .service = std::string(1, c)});
  }
  Serve(containers);
  dockerd_.GateInspects(/*in_flight=*/3, /*total=*/7);
  DockerEngineClient client = MakeCachingClient(/*max_parallel=*/3);
  Result<std::vector<ContainerState>> list = client.ListProject();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(dockerd_.max_inspects_in_flight(), 3);
  EXPECT_THAT(TakeInspected(), ElementsAre("a1", "b1", "c1", "d1", "e1", "f1", "g1"));
  ASSERT_EQ(list->size(), 7u);
  for (std::size_t i = 0; i < list->size(); ++i) EXPECT_EQ((*list)[i].id, containers[i].id);
}

TEST_F(ListProjectCacheTest, CallsFromSeveralThreadsAtOnceAgree) {
  Serve({{.id = "a1", .service = "alpha"},
         {.id = "b1", .service = "beta", .restart_count = 2},
         {.id = "c1", .service = "gamma"}});
  DockerEngineClient client = MakeCachingClient(/*max_parallel=*/2);
  std::vector<std::vector<std::string>> seen(4);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < seen.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        Result<std::vector<ContainerState>> list = client.ListProject();
        if (list.ok()) seen[t] = Restarts(*list);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const auto& restarts : seen) {
    EXPECT_THAT(restarts, ElementsAre("alpha=0", "beta=2", "gamma=0"));
  }
}

TEST_F(DockerEngineClientTest, ACheckIsCreatedStartedDetachedAndInspectedToItsExitCode) {
  dockerd_.On("POST /v1.41/containers/abc/exec", {201, R"js({"Id":"e1"})js"});
  dockerd_.On("POST /v1.41/exec/e1/start", {200, ""});
  dockerd_.On("GET /v1.41/exec/e1/json", {200, R"js({"Running":false,"ExitCode":0})js"});
  DockerEngineClient client = MakeClient();
  Result<std::string> id = client.StartCheck("abc", {"/bin/sh", "-c", "true"});
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, "e1");
  Result<ExecProgress> progress = client.InspectCheck("e1");
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  EXPECT_FALSE(progress->running);
  EXPECT_EQ(progress->exit_code, 0);
  EXPECT_THAT(dockerd_.requests(),
              ElementsAre("GET /version", "POST /v1.41/containers/abc/exec",
                          "POST /v1.41/exec/e1/start", "GET /v1.41/exec/e1/json"));
}

TEST_F(DockerEngineClientTest, NoSecondCheckInAContainerWhileAnAbandonedOneStillRuns) {
  dockerd_.On("POST /v1.41/containers/abc/exec", {201, R"js({"Id":"e1"})js"});
  dockerd_.On("POST /v1.41/exec/e1/start", {200, ""});
  dockerd_.On("GET /v1.41/exec/e1/json", {200, R"js({"Running":true,"ExitCode":null})js"});
  FakeClock clock;
  DockerEngineClient client({.docker_host = dockerd_.docker_host(),
                             .project = "vx11",
                             .timeout = Seconds(5),
                             .abandoned_check_bound = Seconds(300)},
                            clock);
  ASSERT_TRUE(client.StartCheck("abc", {"sleep", "100"}).ok());
  client.Abandon("e1", /*timed_out=*/true);
  EXPECT_EQ(client.abandoned_checks(), 1u);
  Result<std::string> again = client.StartCheck("abc", {"sleep", "100"});
  EXPECT_EQ(again.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(again.status().message(), HasSubstr("has not ended yet"));
  // Once Docker shows it ended, the container is free again.
  dockerd_.On("GET /v1.41/exec/e1/json", {200, R"js({"Running":false,"ExitCode":137})js"});
  dockerd_.On("POST /v1.41/containers/abc/exec", {201, R"js({"Id":"e2"})js"});
  dockerd_.On("POST /v1.41/exec/e2/start", {200, ""});
  Result<std::string> third = client.StartCheck("abc", {"true"});
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(*third, "e2");
  // One that never shows its end is let go after the bound.
  dockerd_.On("GET /v1.41/exec/e2/json", {200, R"js({"Running":true,"ExitCode":null})js"});
  EXPECT_EQ(client.StartCheck("abc", {"true"}).code(), StatusCode::kFailedPrecondition);
  clock.Advance(Seconds(300));
  dockerd_.On("POST /v1.41/containers/abc/exec", {201, R"js({"Id":"e3"})js"});
  dockerd_.On("POST /v1.41/exec/e3/start", {200, ""});
  EXPECT_TRUE(client.StartCheck("abc", {"true"}).ok());
  // Another container is never blocked by these.
  dockerd_.On("POST /v1.41/containers/def/exec", {201, R"js({"Id":"e4"})js"});
  dockerd_.On("POST /v1.41/exec/e4/start", {200, ""});
  EXPECT_TRUE(client.StartCheck("def", {"true"}).ok());
}

TEST_F(DockerEngineClientTest, ACheckInAStoppedContainerIsAFailedPreconditionAndFreesIt) {
  dockerd_.On("POST /v1.41/containers/abc/exec",
              {409, R"js({"message":"Container abc is not running"})js"});
  DockerEngineClient client = MakeClient();
  Result<std::string> id = client.StartCheck("abc", {"true"});
  EXPECT_EQ(id.code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(id.status().message(), HasSubstr("is not running"));
  dockerd_.On("POST /v1.41/containers/abc/exec", {201, R"js({"Id":"e1"})js"});
  dockerd_.On("POST /v1.41/exec/e1/start", {200, ""});
  EXPECT_TRUE(client.StartCheck("abc", {"true"}).ok());
}

TEST_F(DockerEngineClientTest, HealthcheckReadsTheContainersOwnConfig) {
  dockerd_.On("GET /v1.41/containers/abc/json", {200, R"js({"Id":"abc","State":{"Status":"running"},
                 "Config":{"Healthcheck":{"Test":["CMD","true"],"Interval":1000000000}}})js"});
  DockerEngineClient client = MakeClient();
  Result<HealthcheckConfig> config = client.Healthcheck("abc");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_THAT(config->test, ElementsAre("CMD", "true"));
  EXPECT_EQ(config->interval, Seconds(1));
  EXPECT_EQ(client.Healthcheck("bad/ref").code(), StatusCode::kInvalidArgument);
}

TEST(DockerEngineClientNoServerTest, AMissingSocketIsUnavailable) {
  DockerEngineClient client(
      {.docker_host = "unix:///nonexistent/madre-test/docker.sock", .project = "p"});
  EXPECT_EQ(client.Ping().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client.ListProject().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client.ApiVersion(), "1.41");
}

TEST(DockerEngineClientNoServerTest, TcpDockerHostIsUnavailableOnEveryCall) {
  DockerEngineClient client({.docker_host = "tcp://127.0.0.1:2375", .project = "p"});
  Status status = client.Ping();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("only unix:// DOCKER_HOST is supported"));
  EXPECT_EQ(client.ListProject().code(), StatusCode::kUnavailable);
  EXPECT_EQ(client.Start("web").code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace madre
