// Host metrics (the conductor, /metrics and the open throttle), read from a /proc tree (the root is
// a parameter so tests use a fake one). Parsing is pure and separate from reading.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>

#include "base/status.h"

namespace madre::host {

// The aggregate "cpu" line of /proc/stat, in jiffies.
struct CpuTimes {
  std::uint64_t total = 0;
  std::uint64_t idle = 0;  // idle only
  std::uint64_t iowait = 0;
};
std::optional<CpuTimes> ParseProcStat(std::string_view text);

struct CpuUsage {
  double cpu_percent = 0;     // busy share (not idle, not iowait) between the samples
  double iowait_percent = 0;  // iowait share between the samples
};
// 0/0 when no time passed between the samples.
CpuUsage CpuBetween(const CpuTimes& before, const CpuTimes& after);

struct MemInfo {
  std::uint64_t total_bytes = 0;
  std::uint64_t available_bytes = 0;  // MemAvailable (or MemFree+Buffers+Cached on old kernels)
  std::uint64_t used_bytes() const { return total_bytes - available_bytes; }
};
std::optional<MemInfo> ParseMeminfo(std::string_view text);

// 1, 5 and 15 minute load averages from /proc/loadavg.
std::optional<std::array<double, 3>> ParseLoadavg(std::string_view text);

// Readers over `<proc_root>/stat`, `meminfo`, `loadavg`. kUnavailable when the file is
// missing, kInternal when it does not parse.
Result<CpuTimes> ReadCpuTimes(const std::filesystem::path& proc_root);
Result<MemInfo> ReadMeminfo(const std::filesystem::path& proc_root);
Result<std::array<double, 3>> ReadLoadavg(const std::filesystem::path& proc_root);

}  // namespace madre::host
