#include "cli/render.h"

#include <algorithm>
#include <cstdio>

#include "cli/window_json.h"

namespace madre::cli {

using nlohmann::json;

namespace {

std::string Cut(std::string text, std::size_t max) {
  for (char& c : text) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  if (text.size() <= max) return text;
  return text.substr(0, max - 3) + "...";
}

std::string OrDash(std::string text) { return text.empty() ? "-" : text; }

// "2026-11-24T10:00:00.123456Z" -> "2026-11-24T10:00:00Z".
std::string ShortTime(const std::string& rfc3339) {
  if (rfc3339.size() > 20 && rfc3339[19] == '.' && rfc3339.back() == 'Z') {
    return rfc3339.substr(0, 19) + "Z";
  }
  return rfc3339;
}

std::string Mode(const json& window) {
  std::string mode = Str(window, "mode");
  if (Bool(window, "hold")) return "hold";
  return OrDash(mode);
}

const json& ArrayOr(const json& body, const char* key) {
  static const json kEmpty = json::array();
  if (!body.is_object()) return kEmpty;
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) return kEmpty;
  return *it;
}

}  // namespace

std::string RenderTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> widths(headers.size(), 0);
  auto measure = [&widths](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  };
  measure(headers);
  for (const auto& row : rows) measure(row);
  auto line = [&widths](const std::vector<std::string>& row) {
    std::string out;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      out += cell;
      if (i + 1 < widths.size()) out += std::string(widths[i] - cell.size() + 2, ' ');
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(headers);
  for (const auto& row : rows) out += line(row);
  return out;
}

std::string FormatSeconds(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(d.count()) / 1e6);
  return buf;
}

std::string TtlLeft(const json& window) {
  const std::string state = Str(window, "state");
  if (!state.empty() && state != "open" && state != "opening") return "-";
  if (Bool(window, "hold")) return "hold";
  if (std::optional<std::int64_t> left = Int(window, "ttl_remaining_sec")) {
    return FormatHumanDuration(Seconds(std::max<std::int64_t>(0, *left)));
  }
  if (Str(window, "mode") == "hold") return "hold";
  return "-";
}

std::string RenderWindowsTable(const json& windows) {
  std::vector<std::vector<std::string>> rows;
  if (windows.is_array()) {
    for (const json& w : windows) {
      rows.push_back({OrDash(Str(w, "window_id")), OrDash(Str(w, "kind")), OrDash(Str(w, "state")),
                      Mode(w), JoinOrDash(StrList(w, "services"), ","), TtlLeft(w),
                      Cut(OrDash(Str(w, "reason")), 40)});
    }
  }
  return RenderTable({"ID", "KIND", "STATE", "MODE", "SERVICES", "TTL LEFT", "REASON"}, rows);
}

std::string RenderWindowsStatus(const json& body, bool history) {
  std::string out;
  const std::string policy = Str(body, "policy");
  if (!policy.empty()) out += "Policy: " + policy + "\n";
  const json& windows = ArrayOr(body, "windows");
  if (windows.empty()) {
    out += "No open windows.\n";
  } else {
    out += RenderWindowsTable(windows);
  }
  if (history) {
    const json& past = ArrayOr(body, "history");
    out += "\nHistory (newest first):\n";
    if (past.empty()) {
      out += "  (none)\n";
    } else {
      std::vector<std::vector<std::string>> rows;
      for (const json& w : past) {
        rows.push_back({OrDash(Str(w, "window_id")), OrDash(Str(w, "state")), Mode(w),
                        JoinOrDash(StrList(w, "services"), ","),
                        OrDash(ShortTime(Str(w, "created_at"))),
                        OrDash(ShortTime(Str(w, "closed_at"))), OrDash(Str(w, "close_reason")),
                        Cut(OrDash(Str(w, "reason")), 40)});
      }
      out += RenderTable(
          {"ID", "STATE", "MODE", "SERVICES", "CREATED", "CLOSED", "CLOSE REASON", "REASON"}, rows);
    }
  }
  return out;
}

