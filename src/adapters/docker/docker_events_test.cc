// DockerEventStream against a scripted HTTP server on a temp unix socket: delivery, filtering,
// reconnection with since= and back-off, and a prompt Stop(). No dockerd, no real sleeps: the
// back-off is injected and the only waits are bounded waits for socket traffic.
#include "adapters/docker/docker_events.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/docker/docker_event_parse.h"
#include "adapters/docker/docker_event_samples.h"

namespace madre {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;
using ::testing::StartsWith;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kWaitLimit = std::chrono::seconds(10);  // bound of every wait for traffic
constexpr std::string_view kProject = "proj";

// What the server does with one connection, after reading the request head.
struct ScriptedConnection {
  enum class End {
    kHold,   // stay open and silent until the client leaves or the server stops
    kClose,  // end the chunked body properly and close
    kDrop,   // close abruptly in the middle of the body (as a dying dockerd does)
  };
  int status = 200;
  std::vector<std::string> lines;  // each sent as its own chunk, '\n' added
  End end = End::kHold;
  std::string error_body;  // the body of a non-200 answer
};

ScriptedConnection Hold(std::vector<std::string> lines = {}) {
  return {200, std::move(lines), ScriptedConnection::End::kHold, ""};
}
ScriptedConnection Close(std::vector<std::string> lines = {}) {
  return {200, std::move(lines), ScriptedConnection::End::kClose, ""};
}
ScriptedConnection Drop(std::vector<std::string> lines) {
  return {200, std::move(lines), ScriptedConnection::End::kDrop, ""};
}
ScriptedConnection Refuse(int status, std::string body) {
  return {status, {}, ScriptedConnection::End::kClose, std::move(body)};
}

// Serves GET /events from a script, one connection at a time. Connections past the end of
// the script get 200 and are held open. Records every request target.
class ScriptedEventServer {
 public:
  explicit ScriptedEventServer(std::vector<ScriptedConnection> script)
      : script_(std::move(script)) {
    char dir_template[] = "/tmp/madre-events-test-XXXXXX";
    dir_ = mkdtemp(dir_template);
    path_ = dir_ + "/docker.sock";
    EXPECT_EQ(pipe2(wake_, O_CLOEXEC), 0);
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path_.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~ScriptedEventServer() {
    EXPECT_EQ(write(wake_[1], "x", 1), 1);
    thread_.join();
    close(listen_fd_);
    close(wake_[0]);
    close(wake_[1]);
    std::filesystem::remove_all(dir_);
  }

  std::string docker_host() const { return "unix://" + path_; }
  std::vector<std::string> targets() const {
    std::lock_guard lock(mu_);
    return targets_;
  }

 private:
  // Waits until `fd` is readable; false when the server is stopping.
  bool WaitReadable(int fd) {
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(fds, 2, -1) <= 0) return false;
    return (fds[1].revents & POLLIN) == 0;
  }

  void Serve() {
    for (std::size_t n = 0;; ++n) {
      if (!WaitReadable(listen_fd_)) return;
      int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) return;
      bool go_on = Handle(fd, n < script_.size() ? script_[n] : Hold());
      close(fd);
      if (!go_on) return;
    }
  }

  bool Handle(int fd, const ScriptedConnection& connection) {
    std::string head;
    char buf[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (!WaitReadable(fd)) return false;
      ssize_t n = read(fd, buf, sizeof(buf));
      if (n <= 0) return true;
      head.append(buf, static_cast<std::size_t>(n));
    }
    std::size_t start = head.find(' ') + 1;
    {
      std::lock_guard lock(mu_);
      targets_.push_back(head.substr(start, head.find(' ', start) - start));
    }
    if (connection.status != 200) {
      return Send(fd, "HTTP/1.1 " + std::to_string(connection.status) +
                          " Oops\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(connection.error_body.size()) +
                          "\r\nConnection: close\r\n\r\n" + connection.error_body);
    }
    std::string reply =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (const std::string& line : connection.lines) {
      char size[16];
      std::snprintf(size, sizeof(size), "%zx\r\n", line.size() + 1);
      reply += size + line + "\n\r\n";
    }
    switch (connection.end) {
      case ScriptedConnection::End::kHold:
        if (!Send(fd, reply)) return true;
        while (WaitReadable(fd)) {
          if (read(fd, buf, sizeof(buf)) <= 0) return true;  // the client left
        }
        return false;
      case ScriptedConnection::End::kClose:
        return Send(fd, reply + "0\r\n\r\n");
      case ScriptedConnection::End::kDrop:
        return Send(fd, reply + "40\r\n{\"half\":");
    }
    return true;
  }

