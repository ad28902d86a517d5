// IntentStore in memory, for tests: the same idempotency rule as the SQLite store, and a switch
// that makes every call fail.
#pragma once

#include <map>
#include <string>

#include "ports/intent_store.h"

namespace madre {

class InMemoryIntentStore final : public IntentStore {
 public:
  Result<Submitted> Submit(const Intent& intent) override {
    if (fail_) return Status::Internal("injected intent store failure");
    if (!intent.correlation_id.empty()) {
      for (const auto& [id, known] : intents_) {
        if (known.identity == intent.identity && known.correlation_id == intent.correlation_id) {
          return Submitted{known, true};
        }
      }
    }
    intents_[intent.id] = intent;
    return Submitted{intent, false};
  }
  Result<std::optional<Intent>> Get(const std::string& id) override {
    if (fail_) return Status::Internal("injected intent store failure");
    auto it = intents_.find(id);
    if (it == intents_.end()) return std::optional<Intent>();
    return std::optional<Intent>(it->second);
  }
  Result<int> CountPending(const std::string& identity) override {
    if (fail_) return Status::Internal("injected intent store failure");
    int n = 0;
    for (const auto& [id, intent] : intents_) {
      n += intent.identity == identity && intent.status == IntentStatus::kPending ? 1 : 0;
    }
    return n;
  }

  void Fail(bool fail) { fail_ = fail; }
  const std::map<std::string, Intent>& intents() const { return intents_; }

 private:
  std::map<std::string, Intent> intents_;
  bool fail_ = false;
};

}  // namespace madre
