#include "core/crash_loop.h"

namespace madre {

bool CrashLoopDetector::OnDie(const std::string& service, std::optional<int> exit_code,
                              TimePoint now) {
  Deaths& d = deaths_[service];
  d.recent.emplace_back(now, exit_code.value_or(-1));
  while (!d.recent.empty() && now - d.recent.front().first > window_) d.recent.pop_front();
  if (d.looping || static_cast<int>(d.recent.size()) < threshold_) return false;
  d.looping = true;
  return true;
}

bool CrashLoopDetector::InLoop(const std::string& service) const {
  auto it = deaths_.find(service);
  return it != deaths_.end() && it->second.looping;
}

std::vector<int> CrashLoopDetector::RecentExitCodes(const std::string& service) const {
  std::vector<int> out;
  auto it = deaths_.find(service);
  if (it == deaths_.end()) return out;
  for (const auto& [time, code] : it->second.recent) out.push_back(code);
  return out;
}

void CrashLoopDetector::Reset(const std::string& service) { deaths_.erase(service); }

}  // namespace madre