  static bool Send(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      ssize_t n = send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return true;  // the client left; serve the next connection
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  std::vector<ScriptedConnection> script_;
  std::string dir_;
  std::string path_;
  int listen_fd_ = -1;
  int wake_[2] = {-1, -1};
  std::thread thread_;
  mutable std::mutex mu_;
  std::vector<std::string> targets_;
};

// A line as dockerd writes it, with only the fields the parser reads.
std::string EventLine(const std::string& id, const std::string& action, std::int64_t time_nano,
                      std::string_view project = kProject) {
  return R"js({"Type":"container","Action":")js" + action + R"js(","Actor":{"ID":")js" + id +
         R"js(","Attributes":{"com.docker.compose.project":")js" + std::string(project) +
         R"js(","com.docker.compose.service":"svc-)js" + id + R"js(","name":"c-)js" + id +
         R"js("}},"time":)js" + std::to_string(time_nano / 1'000'000'000) + R"js(,"timeNano":)js" +
         std::to_string(time_nano) + "}";
}

constexpr std::int64_t kT1 = 1795489207'000000001;
constexpr std::int64_t kT2 = 1795489208'500000000;
constexpr std::int64_t kT3 = 1795489209'250000000;

// Collects what the stream reports; tests wait on it with a bound.
class Recorder {
 public:
  void OnEvent(DockerEvent event) {
    std::lock_guard lock(mu_);
    events_.push_back(event.action + " " + event.container_id);
    cv_.notify_all();
  }
  void OnState(bool connected, std::string detail) {
    std::lock_guard lock(mu_);
    states_.push_back((connected ? "up" : "down: ") + detail);
    cv_.notify_all();
  }
  void OnSleep(Duration delay) {
    std::unique_lock lock(mu_);
    sleeps_.push_back(delay);
    cv_.notify_all();
    // Past the expected reconnections, hold the stream here instead of letting it spin.
    if (sleeps_.size() >= sleeps_before_blocking_) {
      cv_.wait_for(lock, kWaitLimit, [this] { return released_; });
    }
  }
  void BlockAfterSleeps(std::size_t count) { sleeps_before_blocking_ = count; }
  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  // Waits (bounded) until `done` holds; returns it.
  bool WaitFor(const std::function<bool(const Recorder&)>& done) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWaitLimit, [&] { return done(*this); });
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<std::string> states() const {
    std::lock_guard lock(mu_);
    return states_;
  }
  std::vector<Duration> sleeps() const {
    std::lock_guard lock(mu_);
    return sleeps_;
  }

  // Unlocked views for WaitFor predicates (called with the lock held).
  std::size_t event_count() const { return events_.size(); }
  std::size_t state_count() const { return states_.size(); }
  std::size_t sleep_count() const { return sleeps_.size(); }
  std::size_t ups() const {
    std::size_t n = 0;
    for (const std::string& s : states_) n += s == "up" ? 1 : 0;
    return n;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  std::vector<std::string> states_;
  std::vector<Duration> sleeps_;
  std::size_t sleeps_before_blocking_ = 1000;
  bool released_ = false;
};

