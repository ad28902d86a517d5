#include "core/diagnosis.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <functional>
#include <utility>

namespace madre {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A piece of text madre saw, and where it saw it ("State.Error", "log").
struct Source {
  std::string where;
  std::string text;
};

std::vector<Source> Sources(const FailureEvidence& e) {
  std::vector<Source> out;
  if (!e.error.empty()) out.push_back({"State.Error", e.error});
  for (const std::string& line : e.log_lines) out.push_back({"log", line});
  // Not the healthcheck's output: a check talks to the service itself, so its "connection
  // refused" says the service does not answer, not that a peer is away.
  return out;
}

// The first source holding one of `needles` (case-insensitive), as an evidence line.
std::optional<std::string> FindAny(const std::vector<Source>& sources,
                                   std::initializer_list<std::string_view> needles) {
  for (const Source& source : sources) {
    const std::string text = Lower(source.text);
    for (std::string_view needle : needles) {
      if (text.find(needle) != std::string::npos) return source.where + ": " + source.text;
    }
  }
  return std::nullopt;
}

std::string ExitLine(const FailureEvidence& e) {
  return "State.ExitCode: " + std::to_string(e.exit_code.value_or(0));
}

// The word before `marker` in `line` ("DATABASE_URL" in "... DATABASE_URL is not set").
std::string WordBefore(const std::string& line, std::string_view marker) {
  const std::size_t at = Lower(line).find(marker);
  if (at == std::string::npos || at == 0) return "";
  std::size_t end = at;
  while (end > 0 && line[end - 1] == ' ') --end;
  std::size_t begin = end;
  while (begin > 0 && line[begin - 1] != ' ' && line[begin - 1] != ':') --begin;
  std::string word = line.substr(begin, end - begin);
  while (!word.empty() && (word.front() == '$' || word.front() == '{' || word.front() == '"' ||
                           word.front() == '\'')) {
    word.erase(word.begin());
  }
  while (!word.empty() && (word.back() == '}' || word.back() == '"' || word.back() == '\'')) {
    word.pop_back();
  }
  return word;
}

Remediation Restart(const FailureEvidence& e) {
  return {RemediationKind::kRestart, e.service,
          "restart " + e.service + " (with a capped exponential back-off between attempts)"};
}
Remediation Recreate(const FailureEvidence& e) {
  return {RemediationKind::kRecreate, e.service,
          "recreate " + e.service +
              "'s container from its compose definition (up "
              "--force-recreate --no-deps)"};
}
Remediation Rebuild(const FailureEvidence& e) {
  return {RemediationKind::kRebuild, e.service,
          "rebuild " + e.service + "'s image from its compose `build:` (a build intent)"};
}
Remediation Manual(const FailureEvidence& e, std::string what) {
  return {RemediationKind::kManual, e.service, std::move(what)};
}

struct Verdict {
  FailureCause cause;
  double confidence;
  std::vector<std::string> evidence;
  std::vector<Remediation> remediations;
};

using Rule =
    std::function<std::optional<Verdict>(const FailureEvidence&, const std::vector<Source>&)>;

std::optional<Verdict> ImageMissing(const FailureEvidence& e, const std::vector<Source>& s) {
  std::vector<std::string> seen;
  if (!e.image_present) seen.push_back("image: " + e.image + " is not on this host");
  if (auto line = FindAny(s, {"no such image", "pull access denied", "manifest unknown",
                              "repository does not exist", "not found: manifest"})) {
    seen.push_back(*line);
  }
  if (seen.empty()) return std::nullopt;
  std::vector<Remediation> fix;
  if (e.has_build) fix.push_back(Rebuild(e));
  fix.push_back(Manual(e, "put the image " + (e.image.empty() ? "of " + e.service : e.image) +
                              " on this host (docker load, or a registry it can reach)"));
  return Verdict{FailureCause::kImageMissing, 0.95, std::move(seen), std::move(fix)};
}

std::optional<Verdict> OomKilled(const FailureEvidence& e, const std::vector<Source>&) {
  if (!e.oom_killed) return std::nullopt;
  std::vector<std::string> seen = {"State.OOMKilled: true"};
  if (e.exit_code) seen.push_back(ExitLine(e));
  return Verdict{FailureCause::kOomKilled,
                 0.95,
                 std::move(seen),
                 {Restart(e), Manual(e, "raise " + e.service +
                                            "'s memory limit (mem_limit, or "
                                            "deploy.resources.limits.memory) or find what "
                                            "grows; a restart only buys time")}};
}

std::optional<Verdict> PortInUse(const FailureEvidence& e, const std::vector<Source>& s) {
  auto line = FindAny(
      s, {"port is already allocated", "address already in use", "eaddrinuse", "address in use"});
  if (!line) return std::nullopt;
  std::string port;
  const std::size_t bind = line->find("Bind for ");
  if (bind != std::string::npos) {
    const std::size_t end = line->find(" failed", bind);
    if (end != std::string::npos) port = " (" + line->substr(bind + 9, end - bind - 9) + ")";
  }
  return Verdict{FailureCause::kPortInUse,
                 0.9,
                 {*line},
                 {Manual(e, "free the port" + port + " that " + e.service +
                                " publishes or binds (another container or process holds "
                                "it), or change its port")}};
}

std::optional<Verdict> CommandNotFound(const FailureEvidence& e, const std::vector<Source>& s) {
  const bool exit127 = e.exit_code == 127;
  const bool exit126 = e.exit_code == 126;
  const std::optional<std::string> text =
      FindAny(s, {"executable file not found", "command not found", ": not found"});
  // 126: the runtime or the shell could not exec the command (not executable).
  const std::optional<std::string> exec =
      exit126 ? FindAny(s, {"exec:", "cannot execute", "permission denied"}) : std::nullopt;
  const bool runtime = text && text->rfind("State.Error", 0) == 0;
  if (!exit127 && !exec && !runtime) return std::nullopt;
  std::vector<std::string> seen;
  if (exit127 || exit126) seen.push_back(ExitLine(e));
  if (text) seen.push_back(*text);
  if (exec && exec != text) seen.push_back(*exec);
  std::vector<Remediation> fix;
  if (e.has_build) fix.push_back(Rebuild(e));
  fix.push_back(Manual(e, "fix " + e.service +
                              "'s command or entrypoint, or the image it runs, so that the "
                              "program exists and is executable"));
  return Verdict{FailureCause::kCommandNotFound, exit127 || text ? 0.9 : 0.8, std::move(seen),
                 std::move(fix)};
}

std::optional<Verdict> MissingConfig(const FailureEvidence& e, const std::vector<Source>& s) {
  auto line = FindAny(s, {"is not set", "bind source path does not exist", "missing required",
                          "no such file or directory", "not defined", "is required"});
  if (!line) return std::nullopt;
  std::string what = WordBefore(*line, " is not set");
  if (what.empty()) what = WordBefore(*line, " is required");
  std::vector<std::string> seen = {*line};
  if (e.exit_code && *e.exit_code != 0) seen.push_back(ExitLine(e));
  return Verdict{FailureCause::kMissingConfig,
                 0.75,
                 std::move(seen),
                 {Manual(e, what.empty() ? "give " + e.service +
                                               " the configuration it names (a variable, a "
                                               "file, a bind source), then recreate it"
                                         : "set " + what + " for " + e.service +
                                               " (its environment or env_file), then recreate "
                                               "it"),
                  Recreate(e)}};
}

std::optional<Verdict> PermissionDenied(const FailureEvidence& e, const std::vector<Source>& s) {
  auto line = FindAny(s, {"permission denied", "operation not permitted", "eacces", "eperm"});
  if (!line) return std::nullopt;
  return Verdict{FailureCause::kPermissionDenied,
                 0.7,
                 {*line},
                 {Manual(e, "give " + e.service +
                                "'s user the access it needs (file modes and owners of its "
                                "mounts, its user:, its capabilities)")}};
}

bool DependencyDown(const DependencyEvidence& d) {
  if (d.stopped_by_madre) return false;
  return d.state != "running" || d.health == "unhealthy";
}

std::optional<Verdict> DependencyUnavailable(const FailureEvidence& e,
                                             const std::vector<Source>& s) {
  std::vector<std::string> seen;
  std::vector<Remediation> fix;
  for (const DependencyEvidence& d : e.dependencies) {
    if (!DependencyDown(d)) continue;
    seen.push_back("dependency " + d.service + ": " +
                   (d.state.empty() ? std::string("no container") : d.state) +
                   (d.health.empty() ? "" : " (" + d.health + ")"));
    fix.push_back(
        {RemediationKind::kStartDependency, d.service,
         "start " + d.service + " (a dependency of " + e.service + "), then " + e.service});
  }
  auto line = FindAny(
      s, {"connection refused", "could not resolve", "name or service not known", "unreachable",
          "econnrefused", "no route to host", "temporary failure in name resolution"});
  if (line) seen.push_back(*line);
  if (seen.empty()) return std::nullopt;
  fix.push_back(Restart(e));
  return Verdict{FailureCause::kDependencyUnavailable, fix.size() > 1 ? 0.8 : 0.6, std::move(seen),
                 std::move(fix)};
}

std::optional<Verdict> HealthcheckFailing(const FailureEvidence& e, const std::vector<Source>&) {
  if (e.state != "running" || e.health != "unhealthy") return std::nullopt;
  std::vector<std::string> seen = {"State.Health.Status: unhealthy"};
  for (std::string out : e.health_log) {
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    seen.push_back("healthcheck: " + out);
  }
  return Verdict{
      FailureCause::kHealthcheckFailing, 0.7, std::move(seen), {Restart(e), Recreate(e)}};
}

std::optional<Verdict> CrashExitCode(const FailureEvidence& e, const std::vector<Source>&) {
  if (!e.exit_code || *e.exit_code == 0 || e.state == "running") return std::nullopt;
  std::vector<std::string> seen = {ExitLine(e)};
  if (!e.log_lines.empty()) seen.push_back("log: " + e.log_lines.back());
  return Verdict{FailureCause::kCrashExitCode, 0.4, std::move(seen), {Restart(e), Recreate(e)}};
}

const std::array<Rule, 9>& Rules() {
  static const std::array<Rule, 9> rules = {
      ImageMissing,          OomKilled,          PortInUse,
      CommandNotFound,       MissingConfig,      PermissionDenied,
      DependencyUnavailable, HealthcheckFailing, CrashExitCode};
  return rules;
}

}  // namespace

