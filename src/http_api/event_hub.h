// GET /madre/power/events: Server-Sent Events to every subscriber. A new subscriber first gets
// every kept window, then each window as it changes (`event: window`), each container event of
// the project (`event: container`) and each change of an intent's state (`event: intent`, the
// intent as GET /madre/intents/{id} shows it).
// Threading: engine thread only (the HTTP server's io thread).
#pragma once

#include <string>
#include <vector>

#include "adapters/http/http_server.h"
#include "core/intent.h"
#include "engine/engine.h"

namespace madre {

class EventHub {
 public:
  EventHub(Engine& engine, std::string stop_strategy);

  // Answers the request with the event stream and subscribes it.
  void Subscribe(Responder respond);
  void PublishWindow(const Window& window);
  void PublishDockerEvent(const DockerEvent& event);
  void PublishIntent(const Intent& intent);
  std::size_t subscribers() const { return subscribers_.size(); }

 private:
  void Broadcast(const std::string& event, const std::string& data);

  Engine& engine_;
  std::string stop_strategy_;
  std::vector<StreamWriter> subscribers_;
};

}  // namespace madre
