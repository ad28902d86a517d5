// Every change of an intent's state, as it is persisted: an IntentStore in front of the real one
// that calls `on_change` with the intent after each write that changed its state (a new
// submission, a decision, an expiry, each execution step), and only after the write succeeded.
// The one place where every caller's changes pass (IntentRoutes, IntentRunner): the router
// publishes them on the event stream (`event: intent`) from here, so no caller needs its own
// copy. A write that only changes an intent's detail (what admission waits for) is not one.
//
// Threading: as the store's callers (the engine thread).
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ports/intent_store.h"

namespace madre {

class IntentChangeFeed final : public IntentStore {
 public:
  IntentChangeFeed(IntentStore& store, std::function<void(const Intent&)> on_change)
      : store_(store), on_change_(std::move(on_change)) {}

  Result<Submitted> Submit(const Intent& intent) override {
    Result<Submitted> submitted = store_.Submit(intent);
    if (submitted.ok() && !submitted->duplicate && on_change_) on_change_(submitted->intent);
    return submitted;
  }
  Status Update(const Intent& intent, IntentState expected) override {
    Status stored = store_.Update(intent, expected);
    if (stored.ok() && intent.state != expected && on_change_) on_change_(intent);
    return stored;
  }
  Result<std::optional<Intent>> Get(const std::string& id) override { return store_.Get(id); }
  Result<int> CountPending(const std::string& identity) override {
    return store_.CountPending(identity);
  }
  Result<std::vector<Intent>> List(const IntentFilter& filter) override {
    return store_.List(filter);
  }
  Result<std::vector<Intent>> ListByState(IntentState state) override {
    return store_.ListByState(state);
  }
  Result<std::map<IntentState, int>> CountByState() override { return store_.CountByState(); }

 private:
  IntentStore& store_;
  std::function<void(const Intent&)> on_change_;
};

}  // namespace madre
