#include "core/webhook.h"

#include <algorithm>

#include "base/hmac_sha256.h"

namespace madre {

namespace {

bool IsFamily(std::string_view name) {
  const auto& families = WebhookEventFamilies();
  return std::find(families.begin(), families.end(), name) != families.end();
}

bool IsEventName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

std::string_view FamilyOf(std::string_view type) {
  const std::size_t dot = type.find('.');
  return dot == std::string_view::npos ? type : type.substr(0, dot);
}

}  // namespace

const std::vector<std::string>& WebhookEventFamilies() {
  static const std::vector<std::string> families = {"window", "service", "crash_loop",
                                                    "intent", "autofix", "webhook"};
  return families;
}

bool IsValidWebhookFilter(std::string_view filter) {
  if (filter == "*") return true;
  const std::size_t dot = filter.find('.');
  if (dot == std::string_view::npos) return IsFamily(filter);
  const std::string_view rest = filter.substr(dot + 1);
  return IsFamily(filter.substr(0, dot)) && (rest == "*" || IsEventName(rest));
}

bool WebhookEventMatches(const std::vector<std::string>& filters, std::string_view type) {
  if (filters.empty()) return true;
  const std::string_view family = FamilyOf(type);
  return std::any_of(filters.begin(), filters.end(), [&](const std::string& filter) {
    if (filter == "*") return true;
    if (filter.find('.') == std::string::npos) return filter == family;
    if (filter.size() > 2 && filter.compare(filter.size() - 2, 2, ".*") == 0) {
      return std::string_view(filter).substr(0, filter.size() - 2) == family;
    }
    return filter == type;
  });
}

std::optional<std::string> WebhookTypeOfAuditAction(std::string_view action) {
  if (action == "service.crashloop") return "crash_loop.detected";
  const std::size_t dot = action.find('.');
  if (dot == std::string_view::npos || dot + 1 == action.size()) return std::nullopt;
  const std::string_view family = action.substr(0, dot);
  if (family == "window" || family == "service" || family == "intent" || family == "autofix") {
    return std::string(action);
  }
  return std::nullopt;
}

std::string WebhookSignature(std::string_view secret, std::string_view timestamp,
                             std::string_view body) {
  std::string signed_text;
  signed_text.reserve(timestamp.size() + 1 + body.size());
  signed_text.append(timestamp).append(".").append(body);
  return "sha256=" + HmacSha256Hex(secret, signed_text);
}

Duration WebhookBackoff(int failures) {
  constexpr Duration kFirst = std::chrono::seconds(1);
  constexpr Duration kMost = std::chrono::minutes(5);
  if (failures <= 1) return kFirst;
  Duration wait = kFirst;
  for (int i = 1; i < failures && wait < kMost; ++i) wait *= 2;
  return std::min(wait, kMost);
}

}  // namespace madre