std::string RenderWindow(const json& window) {
  std::vector<std::vector<std::string>> fields = {
      {"Window:", OrDash(Str(window, "window_id"))},
      {"State:", OrDash(Str(window, "state"))},
      {"Mode:", Mode(window)},
      {"Reason:", OrDash(Str(window, "reason"))},
      {"Services:", JoinOrDash(StrList(window, "services"))},
      {"Effective:", JoinOrDash(StrList(window, "effective_services"))},
      {"Created:", OrDash(Str(window, "created_at"))},
      {"Opened:", OrDash(Str(window, "opened_at"))},
      {"Deadline:", OrDash(Str(window, "deadline"))},
      {"TTL left:", TtlLeft(window)},
  };
  if (!Str(window, "closed_at").empty()) {
    fields.push_back({"Closed:", Str(window, "closed_at")});
    fields.push_back({"Close reason:", OrDash(Str(window, "close_reason"))});
  }
  std::string out;
  for (const auto& f : fields) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%-14s", f[0].c_str());
    out += buf + f[1] + "\n";
  }
  auto it = window.is_object() ? window.find("services_status") : window.end();
  if (window.is_object() && it != window.end() && it->is_object() && !it->empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& item : it->items()) {
      const json& st = item.value();
      const std::optional<std::int64_t> restarts = Int(st, "restart_count");
      rows.push_back({item.key(), OrDash(Str(st, "state")), OrDash(Str(st, "health")),
                      restarts ? std::to_string(*restarts) : "-",
                      Cut(OrDash(Str(st, "error")), 60)});
    }
    out += "\n" + RenderTable({"SERVICE", "STATE", "HEALTH", "RESTARTS", "ERROR"}, rows);
  }
  return out;
}

std::string RenderServiceStatus(const json& body) {
  std::vector<std::vector<std::string>> rows;
  for (const json& s : ArrayOr(body, "services")) {
    const std::optional<std::int64_t> restarts = Int(s, "restart_count");
    // READY is madre's verdict (its own run of the healthcheck counts); HEALTH is Docker's.
    const bool has_ready = s.is_object() && s.contains("ready") && s["ready"].is_boolean();
    rows.push_back({OrDash(Str(s, "service")), OrDash(Str(s, "state")), OrDash(Str(s, "health")),
                    has_ready ? (Bool(s, "ready") ? "yes" : "no") : "-",
                    restarts ? std::to_string(*restarts) : "-",
                    JoinOrDash(StrList(s, "window_ids"), ",")});
  }
  return RenderTable({"SERVICE", "STATE", "HEALTH", "READY", "RESTARTS", "WINDOWS"}, rows);
}

std::string RenderState(const json& body) {
  std::string out = "Policy: " + OrDash(Str(body, "policy")) + "\n";
  out += "Active services: " + JoinOrDash(StrList(body, "active_services")) + "\n";
  const json& windows = ArrayOr(body, "windows");
  if (windows.empty()) {
    out += "No open windows.\n";
  } else {
    out += "\n" + RenderWindowsTable(windows);
  }
  return out;
}

std::string RenderAudit(const json& records, bool header) {
  std::vector<std::vector<std::string>> rows;
  if (records.is_array()) {
    for (const json& r : records) {
      rows.push_back({OrDash(Str(r, "seq")), OrDash(ShortTime(Str(r, "time"))),
                      OrDash(Str(r, "actor")), OrDash(Str(r, "action")),
                      OrDash(Str(r, "window_id")), JoinOrDash(StrList(r, "services"), ","),
                      OrDash(Str(r, "outcome")), Cut(OrDash(Str(r, "detail")), 60)});
    }
  }
  std::string out = RenderTable(
      {"SEQ", "TIME", "ACTOR", "ACTION", "WINDOW", "SERVICES", "OUTCOME", "DETAIL"}, rows);
  if (!header) out.erase(0, out.find('\n') + 1);
  return out;
}

std::string RenderSoloMadreStatus(const json& body) {
  std::string out = "SOLO_MADRE policy active: ";
  out += Bool(body, "policy_active") ? "yes\n" : "no\n";
  out += "Running:  " + JoinOrDash(StrList(body, "running_services")) + "\n";
  out += "Expected: " + JoinOrDash(StrList(body, "expected_services")) + "\n";
  return out;
}

std::string RenderSoloMadreApply(const json& body) {
  std::string out = "SOLO_MADRE applied (" + OrDash(Str(body, "exec_status")) + ")\n";
  out += "Stopped: " + JoinOrDash(StrList(body, "services_stopped")) + "\n";
  const json& details = ArrayOr(body, "exec_details");
  for (const json& d : details) {
    out += "  " + Cut(d.is_string() ? d.get<std::string>() : DumpJson(d), 200) + "\n";
  }
  return out;
}

