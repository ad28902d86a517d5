// Durable storage of intents (core/intent.h). A call that returns OK has reached the disk.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "core/intent.h"

namespace madre {

// What GET /madre/intents filters on: empty fields match anything.
struct IntentFilter {
  std::optional<IntentState> state;
  std::string source;  // exact
  std::string type;    // exact
  int limit = 100;     // at most this many, newest first
};

class IntentStore {
 public:
  virtual ~IntentStore() = default;
  struct Submitted {
    Intent intent;           // as recorded: the new one, or the one submitted before
    bool duplicate = false;  // (identity, correlation_id) was known: nothing was written
  };
  // Records `intent`, unless an intent with the same identity and non-empty correlation_id
  // exists: then that one is returned.
  virtual Result<Submitted> Submit(const Intent& intent) = 0;
  virtual Result<std::optional<Intent>> Get(const std::string& id) = 0;
  // Intents of `identity` in state pending (the cap on token-less intents).
  virtual Result<int> CountPending(const std::string& identity) = 0;
  // Compare-and-set: replaces the stored intent of `intent.id` with `intent` when its stored
  // state is `expected` (so that two decisions cannot both win). kNotFound for an unknown id;
  // kFailedPrecondition (409) naming the stored state when it is not `expected`: nothing
  // written.
  virtual Status Update(const Intent& intent, IntentState expected) = 0;
  // Newest first (created_at, then id, descending), filtered, at most filter.limit.
  virtual Result<std::vector<Intent>> List(const IntentFilter& filter) = 0;
  // Every intent in `state`, oldest first (expiry, reload at start).
  virtual Result<std::vector<Intent>> ListByState(IntentState state) = 0;
  // How many intents are in each state (the states with none are absent).
  virtual Result<std::map<IntentState, int>> CountByState() = 0;
};

}  // namespace madre
