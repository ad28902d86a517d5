#include "core/model.h"

#include <functional>

namespace madre {

std::vector<std::string> StartOrder(const ServiceModel& model,
                                    const std::set<std::string>& services) {
  std::vector<std::string> order;
  std::set<std::string> done;
  std::set<std::string> visiting;
  std::function<void(const std::string&)> visit = [&](const std::string& name) {
    if (done.count(name) || visiting.count(name)) return;  // a cycle is broken, not looped
    visiting.insert(name);
    auto it = model.services.find(name);
    if (it != model.services.end()) {
      for (const auto& dep : it->second.depends_on) {
        if (services.count(dep)) visit(dep);
      }
    }
    visiting.erase(name);
    done.insert(name);
    order.push_back(name);
  };
  for (const auto& name : services) visit(name);
  return order;
}

std::vector<std::string> DependencyClosure(const ServiceModel& model,
                                           const std::vector<std::string>& roots) {
  std::set<std::string> all;
  std::vector<std::string> stack(roots.begin(), roots.end());
  while (!stack.empty()) {
    std::string name = stack.back();
    stack.pop_back();
    if (!all.insert(name).second) continue;
    auto it = model.services.find(name);
    if (it == model.services.end()) continue;
    for (const auto& dep : it->second.depends_on) stack.push_back(dep);
  }
  return StartOrder(model, all);
}

namespace {
bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
}  // namespace

bool IsValidServiceName(std::string_view name) {
  if (name.empty() || name.size() > 63 || !IsAlnum(name[0])) return false;
  for (char c : name) {
    if (!IsAlnum(c) && c != '_' && c != '.' && c != '-') return false;
  }
  return true;
}

}  // namespace madre
