#include "cli/events_command.h"

#include <nlohmann/json.hpp>

#include "adapters/httpclient/http_client.h"
#include "cli/api_client.h"
#include "cli/exit_codes.h"

namespace madre::cli {

using nlohmann::json;

void SseParser::Feed(std::string_view chunk) {
  buffer_.append(chunk);
  std::size_t start = 0;
  for (;;) {
    const std::size_t nl = buffer_.find('\n', start);
    if (nl == std::string::npos) break;
    std::string line = buffer_.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    Line(line);
    start = nl + 1;
  }
  buffer_.erase(0, start);
}

void SseParser::Line(const std::string& line) {
  if (line.empty()) {  // end of one event
    if (!data_.empty()) on_event_(event_.empty() ? "message" : event_, data_);
    event_.clear();
    data_.clear();
    return;
  }
  if (line[0] == ':') return;  // comment
  const auto colon = line.find(':');
  const std::string field = line.substr(0, colon);
  std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
  if (!value.empty() && value[0] == ' ') value.erase(0, 1);
  if (field == "event") event_ = value;
  if (field == "data") data_ += (data_.empty() ? "" : "\n") + value;
}

std::string FormatEventLine(const std::string& event, const std::string& data) {
  json body = json::parse(data, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return event + " " + data;
  auto str = [&](const char* key) {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (event == "window") {
    std::string services;
    if (body.contains("services") && body["services"].is_array()) {
      for (const auto& s : body["services"]) {
        if (!s.is_string()) continue;
        if (!services.empty()) services += ", ";
        services += s.get<std::string>();
      }
    }
    std::string line = "window " + str("window_id") + " " + str("state") + " (" + services + ")";
    if (!str("close_reason").empty()) line += " " + str("close_reason");
    if (body.contains("ttl_remaining_sec") && body["ttl_remaining_sec"].is_number_integer()) {
      line += " ttl " + std::to_string(body["ttl_remaining_sec"].get<long long>()) + "s";
    }
    return line;
  }
  if (event == "container") {
    std::string line = "container " + str("service") + " " + str("action");
    if (body.contains("exit_code") && body["exit_code"].is_number_integer()) {
      line += " (exit code " + std::to_string(body["exit_code"].get<int>()) + ")";
    }
    if (!str("health").empty()) line += " " + str("health");
    return line;
  }
  if (event == "intent") {  // "intent intent-1 build approved (by ops@10.0.0.2): detail"
    std::string line = "intent " + str("intent_id") + " " + str("type") + " " + str("state");
    if (!str("decided_by").empty() && str("state") != "pending") {
      line += " (by " + str("decided_by") + ")";
    }
    const std::string why = !str("detail").empty() ? str("detail") : str("reason");
    if (!why.empty()) line += ": " + why;
    return line;
  }
  return event + " " + data;
}

int RunEvents(CommandContext& ctx, std::optional<int> max_events) {
  const std::string url = ctx.connection().url + "/madre/power/events";
  Result<ParsedHttpUrl> parsed = ParseHttpUrl(url);
  if (!parsed.ok()) return ctx.Fail(kExitUsage, parsed.status().message());
  HttpCancel cancel;  // ends the stream once enough events were printed
  int printed = 0;
  bool done = false;
  SseParser parser([&](const std::string& event, const std::string& data) {
    if (done) return;
    if (ctx.json()) {
      ctx.out() << data << "\n";
    } else {
      ctx.out() << FormatEventLine(event, data) << "\n";
    }
    ctx.out().flush();
    if (max_events && ++printed >= *max_events) {
      done = true;
      cancel.Cancel();
    }
  });
  HttpClientRequest request;
  request.target = parsed->target;
  request.host = parsed->host_header;
  request.headers = {{"X-VX11-Token", ctx.connection().token}, {"Accept", "text/event-stream"}};
  int status = 0;
  std::string error_body;
  Status ended = HttpStream(parsed->endpoint, request, Seconds(10),
                            {.on_head = [&](int s) { status = s; },
                             .on_data =
                                 [&](std::string_view data) {
                                   if (status == 200) {
                                     parser.Feed(data);
                                   } else if (error_body.size() < 4096) {
                                     error_body.append(data);
                                   }
                                 }},
                            &cancel);
  if (done) return kExitOk;
  if (status != 0 && status != 200) {
    nlohmann::json body = nlohmann::json::parse(error_body, nullptr, false);
    return ctx.Fail(
        ExitCodeForHttpStatus(status),
        "events: " + ErrorDetail(status, body.is_discarded() ? nullptr : body, error_body));
  }
  if (!ended.ok()) {
    return ctx.Fail(ExitCodeForTransportError(ended), "events: " + url + ": " + ended.message());
  }
  return kExitOk;  // the server ended the stream (madre stopped)
}

}  // namespace madre::cli
