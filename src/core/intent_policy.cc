#include "core/intent_policy.h"

#include <algorithm>

namespace madre {

namespace {

bool FieldMatches(const std::string& want, std::string_view have) {
  return want.empty() || want == "*" || want == have;
}

}  // namespace

const char* PolicyActionName(PolicyAction action) {
  switch (action) {
    case PolicyAction::kAutoApprove:
      return "auto_approve";
    case PolicyAction::kRequireApproval:
      return "require_approval";
    case PolicyAction::kDeny:
      return "deny";
  }
  return "require_approval";
}

std::optional<PolicyAction> ParsePolicyAction(std::string_view text) {
  for (PolicyAction a :
       {PolicyAction::kAutoApprove, PolicyAction::kRequireApproval, PolicyAction::kDeny}) {
    if (text == PolicyActionName(a)) return a;
  }
  return std::nullopt;
}

bool PolicyRule::Matches(std::string_view intent_source, std::string_view intent_type) const {
  return FieldMatches(source, intent_source) && FieldMatches(type, intent_type);
}

PolicyVerdict MatchPolicy(const IntentPolicy& policy, std::string_view source,
                          std::string_view type, bool token_less) {
  const PolicyRule* first = nullptr;
  for (const PolicyRule& rule : policy.rules) {
    if (!rule.Matches(source, type)) continue;
    if (rule.action == PolicyAction::kDeny) {
      return PolicyVerdict{PolicyAction::kDeny, rule.name, {}};
    }
    if (!first) first = &rule;
  }
  if (!first) return PolicyVerdict{};
  PolicyVerdict verdict{first->action, first->name, first->approvers};
  if (verdict.action == PolicyAction::kAutoApprove && token_less) {
    verdict.action = PolicyAction::kRequireApproval;
  }
  return verdict;
}

SourceQuota IntentPolicy::QuotaFor(const std::string& source) const {
  if (auto it = sources.find(source); it != sources.end()) return it->second;
  if (auto it = sources.find("*"); it != sources.end()) return it->second;
  return SourceQuota{};
}

bool MayDecide(const PolicyVerdict& verdict, Role role) {
  if (role == Role::kAdmin) return true;
  if (verdict.approvers.empty()) return RoleAllows(role, Role::kOperator);
  return std::any_of(verdict.approvers.begin(), verdict.approvers.end(),
                     [role](Role need) { return RoleAllows(role, need); });
}

}  // namespace madre
