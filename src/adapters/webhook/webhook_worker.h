// The webhooks' delivery worker (docs/webhooks.md): one thread, its own connection to madre's
// database. Each pass moves new audit records into the outbox (SqliteWebhookOutbox::Collect)
// and, per endpoint in order, POSTs the head when it is due: a 2xx answer deletes it, anything
// else (another status, no answer) records the attempt and waits WebhookBackoff(attempts)
// before trying the same event again; the head blocks the rest of its endpoint, so events
// arrive in order, at least once. Stop() ends an attempt in flight at once; what is not
// delivered stays in the outbox for the next start.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "adapters/httpclient/http_client.h"
#include "adapters/sqlite/sqlite_db.h"
#include "adapters/sqlite/sqlite_webhook_outbox.h"
#include "adapters/webclient/web_client.h"
#include "base/clock.h"
#include "base/metrics.h"
#include "core/webhook.h"

namespace madre {

// The headers of one delivery, in order: Content-Type, X-VX11-Delivery, X-VX11-Timestamp
// (Unix seconds of `now`), X-VX11-Signature.
std::vector<std::pair<std::string, std::string>> WebhookHeaders(const WebhookEndpoint& endpoint,
                                                                const std::string& event_id,
                                                                const std::string& body,
                                                                TimePoint now);

// POSTs `body` to `endpoint` with WebhookHeaders; the HTTP status, or the error when there was
// no answer. `cancel` may be null.
Result<int> PostWebhook(const WebhookEndpoint& endpoint, const std::string& event_id,
                        const std::string& body, TimePoint now, Duration timeout,
                        HttpCancel* cancel);

// Declares madre_webhook_deliveries_total{endpoint,result}, madre_webhook_queue{endpoint} and
// madre_webhook_dropped_total{endpoint}.
void DeclareWebhookMetrics(Metrics& metrics);

class WebhookWorker {
 public:
  // One delivery attempt: the HTTP status, or an error when there was no answer.
  using Poster =
      std::function<Result<int>(const WebhookEndpoint&, const WebhookDelivery&, TimePoint now)>;

  // `db` is the worker's own connection (used only from the worker's thread once started).
  WebhookWorker(std::unique_ptr<SqliteDb> db, std::vector<WebhookEndpoint> endpoints,
                std::size_t max_per_endpoint, WebhookBodyFn body, Metrics& metrics,
                const Clock& clock, Poster poster = {});
  ~WebhookWorker();
  WebhookWorker(const WebhookWorker&) = delete;
  WebhookWorker& operator=(const WebhookWorker&) = delete;

  // Collects only (no delivery): at start-up, so that a new endpoint's cursor is set before
  // madre serves requests. Call before Start().
  Status Prime();

  // One pass at `now`: collect, then deliver every due head of every endpoint. Returns how
  // long until something is due (at most `poll`, the wait for new audit records).
  Duration RunOnce(TimePoint now, Duration poll);

  // Runs passes on a thread until Stop() (also called by the destructor).
  void Start(Duration poll = std::chrono::milliseconds(250));
  void Stop();

 private:
  void Deliver(const WebhookEndpoint& endpoint, TimePoint now, Duration& wait);
  void UpdateQueueGauge(const std::string& endpoint);

  std::unique_ptr<SqliteDb> db_;
  SqliteWebhookOutbox outbox_;
  std::vector<WebhookEndpoint> endpoints_;
  WebhookBodyFn body_;
  Metrics& metrics_;
  const Clock& clock_;
  Poster poster_;
  HttpCancel cancel_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace madre
