#include "http_api/event_hub.h"

#include "api/intent_view.h"
#include "api/json_codec.h"
#include "api/views.h"

namespace madre {

EventHub::EventHub(Engine& engine, std::string stop_strategy)
    : engine_(engine), stop_strategy_(std::move(stop_strategy)) {}

void EventHub::Subscribe(Responder respond) {
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = [this](StreamWriter writer) {
    // Runs on the io thread, which is the engine thread: the state can be read here.
    if (!writer(": madre events\n\n")) return;
    const TimePoint now = engine_.Now();
    for (const auto& [id, window] : engine_.Snapshot().windows) {
      if (!writer("event: window\ndata: " + Dump(WindowView(window, now, stop_strategy_)) +
                  "\n\n")) {
        return;
      }
    }
    subscribers_.push_back(std::move(writer));
  };
  respond(std::move(response));
}

void EventHub::Broadcast(const std::string& event, const std::string& data) {
  const std::string chunk = "event: " + event + "\ndata: " + data + "\n\n";
  std::erase_if(subscribers_, [&](StreamWriter& writer) { return !writer(chunk); });
}

void EventHub::PublishWindow(const Window& window) {
  if (subscribers_.empty()) return;
  Broadcast("window", Dump(WindowView(window, engine_.Now(), stop_strategy_)));
}

void EventHub::PublishDockerEvent(const DockerEvent& event) {
  if (subscribers_.empty()) return;
  Broadcast("container", Dump(DockerEventView(event)));
}

void EventHub::PublishIntent(const Intent& intent) {
  if (subscribers_.empty()) return;
  Broadcast("intent", Dump(IntentView(intent)));
}

}  // namespace madre
