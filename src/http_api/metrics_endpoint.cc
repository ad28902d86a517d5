#include "http_api/metrics_endpoint.h"

#include <string_view>

#include "core/policy_view.h"
#include "engine/engine_metrics.h"

namespace madre {

MetricsEndpoint::MetricsEndpoint(Metrics* metrics, Engine& engine, StatsSampler& sampler,
                                 std::function<HostFigures()> host, IntentStore* intents)
    : metrics_(metrics),
      engine_(engine),
      sampler_(sampler),
      host_(std::move(host)),
      intents_(intents) {}

void MetricsEndpoint::Serve(Responder respond) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4";
  if (!metrics_) {
    response.body = "# metrics are not enabled\n";
    return respond(std::move(response));
  }
  Metrics& m = *metrics_;
  const EngineView view = engine_.Snapshot();
  m.Set(kMetricWindowsOpen, {}, static_cast<double>(view.windows.size()));
  m.Clear(kMetricWindowDeadline);
  for (const auto& [id, window] : view.windows) {
    if (!window.Live() || !window.deadline) continue;
    m.Set(kMetricWindowDeadline, {{"window_id", id}},
          static_cast<double>(ToMicros(*window.deadline)) / 1e6);
  }
  // Every service, every state: one series is 1 (none before the first observation).
  m.Clear(kMetricServiceState);
  if (view.observed_once) {
    for (const auto& [service, state] :
         ServiceRunStates(view.observed, view.windows, view.config.always_on, view.model)) {
      for (const char* each : {kServiceRunning, kServiceDormant, kServiceDown}) {
        m.Set(kMetricServiceState, {{"service", service}, {"state", each}},
              std::string_view(each) == state ? 1.0 : 0.0);
      }
    }
  }
  if (intents_) {
    // Every state, 0 included; none at all when the store cannot be read.
    m.Clear(kMetricIntents);
    if (Result<std::map<IntentState, int>> counts = intents_->CountByState(); counts.ok()) {
      for (IntentState state : kAllIntentStates) {
        auto it = counts->find(state);
        m.Set(kMetricIntents, {{"state", IntentStateName(state)}},
              it == counts->end() ? 0.0 : static_cast<double>(it->second));
      }
    }
  }
  if (host_) {
    const HostFigures host = host_();
    if (host.cpu_percent) m.Set(kMetricHostCpu, {}, *host.cpu_percent);
    if (host.iowait_percent) m.Set(kMetricHostIowait, {}, *host.iowait_percent);
    if (host.memory_total_bytes && host.memory_available_bytes) {
      const auto total = *host.memory_total_bytes, available = *host.memory_available_bytes;
      m.Set(kMetricHostMemory, {{"kind", "total"}}, static_cast<double>(total));
      m.Set(kMetricHostMemory, {{"kind", "available"}}, static_cast<double>(available));
      m.Set(kMetricHostMemory, {{"kind", "used"}}, static_cast<double>(total - available));
    }
    if (host.load) {
      m.Set(kMetricHostLoad, {{"period", "1m"}}, (*host.load)[0]);
      m.Set(kMetricHostLoad, {{"period", "5m"}}, (*host.load)[1]);
      m.Set(kMetricHostLoad, {{"period", "15m"}}, (*host.load)[2]);
    }
  }
  // The containers of the sampler's last round that are still observed.
  const std::map<std::string, ContainerStats>& stats = sampler_.stats();
  m.Clear(kMetricContainerCpu);
  m.Clear(kMetricContainerMemory);
  for (const auto& c : view.observed) {
    auto s = stats.find(c.id);
    if (s == stats.end()) continue;
    const MetricLabels labels = {{"service", c.service}, {"container", c.container}};
    m.Set(kMetricContainerCpu, labels, s->second.cpu_percent);
    m.Set(kMetricContainerMemory, labels, static_cast<double>(s->second.memory_bytes));
  }
  sampler_.OnScrape();
  response.body = m.RenderText();
  respond(std::move(response));
}

}  // namespace madre
