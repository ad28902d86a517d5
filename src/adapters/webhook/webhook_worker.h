// The webhooks' delivery worker (docs/webhooks.md), on connections of its own to madre's
// database. A collector moves new audit records into the outbox (SqliteWebhookOutbox::Collect);
// per endpoint, in order, a sender POSTs the head when it is due: a 2xx answer deletes it,
// anything else (another status, no answer) records the attempt and waits
// WebhookBackoff(attempts) before trying the same event again; the head blocks the rest of its
// endpoint, so events arrive in order, at least once. Once started, the collector and each
// endpoint's sender have a thread (and a connection) of their own, so that an endpoint that
// does not answer never delays another. Stop() ends the attempts in flight at once; what is
// not delivered stays in the outbox for the next start.
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
  // One delivery attempt: the HTTP status, or an error when there was no answer. `cancel`
  // (the endpoint's own) ends it at once from another thread.
  using Poster = std::function<Result<int>(const WebhookEndpoint&, const WebhookDelivery&,
                                           TimePoint now, HttpCancel* cancel)>;
  // A new connection to madre's database (one per endpoint's sender).
  using DbOpener = std::function<Result<std::unique_ptr<SqliteDb>>()>;

  // `db` is the collector's connection (RunOnce's, and the collector thread's once started).
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

  // Runs until Stop() (also called by the destructor): the collector every `poll` on a thread,
  // and a thread per endpoint, each delivering over a connection from `open_db`. An error when
  // a connection cannot be opened (then nothing was started).
  Status Start(const DbOpener& open_db, Duration poll = std::chrono::milliseconds(250));
  void Stop();

 private:
  struct Sender {
    const WebhookEndpoint* endpoint = nullptr;
    std::unique_ptr<SqliteDb> db;
    std::unique_ptr<SqliteWebhookOutbox> outbox;
    HttpCancel cancel;
    std::thread thread;
  };

  // Delivers the due heads of `endpoint` from `outbox` in order; lowers `wait` to the time until
  // its next head is due.
  void Deliver(SqliteWebhookOutbox& outbox, HttpCancel& cancel, const WebhookEndpoint& endpoint,
               TimePoint now, Duration& wait);
  // Collects new audit records into the outbox and counts the dropped ones, then sets the queue
  // gauges (also after a failed collect); the outbox's error when the collect failed.
  Status Collect();
  void UpdateQueueGauge(SqliteWebhookOutbox& outbox, const std::string& endpoint);
  bool Stopping();

  std::unique_ptr<SqliteDb> db_;
  SqliteWebhookOutbox outbox_;
  std::vector<WebhookEndpoint> endpoints_;
  WebhookBodyFn body_;
  Metrics& metrics_;
  const Clock& clock_;
  Poster poster_;
  HttpCancel cancel_;  // RunOnce's attempts
  std::size_t max_per_endpoint_;

  std::mutex mu_;
  std::condition_variable cv_;  // Stop()
  bool stop_ = false;           // guarded by mu_
  std::thread collector_;
  std::vector<std::unique_ptr<Sender>> senders_;
};

}  // namespace madre
