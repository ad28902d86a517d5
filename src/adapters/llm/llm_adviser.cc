#include "adapters/llm/llm_adviser.h"

#include <utility>

#include "api/adviser_prompt.h"
#include "base/sha256.h"
#include "core/secret_mask.h"

namespace madre {

namespace {

constexpr std::size_t kExcerpt = 200;

bool Retryable(int status) { return status == 429 || status >= 500; }
bool Retryable(const Status& status) {
  return status.code() == StatusCode::kDeadlineExceeded ||
         status.code() == StatusCode::kUnavailable;
}

}  // namespace

const AdviceCache::Entry* AdviceCache::Find(const std::string& key) {
  auto it = map_.find(key);
  if (it == map_.end()) return nullptr;
  order_.splice(order_.begin(), order_, it->second.at);
  return &it->second.entry;
}

void AdviceCache::Put(const std::string& key, Entry entry) {
  if (capacity_ == 0) return;
  if (auto it = map_.find(key); it != map_.end()) {
    it->second.entry = std::move(entry);
    order_.splice(order_.begin(), order_, it->second.at);
    return;
  }
  if (map_.size() >= capacity_) {
    map_.erase(order_.back());
    order_.pop_back();
  }
  order_.push_front(key);
  map_.emplace(key, Slot{.entry = std::move(entry), .at = order_.begin()});
}

Result<std::unique_ptr<LlmAdviser>> LlmAdviser::Create(LlmAdviserOptions options,
                                                       const Clock& clock, Sleep sleep) {
  ASSIGN_OR_RETURN(WebUrl url, ParseWebUrl(options.url));
  if (options.api_key.empty()) return Status::InvalidArgument("the adviser has no API key");
  if (options.model.empty()) return Status::InvalidArgument("the adviser has no model");
  if (options.rate_per_hour < 1) {
    return Status::InvalidArgument("the adviser's rate must be at least 1 call per hour");
  }
  return std::make_unique<LlmAdviser>(Key(), std::move(options), std::move(url), clock,
                                      std::move(sleep));
}

LlmAdviser::LlmAdviser(Key /*key*/, LlmAdviserOptions options, WebUrl url, const Clock& clock,
                       Sleep sleep)
    : options_(std::move(options)),
      url_(std::move(url)),
      clock_(clock),
      sleep_(std::move(sleep)),
      limit_(options_.rate_per_hour),
      cache_(options_.cache_entries) {}

bool LlmAdviser::TryAcquireCall() {
  std::lock_guard lock(mu_);
  return limit_.TryAcquire(clock_.Now());
}

Result<Advice> LlmAdviser::Advise(const AdviceRequest& request) {
  std::vector<std::string> secrets = request.secrets;
  secrets.insert(secrets.end(), options_.secrets.begin(), options_.secrets.end());
  secrets.push_back(options_.api_key);
  Masker masker(secrets, options_.mask_names ? AdviceNames(request) : std::vector<std::string>{});
  AdvicePrompt prompt = BuildAdvicePrompt(request, options_.model, masker);
  const std::string key = Sha256Hex(options_.model + "\n" + prompt.body);

  Advice advice;
  advice.model = options_.model;
  advice.masked_prompt = prompt.body;
  {
    std::lock_guard lock(mu_);
    if (const AdviceCache::Entry* hit = cache_.Find(key)) {
      advice.cached = true;
      advice.answer = hit->content;
      advice.reasoning_content = hit->reasoning_content;
    }
  }
  if (advice.cached) {
    JudgeAdvice(advice.answer, request, masker, advice);
    return advice;
  }

  HttpClientRequest http;
  http.method = "POST";
  http.target = url_.target;
  http.host = url_.host_header;
  http.headers = {{"Content-Type", "application/json"},
                  {"Accept", "application/json"},
                  {"Authorization", "Bearer " + options_.api_key}};
  http.body = prompt.body;
  WebCallOptions http_options;
  http_options.timeout = options_.timeout;
  http_options.ca_file = options_.ca_file;

  Status last = Status::Ok();
  for (int attempt = 0; attempt <= kAdviserMaxRetries; ++attempt) {
    if (attempt > 0) sleep_(AdviserBackoff(attempt));
    if (!TryAcquireCall()) {
      std::string limit = "the adviser's limit of " + std::to_string(options_.rate_per_hour) +
                          " calls per hour is reached";
      if (attempt == 0) return Status::ResourceExhausted(limit);
      return Status(last.code(), last.message() + "; no retry: " + limit);
    }
    ++advice.calls;
    Result<HttpClientResponse> answer = WebCall(url_, http, http_options);
    if (!answer.ok()) {
      last = Status(answer.status().code(),
                    "the adviser API (" + url_.host_header + "): " + answer.status().message());
      if (Retryable(answer.status())) continue;
      return last;
    }
    if (answer->status < 200 || answer->status >= 300) {
      last = Status::Unavailable("the adviser API (" + url_.host_header + ") answered " +
                                 std::to_string(answer->status) + ": " +
                                 masker.Mask(answer->body.substr(0, kExcerpt)));
      if (Retryable(answer->status)) continue;
      return last;
    }
    Result<ChatAnswer> chat = ParseChatAnswer(answer->body);
    if (!chat.ok()) {  // recorded, ignored, not cached
      advice.answer = answer->body;
      advice.rejected = "malformed answer: " + chat.status().message();
      return advice;
    }
    advice.answer = chat->content;
    advice.reasoning_content = chat->reasoning_content;
    {
      std::lock_guard lock(mu_);
      cache_.Put(key, {.content = chat->content, .reasoning_content = chat->reasoning_content});
    }
    JudgeAdvice(advice.answer, request, masker, advice);
    return advice;
  }
  return last;
}

}  // namespace madre
