// What DockerEngineClient::ListProject remembers between calls: the inspect answer of each
// container, valid while the container list still describes the container the same way.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "core/model.h"

namespace madre {

// The `Id` and `Status` text ("Up 3 minutes (healthy)", "Exited (1) 2 seconds ago") of every
// entry of a GET /containers/json answer, in order. kInternal when it is not such an answer.
struct ListedStatus {
  std::string id;
  std::string status_text;
};
Result<std::vector<ListedStatus>> ParseListStatusTexts(std::string_view list_json);

// What the list says about a container, as a cache key: state, name and the Status text. The
// text carries the health and the time since the last start or exit, so a restart, a change
// of health, a pause or an exit changes the key, unless the text comes back the same.
std::string InspectCacheKey(const ContainerState& listed, std::string_view status_text);

// The least time since the start or exit that a list Status text reports, as the Engine
// writes it (go-units HumanDuration): "Up 3 seconds (healthy)" -> 3 s, "Exited (1) Less than
// a second ago" -> 0, "Up About a minute" -> 60 s, "Up 2 hours" -> 1 h (hours are rounded;
// anything from an hour on counts as 1 h). nullopt for a text that carries no time ("Created",
// "Dead", "Removal In Progress"); 0 for an "Up"/"Exited"/"Restarting" text it cannot read.
// The same text can only come back after a new start or exit once that much time has passed
// since the list that showed it first.
std::optional<Duration> MinElapsedInStatus(std::string_view status_text);

// Inspect answers by container id. An answer serves a later list only while the list describes
// the container the same way (InspectCacheKey) and for less than both `max_age` and the
// MinElapsedInStatus of its text after it was asked for: within that time an unchanged text
// cannot hide a restart (a new restart_count) or a new exit. Safe to call from any thread at
// once. A `max_age` of zero or less caches nothing.
class InspectCache {
 public:
  explicit InspectCache(Duration max_age) : max_age_(max_age) {}

  // The answer stored for `listed` (the list's view of it, with its Status text) if it is still
  // good at `now`, a time after the list was answered. An entry from `now`'s future (a clock
  // step back) is stale.
  std::optional<ContainerState> Find(const ContainerState& listed, std::string_view status_text,
                                     TimePoint now) const;
  // Stores the inspect answer for a container the list showed as `listed` / `status_text`.
  // `asked_at` is a time before that list was asked for. Does not replace an entry from a
  // later list. Stores nothing when the answer's state, or its health where the list shows
  // one, differs from the list's: the two calls saw different moments.
  void Put(const ContainerState& listed, std::string_view status_text, ContainerState inspected,
           TimePoint asked_at);
  // Drops every entry whose id is not in `ids` (containers gone from the list).
  void RetainOnly(const std::vector<std::string>& ids);

  std::size_t size() const;

 private:
  struct Entry {
    std::string key;
    ContainerState inspected;
    TimePoint asked_at;
    Duration good_for;  // max_age_ or less, from the Status text
  };

  const Duration max_age_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;  // GUARDED_BY(mu_)
};

}  // namespace madre
