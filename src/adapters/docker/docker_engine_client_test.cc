// DockerEngineClient against a scripted HTTP server on a unix socket: paths, versions, status
// mapping and decoding, without a dockerd. tests/integration/ runs it against the real one.
#include "adapters/docker/docker_engine_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

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

// Answers one request per connection from a table keyed by "METHOD /path?query".
// Unknown requests get 404 {"message":"page not found"}. Records every request line.
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

 private:
  void Serve() {
    for (;;) {
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      Handle(fd);
      close(fd);
    }
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
  std::map<std::string, CannedResponse> routes_;
  std::vector<std::string> requests_;
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
