#include "http_api/stats_sampler.h"

#include <algorithm>
#include <future>

namespace madre {

StatsSampler::StatsSampler(Deps deps, Duration interval)
    : deps_(std::move(deps)), interval_(interval) {}

bool StatsSampler::Wanted() const {
  if (deps_.busy && deps_.busy()) return true;
  if (!last_scrape_) return false;
  // The scrape interval as seen between the last two scrapes (at least ours).
  Duration scrape_interval = interval_;
  if (previous_scrape_) scrape_interval = std::max(interval_, *last_scrape_ - *previous_scrape_);
  return deps_.now() - *last_scrape_ <= 2 * scrape_interval;
}

void StatsSampler::OnScrape() {
  previous_scrape_ = last_scrape_;
  last_scrape_ = deps_.now();
  Poke();
}

void StatsSampler::Poke() {
  if (ticking_ || !Wanted()) return;
  ticking_ = true;
  Tick();
}

void StatsSampler::Tick() {
  if (!Wanted()) {
    ticking_ = false;
    return;
  }
  Sample(deps_.containers());
  deps_.after(interval_, [this] { Tick(); });
}

void StatsSampler::Fresh(std::vector<ContainerState> containers, std::function<void()> then) {
  if (sampled_at_ && deps_.now() - *sampled_at_ <= interval_) {
    bool all_known = true;
    for (const auto& c : containers) {
      if (c.state == "running" && !c.id.empty() && !stats_.count(c.id)) all_known = false;
    }
    if (all_known) return then();
  }
  waiters_.push_back(std::move(then));
  Sample(std::move(containers));
}

void StatsSampler::Sample(std::vector<ContainerState> containers) {
  if (sampling_) return;  // the round under way answers the waiters too
  sampling_ = true;
  deps_.workers.Submit([this, containers = std::move(containers)] {
    std::vector<std::pair<std::string, std::future<Result<ContainerStats>>>> pending;
    for (const auto& c : containers) {
      if (c.state != "running" || c.id.empty()) continue;
      pending.emplace_back(c.id, std::async(std::launch::async, [this, id = c.id] {
                             return deps_.observer.Stats(id);
                           }));
    }
    std::map<std::string, ContainerStats> round;
    for (auto& [id, future] : pending) {
      Result<ContainerStats> stats = future.get();
      if (stats.ok()) round[id] = *stats;
    }
    deps_.loop.Submit([this, round = std::move(round)]() mutable {
      stats_ = std::move(round);  // replaces the cache: containers that are gone drop out
      sampled_at_ = deps_.now();
      sampling_ = false;
      std::vector<std::function<void()>> waiters;
      waiters.swap(waiters_);
      for (auto& then : waiters) then();
    });
  });
}

}  // namespace madre
