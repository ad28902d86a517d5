// GET /madre/power/events: Server-Sent Events to every subscriber. A new subscriber first gets
// every kept window, then each window as it changes and each container event of the project.
// Threading: engine thread only (the HTTP server's io thread).
#pragma once

#include <string>
#include <vector>

#include "adapters/http/http_server.h"
#include "engine/engine.h"

namespace madre {

class EventHub {
 public:
  EventHub(Engine& engine, std::string stop_strategy);

  // Answers the request with the event stream and subscribes it.
  void Subscribe(Responder respond);
  void PublishWindow(const Window& window);
  void PublishDockerEvent(const DockerEvent& event);
  std::size_t subscribers() const { return subscribers_.size(); }

 private:
  void Broadcast(const std::string& event, const std::string& data);

  Engine& engine_;
  std::string stop_strategy_;
  std::vector<StreamWriter> subscribers_;
};

}  // namespace madre
