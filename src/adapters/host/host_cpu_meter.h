// The host's CPU busy share, for throttling window opens (VX11_THROTTLE_CPU_PCT) without
// making every open wait for a measurement, and for the host CPU figures of GET /metrics: one
// meter serves both.
//
// A busy share needs two readings of /proc/stat some time apart. Taking both when an open
// arrives cost every open 200 ms. Instead the meter keeps the last few readings: the open
// throttle adds one on its own periodic timer (http_api/open_throttle.h, every 20 s while
// throttling is on), /metrics adds one per scrape, and every measurement adds its own. An open is
// judged on the busy share since the newest reading that is between kMinWindow and kMaxWindow old:
// what the CPU did over the last 1-60 s, which is what "stays above" means. Only when there is no
// such reading (just after start, or after a long sleep of the timer) does the meter take a
// blocking sample of kFallbackSample.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "adapters/host/host_metrics.h"
#include "base/status.h"
#include "base/time.h"

namespace madre {

class HostCpuMeter {
 public:
  using Instant = std::chrono::steady_clock::time_point;
  struct Deps {
    std::function<Result<host::CpuTimes>()> read;  // /proc/stat's "cpu" line
    std::function<Instant()> now;                  // a monotonic clock
    std::function<void(Duration)> sleep;           // for the fallback sample
  };
  static constexpr Duration kMinWindow = Seconds(1);
  static constexpr Duration kMaxWindow = Seconds(60);
  static constexpr Duration kFallbackSample = Millis(200);
  static constexpr std::size_t kReadingsKept = 4;

  explicit HostCpuMeter(Deps deps);
  // /proc of this host, the steady clock and a real sleep.
  static HostCpuMeter ForThisHost();

  // Adds a reading (cheap: one read of /proc/stat). Thread-safe.
  void Snapshot();
  // The busy share (0-100) as described above; 0 when /proc/stat cannot be read (no
  // throttling rather than a refused open). Thread-safe; blocks only for the fallback sample.
  double BusyPercent();
  // Never blocks: the busy and iowait shares since the newest reading between kMinWindow and
  // kMaxWindow old, or nullopt when there is none (or /proc/stat cannot be read). Either way
  // the reading taken now is kept, so a later call finds one. Thread-safe.
  std::optional<host::CpuUsage> Recent();

 private:
  struct Reading {
    host::CpuTimes times;
    Instant at;
  };
  void Keep(const Reading& reading);  // with mu_ held

  Deps deps_;
  std::mutex mu_;
  std::deque<Reading> readings_;  // oldest first
};

}  // namespace madre