// True once thread `tid` of this process sits in an epoll_wait (or epoll_pwait) with no
// timeout, i.e. idle until a socket wakes it (bounded busy wait on /proc/self/task/TID/syscall:
// "NR epfd events maxevents timeout ..." on x86_64). This is how a test knows that a Stop()
// finds the stream idle in a read instead of about to look at the stop flag anyway, and that
// an idle stream wakes for nothing.
bool WaitUntilBlockedWithoutTimeout(pid_t tid) {
  std::string path = "/proc/self/task/" + std::to_string(tid) + "/syscall";
  SteadyClock::time_point give_up = SteadyClock::now() + kWaitLimit;
  while (SteadyClock::now() < give_up) {
    std::ifstream file(path);
    long number = -1;
    std::string epfd, events, maxevents, timeout;
    file >> number >> epfd >> events >> maxevents >> timeout;
    bool epoll = false;
#ifdef SYS_epoll_wait
    epoll = epoll || number == SYS_epoll_wait;
#endif
#ifdef SYS_epoll_pwait
    epoll = epoll || number == SYS_epoll_pwait;
#endif
    // The timeout is an int: -1 shows as 0xffffffff or 0xffffffffffffffff.
    if (epoll && timeout.size() >= 10 && timeout.find_first_not_of("0xf") == std::string::npos) {
      return true;
    }
    std::this_thread::yield();
  }
  return false;
}

class DockerEventStreamTest : public ::testing::Test {
 protected:
  ~DockerEventStreamTest() override { StopStream(); }

  void StartStream(const std::string& docker_host, Duration reconnect_max = Seconds(5)) {
    stream_ = std::make_unique<DockerEventStream>(
        DockerEventStreamOptions{.docker_host = docker_host,
                                 .project = std::string(kProject),
                                 .reconnect_min = Millis(200),
                                 .reconnect_max = reconnect_max,
                                 .sleep = [this](Duration d) { recorder_.OnSleep(d); }});
    stream_->Start([this](DockerEvent e) { recorder_.OnEvent(std::move(e)); },
                   [this](bool up, std::string why) { recorder_.OnState(up, std::move(why)); });
  }
  void StopStream() {
    recorder_.Release();
    if (stream_) stream_->Stop();
  }

  Recorder recorder_;
  std::unique_ptr<DockerEventStream> stream_;
};

TEST_F(DockerEventStreamTest, DeliversEventsInOrderAfterReportingTheConnection) {
  ScriptedEventServer server({Hold(
      {EventLine("a", "create", kT1), EventLine("a", "start", kT2), EventLine("a", "die", kT3)})});
  StartStream(server.docker_host());
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.event_count() == 3; }));
  EXPECT_THAT(recorder_.events(), ElementsAre("create a", "start a", "die a"));
  EXPECT_THAT(recorder_.states(), ElementsAre("up"));
  ASSERT_THAT(server.targets(), SizeIs(1));
  EXPECT_EQ(server.targets()[0], EventsTarget(kProject, 0));  // no since= on the first request
}

TEST_F(DockerEventStreamTest, ReportsTheConnectionBeforeAnyEventArrives) {
  ScriptedEventServer server({Hold()});
  StartStream(server.docker_host());
  EXPECT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.ups() == 1; }));
  EXPECT_THAT(recorder_.events(), testing::IsEmpty());
}

TEST_F(DockerEventStreamTest, SkipsGarbageExecNoiseAndOtherProjects) {
  ScriptedEventServer server({Hold({
      "this is not json",
      std::string(event_samples::kNetworkLine),
      std::string(event_samples::kExecStartLine),
      EventLine("x", "exec_die", kT1),
      EventLine("other", "start", kT1, "another-project"),
      R"js({"Action":"start"})js",
      EventLine("a", "health_status: healthy", kT2),
  })});
  StartStream(server.docker_host());
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.event_count() >= 1; }));
  EXPECT_THAT(recorder_.events(), ElementsAre("health_status a"));
}

