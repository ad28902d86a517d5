#include "api/flow.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

namespace madre {

namespace {

constexpr std::string_view kLabelPrefix = "vx11.flow.";
const std::set<std::string> kLabelKeys = {"request", "expect_status", "expect_body", "timeout_ms",
                                          "body"};
const std::set<std::string> kMethods = {"GET", "POST", "PUT", "DELETE", "HEAD"};

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::optional<std::int64_t> ParseInt(std::string_view s) {
  s = Trim(s);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The value at `pointer` in `doc`, or nullptr.
const nlohmann::json* At(const nlohmann::json& doc, const std::string& pointer) {
  try {
    const nlohmann::json::json_pointer ptr(pointer);
    if (!doc.contains(ptr)) return nullptr;
    return &doc.at(ptr);
  } catch (const nlohmann::json::exception&) {
    return nullptr;
  }
}

std::string Excerpt(std::string_view text, std::size_t max = 80) {
  std::string out(text.substr(0, max));
  if (text.size() > max) out += "...";
  return out;
}

}  // namespace

Result<BodyExpect> ParseBodyExpect(std::string_view text) {
  BodyExpect expect;
  expect.source = std::string(text);
  if (text.rfind("contains:", 0) == 0) {
    expect.kind = BodyExpect::Kind::kContains;
    expect.text = std::string(text.substr(9));
    if (expect.text.empty()) return Status::InvalidArgument("contains: needs a text");
    return expect;
  }
  if (text.rfind("json:", 0) == 0) {
    std::string_view rest = text.substr(5);
    const std::size_t eq = rest.find('=');
    if (eq == std::string_view::npos) {
      return Status::InvalidArgument("json: needs /pointer=VALUE, got \"" + std::string(text) +
                                     "\"");
    }
    expect.kind = BodyExpect::Kind::kJson;
    expect.pointer = std::string(rest.substr(0, eq));
    if (!expect.pointer.empty() && expect.pointer.front() != '/') {
      return Status::InvalidArgument("json: the pointer must start with /, got \"" +
                                     expect.pointer + "\"");
    }
    try {
      (void)nlohmann::json::json_pointer(expect.pointer);
    } catch (const nlohmann::json::exception&) {
      return Status::InvalidArgument("json: not a JSON pointer: \"" + expect.pointer + "\"");
    }
    const std::string value(rest.substr(eq + 1));
    nlohmann::json parsed = nlohmann::json::parse(value, nullptr, false);
    expect.value = parsed.is_discarded() ? nlohmann::json(value) : parsed;
    return expect;
  }
  return Status::InvalidArgument("expect_body is contains:TEXT or json:/pointer=VALUE, got \"" +
                                 std::string(text) + "\"");
}

bool MatchBody(const BodyExpect& expect, std::string_view body, std::string* why) {
  if (expect.kind == BodyExpect::Kind::kContains) {
    if (body.find(expect.text) != std::string_view::npos) return true;
    if (why) *why = "the body does not contain \"" + expect.text + "\"";
    return false;
  }
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    if (why) *why = "the body is not JSON: " + Excerpt(body);
    return false;
  }
  const nlohmann::json* found = At(doc, expect.pointer);
  if (!found) {
    if (why) *why = "no " + expect.pointer + " in the body";
    return false;
  }
  if (*found == expect.value) return true;
  if (why) *why = expect.pointer + " is " + Excerpt(found->dump()) + ", not " + expect.value.dump();
  return false;
}

Result<std::string> CaptureValue(std::string_view spec, std::string_view body) {
  if (spec.rfind("json:", 0) != 0 || spec.size() < 6 || spec[5] != '/') {
    return Status::InvalidArgument("a capture is json:/pointer, got \"" + std::string(spec) + "\"");
  }
  const std::string pointer(spec.substr(5));
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (doc.is_discarded()) {
    return Status::FailedPrecondition("cannot capture " + pointer +
                                      ": the body is not JSON: " + Excerpt(body));
  }
  const nlohmann::json* found = At(doc, pointer);
  if (!found) return Status::FailedPrecondition("cannot capture " + pointer + ": not in the body");
  return found->is_string() ? found->get<std::string>() : found->dump();
}

bool IsValidFlowName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  if (!std::islower(static_cast<unsigned char>(name[0])) &&
      !std::isdigit(static_cast<unsigned char>(name[0]))) {
    return false;
  }
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

Result<std::pair<std::string, std::string>> ParseFlowRequest(std::string_view text) {
  text = Trim(text);
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos) {
    return Status::InvalidArgument("a request is \"METHOD URL\", got \"" + std::string(text) +
                                   "\"");
  }
  std::string method(text.substr(0, space));
  const std::string url(Trim(text.substr(space + 1)));
  if (!kMethods.count(method)) {
    return Status::InvalidArgument("method " + method +
                                   " is not one of GET, POST, PUT, DELETE, "
                                   "HEAD");
  }
  bool loopback = false;
  for (const char* prefix : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    const std::string_view p(prefix);
    if (url.rfind(p, 0) == 0 &&
        (url.size() == p.size() || url[p.size()] == ':' || url[p.size()] == '/')) {
      loopback = true;
    }
  }
  if (!loopback) {
    return Status::InvalidArgument(
        "flows reach loopback only (http://127.0.0.1, localhost or "
        "[::1]), not \"" +
        url + "\"");
  }
  return std::make_pair(std::move(method), url);
}