const char* FailureCauseName(FailureCause cause) {
  switch (cause) {
    case FailureCause::kOomKilled:
      return "oom_killed";
    case FailureCause::kCommandNotFound:
      return "command_not_found";
    case FailureCause::kPortInUse:
      return "port_in_use";
    case FailureCause::kDependencyUnavailable:
      return "dependency_unavailable";
    case FailureCause::kMissingConfig:
      return "missing_config";
    case FailureCause::kPermissionDenied:
      return "permission_denied";
    case FailureCause::kImageMissing:
      return "image_missing";
    case FailureCause::kHealthcheckFailing:
      return "healthcheck_failing";
    case FailureCause::kCrashExitCode:
      return "crash_exit_code";
    case FailureCause::kUnknown:
      return "unknown";
  }
  return "unknown";
}

std::optional<FailureCause> ParseFailureCause(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(FailureCause::kUnknown); ++i) {
    const auto cause = static_cast<FailureCause>(i);
    if (name == FailureCauseName(cause)) return cause;
  }
  return std::nullopt;
}

const char* FailureKindName(FailureKind kind) {
  switch (kind) {
    case FailureKind::kReadiness:
      return "readiness";
    case FailureKind::kCrashLoop:
      return "crash_loop";
    case FailureKind::kUnhealthy:
      return "unhealthy";
    case FailureKind::kConductorPhase:
      return "conductor_phase";
  }
  return "readiness";
}

