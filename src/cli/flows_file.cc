#include "cli/flows_file.h"

#include <toml++/toml.h>

#include <fstream>
#include <set>
#include <sstream>

namespace madre::cli {

namespace {

const std::set<std::string> kFlowKeys = {"service", "name", "step"};
const std::set<std::string> kStepKeys = {"request",     "body",    "expect_status",
                                         "expect_body", "capture", "until",
                                         "max_polls",   "poll_ms", "timeout_ms"};

std::string At(const std::string& origin, const toml::node& node) {
  return origin + ":" + std::to_string(node.source().begin.line);
}

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

Result<std::string> String(const toml::table& table, const std::string& key,
                           const std::string& where, bool required) {
  const toml::node* node = table.get(key);
  if (!node) {
    if (required) return Bad(where, "missing " + key);
    return std::string();
  }
  if (!node->is_string()) return Bad(where, key + " must be a string");
  return node->as_string()->get();
}

Result<std::int64_t> Integer(const toml::table& table, const std::string& key,
                             const std::string& where, std::int64_t fallback, std::int64_t min,
                             std::int64_t max) {
  const toml::node* node = table.get(key);
  if (!node) return fallback;
  if (!node->is_integer() || node->as_integer()->get() < min || node->as_integer()->get() > max) {
    return Bad(where, key + " must be an integer from " + std::to_string(min) + " to " +
                          std::to_string(max));
  }
  return node->as_integer()->get();
}

Result<FlowStep> ParseStep(const toml::table& t, const std::string& where) {
  for (const auto& [key, value] : t) {
    if (!kStepKeys.count(std::string(key.str()))) {
      return Bad(where, "unknown key " + std::string(key.str()) + " in [[flow.step]]");
    }
  }
  FlowStep step;
  step.origin = where;
  ASSIGN_OR_RETURN(std::string request, String(t, "request", where, true));
  Result<std::pair<std::string, std::string>> parsed = ParseFlowRequest(request);
  if (!parsed.ok()) return Bad(where, "request: " + parsed.status().message());
  step.method = parsed->first;
  step.url = parsed->second;
  ASSIGN_OR_RETURN(step.body, String(t, "body", where, false));
  if (!step.body.empty() && step.method != "POST" && step.method != "PUT")
    return Bad(where, "body: a body goes with POST or PUT only");
  if (const toml::node* codes = t.get("expect_status")) {
    if (codes->is_string()) {
      Result<std::vector<int>> list = ParseStatusList(codes->as_string()->get());
      if (!list.ok()) return Bad(where, list.status().message());
      step.expect_status = *list;
    } else if (const toml::array* array = codes->as_array()) {
      step.expect_status.clear();
      for (const toml::node& code : *array) {
        if (!code.is_integer() || code.as_integer()->get() < 100 ||
            code.as_integer()->get() > 599) {
          return Bad(where, "expect_status: HTTP codes from 100 to 599");
        }
        step.expect_status.push_back(static_cast<int>(code.as_integer()->get()));
      }
      if (step.expect_status.empty()) return Bad(where, "expect_status: an empty list");
    } else {
      return Bad(where, "expect_status is \"200,404\" or [200, 404]");
    }
  }
  for (const char* key : {"expect_body", "until"}) {
    ASSIGN_OR_RETURN(std::string text, String(t, key, where, false));
    if (text.empty()) continue;
    Result<BodyExpect> expect = ParseBodyExpect(text);
    if (!expect.ok()) return Bad(where, std::string(key) + ": " + expect.status().message());
    (std::string(key) == "until" ? step.until : step.expect_body) = *expect;
  }
  if (const toml::node* capture = t.get("capture")) {
    const toml::table* table = capture->as_table();
    if (!table) return Bad(where, "capture is a table: { name = \"json:/pointer\" }");
    for (const auto& [name, spec] : *table) {
      if (!spec.is_string() || spec.as_string()->get().rfind("json:/", 0) != 0) {
        return Bad(where, "capture " + std::string(name.str()) + " must be \"json:/pointer\"");
      }
      step.capture[std::string(name.str())] = spec.as_string()->get();
    }
  }
  ASSIGN_OR_RETURN(step.timeout_ms, Integer(t, "timeout_ms", where, 5000, 1, 600000));
  ASSIGN_OR_RETURN(std::int64_t polls, Integer(t, "max_polls", where, 1, 1, 10000));
  ASSIGN_OR_RETURN(step.poll_ms, Integer(t, "poll_ms", where, 500, 0, 600000));
  step.max_polls = static_cast<int>(polls);
  if (!step.until && t.get("max_polls")) return Bad(where, "max_polls goes with until");
  return step;
}

}  // namespace

Result<std::vector<Flow>> ParseFlowsToml(const std::string& text, const std::string& origin) {
  toml::table root;
  try {
    root = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  for (const auto& [key, value] : root) {
    if (key.str() != "flow") {
      return Bad(At(origin, value), "unknown key " + std::string(key.str()) +
                                        " (flows are "
                                        "[[flow]] tables)");
    }
  }
  std::vector<Flow> flows;
  std::set<std::string> ids;
  const toml::array* array = root["flow"].as_array();
  if (root.get("flow") && !array) return Bad(origin, "flow must be [[flow]] tables");
  if (!array) return flows;
  for (const toml::node& node : *array) {
    const std::string where = At(origin, node);
    const toml::table* t = node.as_table();
    if (!t) return Bad(where, "flow must be [[flow]] tables");
    for (const auto& [key, value] : *t) {
      if (!kFlowKeys.count(std::string(key.str())))
        return Bad(At(origin, value), "unknown key " + std::string(key.str()) + " in [[flow]]");
    }
    Flow flow;
    flow.origin = origin;
    ASSIGN_OR_RETURN(flow.service, String(*t, "service", where, true));
    ASSIGN_OR_RETURN(flow.name, String(*t, "name", where, true));
    if (!IsValidFlowName(flow.name)) return Bad(where, "name: [a-z0-9][a-z0-9_-]*");
    if (!ids.insert(flow.Id()).second) return Bad(where, "flow " + flow.Id() + " twice");
    const toml::array* steps = (*t)["step"].as_array();
    if (!steps || steps->empty()) return Bad(where, "flow " + flow.Id() + " has no [[flow.step]]");
    std::set<std::string> captured;
    for (const toml::node& s : *steps) {
      const std::string step_where = At(origin, s);
      if (!s.is_table()) return Bad(step_where, "step must be [[flow.step]] tables");
      ASSIGN_OR_RETURN(FlowStep step, ParseStep(*s.as_table(), step_where));
      // A ${name} must be captured by an earlier step: checked here, not half-way through a run.
      std::map<std::string, std::string> known;
      for (const auto& name : captured) known[name] = "";
      for (const std::string* text : {&step.url, &step.body}) {
        Result<std::string> check = Substitute(*text, known);
        if (!check.ok()) return Bad(step_where, check.status().message());
      }
      for (const auto& [name, spec] : step.capture) captured.insert(name);
      flow.steps.push_back(std::move(step));
    }
    flows.push_back(std::move(flow));
  }
  return flows;
}

Result<std::vector<Flow>> LoadFlowsFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::InvalidArgument("cannot read flows file " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return ParseFlowsToml(text.str(), path.string());
}

}  // namespace madre::cli
