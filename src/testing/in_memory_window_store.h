// A WindowStore in memory, with failure switches, for engine tests. Passes
// window_store_contract.h like SqliteWindowStore. Thread-safe (one mutex), so a test may inspect
// it while another thread uses it.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ports/window_store.h"

namespace madre {

class InMemoryWindowStore final : public WindowStore {
 public:
  // The next Save fails with `status` and stores nothing; later calls work again.
  void FailNextSave(Status status);
  // Every call (reads too) fails with `status` until Heal().
  void FailAll(Status status);
  // Every Save of a window in `state` fails with `status` (and stores nothing) until Heal().
  void FailSavesOf(WindowState state, Status status);
  // Clears FailNextSave, FailAll and FailSavesOf.
  void Heal();

  // Successful Saves so far.
  int save_count() const;
  // Every stored window, by id.
  std::vector<Window> All() const;

  // WindowStore (same orderings as SqliteWindowStore: LoadOpen by created_at then id; History by
  // closed_at descending, a missing closed_at last, then id descending; `limit` <= 0 gives none).
  Result<std::vector<Window>> LoadOpen() override;
  Status Save(const Window& window) override;
  Result<std::vector<Window>> History(int limit) override;
  Result<std::optional<Window>> Get(const std::string& id) override;

 private:
  mutable std::mutex mu_;
  std::map<std::string, Window> windows_;     // GUARDED_BY(mu_)
  std::optional<Status> fail_next_save_;      // GUARDED_BY(mu_)
  std::optional<Status> fail_all_;            // GUARDED_BY(mu_)
  std::map<WindowState, Status> fail_state_;  // GUARDED_BY(mu_)
  int save_count_ = 0;                        // GUARDED_BY(mu_)
};

}  // namespace madre
