#include "daemon/intent_policy_file.h"

#include <toml++/toml.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "core/intent.h"

namespace madre {

namespace {

const std::set<std::string> kRuleKeys = {"name", "source", "type", "action", "approvers"};

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

// A string key of a rule: "" when absent.
Result<std::string> String(const toml::table& rule, const char* key, const std::string& where) {
  const toml::node* node = rule.get(key);
  if (!node) return std::string();
  if (!node->is_string()) return Bad(where, std::string(key) + " must be a string");
  return node->as_string()->get();
}

// source and type: absent, "*", or 1 to 64 of [A-Za-z0-9_.:-].
Result<std::string> Matcher(const toml::table& rule, const char* key, const std::string& where) {
  ASSIGN_OR_RETURN(std::string value, String(rule, key, where));
  if (rule.get(key) && value != "*" && !IsValidIntentWord(value)) {
    return Bad(where, std::string(key) + " must be \"*\" or 1 to 64 of [A-Za-z0-9_.:-], not \"" +
                          value + "\"");
  }
  return value;
}

Result<PolicyRule> ParseRule(const toml::table& table, const std::string& where) {
  for (const auto& [key, value] : table) {
    if (!kRuleKeys.count(std::string(key.str()))) {
      return Bad(where, "unknown key " + std::string(key.str()) +
                            " (name, source, type, action, approvers)");
    }
  }
  PolicyRule rule;
  ASSIGN_OR_RETURN(rule.name, String(table, "name", where));
  if (rule.name.empty()) return Bad(where, "name is required");
  if (!IsValidIntentWord(rule.name)) {
    return Bad(where, "name must be 1 to 64 of [A-Za-z0-9_.:-], not \"" + rule.name + "\"");
  }
  ASSIGN_OR_RETURN(rule.source, Matcher(table, "source", where));
  ASSIGN_OR_RETURN(rule.type, Matcher(table, "type", where));
  ASSIGN_OR_RETURN(std::string action, String(table, "action", where));
  if (action.empty()) return Bad(where, "action is required");
  std::optional<PolicyAction> parsed = ParsePolicyAction(action);
  if (!parsed) {
    return Bad(where,
               "action must be auto_approve, require_approval or deny, not \"" + action + "\"");
  }
  rule.action = *parsed;
  if (const toml::node* approvers = table.get("approvers")) {
    if (rule.action != PolicyAction::kRequireApproval) {
      return Bad(where, "approvers goes with action = \"require_approval\" only");
    }
    const toml::array* list = approvers->as_array();
    if (!list || list->empty()) return Bad(where, "approvers must be a non-empty list of roles");
    for (const toml::node& item : *list) {
      std::optional<Role> role =
          item.is_string() ? ParseRole(item.as_string()->get()) : std::nullopt;
      if (!role || *role == Role::kViewer) {
        return Bad(where, "approvers: each must be submitter, operator or admin");
      }
      rule.approvers.push_back(*role);
    }
  }
  return rule;
}

// [sources.NAME]: max_concurrent (an integer >= 0) and cpu_share_pct (a number 0..100).
Result<SourceQuota> ParseQuota(const toml::table& table, const std::string& where) {
  SourceQuota quota;
  for (const auto& [key, value] : table) {
    const std::string name(key.str());
    if (name == "max_concurrent") {
      const std::optional<std::int64_t> n =
          value.is_integer() ? value.value<std::int64_t>() : std::nullopt;
      if (!n || *n < 0 || *n > 1000000) {
        return Bad(where, "max_concurrent must be an integer >= 0 (0: no limit)");
      }
      quota.max_concurrent = static_cast<int>(*n);
    } else if (name == "cpu_share_pct") {
      const std::optional<double> pct = value.is_number() ? value.value<double>() : std::nullopt;
      if (!pct || !(*pct >= 0 && *pct <= 100)) {
        return Bad(where,
                   "cpu_share_pct must be a number 0..100 (% of the host's CPU; 0: no "
                   "limit)");
      }
      quota.cpu_share_pct = *pct;
    } else {
      return Bad(where, "unknown key " + name + " (max_concurrent, cpu_share_pct)");
    }
  }
  return quota;
}

Result<std::map<std::string, SourceQuota>> ParseSources(const toml::node& node,
                                                        const std::string& origin) {
  const toml::table* sources = node.as_table();
  if (!sources) return Bad(origin, "sources must be a table: write [sources.NAME]");
  std::map<std::string, SourceQuota> quotas;
  for (const auto& [key, value] : *sources) {
    const std::string name(key.str());
    const std::string where = origin + ": sources." + name;
    if (name != "*" && !IsValidIntentWord(name)) {
      return Bad(where, "a source is \"*\" or 1 to 64 of [A-Za-z0-9_.:-]");
    }
    const toml::table* table = value.as_table();
    if (!table) return Bad(where, "must be a table ([sources.NAME])");
    ASSIGN_OR_RETURN(quotas[name], ParseQuota(*table, where));
  }
  return quotas;
}

}  // namespace

Result<IntentPolicy> ParseIntentPolicy(std::string_view text, const std::string& origin) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(origin + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  for (const auto& [key, value] : table) {
    if (key.str() != "rule" && key.str() != "sources") {
      return Bad(origin, "unknown key " + std::string(key.str()) +
                             " (only [[rule]] and [sources.NAME] tables)");
    }
  }
  IntentPolicy policy;
  if (const toml::node* sources = table.get("sources")) {
    ASSIGN_OR_RETURN(policy.sources, ParseSources(*sources, origin));
  }
  const toml::node* rules = table.get("rule");
  if (!rules) return policy;
  const toml::array* list = rules->as_array();
  if (!list) return Bad(origin, "rule must be an array of tables: write [[rule]]");
  std::set<std::string> names;
  int index = 0;
  for (const toml::node& node : *list) {
    ++index;
    std::string where = origin + ": rule " + std::to_string(index);
    const toml::table* rule_table = node.as_table();
    if (!rule_table) return Bad(where, "must be a table ([[rule]])");
    if (const toml::node* name = rule_table->get("name"); name && name->is_string()) {
      where += " (" + name->as_string()->get() + ")";
    }
    ASSIGN_OR_RETURN(PolicyRule rule, ParseRule(*rule_table, where));
    if (!names.insert(rule.name).second) return Bad(where, "name " + rule.name + " is used twice");
    policy.rules.push_back(std::move(rule));
  }
  return policy;
}

Result<IntentPolicy> LoadIntentPolicy(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read the intent policy file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return ParseIntentPolicy(text.str(), path.string());
}

}  // namespace madre
