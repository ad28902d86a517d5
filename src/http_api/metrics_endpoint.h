// GET /metrics: the Prometheus text of `Metrics`, with the gauges computed at scrape time
// (windows kept, intents by state, host CPU, iowait, memory and load, and the containers' CPU and
// memory from the StatsSampler's last round). Answers at once: it never waits for Docker.
//
// Threading: engine thread only. Every gauge family is cleared and set on this one thread, so
// two scrapes cannot interleave and leave a family half set.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>

#include "adapters/http/http_server.h"
#include "base/metrics.h"
#include "engine/engine.h"
#include "http_api/stats_sampler.h"
#include "ports/intent_store.h"

namespace madre {

// The host figures of one scrape; each is absent when it could not be read.
struct HostFigures {
  std::optional<double> cpu_percent;  // busy share since a recent reading (the CPU meter)
  std::optional<double> iowait_percent;
  std::optional<std::uint64_t> memory_total_bytes;
  std::optional<std::uint64_t> memory_available_bytes;
  std::optional<std::array<double, 3>> load;  // 1, 5, 15 minutes
};

class MetricsEndpoint {
 public:
  // `metrics` may be null (then the body says metrics are not enabled).
  // `intents` may be null (no madre_intents gauge).
  MetricsEndpoint(Metrics* metrics, Engine& engine, StatsSampler& sampler,
                  std::function<HostFigures()> host, IntentStore* intents = nullptr);

  void Serve(Responder respond);

 private:
  Metrics* metrics_;
  Engine& engine_;
  StatsSampler& sampler_;
  std::function<HostFigures()> host_;
  IntentStore* intents_;
};

}  // namespace madre
