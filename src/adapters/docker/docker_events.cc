#include "adapters/docker/docker_events.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "adapters/docker/docker_event_parse.h"
#include "adapters/docker/docker_parse.h"
#include "base/status.h"

namespace madre {
namespace {

constexpr std::size_t kMaxErrorBodyBytes = 4096;
constexpr Duration kConnectTimeout = Seconds(5);  // until the answer's headers

std::int64_t WallNanosNow() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string EventKey(const DockerEvent& event) {
  return event.container_id + '|' + event.action + '|' + event.health;
}

}  // namespace

struct DockerEventStream::Transfer {
  explicit Transfer(DockerEventStream& stream) : self(&stream) {}

  DockerEventStream* self;
  int status = 0;
  bool answered_200 = false;
  std::string error_body;
  LineSplitter lines;

  void OnHead(int http_status) {
    status = http_status;
    if (status != 200) return;
    answered_200 = true;
    if (self->first_connection_nano_ == 0) self->first_connection_nano_ = WallNanosNow();
    self->on_state_(true, "");
  }

  void OnBody(std::string_view data) {
    if (!answered_200) {  // an error answer: keep the start of it for the message
      std::size_t room = kMaxErrorBodyBytes - std::min(kMaxErrorBodyBytes, error_body.size());
      error_body.append(data.substr(0, room));
      return;
    }
    lines.Append(data, [this](std::string_view line) { self->OnLine(line); });
  }
};

DockerEventStream::DockerEventStream(DockerEventStreamOptions options)
    : options_(std::move(options)) {}

DockerEventStream::~DockerEventStream() { Stop(); }

void DockerEventStream::Start(std::function<void(DockerEvent)> on_event,
                              std::function<void(bool connected, std::string detail)> on_state) {
  MADRE_CHECK_MSG(!thread_.joinable(), "DockerEventStream started twice");
  on_event_ = std::move(on_event);
  on_state_ = std::move(on_state);
  stopping_.store(false, std::memory_order_release);
  cancel_.Reset();
  Result<std::string> socket_path = UnixSocketPathFromDockerHost(options_.docker_host);
  thread_ = std::thread([this, socket_path = std::move(socket_path)] {
    if (!socket_path.ok()) {
      on_state_(false, "docker event stream: " + socket_path.status().message());
      return;
    }
    Run(*socket_path);
  });
}

void DockerEventStream::Stop() {
  stopping_.store(true, std::memory_order_release);
  {
    std::lock_guard lock(wait_mu_);  // a waiter checks `stopping_` under this mutex
  }
  wait_cv_.notify_all();
  cancel_.Cancel();
  if (thread_.joinable()) thread_.join();
}

void DockerEventStream::Run(const std::string& socket_path) {
  Duration delay = options_.reconnect_min;
  while (!stopping()) {
    bool answered_200 = false;
    std::string why = Follow(socket_path, answered_200);
    if (stopping()) return;
    if (answered_200) delay = options_.reconnect_min;
    on_state_(false, std::move(why));
    Wait(delay);
    delay = std::min(delay * 2, options_.reconnect_max);
  }
}

std::string DockerEventStream::Follow(const std::string& socket_path, bool& answered_200) {
  Transfer transfer(*this);
  HttpClientRequest request;
  request.target = EventsTarget(options_.project, SinceNano(), options_.swarm_stack);
  Status ended =
      HttpStream(HttpEndpoint::Unix(socket_path), request, kConnectTimeout,
                 {.on_head = [&transfer](int status) { transfer.OnHead(status); },
                  .on_data = [&transfer](std::string_view data) { transfer.OnBody(data); }},
                 &cancel_);
  answered_200 = transfer.answered_200;
  if (transfer.status != 0 && transfer.status != 200) {
    return "docker answered HTTP " + std::to_string(transfer.status) +
           " to the event stream: " + EngineErrorMessage(transfer.error_body);
  }
  if (!ended.ok()) {
    return (transfer.answered_200 ? "docker event stream lost: "
                                  : "docker event stream unavailable: ") +
           ended.message();
  }
  return "docker closed the event stream";
}

void DockerEventStream::OnLine(std::string_view line) {
  Result<DockerEvent> parsed = Status::Internal("not parsed");
  if (options_.swarm_stack) {
    Result<std::optional<DockerEvent>> stack_event = ParseStackEvent(line, options_.project);
    if (!stack_event.ok() || !*stack_event) return;  // not one of the stack's
    parsed = std::move(**stack_event);
  } else {
    parsed = ParseDockerEvent(line);
  }
  if (!parsed.ok()) return;  // not an event we understand: skip it
  DockerEvent& event = *parsed;
  std::string key = EventKey(event);
  if (event.time_nano == latest_event_nano_) {
    if (std::find(keys_at_latest_.begin(), keys_at_latest_.end(), key) != keys_at_latest_.end()) {
      return;  // replayed by `since=`: already delivered
    }
    keys_at_latest_.push_back(std::move(key));
  } else if (event.time_nano > latest_event_nano_) {
    latest_event_nano_ = event.time_nano;
    keys_at_latest_.assign(1, key);
  }
  if (IsExecAction(event.action)) return;
  if (!options_.project.empty() && event.project != options_.project) return;
  on_event_(std::move(event));
}

std::int64_t DockerEventStream::SinceNano() const {
  return latest_event_nano_ > 0 ? latest_event_nano_ : first_connection_nano_;
}

void DockerEventStream::Wait(Duration delay) {
  if (options_.sleep) {
    options_.sleep(delay);
    return;
  }
  std::unique_lock lock(wait_mu_);
  wait_cv_.wait_for(lock, delay, [this] { return stopping(); });
}

}  // namespace madre
