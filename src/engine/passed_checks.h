// The runs of containers that madre saw pass a healthcheck (its own exec'd check, or Docker's
// `healthy`), remembered across actions so that an unpause can tell whether the container's last
// check passed when Docker logged none (it was paused before Docker's first interval: with the
// original stack's 30 s interval, any window closed within 30 s of its start). A run is a
// container id, its State.StartedAt and its restart count: a pause keeps all three, a start or a
// restart changes one. Shared by the engine's workers (thread-safe); bounded, oldest forgotten
// first; in memory only (after a restart of madre, an unpaused container is checked again).
#pragma once

#include <cstddef>
#include <deque>
#include <mutex>
#include <set>
#include <string>
#include <tuple>

#include "core/model.h"

namespace madre {

class PassedChecks {
 public:
  explicit PassedChecks(std::size_t capacity = 4096) : capacity_(capacity) {}

  // `c` (running, as an inspect shows it) passed a check. A container without an id or a
  // StartedAt cannot be told from a later run: not remembered.
  void Record(const ContainerState& c) {
    if (c.id.empty() || c.started_at.empty()) return;
    Key key = KeyOf(c);
    std::lock_guard<std::mutex> lock(mu_);
    if (!runs_.insert(key).second) return;
    order_.push_back(std::move(key));
    while (order_.size() > capacity_) {
      runs_.erase(order_.front());
      order_.pop_front();
    }
  }

  // True when this very run of `c` passed a check madre saw.
  bool Passed(const ContainerState& c) const {
    if (c.id.empty() || c.started_at.empty()) return false;
    std::lock_guard<std::mutex> lock(mu_);
    return runs_.count(KeyOf(c)) > 0;
  }

 private:
  using Key = std::tuple<std::string, std::string, int>;
  static Key KeyOf(const ContainerState& c) { return {c.id, c.started_at, c.restart_count}; }

  const std::size_t capacity_;
  mutable std::mutex mu_;
  std::set<Key> runs_;
  std::deque<Key> order_;
};

}  // namespace madre
