#include "adapters/host/host_metrics.h"

#include <fstream>
#include <sstream>
#include <string>

namespace madre::host {

namespace {

Result<std::string> ReadProcFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::Unavailable("cannot read " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<CpuTimes> ParseProcStat(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string label;
    fields >> label;
    if (label != "cpu") continue;
    // user nice system idle iowait irq softirq steal [guest guest_nice: already in user/nice]
    std::uint64_t values[8] = {0};
    int n = 0;
    while (n < 8 && fields >> values[n]) ++n;
    if (n < 4) return std::nullopt;
    CpuTimes times;
    for (int i = 0; i < n; ++i) times.total += values[i];
    times.idle = values[3];
    times.iowait = n > 4 ? values[4] : 0;
    return times;
  }
  return std::nullopt;
}

CpuUsage CpuBetween(const CpuTimes& before, const CpuTimes& after) {
  CpuUsage usage;
  if (after.total <= before.total) return usage;
  const double total = static_cast<double>(after.total - before.total);
  const double idle = after.idle >= before.idle ? static_cast<double>(after.idle - before.idle) : 0;
  const double iowait =
      after.iowait >= before.iowait ? static_cast<double>(after.iowait - before.iowait) : 0;
  const double busy = total - idle - iowait;
  usage.cpu_percent = busy > 0 ? 100.0 * busy / total : 0;
  usage.iowait_percent = 100.0 * iowait / total;
  return usage;
}

std::optional<MemInfo> ParseMeminfo(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::string line;
  std::optional<std::uint64_t> total, available, free, buffers, cached;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string key;
    std::uint64_t kib = 0;
    if (!(fields >> key >> kib)) continue;
    if (key == "MemTotal:") total = kib * 1024;
    if (key == "MemAvailable:") available = kib * 1024;
    if (key == "MemFree:") free = kib * 1024;
    if (key == "Buffers:") buffers = kib * 1024;
    if (key == "Cached:") cached = kib * 1024;
  }
  if (!total) return std::nullopt;
  MemInfo info;
  info.total_bytes = *total;
  if (available) {
    info.available_bytes = *available;
  } else if (free) {
    info.available_bytes = *free + buffers.value_or(0) + cached.value_or(0);
  } else {
    return std::nullopt;
  }
  if (info.available_bytes > info.total_bytes) info.available_bytes = info.total_bytes;
  return info;
}

std::optional<std::array<double, 3>> ParseLoadavg(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::array<double, 3> load{};
  if (!(in >> load[0] >> load[1] >> load[2])) return std::nullopt;
  return load;
}

Result<CpuTimes> ReadCpuTimes(const std::filesystem::path& proc_root) {
  ASSIGN_OR_RETURN(std::string text, ReadProcFile(proc_root / "stat"));
  std::optional<CpuTimes> times = ParseProcStat(text);
  if (!times) return Status::Internal("no cpu line in " + (proc_root / "stat").string());
  return *times;
}

Result<MemInfo> ReadMeminfo(const std::filesystem::path& proc_root) {
  ASSIGN_OR_RETURN(std::string text, ReadProcFile(proc_root / "meminfo"));
  std::optional<MemInfo> info = ParseMeminfo(text);
  if (!info) return Status::Internal("cannot parse " + (proc_root / "meminfo").string());
  return *info;
}

Result<std::array<double, 3>> ReadLoadavg(const std::filesystem::path& proc_root) {
  ASSIGN_OR_RETURN(std::string text, ReadProcFile(proc_root / "loadavg"));
  std::optional<std::array<double, 3>> load = ParseLoadavg(text);
  if (!load) return Status::Internal("cannot parse " + (proc_root / "loadavg").string());
  return *load;
}

}  // namespace madre::host