Result<std::vector<int>> ParseStatusList(std::string_view text) {
  std::vector<int> out;
  std::string_view rest = text;
  while (true) {
    const std::size_t comma = rest.find(',');
    const std::optional<std::int64_t> code = ParseInt(rest.substr(0, comma));
    if (!code || *code < 100 || *code > 599) {
      return Status::InvalidArgument(
          "expect_status is a list of HTTP codes like \"200,404\", "
          "got \"" +
          std::string(text) + "\"");
    }
    out.push_back(static_cast<int>(*code));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  return out;
}

Result<std::vector<Flow>> FlowsFromLabels(const std::string& service,
                                          const std::map<std::string, std::string>& labels) {
  std::map<std::string, std::map<std::string, std::string>> by_name;
  for (const auto& [label, value] : labels) {
    if (label.rfind(kLabelPrefix, 0) != 0) continue;
    const std::string rest = label.substr(kLabelPrefix.size());
    const std::size_t dot = rest.rfind('.');
    const std::string name = dot == std::string::npos ? "" : rest.substr(0, dot);
    const std::string key = dot == std::string::npos ? rest : rest.substr(dot + 1);
    if (!IsValidFlowName(name) || !kLabelKeys.count(key)) {
      return Status::InvalidArgument(
          "service " + service + ": label " + label +
          ": flows are vx11.flow.<name>.{request,expect_status,expect_body,timeout_ms,body} with "
          "a name of [a-z0-9_-]");
    }
    by_name[name][key] = value;
  }
  std::vector<Flow> flows;
  for (const auto& entry : by_name) {
    const std::string& name = entry.first;
    const std::map<std::string, std::string>& keys = entry.second;
    auto fail = [&name, &service](const std::string& key, const Status& why) {
      return Status::InvalidArgument("service " + service + ": label vx11.flow." + name + "." +
                                     key + ": " + why.message());
    };
    auto request = keys.find("request");
    if (request == keys.end()) {
      return fail("request", Status::InvalidArgument("missing: every flow needs a request"));
    }
    FlowStep step;
    step.origin = "label vx11.flow." + name;
    Result<std::pair<std::string, std::string>> parsed = ParseFlowRequest(request->second);
    if (!parsed.ok()) return fail("request", parsed.status());
    step.method = parsed->first;
    step.url = parsed->second;
    if (auto it = keys.find("expect_status"); it != keys.end()) {
      Result<std::vector<int>> codes = ParseStatusList(it->second);
      if (!codes.ok()) return fail("expect_status", codes.status());
      step.expect_status = *codes;
    }
    if (auto it = keys.find("expect_body"); it != keys.end()) {
      Result<BodyExpect> expect = ParseBodyExpect(it->second);
      if (!expect.ok()) return fail("expect_body", expect.status());
      step.expect_body = *expect;
    }
    if (auto it = keys.find("timeout_ms"); it != keys.end()) {
      const std::optional<std::int64_t> ms = ParseInt(it->second);
      if (!ms || *ms < 1 || *ms > 600000) {
        return fail("timeout_ms",
                    Status::InvalidArgument("1 to 600000, got \"" + it->second + "\""));
      }
      step.timeout_ms = *ms;
    }
    if (auto it = keys.find("body"); it != keys.end()) {
      if (step.method != "POST" && step.method != "PUT") {
        return fail("body", Status::InvalidArgument("a body goes with POST or PUT only"));
      }
      step.body = it->second;
    }
    Flow flow;
    flow.service = service;
    flow.name = name;
    flow.origin = "labels of " + service;
    flow.steps.push_back(std::move(step));
    flows.push_back(std::move(flow));
  }
  return flows;
}

Result<std::string> Substitute(std::string_view text,
                               const std::map<std::string, std::string>& vars) {
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t open = text.find("${", i);
    if (open == std::string_view::npos) break;
    const std::size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("unclosed ${ in \"" + std::string(text) + "\"");
    }
    const std::string name(text.substr(open + 2, close - open - 2));
    auto it = vars.find(name);
    if (it == vars.end()) {
      return Status::InvalidArgument("${" + name + "} is not captured by an earlier step");
    }
    out.append(text.substr(i, open - i));
    out += it->second;
    i = close + 1;
  }
  out.append(text.substr(std::min(i, text.size())));
  return out;
}

