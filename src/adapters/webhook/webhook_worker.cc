#include "adapters/webhook/webhook_worker.h"

#include <algorithm>
#include <chrono>

namespace madre {

namespace {

std::string UnixSeconds(TimePoint now) {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

}  // namespace

std::vector<std::pair<std::string, std::string>> WebhookHeaders(const WebhookEndpoint& endpoint,
                                                                const std::string& event_id,
                                                                const std::string& body,
                                                                TimePoint now) {
  const std::string timestamp = UnixSeconds(now);
  return {{"Content-Type", "application/json"},
          {"X-VX11-Delivery", event_id},
          {"X-VX11-Timestamp", timestamp},
          {"X-VX11-Signature", WebhookSignature(endpoint.secret, timestamp, body)}};
}

Result<int> PostWebhook(const WebhookEndpoint& endpoint, const std::string& event_id,
                        const std::string& body, TimePoint now, Duration timeout,
                        HttpCancel* cancel) {
  ASSIGN_OR_RETURN(WebUrl url, ParseWebUrl(endpoint.url));
  HttpClientRequest request;
  request.method = "POST";
  request.target = url.target;
  request.host = url.host_header;
  request.headers = WebhookHeaders(endpoint, event_id, body, now);
  request.body = body;
  WebCallOptions options;
  options.timeout = timeout;
  options.ca_file = endpoint.ca_file;
  options.max_body_bytes = 1 << 20;
  options.cancel = cancel;
  ASSIGN_OR_RETURN(HttpClientResponse response, WebCall(url, request, options));
  return response.status;
}

void DeclareWebhookMetrics(Metrics& metrics) {
  metrics.DeclareCounter("madre_webhook_deliveries_total",
                         "Webhook delivery attempts by endpoint and result (delivered, failed).");
  metrics.DeclareGauge("madre_webhook_queue", "Webhook events waiting in the outbox.");
  metrics.DeclareCounter("madre_webhook_dropped_total",
                         "Webhook events dropped because the endpoint's outbox was full.");
}

WebhookWorker::WebhookWorker(std::unique_ptr<SqliteDb> db, std::vector<WebhookEndpoint> endpoints,
                             std::size_t max_per_endpoint, WebhookBodyFn body, Metrics& metrics,
                             const Clock& clock, Poster poster)
    : db_(std::move(db)),
      outbox_(*db_, max_per_endpoint),
      endpoints_(std::move(endpoints)),
      body_(std::move(body)),
      metrics_(metrics),
      clock_(clock),
      poster_(std::move(poster)),
      max_per_endpoint_(max_per_endpoint) {
  DeclareWebhookMetrics(metrics_);
  if (!poster_) {
    poster_ = [](const WebhookEndpoint& endpoint, const WebhookDelivery& delivery, TimePoint now,
                 HttpCancel* cancel) {
      return PostWebhook(endpoint, delivery.event_id, delivery.body, now, std::chrono::seconds(10),
                         cancel);
    };
  }
  for (const WebhookEndpoint& endpoint : endpoints_) {
    metrics_.Add("madre_webhook_dropped_total", {{"endpoint", endpoint.name}}, 0);
    for (const char* result : {"delivered", "failed"}) {
      metrics_.Add("madre_webhook_deliveries_total",
                   {{"endpoint", endpoint.name}, {"result", result}}, 0);
    }
  }
}

WebhookWorker::~WebhookWorker() { Stop(); }

bool WebhookWorker::Stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void WebhookWorker::UpdateQueueGauge(SqliteWebhookOutbox& outbox, const std::string& endpoint) {
  Result<int> size = outbox.Size(endpoint);
  if (size.ok()) metrics_.Set("madre_webhook_queue", {{"endpoint", endpoint}}, *size);
}

void WebhookWorker::Deliver(SqliteWebhookOutbox& outbox, HttpCancel& cancel,
                            const WebhookEndpoint& endpoint, TimePoint now, Duration& wait) {
  for (;;) {
    if (Stopping()) return;
    Result<std::optional<WebhookDelivery>> head = outbox.Head(endpoint.name);
    if (!head.ok() || !head->has_value()) return;
    const WebhookDelivery& delivery = **head;
    if (delivery.next_at > now) {
      wait = std::min(wait, delivery.next_at - now);
      return;
    }
    Result<int> status = poster_(endpoint, delivery, now, &cancel);
    const bool delivered = status.ok() && *status >= 200 && *status < 300;
    metrics_.Add("madre_webhook_deliveries_total",
                 {{"endpoint", endpoint.name}, {"result", delivered ? "delivered" : "failed"}});
    if (delivered) {
      if (!outbox.Delivered(endpoint.name, delivery.seq).ok()) return;
      UpdateQueueGauge(outbox, endpoint.name);
      continue;
    }
    const int attempts = delivery.attempts + 1;
    const Duration backoff = WebhookBackoff(attempts);
    (void)outbox.Failed(endpoint.name, delivery.seq, attempts, now + backoff);
    wait = std::min(wait, backoff);
    return;
  }
}

Status WebhookWorker::Collect() {
  Result<std::map<std::string, int>> dropped = outbox_.Collect(endpoints_, body_);
  if (dropped.ok()) {
    for (const auto& [name, count] : *dropped) {
      metrics_.Add("madre_webhook_dropped_total", {{"endpoint", name}}, count);
    }
  }
  for (const WebhookEndpoint& endpoint : endpoints_) UpdateQueueGauge(outbox_, endpoint.name);
  return dropped.status();
}

Status WebhookWorker::Prime() { return Collect(); }

Duration WebhookWorker::RunOnce(TimePoint now, Duration poll) {
  Duration wait = poll;
  (void)Collect();  // a failed collect is tried again at the next pass
  for (const WebhookEndpoint& endpoint : endpoints_) {
    Deliver(outbox_, cancel_, endpoint, now, wait);
  }
  return std::max(wait, Duration(0));
}

Status WebhookWorker::Start(const DbOpener& open_db, Duration poll) {
  std::vector<std::unique_ptr<Sender>> senders;
  for (const WebhookEndpoint& endpoint : endpoints_) {
    auto sender = std::make_unique<Sender>();
    sender->endpoint = &endpoint;
    ASSIGN_OR_RETURN(sender->db, open_db());
    sender->outbox = std::make_unique<SqliteWebhookOutbox>(*sender->db, max_per_endpoint_);
    senders.push_back(std::move(sender));
  }
  senders_ = std::move(senders);
  for (const std::unique_ptr<Sender>& sender : senders_) {
    sender->thread = std::thread([this, poll, s = sender.get()] {
      for (;;) {
        Duration wait = poll;
        Deliver(*s->outbox, s->cancel, *s->endpoint, clock_.Now(), wait);
        std::unique_lock lock(mu_);
        // At most `poll` later: the collector may have brought new events by then.
        if (cv_.wait_for(lock, std::max(wait, Duration(0)), [this] { return stop_; })) return;
      }
    });
  }
  collector_ = std::thread([this, poll] {
    for (;;) {
      (void)Collect();  // a failed collect is tried again after `poll`
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, poll, [this] { return stop_; })) return;
    }
  });
  return Status::Ok();
}

void WebhookWorker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cancel_.Cancel();
  for (const std::unique_ptr<Sender>& sender : senders_) sender->cancel.Cancel();
  cv_.notify_all();
  if (collector_.joinable()) collector_.join();
  for (const std::unique_ptr<Sender>& sender : senders_) {
    if (sender->thread.joinable()) sender->thread.join();
  }
}

}  // namespace madre
