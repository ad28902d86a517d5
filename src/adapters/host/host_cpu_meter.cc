#include "adapters/host/host_cpu_meter.h"

#include <thread>
#include <utility>

namespace madre {

HostCpuMeter::HostCpuMeter(Deps deps) : deps_(std::move(deps)) {}

HostCpuMeter HostCpuMeter::ForThisHost() {
  return HostCpuMeter({.read = [] { return host::ReadCpuTimes("/proc"); },
                       .now = [] { return std::chrono::steady_clock::now(); },
                       .sleep = [](Duration d) { std::this_thread::sleep_for(d); }});
}

void HostCpuMeter::Keep(const Reading& reading) {
  readings_.push_back(reading);
  while (readings_.size() > kReadingsKept) readings_.pop_front();
}

void HostCpuMeter::Snapshot() {
  Result<host::CpuTimes> times = deps_.read();
  if (!times.ok()) return;
  Reading reading{*times, deps_.now()};
  std::lock_guard lock(mu_);
  Keep(reading);
}

std::optional<host::CpuUsage> HostCpuMeter::Recent() {
  Result<host::CpuTimes> times = deps_.read();
  if (!times.ok()) return std::nullopt;
  Reading now{*times, deps_.now()};
  std::lock_guard lock(mu_);
  std::optional<host::CpuUsage> usage;
  for (auto it = readings_.rbegin(); it != readings_.rend(); ++it) {
    Duration age = std::chrono::duration_cast<Duration>(now.at - it->at);
    if (age < kMinWindow) continue;
    if (age > kMaxWindow) break;
    usage = host::CpuBetween(it->times, now.times);
    break;
  }
  Keep(now);
  return usage;
}

double HostCpuMeter::BusyPercent() {
  Result<host::CpuTimes> times = deps_.read();
  if (!times.ok()) return 0.0;
  Reading now{*times, deps_.now()};
  {
    std::lock_guard lock(mu_);
    for (auto it = readings_.rbegin(); it != readings_.rend(); ++it) {
      Duration age = std::chrono::duration_cast<Duration>(now.at - it->at);
      if (age < kMinWindow) continue;  // too short a window: look at an older reading
      if (age > kMaxWindow) break;     // older ones are older still
      double busy = host::CpuBetween(it->times, now.times).cpu_percent;
      Keep(now);
      return busy;
    }
  }
  deps_.sleep(kFallbackSample);
  Result<host::CpuTimes> after = deps_.read();
  if (!after.ok()) return 0.0;
  Reading later{*after, deps_.now()};
  std::lock_guard lock(mu_);
  Keep(now);
  Keep(later);
  return host::CpuBetween(now.times, later.times).cpu_percent;
}

}  // namespace madre
