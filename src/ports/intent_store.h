// Durable storage of intents (core/intent.h). A call that returns OK has reached the disk.
#pragma once

#include <optional>
#include <string>

#include "base/status.h"
#include "core/intent.h"

namespace madre {

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
  // Intents of `identity` in status pending (the cap on token-less intents).
  virtual Result<int> CountPending(const std::string& identity) = 0;
};

}  // namespace madre
