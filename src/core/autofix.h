// Autofix's decisions (issue 12; docs/autofix.md): which remediation an incident's cycle
// proposes, whether it runs without a human, how long a restart waits, and when autofix gives
// up. Pure: the diagnosis (core/diagnosis.h) and the adviser's pick come in as values.
//
// The ladder: observe (diagnose every incident), suggest (a `remediate` intent waits for
// approval), auto-apply the kinds VX11_AUTOFIX_AUTO_ACTIONS lists, give up after
// VX11_AUTOFIX_MAX_CYCLES cycles (quarantine, or `manual` for an always-on service).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"
#include "core/diagnosis.h"

namespace madre {

inline constexpr int kDefaultAutofixMaxCycles = 3;
inline constexpr int kMaxAutofixMaxCycles = 20;

struct AutofixPolicy {
  std::set<RemediationKind> auto_actions;  // empty: suggest only (the default)
  int max_cycles = kDefaultAutofixMaxCycles;
};

// VX11_AUTOFIX_AUTO_ACTIONS: a comma-separated list of the catalogue's kinds ("restart",
// "restart,recreate"); "" is none. kInvalidArgument naming an unknown kind, or `manual`
// (nothing runs for it).
Result<std::set<RemediationKind>> ParseAutoActions(std::string_view text);
std::string AutoActionsText(const std::set<RemediationKind>& kinds);  // "restart,recreate"

// Where an incident is (GET /madre/autofix/incidents/{id}). fixed, not_fixed, quarantined
// and manual are final.
enum class IncidentState {
  kDiagnosing,
  kAwaitingApproval,  // a remediate intent waits for a human
  kRemediating,       // an approved remediation is being applied
  kRetesting,         // applied; waiting to see the service ready again
  kFixed,
  kNotFixed,     // a remediation was rejected or expired, or nothing could be applied
  kQuarantined,  // gave up after the cycle limit
  kManual,       // only a human can fix it (the remediation's text says what)
};
const char* IncidentStateName(IncidentState state);
std::optional<IncidentState> ParseIncidentState(std::string_view name);
bool IsFinal(IncidentState state);

struct Proposal {
  Remediation remediation;
  bool auto_approved = false;  // runs without a human
  bool from_adviser = false;
  bool gives_up = false;  // the cycle limit was reached: quarantine (or manual)
  std::string why;        // one line for PATCH_INTENT.md
};

// What cycle `cycle` (1-based) of an incident of `diagnosis.service` proposes:
//  - past max_cycles: give up: quarantine, auto-approved (an always-on service: manual);
//  - the adviser's pick when it made one (never auto-approved: log lines can carry prompt
//    injection);
//  - else one of the diagnosis' remediations (best first), escalating past the kinds `tried`
//    (applied in earlier cycles of this incident, and the service still failed):
//      - suggest only (policy.auto_actions empty): the first one not tried yet (a `manual`
//        one ends the incident: a human must act); the first one when all were tried;
//      - with auto actions: the first one not tried yet whose kind is auto-approved, so that
//        escalation never waits for a human the operator did not ask for; else the first one
//        (a restart, again, after a longer back-off);
//    a quarantine of an always-on service becomes manual.
// Auto-approved when its kind is in policy.auto_actions (never `manual`).
Proposal Propose(const Diagnosis& diagnosis, const std::optional<Remediation>& adviser_pick,
                 const AutofixPolicy& policy, int cycle, bool always_on,
                 const std::set<RemediationKind>& tried = {});

// The capped exponential back-off before a `restart` remediation of cycle `cycle`: 2 s, 4 s,
// 8 s, ... at most 60 s (as systemd's RestartSec steps and Kubernetes' CrashLoopBackOff).
Duration RestartDelay(int cycle);

// How long a re-test waits for the service to be ready again before it says `not fixed`.
inline constexpr Duration kRetestTimeout = Seconds(120);

}  // namespace madre
