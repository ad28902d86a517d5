#include "engine/engine_metrics.h"

namespace madre {

void DeclareMadreMetrics(Metrics& m) {
  const std::vector<double> seconds = {0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120};
  m.DeclareCounter(kMetricWindowOpens,
                   "Windows that finished opening, by outcome (ok|partial|fail|cancelled).");
  m.DeclareCounter(kMetricWindowCloses, "Windows closed, by close reason.");
  m.DeclareHistogram(kMetricWindowReady,
                     "From the open request to every service ready, in seconds.", seconds);
  m.DeclareGauge(kMetricWindowsOpen, "Windows not yet closed (opening, open, closing).");
  m.DeclareGauge(kMetricWindowDeadline,
                 "Unix time at which each live window's TTL ends, by window_id (held windows "
                 "have none): its expiry, madre_window_deadline_timestamp_seconds - time().");
  m.DeclareGauge(kMetricServiceState,
                 "1 for each compose service's state, 0 for the others: running, dormant (not "
                 "running and nothing wants it: stopped on purpose) or down (not running "
                 "although always-on or a live window wants it).");
  m.DeclareCounter(kMetricCrashLoops, "Crash loops detected, by service.");
  m.DeclareCounter(kMetricDockerOps,
                   "Docker/compose operations run, by verb and result (ok|error).");
  m.DeclareHistogram(kMetricDockerOpSeconds,
                     "Duration of one docker/compose operation, in seconds.", seconds);
  m.DeclareHistogram(kMetricTtlStopLag,
                     "From a window's TTL deadline to its stop being issued, in seconds.",
                     {0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1, 5});
  m.DeclareCounter(kMetricHttpRequests, "HTTP requests, by route and status code.");
  m.DeclareCounter(kMetricAuthFailures,
                   "Requests refused for a missing or wrong token, by reason (missing|invalid).");
  m.DeclareGauge(kMetricHostCpu,
                 "Host CPU busy percent since a reading 1-60 s old (the host CPU meter).");
  m.DeclareGauge(kMetricHostIowait,
                 "Host I/O wait percent since a reading 1-60 s old (the host CPU meter).");
  m.DeclareGauge(kMetricHostMemory, "Host memory in bytes, by kind (total|available|used).");
  m.DeclareGauge(kMetricHostLoad, "Host load average, by period (1m|5m|15m).");
  m.DeclareCounter(kMetricHealthExecAbandoned,
                   "Healthchecks madre ran in a container (readiness) and abandoned after their "
                   "timeout (Docker cannot kill an exec).");
  m.DeclareGauge(kMetricIntents,
                 "Intents by state (pending|approved|rejected|expired|cancelled|admitted|"
                 "executing|succeeded|failed), counted in the store at each scrape.");
  m.DeclareHistogram(kMetricIntentAdmissionWait,
                     "From an intent's approval to its admission (the time it waited in the "
                     "queue for the host CPU or its source's quota), in seconds, by type.",
                     {0.1, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600});
  m.DeclareGauge(kMetricStopStrategy, "1 for the stop strategy in use (stop|pause|cpu_idle).");
  m.DeclareGauge(kMetricContainerCpu,
                 "CPU of each running container, 100 = one core (the stats sampler's last round).");
  m.DeclareGauge(kMetricContainerMemory,
                 "Memory of each running container without page cache (the stats sampler's last "
                 "round).");
}

}  // namespace madre