nlohmann::json FlowToJson(const Flow& flow) {
  nlohmann::json steps = nlohmann::json::array();
  for (const FlowStep& s : flow.steps) {
    nlohmann::json step = {{"request", s.method + " " + s.url},
                           {"expect_status", s.expect_status},
                           {"timeout_ms", s.timeout_ms}};
    if (s.expect_body) step["expect_body"] = s.expect_body->source;
    if (!s.body.empty()) step["body"] = s.body;
    if (!s.capture.empty()) step["capture"] = s.capture;
    if (s.until) {
      step["until"] = s.until->source;
      step["max_polls"] = s.max_polls;
      step["poll_ms"] = s.poll_ms;
    }
    steps.push_back(std::move(step));
  }
  return {{"service", flow.service},
          {"name", flow.name},
          {"id", flow.Id()},
          {"origin", flow.origin},
          {"steps", std::move(steps)}};
}

Result<Flow> FlowFromJson(const nlohmann::json& json) {
  try {
    Flow flow;
    flow.service = json.at("service").get<std::string>();
    flow.name = json.at("name").get<std::string>();
    flow.origin = json.value("origin", "");
    for (const auto& j : json.at("steps")) {
      FlowStep step;
      ASSIGN_OR_RETURN(auto request, ParseFlowRequest(j.at("request").get<std::string>()));
      step.method = request.first;
      step.url = request.second;
      step.expect_status = j.at("expect_status").get<std::vector<int>>();
      step.timeout_ms = j.value("timeout_ms", std::int64_t{5000});
      if (j.contains("expect_body")) {
        ASSIGN_OR_RETURN(step.expect_body, ParseBodyExpect(j["expect_body"].get<std::string>()));
      }
      step.body = j.value("body", "");
      if (j.contains("capture")) {
        step.capture = j["capture"].get<std::map<std::string, std::string>>();
      }
      if (j.contains("until")) {
        ASSIGN_OR_RETURN(step.until, ParseBodyExpect(j["until"].get<std::string>()));
        step.max_polls = j.value("max_polls", 1);
        step.poll_ms = j.value("poll_ms", std::int64_t{500});
      }
      step.origin = flow.origin;
      flow.steps.push_back(std::move(step));
    }
    return flow;
  } catch (const nlohmann::json::exception& e) {
    return Status::InvalidArgument(std::string("not a flow: ") + e.what());
  }
}

Result<nlohmann::json> FlowsView(const ServiceModel& model, const std::string& only) {
  if (!only.empty() && !model.Has(only)) {
    return Status::NotFound("no service " + only + " in the compose project");
  }
  nlohmann::json flows = nlohmann::json::array();
  nlohmann::json errors = nlohmann::json::array();
  nlohmann::json health_urls = nlohmann::json::object();
  for (const auto& [name, def] : model.services) {
    if (!only.empty() && name != only) continue;
    if (auto url = def.labels.find("vx11.health.url"); url != def.labels.end())
      health_urls[name] = url->second;
    Result<std::vector<Flow>> declared = FlowsFromLabels(name, def.labels);
    if (!declared.ok()) {
      errors.push_back(declared.status().message());
      continue;
    }
    for (const Flow& flow : *declared) flows.push_back(FlowToJson(flow));
  }
  return nlohmann::json{{"flows", flows}, {"errors", errors}, {"health_urls", health_urls}};
}

}  // namespace madre
