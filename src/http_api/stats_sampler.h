// CPU and memory of the project's running containers (Docker stats), sampled on a timer for
// GET /metrics and GET /madre/power/status?stats=1 instead of once per request.
//
// It samples every `interval` only while it is wanted: a window is kept, an open waits for
// admission (`busy`), or a scrape came in within the last two scrape intervals. Otherwise no
// timer runs (an idle madre does nothing between events); Poke() or a scrape starts it again.
// Each round samples every running container in parallel on one worker job and replaces the
// cache, so containers that are gone drop out of it. At most one round runs at a time.
//
// Threading: engine thread only; the Docker calls run on `workers`.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/model.h"
#include "http_api/http_common.h"
#include "ports/container_observer.h"
#include "ports/executor.h"

namespace madre {

class StatsSampler {
 public:
  struct Deps {
    ContainerObserver& observer;
    Executor& workers;
    Executor& loop;
    ScheduleAfter after;
    std::function<TimePoint()> now;
    std::function<std::vector<ContainerState>()> containers;  // the engine's last observation
    std::function<bool()> busy;                               // a window is kept or an open waits
  };
  static constexpr Duration kDefaultInterval = Seconds(10);

  explicit StatsSampler(Deps deps, Duration interval = kDefaultInterval);

  // A scrape of /metrics came in: sampling goes on for two scrape intervals.
  void OnScrape();
  // Something changed (window, admission): starts the timer if sampling is wanted now.
  void Poke();
  // Calls `then` with stats no older than the interval for `containers`, sampling first when
  // the last round is older (GET /madre/power/status?stats=1).
  void Fresh(std::vector<ContainerState> containers, std::function<void()> then);
  // The last round, by container id.
  const std::map<std::string, ContainerStats>& stats() const { return stats_; }
  std::optional<TimePoint> sampled_at() const { return sampled_at_; }
  bool ticking() const { return ticking_; }

 private:
  bool Wanted() const;
  void Tick();
  void Sample(std::vector<ContainerState> containers);

  Deps deps_;
  Duration interval_;
  bool ticking_ = false;
  bool sampling_ = false;
  std::vector<std::function<void()>> waiters_;  // Fresh() callers waiting for a round
  std::optional<TimePoint> last_scrape_, previous_scrape_;
  std::optional<TimePoint> sampled_at_;
  std::map<std::string, ContainerStats> stats_;
};

}  // namespace madre