// VX11_PROVIDER=swarm: the stack's task containers and services, the rest left out.
TEST_F(DockerEventStreamTest, AStackGivesItsTasksAndServicesEvents) {
  ScriptedEventServer server({Hold({
      std::string(event_samples::kStartLine),  // a compose container
      std::string(event_samples::kSwarmServiceUpdateLine),
      std::string(event_samples::kExecStartLine),
      std::string(event_samples::kSwarmTaskDestroyLine),
      std::string(event_samples::kSwarmTaskDieLine),
  })});
  stream_ = std::make_unique<DockerEventStream>(
      DockerEventStreamOptions{.docker_host = server.docker_host(),
                               .project = "evcap",
                               .swarm_stack = true,
                               .reconnect_min = Millis(200),
                               .reconnect_max = Seconds(5),
                               .sleep = [this](Duration d) { recorder_.OnSleep(d); }});
  stream_->Start([this](DockerEvent e) { recorder_.OnEvent(std::move(e)); },
                 [this](bool up, std::string why) { recorder_.OnState(up, std::move(why)); });
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.event_count() >= 2; }));
  EXPECT_THAT(recorder_.events(), ElementsAre("service_update qm9xvyl46cepv5szitn3hrzlh",
                                              "die qm9xvyl46cepv5szitn3hrzlh"));
  ASSERT_THAT(server.targets(), SizeIs(1));
  EXPECT_EQ(server.targets()[0], EventsTarget("evcap", 0, /*swarm_stack=*/true));
}

TEST_F(DockerEventStreamTest, ReconnectsAfterTheServerDropsAndAsksSinceTheLastEvent) {
  ScriptedEventServer server({
      Drop({EventLine("a", "start", kT1), EventLine("b", "start", kT2)}),
      // dockerd replays the events at exactly `since=`: "b start" must not come twice.
      Hold({EventLine("b", "start", kT2), EventLine("b", "die", kT3)}),
  });
  StartStream(server.docker_host());
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.event_count() == 3; }));
  EXPECT_THAT(recorder_.events(), ElementsAre("start a", "start b", "die b"));
  EXPECT_THAT(recorder_.states(),
              ElementsAre("up", AllOf(HasSubstr("down: "), HasSubstr("lost")), "up"));
  EXPECT_THAT(recorder_.sleeps(), ElementsAre(Millis(200)));
  std::vector<std::string> targets = server.targets();
  ASSERT_THAT(targets, SizeIs(2));
  EXPECT_THAT(targets[0], Not(HasSubstr("since=")));
  EXPECT_EQ(targets[1], EventsTarget(kProject, kT2));
  EXPECT_THAT(targets[1], EndsWith("&since=1795489208.500000000"));
}

TEST_F(DockerEventStreamTest, ReconnectsAfterACleanEndAndAsksSinceTheFirstConnection) {
  ScriptedEventServer server({Close()});
  std::int64_t before = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  StartStream(server.docker_host());
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.ups() == 2; }));
  EXPECT_THAT(recorder_.states(), ElementsAre("up", "down: docker closed the event stream", "up"));
  std::vector<std::string> targets = server.targets();
  ASSERT_THAT(targets, SizeIs(2));
  std::size_t since = targets[1].find("&since=");
  ASSERT_NE(since, std::string::npos) << targets[1];
  // "<seconds>.<9 digits>", not earlier than the test's start.
  std::string value = targets[1].substr(since + 7);
  ASSERT_EQ(value.size(), 20u) << value;
  EXPECT_GE(std::stoll(value.substr(0, 10)) * 1'000'000'000 + std::stoll(value.substr(11)), before);
}

TEST_F(DockerEventStreamTest, BacksOffDoublingAndResetsAfterAConnection) {
  ScriptedConnection refusal = Refuse(500, R"js({"message":"boom"})js");
  ScriptedEventServer server(
      {refusal, refusal, refusal, Close({EventLine("a", "start", kT1)}), refusal});
  StartStream(server.docker_host());
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.ups() == 2; }));
  EXPECT_THAT(recorder_.sleeps(),
              ElementsAre(Millis(200), Millis(400), Millis(800), Millis(200), Millis(400)));
  std::vector<std::string> states = recorder_.states();
  ASSERT_THAT(states, SizeIs(7));
  EXPECT_EQ(states[0], "down: docker answered HTTP 500 to the event stream: boom");
  EXPECT_EQ(states[3], "up");
  EXPECT_EQ(states[4], "down: docker closed the event stream");
  EXPECT_EQ(states[6], "up");
  EXPECT_THAT(recorder_.events(), ElementsAre("start a"));
}

