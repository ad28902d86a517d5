#include "core/autofix.h"

#include <algorithm>

namespace madre {

Result<std::set<RemediationKind>> ParseAutoActions(std::string_view text) {
  std::set<RemediationKind> kinds;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    std::size_t end = text.find(',', begin);
    if (end == std::string_view::npos) end = text.size();
    std::string_view word = text.substr(begin, end - begin);
    while (!word.empty() && word.front() == ' ') word.remove_prefix(1);
    while (!word.empty() && word.back() == ' ') word.remove_suffix(1);
    if (!word.empty()) {
      std::optional<RemediationKind> kind = ParseRemediationKind(word);
      if (!kind) {
        return Status::InvalidArgument(
            "unknown remediation \"" + std::string(word) +
            "\" (restart, recreate, start_dependency, rebuild, quarantine)");
      }
      if (*kind == RemediationKind::kManual) {
        return Status::InvalidArgument("manual cannot be automatic: a human must act");
      }
      kinds.insert(*kind);
    }
    begin = end + 1;
  }
  return kinds;
}

std::string AutoActionsText(const std::set<RemediationKind>& kinds) {
  std::string out;
  for (RemediationKind kind : kinds) {
    if (!out.empty()) out += ",";
    out += RemediationKindName(kind);
  }
  return out;
}

const char* IncidentStateName(IncidentState state) {
  switch (state) {
    case IncidentState::kDiagnosing:
      return "diagnosing";
    case IncidentState::kAwaitingApproval:
      return "awaiting_approval";
    case IncidentState::kRemediating:
      return "remediating";
    case IncidentState::kRetesting:
      return "retesting";
    case IncidentState::kFixed:
      return "fixed";
    case IncidentState::kNotFixed:
      return "not_fixed";
    case IncidentState::kQuarantined:
      return "quarantined";
    case IncidentState::kManual:
      return "manual";
  }
  return "diagnosing";
}

std::optional<IncidentState> ParseIncidentState(std::string_view name) {
  for (IncidentState state :
       {IncidentState::kDiagnosing, IncidentState::kAwaitingApproval, IncidentState::kRemediating,
        IncidentState::kRetesting, IncidentState::kFixed, IncidentState::kNotFixed,
        IncidentState::kQuarantined, IncidentState::kManual}) {
    if (name == IncidentStateName(state)) return state;
  }
  return std::nullopt;
}

bool IsFinal(IncidentState state) {
  return state == IncidentState::kFixed || state == IncidentState::kNotFixed ||
         state == IncidentState::kQuarantined || state == IncidentState::kManual;
}

namespace {

// The remediation of `diagnosis` a cycle proposes (see Propose); null when it has none.
const Remediation* Escalated(const Diagnosis& diagnosis, const AutofixPolicy& policy,
                             const std::set<RemediationKind>& tried) {
  if (diagnosis.remediations.empty()) return nullptr;
  for (const Remediation& r : diagnosis.remediations) {
    if (tried.count(r.kind) > 0) continue;
    if (policy.auto_actions.empty() || policy.auto_actions.count(r.kind) > 0) return &r;
  }
  return &diagnosis.remediations.front();
}

}  // namespace

Proposal Propose(const Diagnosis& diagnosis, const std::optional<Remediation>& adviser_pick,
                 const AutofixPolicy& policy, int cycle, bool always_on,
                 const std::set<RemediationKind>& tried) {
  Proposal out;
  const std::string& service = diagnosis.service;
  if (cycle > policy.max_cycles) {
    out.gives_up = true;
    if (always_on) {
      out.remediation = {RemediationKind::kManual, service,
                         service + " is always-on and still fails after " +
                             std::to_string(policy.max_cycles) +
                             " autofix cycles: a human must fix it (see the evidence)"};
      out.why = "cycle limit reached; an always-on service is never quarantined";
    } else {
      out.remediation = {RemediationKind::kQuarantine, service,
                         "stop " + service + " and never start it automatically until `madre " +
                             "autofix reset " + service + "`"};
      out.auto_approved = true;
      out.why = "still failing after " + std::to_string(policy.max_cycles) +
                " cycles (VX11_AUTOFIX_MAX_CYCLES): give up";
    }
    return out;
  }
  if (adviser_pick) {
    out.remediation = *adviser_pick;
    out.from_adviser = true;
    out.why = "the adviser's pick (it always waits for a human)";
  } else if (const Remediation* r = Escalated(diagnosis, policy, tried); r != nullptr) {
    out.remediation = *r;
    const bool first = r == &diagnosis.remediations.front();
    out.why =
        std::string(first ? "the rules' first remediation for "
                          : "escalated past what was tried: the rules' next remediation for ") +
        FailureCauseName(diagnosis.cause);
  } else {
    out.remediation = {RemediationKind::kManual, service, "look at " + service + "'s evidence"};
    out.why = "no remediation fits";
  }
  if (always_on && out.remediation.kind == RemediationKind::kQuarantine) {
    out.remediation = {RemediationKind::kManual, service,
                       service + " is always-on: it is never quarantined; fix it by hand"};
  }
  out.auto_approved = !out.from_adviser && out.remediation.kind != RemediationKind::kManual &&
                      policy.auto_actions.count(out.remediation.kind) > 0;
  return out;
}

Duration RestartDelay(int cycle) {
  Duration delay = Seconds(2);
  for (int i = 1; i < cycle && delay < Seconds(60); ++i) delay *= 2;
  return std::min(delay, Duration(Seconds(60)));
}

}  // namespace madre
