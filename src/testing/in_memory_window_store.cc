#include "testing/in_memory_window_store.h"

#include <algorithm>

namespace madre {

void InMemoryWindowStore::FailNextSave(Status status) {
  std::lock_guard lock(mu_);
  fail_next_save_ = std::move(status);
}

void InMemoryWindowStore::FailAll(Status status) {
  std::lock_guard lock(mu_);
  fail_all_ = std::move(status);
}

void InMemoryWindowStore::FailSavesOf(WindowState state, Status status) {
  std::lock_guard lock(mu_);
  fail_state_[state] = std::move(status);
}

void InMemoryWindowStore::Heal() {
  std::lock_guard lock(mu_);
  fail_state_.clear();
  fail_next_save_.reset();
  fail_all_.reset();
}

int InMemoryWindowStore::save_count() const {
  std::lock_guard lock(mu_);
  return save_count_;
}

std::vector<Window> InMemoryWindowStore::All() const {
  std::lock_guard lock(mu_);
  std::vector<Window> all;
  for (const auto& [id, window] : windows_) all.push_back(window);
  return all;
}

Result<std::vector<Window>> InMemoryWindowStore::LoadOpen() {
  std::lock_guard lock(mu_);
  if (fail_all_) return *fail_all_;
  std::vector<Window> open;
  for (const auto& [id, window] : windows_) {
    if (!window.Terminal()) open.push_back(window);
  }
  std::stable_sort(open.begin(), open.end(), [](const Window& a, const Window& b) {
    return a.created_at < b.created_at;  // ties stay in id order (the map's)
  });
  return open;
}

Status InMemoryWindowStore::Save(const Window& window) {
  std::lock_guard lock(mu_);
  if (fail_all_) return *fail_all_;
  if (fail_next_save_) {
    Status status = std::move(*fail_next_save_);
    fail_next_save_.reset();
    return status;
  }
  if (auto it = fail_state_.find(window.state); it != fail_state_.end()) return it->second;
  windows_[window.id] = window;
  ++save_count_;
  return Status::Ok();
}

Result<std::vector<Window>> InMemoryWindowStore::History(int limit) {
  std::lock_guard lock(mu_);
  if (fail_all_) return *fail_all_;
  std::vector<Window> history;
  for (const auto& [id, window] : windows_) {
    if (window.Terminal()) history.push_back(window);
  }
  std::sort(history.begin(), history.end(), [](const Window& a, const Window& b) {
    if (a.closed_at != b.closed_at) {
      if (!a.closed_at || !b.closed_at) return a.closed_at.has_value();  // missing: last
      return *a.closed_at > *b.closed_at;
    }
    return a.id > b.id;
  });
  history.resize(
      std::min<std::size_t>(history.size(), static_cast<std::size_t>(std::max(limit, 0))));
  return history;
}

Result<std::optional<Window>> InMemoryWindowStore::Get(const std::string& id) {
  std::lock_guard lock(mu_);
  if (fail_all_) return *fail_all_;
  auto it = windows_.find(id);
  if (it == windows_.end()) return std::optional<Window>();
  return std::optional<Window>(it->second);
}

}  // namespace madre
