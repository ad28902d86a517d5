#include "adapters/docker/docker_events.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#include "adapters/docker/docker_event_parse.h"
#include "adapters/docker/docker_parse.h"
#include "adapters/docker/unix_http_client.h"
#include "base/status.h"

namespace madre {
namespace {

constexpr std::size_t kMaxErrorBodyBytes = 4096;
constexpr long kConnectTimeoutMs = 5000;
// curl_multi_poll's upper bound (curl shortens it for its own timers). Stop() does not wait
// for it: curl_multi_wakeup ends the poll at once.
constexpr int kPollMs = 60000;  // idle: one wake-up a minute, rarer than the resync

struct EasyDeleter {
  void operator()(CURL* easy) const { curl_easy_cleanup(easy); }
};

CURLM* Multi(void* multi) { return static_cast<CURLM*>(multi); }

// "HTTP/1.1 200 OK" -> 200; 0 for anything else.
long StatusFromStatusLine(std::string_view line) {
  if (line.substr(0, 5) != "HTTP/") return 0;
  std::size_t space = line.find(' ');
  if (space == std::string_view::npos || space + 4 > line.size()) return 0;
  long status = 0;
  for (std::size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return 0;
    status = status * 10 + (line[i] - '0');
  }
  return status;
}

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
  long status = 0;
  bool answered_200 = false;
  std::string error_body;
  LineSplitter lines;

  void OnHeaderLine(std::string_view line) {
    if (line.substr(0, 5) == "HTTP/") {
      status = StatusFromStatusLine(line);
      return;
    }
    bool end_of_head = line == "\r\n" || line == "\n";
    if (!end_of_head || status != 200 || answered_200) return;
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

  // curl callbacks; `user` is the Transfer.
  static std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<Transfer*>(user)->OnHeaderLine(std::string_view(data, size * count));
    return size * count;
  }
  static std::size_t OnData(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<Transfer*>(user)->OnBody(std::string_view(data, size * count));
    return size * count;
  }
};

DockerEventStream::DockerEventStream(DockerEventStreamOptions options)
    : options_(std::move(options)) {
  InitCurlOnce();
  multi_ = curl_multi_init();
  MADRE_CHECK_MSG(multi_ != nullptr, "curl_multi_init failed");
}

DockerEventStream::~DockerEventStream() {
  Stop();
  curl_multi_cleanup(Multi(multi_));
}

void DockerEventStream::Start(std::function<void(DockerEvent)> on_event,
                              std::function<void(bool connected, std::string detail)> on_state) {
  MADRE_CHECK_MSG(!thread_.joinable(), "DockerEventStream started twice");
  on_event_ = std::move(on_event);
  on_state_ = std::move(on_state);
  stopping_.store(false, std::memory_order_release);
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
  curl_multi_wakeup(Multi(multi_));
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
  std::unique_ptr<CURL, EasyDeleter> easy(curl_easy_init());
  if (!easy) return "docker event stream: curl_easy_init failed";
  CURL* h = easy.get();
  Transfer transfer(*this);
  std::string url = "http://localhost" + EventsTarget(options_.project, SinceNano());
  char error_buffer[CURL_ERROR_SIZE] = {};
  // Named variables: curl_easy_setopt is a type-checking macro under GCC (DEPENDENCIES §4.9).
  curl_write_callback header_callback = &Transfer::OnHeader;
  curl_write_callback body_callback = &Transfer::OnData;

  curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, socket_path.c_str());
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_callback);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, body_callback);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);

  CURLM* multi = Multi(multi_);
  CURLMcode added = curl_multi_add_handle(multi, h);
  if (added != CURLM_OK) {
    return std::string("docker event stream: ") + curl_multi_strerror(added);
  }
  std::string multi_error;
  for (;;) {
    int running = 0;
    CURLMcode mc = curl_multi_perform(multi, &running);
    if (mc == CURLM_OK && running > 0 && !stopping()) {
      mc = curl_multi_poll(multi, nullptr, 0, kPollMs, nullptr);
    }
    if (mc != CURLM_OK) multi_error = curl_multi_strerror(mc);
    if (mc != CURLM_OK || running == 0 || stopping()) break;
  }
  CURLcode rc = CURLE_OK;
  int queued = 0;
  while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
    if (message->msg == CURLMSG_DONE && message->easy_handle == h) rc = message->data.result;
  }
  curl_multi_remove_handle(multi, h);

  answered_200 = transfer.answered_200;
  if (!multi_error.empty()) return "docker event stream: " + multi_error;
  if (transfer.status != 0 && transfer.status != 200) {
    return "docker answered HTTP " + std::to_string(transfer.status) +
           " to the event stream: " + EngineErrorMessage(transfer.error_body);
  }
  if (rc != CURLE_OK) {
    std::string detail = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(rc);
    return (transfer.answered_200 ? "docker event stream lost: "
                                  : "docker event stream unavailable: ") +
           detail;
  }
  return "docker closed the event stream";
}

void DockerEventStream::OnLine(std::string_view line) {
  Result<DockerEvent> parsed = ParseDockerEvent(line);
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
    keys_at_latest_.assign(1, std::move(key));
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
