// Service flows: requests that must work once a service is up, which the conductor runs as
// phases of their own (`flow:<service>:<name>`). Declared beside the services as compose labels
//   vx11.flow.<name>.request       "GET http://127.0.0.1:8002/switch/state" (method and URL)
//   vx11.flow.<name>.expect_status "200,404" (default 200)
//   vx11.flow.<name>.expect_body   "contains:TEXT" or "json:/pointer=VALUE" (optional)
//   vx11.flow.<name>.timeout_ms    the longest the answer may take (default 5000)
//   vx11.flow.<name>.body          a JSON body (POST and PUT only)
// or, for flows of several steps, in a conductor flows file (cli/flows_file.h). Targets are
// loopback only. Pure: parsing, matching, captures; cli/flow_runner.h sends the requests.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "core/model.h"

namespace madre {

// What an answer's body must show: `contains:TEXT`, or `json:/pointer=VALUE` (the body is JSON
// and the value at the RFC 6901 pointer equals VALUE, read as JSON when it parses as JSON,
// else as a string).
struct BodyExpect {
  enum class Kind { kContains, kJson };
  Kind kind = Kind::kContains;
  std::string text;     // kContains
  std::string pointer;  // kJson
  nlohmann::json value;
  std::string source;  // as written
  friend bool operator==(const BodyExpect&, const BodyExpect&) = default;
};

Result<BodyExpect> ParseBodyExpect(std::string_view text);
// True when `body` matches; else false with `*why` saying what was found instead.
bool MatchBody(const BodyExpect& expect, std::string_view body, std::string* why);

// A value taken from an answer for later steps: `json:/pointer` (a string as it is, any other
// JSON value as its text).
Result<std::string> CaptureValue(std::string_view spec, std::string_view body);

struct FlowStep {
  std::string method = "GET";  // GET, POST, PUT, DELETE, HEAD
  std::string url;             // may hold ${name} of an earlier capture
  std::string body;            // JSON (POST/PUT), may hold ${name}
  std::vector<int> expect_status = {200};
  std::optional<BodyExpect> expect_body;
  std::int64_t timeout_ms = 5000;
  std::map<std::string, std::string> capture;  // name -> "json:/pointer"
  // Poll: the request is sent again (every poll_ms) until its answer matches `until`, at most
  // max_polls times; the expectations apply to the last answer.
  std::optional<BodyExpect> until;
  int max_polls = 1;
  std::int64_t poll_ms = 500;
  std::string origin;  // the label or file:line it comes from, for errors
  friend bool operator==(const FlowStep&, const FlowStep&) = default;
};

struct Flow {
  std::string service;
  std::string name;
  std::vector<FlowStep> steps;
  std::string origin;  // "labels of <service>" or "<file>"
  std::string Id() const { return service + ":" + name; }
  friend bool operator==(const Flow&, const Flow&) = default;
};

// Flow names: [a-z0-9][a-z0-9_-]*, at most 63 characters.
bool IsValidFlowName(std::string_view name);

// "GET http://127.0.0.1:8002/path" -> method and URL; only http:// to 127.0.0.1, localhost or
// [::1] (a URL still holding ${name} is checked for that prefix only).
Result<std::pair<std::string, std::string>> ParseFlowRequest(std::string_view text);
// "200,404" -> {200, 404}; every code 100 to 599.
Result<std::vector<int>> ParseStatusList(std::string_view text);

// The flows a service declares in its labels (vx11.flow.<name>.*), sorted by name. A bad label
// is an error naming it; labels of other namespaces are ignored.
Result<std::vector<Flow>> FlowsFromLabels(const std::string& service,
                                          const std::map<std::string, std::string>& labels);

// `text` with every ${name} replaced by vars[name]; an unknown name is an error.
Result<std::string> Substitute(std::string_view text,
                               const std::map<std::string, std::string>& vars);

// The API's view of a flow (GET /madre/power/flows), and back (the CLI reads it).
nlohmann::json FlowToJson(const Flow& flow);
Result<Flow> FlowFromJson(const nlohmann::json& json);

// GET /madre/power/flows[?service=S]: {"flows": [FlowToJson...], "errors": ["service s: label
// ...: why"...], "health_urls": {service: its vx11.health.url}} of every service of `model`
// (or of `only` when not empty; kNotFound for a service the model lacks). A service with a bad
// flow label has its error listed and none of its flows.
Result<nlohmann::json> FlowsView(const ServiceModel& model, const std::string& only);

}  // namespace madre
