// IntentStore in memory, for tests: the same contract as the SQLite store
// (testing/intent_store_contract.h), and a switch that makes every call fail.
#pragma once

#include <algorithm>
#include <map>
#include <string>
#include <vector>

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
      n += intent.identity == identity && intent.state == IntentState::kPending ? 1 : 0;
    }
    return n;
  }
  Status Update(const Intent& intent, IntentState expected) override {
    if (fail_ || fail_updates_) return Status::Internal("injected intent store failure");
    auto it = intents_.find(intent.id);
    if (it == intents_.end()) return Status::NotFound("No intent " + intent.id);
    if (it->second.state != expected) {
      return Status::FailedPrecondition("intent " + intent.id + " is " +
                                        IntentStateName(it->second.state) + ", not " +
                                        IntentStateName(expected));
    }
    it->second = intent;
    return Status::Ok();
  }
  Result<std::vector<Intent>> List(const IntentFilter& filter) override {
    if (fail_) return Status::Internal("injected intent store failure");
    std::vector<Intent> out;
    for (const auto& [id, intent] : intents_) {
      if (filter.state && intent.state != *filter.state) continue;
      if (!filter.source.empty() && intent.source != filter.source) continue;
      if (!filter.type.empty() && intent.type != filter.type) continue;
      out.push_back(intent);
    }
    std::sort(out.begin(), out.end(), [](const Intent& a, const Intent& b) {
      return a.created_at != b.created_at ? a.created_at > b.created_at : a.id > b.id;
    });
    if (out.size() > static_cast<std::size_t>(std::max(filter.limit, 0))) {
      out.resize(static_cast<std::size_t>(std::max(filter.limit, 0)));
    }
    return out;
  }
  Result<std::vector<Intent>> ListByState(IntentState state) override {
    if (fail_) return Status::Internal("injected intent store failure");
    std::vector<Intent> out;
    for (const auto& [id, intent] : intents_) {
      if (intent.state == state) out.push_back(intent);
    }
    std::sort(out.begin(), out.end(), [](const Intent& a, const Intent& b) {
      return a.created_at != b.created_at ? a.created_at < b.created_at : a.id < b.id;
    });
    return out;
  }
  Result<std::map<IntentState, int>> CountByState() override {
    if (fail_) return Status::Internal("injected intent store failure");
    std::map<IntentState, int> out;
    for (const auto& [id, intent] : intents_) ++out[intent.state];
    return out;
  }

  void Fail(bool fail) { fail_ = fail; }
  void FailUpdates(bool fail) { fail_updates_ = fail; }  // reads and submits still work
  const std::map<std::string, Intent>& intents() const { return intents_; }

 private:
  std::map<std::string, Intent> intents_;
  bool fail_ = false;
  bool fail_updates_ = false;
};

}  // namespace madre