TEST_F(DockerEventStreamTest, BackOffIsCappedAtReconnectMax) {
  ScriptedConnection refusal = Refuse(503, "{}");
  ScriptedEventServer server({refusal, refusal, refusal, refusal});
  StartStream(server.docker_host(), /*reconnect_max=*/Millis(500));
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.ups() == 1; }));
  EXPECT_THAT(recorder_.sleeps(), ElementsAre(Millis(200), Millis(400), Millis(500), Millis(500)));
}

TEST_F(DockerEventStreamTest, KeepsRetryingWhileTheSocketIsMissing) {
  recorder_.BlockAfterSleeps(3);
  StartStream("unix:///tmp/madre-no-such-dir/docker.sock");
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.sleep_count() == 3; }));
  EXPECT_THAT(recorder_.sleeps(), ElementsAre(Millis(200), Millis(400), Millis(800)));
  EXPECT_THAT(recorder_.states(), SizeIs(3));
  for (const std::string& state : recorder_.states()) {
    EXPECT_THAT(state, StartsWith("down: docker event stream unavailable: "));
  }
}

TEST_F(DockerEventStreamTest, ADockerHostThatIsNotUnixIsReportedOnceAndNeverTried) {
  StartStream("tcp://127.0.0.1:2375");
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.state_count() == 1; }));
  stream_->Stop();  // the thread already ended; Stop still joins it
  EXPECT_THAT(recorder_.states(), ElementsAre(HasSubstr("unix")));
  EXPECT_THAT(recorder_.sleeps(), testing::IsEmpty());
}

TEST_F(DockerEventStreamTest, StopReturnsPromptlyWhileConnectedAndIdle) {
  ScriptedEventServer server({Hold()});
  std::atomic<pid_t> stream_thread{0};
  DockerEventStream stream({.docker_host = server.docker_host(),
                            .project = std::string(kProject),
                            .reconnect_min = Millis(200),
                            .reconnect_max = Seconds(5),
                            .sleep = [](Duration) {}});
  stream.Start([](DockerEvent) {},
               [&](bool up, std::string why) {
                 stream_thread = gettid();
                 recorder_.OnState(up, std::move(why));
               });
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.ups() == 1; }));
  ASSERT_TRUE(WaitUntilBlockedWithoutTimeout(stream_thread));
  stream.Stop();  // it would wait for ever (ctest's timeout fails the test) if not woken
  EXPECT_THAT(recorder_.states(), ElementsAre("up"));  // a stop is not reported as a loss
  stream.Stop();                                       // idempotent
}

TEST_F(DockerEventStreamTest, StopCutsARealBackOffWaitShort) {
  ScriptedConnection refusal = Refuse(500, "{}");
  ScriptedEventServer server({refusal});
  // No injected sleep: the real, interruptible wait, here of an hour: a Stop that did not cut
  // it short would hang the test until ctest's timeout.
  DockerEventStream stream({.docker_host = server.docker_host(),
                            .project = std::string(kProject),
                            .reconnect_min = Seconds(3600),
                            .reconnect_max = Seconds(3600),
                            .sleep = {}});
  stream.Start([](DockerEvent) {},
               [this](bool up, std::string why) { recorder_.OnState(up, std::move(why)); });
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.state_count() == 1; }));
  stream.Stop();
}

TEST_F(DockerEventStreamTest, CanBeStartedAgainAfterStop) {
  ScriptedEventServer server({Hold({EventLine("a", "start", kT1)}),
                              Hold({EventLine("a", "start", kT1), EventLine("a", "stop", kT2)})});
  StartStream(server.docker_host());
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.event_count() == 1; }));
  stream_->Stop();
  stream_->Start([this](DockerEvent e) { recorder_.OnEvent(std::move(e)); },
                 [this](bool up, std::string why) { recorder_.OnState(up, std::move(why)); });
  ASSERT_TRUE(recorder_.WaitFor([](const Recorder& r) { return r.event_count() == 2; }));
  EXPECT_THAT(recorder_.events(), ElementsAre("start a", "stop a"));
  EXPECT_EQ(server.targets().back(), EventsTarget(kProject, kT1));
}

}  // namespace
}  // namespace madre
