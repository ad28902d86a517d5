#include "adapters/swarm/stack_deploy.h"

#include <map>
#include <nlohmann/json.hpp>

namespace madre {
namespace {

// A YAML double-quoted scalar: JSON's string escaping is a subset YAML reads the same way.
std::string Quoted(std::string_view text) { return nlohmann::json(std::string(text)).dump(); }

}  // namespace

StackDeployPlan PlanStackDeploy(std::string_view stack, const std::vector<SwarmService>& deployed,
                                const std::set<std::string>& model_services) {
  std::map<std::string, const SwarmService*> by_service;
  for (const SwarmService& service : deployed) {
    if (std::optional<std::string> name = ComposeServiceName(stack, service.name)) {
      by_service[*name] = &service;
    }
  }
  StackDeployPlan plan;
  std::string services;
  for (const std::string& name : model_services) {
    auto found = by_service.find(name);
    if (found == by_service.end()) {
      plan.summary.push_back(name + ": new, deployed as the compose files say");
      continue;
    }
    const SwarmService& service = *found->second;
    auto label = service.labels.find(std::string(kReplicasLabel));
    std::string deploy;
    std::string line = name + ": ";
    if (service.mode == SwarmMode::kReplicated) {
      deploy += "      replicas: " + std::to_string(service.replicas) + "\n";
      line += "kept at " + std::to_string(service.replicas) + " replica(s)";
    } else {
      line += "global, left so";
    }
    if (label != service.labels.end()) {
      deploy +=
          "      labels:\n        " + Quoted(kReplicasLabel) + ": " + Quoted(label->second) + "\n";
      line += "; restores " + label->second + " (label " + std::string(kReplicasLabel) + " kept)";
    }
    if (!deploy.empty()) services += "  " + Quoted(name) + ":\n    deploy:\n" + deploy;
    plan.summary.push_back(std::move(line));
  }
  for (const auto& [name, service] : by_service) {
    if (model_services.count(name) == 0) {
      plan.summary.push_back(name + ": deployed, not in the compose files: left as it is");
    }
  }
  if (!services.empty()) {
    plan.override_yaml =
        "# Written by `madre stack deploy`: the deployed services keep their current scale and\n"
        "# madre's labels (docs/providers.md).\n"
        "version: \"3.8\"\n"
        "services:\n" +
        services;
  }
  return plan;
}

std::vector<std::string> StackDeployArgv(const std::vector<std::string>& compose_files,
                                         const std::string& override_file,
                                         const std::string& stack) {
  std::vector<std::string> argv = {"docker", "stack", "deploy"};
  for (const std::string& file : compose_files) {
    argv.push_back("-c");
    argv.push_back(file);
  }
  if (!override_file.empty()) {
    argv.push_back("-c");
    argv.push_back(override_file);
  }
  argv.push_back(stack);
  return argv;
}

}  // namespace madre
