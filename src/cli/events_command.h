// `madre events`: follows GET /madre/power/events (Server-Sent Events).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "cli/command_context.h"

namespace madre::cli {

// Splits an SSE byte stream into events. Feed it chunks as they arrive; it
// calls `on_event(event_name, data)` for each complete event.
class SseParser {
 public:
  explicit SseParser(std::function<void(const std::string&, const std::string&)> on_event)
      : on_event_(std::move(on_event)) {}
  void Feed(std::string_view chunk);

 private:
  void Line(const std::string& line);
  std::function<void(const std::string&, const std::string&)> on_event_;
  std::string buffer_;
  std::string event_;
  std::string data_;
};

// One human line for an event: "window 1a2b... open (switch, hermes)".
std::string FormatEventLine(const std::string& event, const std::string& data);

// Streams until the server ends it, `max_events` events were printed, or an error.
int RunEvents(CommandContext& ctx, std::optional<int> max_events);

}  // namespace madre::cli