std::string RenderServices(const json& body) {
  std::string out = "Allowlist: " + JoinOrDash(StrList(body, "allowlist")) + "\n";
  out += "Always-on: " + JoinOrDash(StrList(body, "always_on")) + "\n";
  const std::string source = Str(body, "source");
  if (!source.empty()) out += "Source:    " + source + "\n";
  return out;
}

std::string RenderIntents(const json& body) {
  const json& intents = ArrayOr(body, "intents");
  if (intents.empty()) return "No intents.\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& i : intents) {
    rows.push_back({OrDash(Str(i, "intent_id")), OrDash(Str(i, "state")), OrDash(Str(i, "type")),
                    OrDash(Str(i, "source")), OrDash(Str(i, "requested_by")),
                    OrDash(ShortTime(Str(i, "created_at"))), OrDash(Str(i, "decided_by")),
                    Cut(OrDash(Str(i, "reason")), 40)});
  }
  return RenderTable(
      {"ID", "STATE", "TYPE", "SOURCE", "REQUESTED BY", "CREATED", "DECIDED BY", "REASON"}, rows);
}

std::string RenderIntent(const json& intent) {
  std::string out =
      "Intent " + OrDash(Str(intent, "intent_id")) + " " +
      OrDash(Str(intent, "state").empty() ? Str(intent, "status") : Str(intent, "state")) + "\n";
  auto line = [&out](const char* label, const std::string& value) {
    if (!value.empty()) out += std::string("  ") + label + ": " + value + "\n";
  };
  line("type", Str(intent, "type"));
  line("source", Str(intent, "source"));
  line("correlation id", Str(intent, "correlation_id"));
  line("requested by", Str(intent, "requested_by"));
  line("created", ShortTime(Str(intent, "created_at")));
  line("expires", ShortTime(Str(intent, "expires_at")));
  line("decided by", Str(intent, "decided_by"));
  line("decided", ShortTime(Str(intent, "decided_at")));
  line("reason", Str(intent, "reason"));
  if (Bool(intent, "self_approved")) line("self-approved", "yes (no tokens file)");
  if (Bool(intent, "duplicate")) line("duplicate", "yes: this correlation id was submitted before");
  if (intent.is_object() && intent.contains("payload") && !intent["payload"].is_null()) {
    line("payload", Cut(DumpJson(intent["payload"]), 200));
  }
  return out;
}

std::string ShortImageId(const std::string& id) {
  if (id.empty()) return "none";
  constexpr std::string_view kSha = "sha256:";
  const std::string hex = id.compare(0, kSha.size(), kSha) == 0 ? id.substr(kSha.size()) : id;
  return hex.substr(0, 12);
}

std::string RenderDiagnosis(const json& body) {
  std::ostringstream out;
  const json* confidence =
      body.is_object() && body.contains("confidence") && body["confidence"].is_number()
          ? &body["confidence"]
          : nullptr;
  out << Str(body, "service") << ": " << Str(body, "cause");
  if (confidence != nullptr) {
    out << " (confidence " << static_cast<int>(confidence->get<double>() * 100.0 + 0.5) << "%)";
  }
  out << ", seen as a " << Str(body, "failure") << " failure\n";
  const json& evidence = ArrayOr(body, "evidence");
  out << "Evidence:\n";
  if (evidence.empty()) out << "  (none)\n";
  for (const json& line : evidence) {
    out << "  " << (line.is_string() ? line.get<std::string>() : line.dump()) << "\n";
  }
  out << "Remediations (best first):\n";
  int n = 0;
  for (const json& r : ArrayOr(body, "remediations")) {
    out << "  " << ++n << ". " << Str(r, "kind") << " [risk " << Str(r, "risk")
        << "]: " << Str(r, "text") << "\n";
  }
  return out.str();
}

