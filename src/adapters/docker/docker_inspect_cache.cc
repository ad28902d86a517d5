#include "adapters/docker/docker_inspect_cache.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "adapters/docker/json_members.h"

namespace madre {

Result<std::vector<ListedStatus>> ParseListStatusTexts(std::string_view list_json) {
  nlohmann::json doc = nlohmann::json::parse(list_json, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) {
    return Status::Internal("docker: the container list is not a JSON array");
  }
  std::vector<ListedStatus> out;
  out.reserve(doc.size());
  for (const nlohmann::json& entry : doc) {
    std::optional<std::string> id = docker_json::StringMember(entry, "Id");
    if (!id) return Status::Internal("docker: container list entry without Id");
    out.push_back({std::move(*id), docker_json::StringMember(entry, "Status").value_or("")});
  }
  return out;
}

std::string InspectCacheKey(const ContainerState& listed, std::string_view status_text) {
  std::string key = listed.state;
  key += '\n';
  key += listed.container;
  key += '\n';
  key += status_text;
  return key;
}

std::optional<Duration> MinElapsedInStatus(std::string_view text) {
  std::string_view rest;
  if (text.starts_with("Up")) {
    rest = text.substr(std::min<std::size_t>(3, text.size()));
  } else if (text.starts_with("Exited (") || text.starts_with("Restarting (")) {
    const std::size_t close = text.find(") ");
    if (close == std::string_view::npos) return Duration::zero();
    rest = text.substr(close + 2);
  } else {
    return std::nullopt;  // Created, Dead, Removal In Progress: no time
  }
  if (rest.starts_with("Less than a second")) return Duration::zero();
  if (rest.starts_with("About a minute")) return Seconds(60);
  if (rest.starts_with("About an hour")) return Seconds(3600);
  std::int64_t n = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
  if (ec != std::errc() || n < 0) return Duration::zero();
  std::string_view unit = rest.substr(static_cast<std::size_t>(end - rest.data()));
  if (unit.starts_with(" second")) return Seconds(n);
  if (unit.starts_with(" minute")) return Seconds(60 * n);
  for (std::string_view longer : {" hour", " day", " week", " month", " year"}) {
    if (unit.starts_with(longer)) return Seconds(3600);
  }
  return Duration::zero();
}

std::optional<ContainerState> InspectCache::Find(const ContainerState& listed,
                                                 std::string_view status_text,
                                                 TimePoint now) const {
  const std::string key = InspectCacheKey(listed, status_text);
  std::lock_guard lock(mu_);
  auto it = entries_.find(listed.id);
  if (it == entries_.end() || it->second.key != key) return std::nullopt;
  const Entry& entry = it->second;
  if (now < entry.asked_at || now - entry.asked_at >= entry.good_for) return std::nullopt;
  return entry.inspected;
}

void InspectCache::Put(const ContainerState& listed, std::string_view status_text,
                       ContainerState inspected, TimePoint asked_at) {
  if (max_age_ <= Duration::zero()) return;
  // The inspect answer comes after the list: when it describes another moment (a pause, an
  // unpause or a health change between the two calls), it cannot stand for what the list shows,
  // and kept under the list's key it would come back, wrong, the next time the list shows the
  // container the same way (a re-unpaused container answered as paused).
  if (inspected.state != listed.state ||
      (!listed.health.empty() && inspected.health != listed.health)) {
    return;
  }
  Duration good_for = max_age_;
  if (std::optional<Duration> elapsed = MinElapsedInStatus(status_text)) {
    good_for = std::min(good_for, *elapsed);
  }
  if (good_for <= Duration::zero()) return;  // could be stale by the next list
  Entry entry{InspectCacheKey(listed, status_text), std::move(inspected), asked_at, good_for};
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.try_emplace(listed.id, entry);
  if (!inserted && it->second.asked_at <= asked_at) it->second = std::move(entry);
}

void InspectCache::RetainOnly(const std::vector<std::string>& ids) {
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  std::lock_guard lock(mu_);
  std::erase_if(entries_, [&](const auto& entry) {
    return !std::binary_search(sorted.begin(), sorted.end(), entry.first);
  });
}

std::size_t InspectCache::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace madre
