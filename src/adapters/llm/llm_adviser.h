// The LLM adviser (ports/adviser.h; docs/autofix.md, "The adviser"): masks the incident,
// builds the chat-completions prompt (api/adviser_prompt.h), keeps to the hourly call limit,
// POSTs with `Authorization: Bearer KEY`, retries on 429, 5xx and timeouts with the back-off
// of core/adviser_limits.h, reads and validates the answer, caches it by sha256(model +
// prompt) and restores the names.
#pragma once

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "adapters/webclient/web_client.h"
#include "base/clock.h"
#include "core/adviser_limits.h"
#include "ports/adviser.h"

namespace madre {

struct LlmAdviserOptions {
  std::string url;  // https://host/path, or http:// to a loopback stub
  std::string model = "deepseek-reasoner";
  std::string api_key;
  int rate_per_hour = 10;
  Duration timeout = Seconds(30);  // per HTTP call
  bool mask_names = false;         // the service and its dependencies sent as service-N
  std::string ca_file;             // PEM trusted besides the system store
  // Masked in every prompt besides the request's own secrets: madre's tokens. (The API key is
  // always masked.)
  std::vector<std::string> secrets;
  std::size_t cache_entries = 128;
};

// The answers kept by prompt: the raw content, judged again for each request (the same
// masked prompt may come from another service when names are masked).
class AdviceCache {
 public:
  explicit AdviceCache(std::size_t capacity) : capacity_(capacity) {}
  struct Entry {
    std::string content;
    std::string reasoning_content;
  };
  const Entry* Find(const std::string& key);  // and marks it recently used
  void Put(const std::string& key, Entry entry);
  std::size_t size() const { return map_.size(); }

 private:
  std::size_t capacity_;
  std::list<std::string> order_;  // most recently used first
  struct Slot {
    Entry entry;
    std::list<std::string>::iterator at;
  };
  std::unordered_map<std::string, Slot> map_;
};

class LlmAdviser final : public Adviser {
 public:
  using Sleep = std::function<void(Duration)>;
  // kInvalidArgument for a bad URL, an empty key or model, a rate below 1.
  static Result<std::unique_ptr<LlmAdviser>> Create(LlmAdviserOptions options, const Clock& clock,
                                                    Sleep sleep);

  // Errors: kResourceExhausted when the hourly limit allows no call; the last call's error
  // (kUnavailable, kDeadlineExceeded, or the API's status) when no usable answer came after
  // the retries. A malformed answer is not an error: Advice with `rejected` set.
  Result<Advice> Advise(const AdviceRequest& request) override;

  // Create's; the key keeps it private.
  class Key {
    friend class LlmAdviser;
    Key() = default;
  };
  LlmAdviser(Key, LlmAdviserOptions options, WebUrl url, const Clock& clock, Sleep sleep);

 private:
  bool TryAcquireCall();

  const LlmAdviserOptions options_;
  const WebUrl url_;
  const Clock& clock_;
  const Sleep sleep_;
  std::mutex mu_;
  HourlyCallLimit limit_;  // guarded by mu_
  AdviceCache cache_;      // guarded by mu_
};

}  // namespace madre