std::optional<FailureKind> ParseFailureKind(std::string_view name) {
  for (FailureKind kind : {FailureKind::kReadiness, FailureKind::kCrashLoop,
                           FailureKind::kUnhealthy, FailureKind::kConductorPhase}) {
    if (name == FailureKindName(kind)) return kind;
  }
  return std::nullopt;
}

const char* RemediationKindName(RemediationKind kind) {
  switch (kind) {
    case RemediationKind::kRestart:
      return "restart";
    case RemediationKind::kRecreate:
      return "recreate";
    case RemediationKind::kStartDependency:
      return "start_dependency";
    case RemediationKind::kRebuild:
      return "rebuild";
    case RemediationKind::kQuarantine:
      return "quarantine";
    case RemediationKind::kManual:
      return "manual";
  }
  return "manual";
}

std::optional<RemediationKind> ParseRemediationKind(std::string_view name) {
  for (int i = 0; i <= static_cast<int>(RemediationKind::kManual); ++i) {
    const auto kind = static_cast<RemediationKind>(i);
    if (name == RemediationKindName(kind)) return kind;
  }
  return std::nullopt;
}

const char* RiskName(Risk risk) {
  switch (risk) {
    case Risk::kLow:
      return "low";
    case Risk::kMedium:
      return "medium";
    case Risk::kHigh:
      return "high";
  }
  return "high";
}

Risk RemediationRisk(RemediationKind kind) {
  switch (kind) {
    case RemediationKind::kRestart:
    case RemediationKind::kStartDependency:
      return Risk::kLow;
    case RemediationKind::kRecreate:
    case RemediationKind::kQuarantine:
      return Risk::kMedium;
    case RemediationKind::kRebuild:
    case RemediationKind::kManual:
      return Risk::kHigh;
  }
  return Risk::kHigh;
}

Diagnosis Diagnose(const FailureEvidence& evidence) {
  const std::vector<Source> sources = Sources(evidence);
  Diagnosis out;
  out.service = evidence.service;
  for (const Rule& rule : Rules()) {
    std::optional<Verdict> verdict = rule(evidence, sources);
    if (!verdict) continue;
    out.cause = verdict->cause;
    out.confidence = verdict->confidence;
    out.evidence = std::move(verdict->evidence);
    out.remediations = std::move(verdict->remediations);
    return out;
  }
  out.cause = FailureCause::kUnknown;
  out.confidence = 0.1;
  out.evidence.push_back("state: " + (evidence.state.empty() ? "unknown" : evidence.state));
  for (const std::string& line : evidence.log_lines) out.evidence.push_back("log: " + line);
  out.remediations = {
      Manual(evidence, "no rule matched: read `madre logs " + evidence.service +
                           "` and its inspect; the evidence above is what madre saw")};
  return out;
}

}  // namespace madre
