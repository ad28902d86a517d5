// DockerEventSource over the Engine API: GET /v1.41/events on the unix socket (Beast, see
// adapters/httpclient), one dedicated thread, reconnection with back-off and `since=`.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/httpclient/http_client.h"
#include "base/time.h"
#include "ports/docker_event_source.h"

namespace madre {

struct DockerEventStreamOptions {
  std::string docker_host = "unix:///var/run/docker.sock";  // DOCKER_HOST; only unix://
  std::string project;  // compose project; "" follows every container (tests only)
  // `project` is a swarm stack (VX11_PROVIDER=swarm): its tasks' container events and its
  // services' events, decoded by ParseStackEvent.
  bool swarm_stack = false;
  Duration reconnect_min = Millis(200);
  Duration reconnect_max = Seconds(5);
  // Waits between reconnections. Empty: a real wait that Stop() cuts short. Tests inject a
  // function that records the delays and returns at once.
  std::function<void(Duration)> sleep;
};

// Follows the container events of one compose project (or the task and service events of one
// swarm stack: `swarm_stack`) on its own thread.
//
// Delivery: events come in the order dockerd sent them. exec_* events (every run of a
// healthcheck makes three) and events of another project are dropped. After a reconnection
// the request carries `since=` the last event seen (or, before any event, the time of the
// first connection), so events that happened while disconnected are delivered; the replayed
// events already delivered are not delivered twice.
//
// State: `on_state(true, "")` when a connection answers 200 (headers received, before any
// event), `on_state(false, why)` when a connection attempt fails or an open stream ends, then
// a wait of reconnect_min doubling up to reconnect_max (back to reconnect_min after a
// connection that answered 200). Stop() is not reported as a loss. A DOCKER_HOST that is not
// unix:// is reported once with on_state(false, ...) and the thread ends.
//
// Threads: Start/Stop from any thread but not from inside the callbacks (Stop joins the
// callback thread). The callbacks run on the stream's thread, one at a time.
class DockerEventStream final : public DockerEventSource {
 public:
  explicit DockerEventStream(DockerEventStreamOptions options);
  ~DockerEventStream() override;  // Stop()
  DockerEventStream(const DockerEventStream&) = delete;
  DockerEventStream& operator=(const DockerEventStream&) = delete;

  // DockerEventSource. Start after Stop starts again; Start while running is a bug (CHECK).
  // Stop interrupts a blocked read or back-off wait at once (HttpCancel).
  void Start(std::function<void(DockerEvent)> on_event,
             std::function<void(bool connected, std::string detail)> on_state) override;
  void Stop() override;

 private:
  struct Transfer;  // one connection's state, defined in the .cc

  void Run(const std::string& socket_path);
  // One connection, until it ends or Stop(). Returns why it ended; sets `answered_200`.
  std::string Follow(const std::string& socket_path, bool& answered_200);
  void OnLine(std::string_view line);
  void Wait(Duration delay);
  bool stopping() const { return stopping_.load(std::memory_order_acquire); }

  DockerEventStreamOptions options_;
  std::function<void(DockerEvent)> on_event_;
  std::function<void(bool, std::string)> on_state_;
  HttpCancel cancel_;  // Stop() ends the connection in progress, or the next one at once
  std::atomic<bool> stopping_{false};
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;
  std::thread thread_;

  // Stream thread only.
  // `since=` of the next connection is the latest event time delivered or, before any event,
  // the time of the first connection (0: none). dockerd replays the events at exactly
  // `since=`, so the keys of those already delivered are kept to drop the replays.
  std::int64_t SinceNano() const;
  std::int64_t first_connection_nano_ = 0;
  std::int64_t latest_event_nano_ = 0;
  std::vector<std::string> keys_at_latest_;
};

}  // namespace madre