std::string RenderBuilds(const json& body) {
  const json& builds = ArrayOr(body, "builds");
  if (builds.empty()) return "No builds.\n";
  std::vector<std::vector<std::string>> rows;
  for (const json& b : builds) {
    const std::string outcome = Str(b, "outcome");
    const std::optional<std::int64_t> ms = Int(b, "duration_ms");
    const std::string duration = outcome == "running" || !ms ? "-" : FormatSeconds(Millis(*ms));
    const std::string image = ShortImageId(Str(b, "image_before")) + " -> " +
                              (outcome == "running" ? "?" : ShortImageId(Str(b, "image_after")));
    const std::optional<std::int64_t> id = Int(b, "id");
    rows.push_back({id ? std::to_string(*id) : "-", OrDash(Str(b, "service")), OrDash(outcome),
                    OrDash(ShortTime(Str(b, "started_at"))), duration, image,
                    Cut(OrDash(Str(b, "error")), 60)});
  }
  return RenderTable({"ID", "SERVICE", "OUTCOME", "STARTED", "DURATION", "IMAGE", "ERROR"}, rows);
}

std::string RenderHealth(const json& body) {
  std::string out = OrDash(Str(body, "module")) + " " + OrDash(Str(body, "status"));
  const std::string version = Str(body, "version");
  if (!version.empty()) out += " (version " + version + ")";
  // `ready` (absent from older madres): the start-up reconcile is done.
  if (body.is_object() && body.contains("ready") && body["ready"].is_boolean()) {
    out += body["ready"].get<bool>() ? ", ready" : ", start-up reconcile still running";
  }
  return out + "\n";
}

std::string RenderOpened(const json& body) {
  const json& w = WindowOf(body);
  std::string out = "Window " + OrDash(Str(w, "window_id")) + " " + OrDash(Str(w, "state"));
  out += ": " + JoinOrDash(StrList(w, "services"));
  const std::string ttl = TtlLeft(w);
  if (ttl != "-") out += " (TTL left " + ttl + ")";
  std::vector<std::string> started = StrList(w, "services_started");
  if (!started.empty()) out += "; started " + JoinOrDash(started);
  return out + "\n";
}

std::string RenderClosed(const json& body) {
  const json& w = WindowOf(body);
  std::string out = "Window " + OrDash(Str(w, "window_id")) + " " + OrDash(Str(w, "state"));
  out += "; stopped " + JoinOrDash(StrList(w, "services_stopped")) + "\n";
  return out;
}

std::string RenderHold(const json& body) {
  const json& w = WindowOf(body);
  return "Window " + OrDash(Str(w, "window_id")) + " hold " + (Bool(w, "hold") ? "on" : "off") +
         "\n";
}

std::string RenderExtended(const json& body) {
  const json& w = WindowOf(body);
  std::string out =
      "Window " + OrDash(Str(w, "window_id")) + " deadline " + OrDash(Str(w, "deadline"));
  const std::string ttl = TtlLeft(w);
  if (ttl != "-") out += " (TTL left " + ttl + ")";
  return out + "\n";
}

std::vector<std::string> RenderWaitProgress(const json& window, Duration elapsed) {
  std::vector<std::vector<std::string>> rows;
  const json* statuses = nullptr;
  if (window.is_object()) {
    auto it = window.find("services_status");
    if (it != window.end() && it->is_object()) statuses = &*it;
  }
  for (const std::string& service : WindowServices(window)) {
    json st = json::object();
    if (statuses != nullptr && statuses->contains(service)) st = (*statuses)[service];
    const ServiceCondition condition = ClassifyService(st);
    std::string what = ServiceConditionName(condition);
    const std::string state = Str(st, "state");
    const std::string health = Str(st, "health");
    if (condition != ServiceCondition::kReady && !state.empty()) {
      what += " (" + state + (health.empty() ? "" : ", health " + health) + ")";
    }
    const std::string error = Str(st, "error");
    if (!error.empty()) what += ": " + Cut(error, 80);
    rows.push_back({"  " + service, what});
  }
  std::string table = RenderTable({"", ""}, rows);
  table.erase(0, table.find('\n') + 1);  // no header
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < table.size()) {
    std::size_t end = table.find('\n', start);
    lines.push_back(table.substr(start, end - start));
    start = end + 1;
  }
  std::string summary = "window " + OrDash(Str(window, "window_id")) + " " +
                        OrDash(Str(window, "state")) + ", " + FormatSeconds(elapsed) + " elapsed";
  const std::string ttl = TtlLeft(window);
  if (ttl != "-") summary += ", TTL left " + ttl;
  lines.push_back(summary);
  return lines;
}

}  // namespace madre::cli
