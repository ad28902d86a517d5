// The intent policy (VX11_INTENT_POLICY_FILE, docs/intents.md): ordered rules matched on an
// intent's source and type. Among the rules that match, a `deny` wins; else the first match
// decides; no match: require_approval (the default policy: every intent needs approval). A
// token-less intent is never auto-approved (auto_approve becomes require_approval for it).
// Pure values; the TOML parser is daemon/intent_policy_file.h.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/identity.h"

namespace madre {

enum class PolicyAction { kAutoApprove, kRequireApproval, kDeny };
const char* PolicyActionName(PolicyAction action);  // "auto_approve", "require_approval", "deny"
std::optional<PolicyAction> ParsePolicyAction(std::string_view text);

struct PolicyRule {
  std::string name;    // an auto-approval's actor is "policy:<name>"
  std::string source;  // "" or "*": any source; else an exact match
  std::string type;    // same
  PolicyAction action = PolicyAction::kRequireApproval;
  // require_approval only: the roles that may approve or reject (each with the roles above it
  // on the ladder); empty: operator and admin.
  std::vector<Role> approvers;

  bool Matches(std::string_view intent_source, std::string_view intent_type) const;
  friend bool operator==(const PolicyRule&, const PolicyRule&) = default;
};

// A source's share of the host (the policy's `[sources.NAME]`), applied at admission when
// VX11_INEE_ENABLED=1 (core/intent_executor.h Admit); 0: no limit.
struct SourceQuota {
  int max_concurrent = 0;      // intents of the source executing at once
  double cpu_share_pct = 0.0;  // % of the host's CPU the source's windows' containers may use
  friend bool operator==(const SourceQuota&, const SourceQuota&) = default;
};

struct IntentPolicy {
  std::vector<PolicyRule> rules;  // in file order
  // By source name; "*": every source not named (an intent without a source included).
  std::map<std::string, SourceQuota> sources;

  // The quota of `source`: its own entry, else "*", else none (no limits).
  SourceQuota QuotaFor(const std::string& source) const;
};

struct PolicyVerdict {
  PolicyAction action = PolicyAction::kRequireApproval;
  std::string rule;             // the deciding rule's name; "" for the default (no rule matched)
  std::vector<Role> approvers;  // as the rule says (empty: operator and admin)
};

PolicyVerdict MatchPolicy(const IntentPolicy& policy, std::string_view source,
                          std::string_view type, bool token_less);

// Whether `role` may approve or reject an intent under `verdict`: admin always; else, with
// approvers named, a role at or above one of them; without, operator and above.
bool MayDecide(const PolicyVerdict& verdict, Role role);

}  // namespace madre
