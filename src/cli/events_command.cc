#include "cli/events_command.h"

#include <curl/curl.h>

#include <nlohmann/json.hpp>

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
  return event + " " + data;
}

namespace {

struct StreamState {
  CommandContext* ctx;
  SseParser* parser;
  std::optional<int> max_events;
  int printed = 0;
  bool done = false;
};

size_t OnData(char* data, size_t size, size_t n, void* user) {
  auto* state = static_cast<StreamState*>(user);
  state->parser->Feed(std::string_view(data, size * n));
  return state->done ? 0 : size * n;  // 0 ends the transfer once enough was printed
}

}  // namespace

int RunEvents(CommandContext& ctx, std::optional<int> max_events) {
  InitCurlOnce();
  CURL* curl = curl_easy_init();
  if (!curl) return ctx.Fail(kExitError, "cannot initialise libcurl");
  StreamState state{&ctx, nullptr, max_events};
  SseParser parser([&](const std::string& event, const std::string& data) {
    if (state.done) return;
    if (ctx.json()) {
      ctx.out() << data << "\n";
    } else {
      ctx.out() << FormatEventLine(event, data) << "\n";
    }
    ctx.out().flush();
    if (state.max_events && ++state.printed >= *state.max_events) state.done = true;
  });
  state.parser = &parser;
  const std::string url = ctx.connection().url + "/madre/power/events";
  curl_slist* headers = nullptr;
  const std::string token_header = "X-VX11-Token: " + ctx.connection().token;
  headers = curl_slist_append(headers, token_header.c_str());
  headers = curl_slist_append(headers, "Accept: text/event-stream");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  curl_write_callback write = OnData;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &state);
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (state.done) return kExitOk;
  if (status == 401 || status == 403) return ctx.Fail(kExitAuth, "events: HTTP " + std::to_string(status));
  if (rc == CURLE_COULDNT_CONNECT) return ctx.Fail(kExitNoConnect, "cannot connect to madre at " + url);
  if (rc != CURLE_OK) return ctx.Fail(kExitError, std::string("events: ") + curl_easy_strerror(rc));
  return kExitOk;  // the server ended the stream (madre stopped)
}

}  // namespace madre::cli
