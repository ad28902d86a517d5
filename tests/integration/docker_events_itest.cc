// DockerEventStream against the real dockerd: a compose service's start, health, die and stop,
// and since= after a restart of the stream. dockerd itself is never restarted here (others use
// it); losing and regaining the connection is covered by the unit tests' scripted server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "adapters/docker/docker_events.h"
#include "docker_env.h"

namespace madre {
namespace {

using namespace std::chrono_literals;

std::string DockerHostForTest() {
  const char* host = std::getenv("DOCKER_HOST");
  return host != nullptr && *host != '\0' ? host : "unix:///var/run/docker.sock";
}

// What the stream delivered, waited on with a bound.
class EventLog {
 public:
  void Add(DockerEvent event) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }
  void SetConnected(bool connected, const std::string& detail) {
    std::lock_guard lock(mu_);
    if (connected) ++connections_;
    if (!connected) losses_.push_back(detail);
    cv_.notify_all();
  }

  // The first event of `service` with `action` (and `health` when given), waiting up to
  // `timeout` for it.
  std::optional<DockerEvent> WaitFor(const std::string& service, const std::string& action,
                                     const std::string& health = "",
                                     std::chrono::seconds timeout = 90s) {
    std::unique_lock lock(mu_);
    std::optional<DockerEvent> found;
    cv_.wait_for(lock, timeout, [&] {
      for (const DockerEvent& e : events_) {
        if (e.service == service && e.action == action && (health.empty() || e.health == health)) {
          found = e;
          return true;
        }
      }
      return false;
    });
    return found;
  }
  bool WaitConnected(int count) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return connections_ >= count; });
  }
  std::vector<DockerEvent> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<std::string> losses() const {
    std::lock_guard lock(mu_);
    return losses_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<DockerEvent> events_;
  int connections_ = 0;
  std::vector<std::string> losses_;
};

// Index of the first event of `container_id` with `action`, or -1.
int IndexOf(const std::vector<DockerEvent>& events, const std::string& container_id,
            const std::string& action) {
  for (std::size_t i = 0; i < events.size(); ++i) {
    if (events[i].container_id == container_id && events[i].action == action) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

class DockerEventsITest : public ::testing::Test {
 protected:
  void SetUp() override {
    MADRE_NEED_DOCKER();
    EnsureImages();
    if (HasFailure()) MADRE_SKIP_OR_FAIL() << "images could not be built";
  }

  std::unique_ptr<DockerEventStream> StartStream(const std::string& project) {
    auto stream = std::make_unique<DockerEventStream>(
        DockerEventStreamOptions{.docker_host = DockerHostForTest(),
                                 .project = project,
                                 .reconnect_min = Millis(200),
                                 .reconnect_max = Seconds(5),
                                 .sleep = {}});
    stream->Start([this](DockerEvent e) { log_.Add(std::move(e)); },
                  [this](bool up, std::string why) { log_.SetConnected(up, why); });
    return stream;
  }

  EventLog log_;
};

TEST_F(DockerEventsITest, SeesStartHealthyDieAndStopOfAComposeService) {
  ComposeProject project(UniqueProjectName("dev"), FixtureComposeFile("faults"),
                         {{"OK_PORT", std::to_string(FreeLoopbackPort())}});
  std::unique_ptr<DockerEventStream> stream = StartStream(project.name());
  ASSERT_TRUE(log_.WaitConnected(1)) << "no connection to dockerd's /events";

  CommandOutput up = project.Up({"ok"});
  ASSERT_TRUE(up.ok()) << up.output;
  std::optional<DockerEvent> start = log_.WaitFor("ok", "start");
  ASSERT_TRUE(start.has_value()) << "no start event";
  EXPECT_EQ(start->project, project.name());
  EXPECT_EQ(start->container_name, project.name() + "_ok_1");
  EXPECT_GT(start->time_nano, 0);
  std::optional<DockerEvent> healthy = log_.WaitFor("ok", "health_status", "healthy");
  ASSERT_TRUE(healthy.has_value()) << "no health_status: healthy event";
  EXPECT_EQ(healthy->container_id, start->container_id);

  CommandOutput stop = RunCommandForTest({"docker", "stop", "-t", "5", start->container_id});
  ASSERT_TRUE(stop.ok()) << stop.output;
  std::optional<DockerEvent> die = log_.WaitFor("ok", "die");
  ASSERT_TRUE(die.has_value()) << "no die event";
  ASSERT_TRUE(die->exit_code.has_value());
  EXPECT_EQ(*die->exit_code, 0);  // the fixture's server exits cleanly on SIGTERM
  ASSERT_TRUE(log_.WaitFor("ok", "stop").has_value()) << "no stop event";

  std::vector<DockerEvent> events = log_.events();
  const std::string& id = start->container_id;
  EXPECT_LT(IndexOf(events, id, "start"), IndexOf(events, id, "health_status"));
  EXPECT_LT(IndexOf(events, id, "health_status"), IndexOf(events, id, "die"));
  EXPECT_LT(IndexOf(events, id, "die"), IndexOf(events, id, "stop"));
  for (const DockerEvent& e : events) {
    EXPECT_EQ(e.project, project.name()) << e.action;
    EXPECT_EQ(e.action.rfind("exec_", 0), std::string::npos) << "healthcheck noise delivered";
  }
  EXPECT_THAT(log_.losses(), ::testing::IsEmpty());
}

TEST_F(DockerEventsITest, ARestartedStreamCatchesUpWithSinceWithoutRepeats) {
  ComposeProject project(UniqueProjectName("des"), FixtureComposeFile("faults"));
  std::unique_ptr<DockerEventStream> stream = StartStream(project.name());
  ASSERT_TRUE(log_.WaitConnected(1));
  CommandOutput up = project.Up({"plain"});
  ASSERT_TRUE(up.ok()) << up.output;
  std::optional<DockerEvent> start = log_.WaitFor("plain", "start");
  ASSERT_TRUE(start.has_value()) << "no start event";

  // While the stream is stopped, the container is stopped: the events come on the next start.
  stream->Stop();
  CommandOutput stop = RunCommandForTest({"docker", "stop", "-t", "5", start->container_id});
  ASSERT_TRUE(stop.ok()) << stop.output;
  stream->Start([this](DockerEvent e) { log_.Add(std::move(e)); },
                [this](bool up, std::string why) { log_.SetConnected(up, why); });
  ASSERT_TRUE(log_.WaitFor("plain", "stop").has_value()) << "missed while stopped, not replayed";
  std::optional<DockerEvent> die = log_.WaitFor("plain", "die");
  ASSERT_TRUE(die.has_value());
  EXPECT_TRUE(die->exit_code.has_value());

  std::vector<DockerEvent> events = log_.events();
  long starts = std::count_if(events.begin(), events.end(), [&](const DockerEvent& e) {
    return e.container_id == start->container_id && e.action == "start";
  });
  EXPECT_EQ(starts, 1) << "the start before since= was delivered again";
}

}  // namespace
}  // namespace madre
