#include "testing/fake_docker.h"

namespace madre {

namespace {
std::string Joined(const std::string& verb, const std::vector<std::string>& services) {
  std::string out = verb;
  for (const auto& s : services) out += " " + s;
  return out;
}

// `health` with the State.Health details Docker shows with it: healthy after a passing check,
// unhealthy after failing ones (a streak of 3), starting before any check.
void SetHealthOf(ContainerState& c, const std::string& health) {
  c.health = health;
  c.health_failing_streak = health == "unhealthy" ? 3 : 0;
  c.health_last_exit.reset();
  if (health == "healthy") c.health_last_exit = 0;
  if (health == "unhealthy") c.health_last_exit = 1;
}
}  // namespace

Status FakeDocker::TakeFailure(const std::string& verb) {
  if (down_) return Status::Unavailable("cannot connect to the Docker daemon");
  auto it = fail_next_.find(verb);
  if (it == fail_next_.end()) return Status::Ok();
  Status status = it->second;
  fail_next_.erase(it);
  return status;
}

Result<ServiceModel> FakeDocker::Config() {
  std::lock_guard<std::mutex> lock(mu_);
  return model_;
}

ComposeOutcome FakeDocker::Up(const std::vector<std::string>& services) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(Joined("up", services));
  ComposeOutcome outcome;
  outcome.ops.push_back({Joined("docker compose up -d --no-deps", services), 0, 5, ""});
  outcome.status = TakeFailure("up");
  if (!outcome.status.ok()) {
    outcome.ops.back().exit_code = 1;
    return outcome;
  }
  for (const auto& s : services) {
    ContainerState& c = containers_[s];
    c.service = s;
    c.container = "fake-" + s + "-1";
    c.id = "id-" + s;
    auto hash = config_hashes_.find(s);
    c.config_hash = hash == config_hashes_.end() ? "" : hash->second;  // created or recreated
    auto image = image_ids_.find(s);
    c.image_id = image == image_ids_.end() ? "" : image->second;
    if (TakeCrash(s)) {
      c.state = "exited";
      c.exit_code = 1;
    } else {
      c.state = "running";
      c.exit_code.reset();
    }
    c.started_at = "run-" + std::to_string(++runs_);
    auto def = model_.services.find(s);
    if (def != model_.services.end() && def->second.has_healthcheck) {
      auto h = health_.find(s);
      SetHealthOf(c, h == health_.end() ? "starting" : h->second);
    }
  }
  return outcome;
}

ComposeOutcome FakeDocker::Stop(const std::vector<std::string>& services) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(Joined("stop", services));
  ComposeOutcome outcome;
  outcome.ops.push_back({Joined("docker compose stop", services), 0, 5, ""});
  outcome.status = TakeFailure("stop");
  if (!outcome.status.ok()) {
    outcome.ops.back().exit_code = 1;
    return outcome;
  }
  for (const auto& s : services) {
    auto it = containers_.find(s);
    // As Docker: stopping a container that already exited leaves its exit code.
    if (it != containers_.end() && it->second.state != "exited") {
      it->second.state = "exited";
      it->second.exit_code = 0;
    }
  }
  return outcome;
}

ComposeOutcome FakeDocker::Restart(const std::vector<std::string>& services) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(Joined("restart", services));
  ComposeOutcome outcome;
  outcome.ops.push_back({Joined("docker compose restart", services), 0, 5, ""});
  outcome.status = TakeFailure("restart");
  return outcome;
}

ComposeOutcome FakeDocker::Recreate(const std::vector<std::string>& services) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(Joined("recreate", services));
  ComposeOutcome outcome;
  outcome.ops.push_back(
      {Joined("docker compose up -d --no-deps --force-recreate", services), 0, 5, ""});
  outcome.status = TakeFailure("recreate");
  if (!outcome.status.ok()) {
    outcome.ops.back().exit_code = 1;
    return outcome;
  }
  for (const auto& s : services) {
    ContainerState& c = containers_[s];
    c.service = s;
    c.container = "fake-" + s + "-1";
    c.id = "id-" + s + "-re" + std::to_string(++runs_);
    c.state = TakeCrash(s) ? "exited" : "running";
    c.exit_code = c.state == "exited" ? std::optional<int>(1) : std::nullopt;
  }
  return outcome;
}

Result<std::vector<ContainerState>> FakeDocker::ListProject() {
  std::lock_guard<std::mutex> lock(mu_);
  if (record_lists_) calls_.push_back("list");
  if (Status status = TakeFailure("list"); !status.ok()) return status;
  std::vector<ContainerState> out;
  for (const auto& [name, c] : containers_) {
    out.push_back(c);
    if (auto replicas = replicas_.find(name); replicas != replicas_.end()) {
      out.back().replicas = replicas->second;
    }
  }
  return out;
}

Result<ContainerStats> FakeDocker::Stats(const std::string& container_id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, c] : containers_) {
    if (c.id != container_id || c.state != "running") continue;
    auto cpu = cpu_.find(name);
    if (cpu == cpu_.end()) break;
    ContainerStats stats;
    stats.cpu_percent = cpu->second;
    return stats;
  }
  return Status::Unavailable("no stats for container " + container_id);
}

void FakeDocker::SetCpu(const std::string& service, double cpu_percent) {
  std::lock_guard<std::mutex> lock(mu_);
  cpu_[service] = cpu_percent;
}

Result<std::map<std::string, std::string>> FakeDocker::ConfigHashes() {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back("config-hash");
  if (Status status = TakeFailure("config-hash"); !status.ok()) return status;
  return config_hashes_;
}

void FakeDocker::SetConfigHash(const std::string& service, const std::string& hash) {
  std::lock_guard<std::mutex> lock(mu_);
  if (hash.empty()) {
    config_hashes_.erase(service);
  } else {
    config_hashes_[service] = hash;
  }
}

Result<FailureEvidence> FakeDocker::Evidence(const std::string& container_id, int tail) {
  std::lock_guard<std::mutex> lock(mu_);
  if (down_) return Status::Unavailable("docker is down");
  for (const auto& [name, c] : containers_) {
    if (c.id != container_id && c.container != container_id) continue;
    auto known = evidence_.find(c.service);
    FailureEvidence e = known == evidence_.end() ? FailureEvidence{} : known->second;
    e.service = c.service;
    e.state = c.state;
    e.health = c.health;
    if (!e.exit_code) e.exit_code = c.exit_code;
    if (tail >= 0 && e.log_lines.size() > static_cast<std::size_t>(tail)) {
      e.log_lines.erase(e.log_lines.begin(), e.log_lines.end() - tail);
    }
    return e;
  }
  return Status::NotFound("No such container: " + container_id);
}

void FakeDocker::SetEvidence(const std::string& service, FailureEvidence evidence) {
  std::lock_guard<std::mutex> lock(mu_);
  evidence_[service] = std::move(evidence);
}

void FakeDocker::SetImageId(const std::string& service, const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  image_ids_[service] = id;
}

void FakeDocker::SetReplicas(const std::string& service, ServiceReplicas replicas) {
  std::lock_guard<std::mutex> lock(mu_);
  replicas_[service] = std::move(replicas);
}

void FakeDocker::SetRunning(const std::string& service, bool running) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!containers_.count(service)) {
    auto hash = config_hashes_.find(service);
    if (hash != config_hashes_.end()) containers_[service].config_hash = hash->second;
    auto image = image_ids_.find(service);
    if (image != image_ids_.end()) containers_[service].image_id = image->second;
  }
  ContainerState& c = containers_[service];
  c.service = service;
  c.container = "fake-" + service + "-1";
  c.id = "id-" + service;
  if (running && c.state != "running") c.started_at = "run-" + std::to_string(++runs_);
  c.state = running ? "running" : "exited";
}

void FakeDocker::Recreate(const std::string& service) {
  std::lock_guard<std::mutex> lock(mu_);
  ContainerState& c = containers_[service];
  c.service = service;
  c.container = "fake-" + service + "-1";
  c.id = "id-" + service + "-" + std::to_string(++recreated_);
  c.state = "created";
  c.exit_code.reset();
}

void FakeDocker::SetRestarting(const std::string& service) {
  SetRunning(service, true);
  std::lock_guard<std::mutex> lock(mu_);
  containers_[service].state = "restarting";
}

void FakeDocker::FailNext(const std::string& verb, Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  fail_next_[verb] = std::move(status);
}

bool FakeDocker::TakeCrash(const std::string& service) {
  auto it = crash_on_start_.find(service);
  if (it == crash_on_start_.end()) return false;
  if (it->second > 0 && --it->second == 0) crash_on_start_.erase(it);
  return true;
}

void FakeDocker::CrashOnStart(const std::string& service, int times) {
  std::lock_guard<std::mutex> lock(mu_);
  crash_on_start_[service] = times;
}

Status FakeDocker::StartContainer(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, c] : containers_) {
    if (c.id != id) continue;
    calls_.push_back("api-start " + name);
    if (Status failure = TakeFailure("api-start"); !failure.ok()) return failure;
    c.state = TakeCrash(name) ? "exited" : "running";
    c.started_at = "run-" + std::to_string(++runs_);
    auto def = model_.services.find(name);
    if (def != model_.services.end() && def->second.has_healthcheck) {
      auto h = health_.find(name);
      SetHealthOf(c, h == health_.end() ? "starting" : h->second);
    }
    return Status::Ok();
  }
  return Status::NotFound("no such container: " + id);
}

Status FakeDocker::StopContainer(const std::string& id, int /*timeout_sec*/) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, c] : containers_) {
    if (c.id != id) continue;
    calls_.push_back("api-stop " + name);
    if (Status failure = TakeFailure("api-stop"); !failure.ok()) return failure;
    c.state = "exited";
    c.exit_code = 0;
    return Status::Ok();
  }
  return Status::NotFound("no such container: " + id);
}

Status FakeDocker::PauseContainer(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, c] : containers_) {
    if (c.id != id) continue;
    calls_.push_back("api-pause " + name);
    if (c.state == "restarting") {
      return Status::FailedPrecondition("container " + id +
                                        " is restarting, wait until the container is running");
    }
    if (c.state != "running")
      return Status::FailedPrecondition("container " + id + " is not running");
    c.state = "paused";
    // As dockerd 20.10: a paused container's health monitor stops and marks it unhealthy,
    // keeping its failing streak and check log (the pause's mark, core/readiness.h).
    if (!c.health.empty()) c.health = "unhealthy";
    return Status::Ok();
  }
  return Status::NotFound("no such container: " + id);
}

Status FakeDocker::UnpauseContainer(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, c] : containers_) {
    if (c.id != id) continue;
    calls_.push_back("api-unpause " + name);
    if (c.state != "paused")
      return Status::FailedPrecondition("container " + id + " is not paused");
    c.state = "running";
    return Status::Ok();
  }
  return Status::NotFound("no such container: " + id);
}

Result<std::int64_t> FakeDocker::CpuLimit(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (down_) return Status::Unavailable("docker is down");
  for (const auto& [name, c] : containers_) {
    if (c.id != id) continue;
    auto it = nano_cpus_.find(id);
    return it == nano_cpus_.end() ? std::int64_t{0} : it->second;
  }
  return Status::NotFound("no such container: " + id);
}

Status FakeDocker::UpdateCpuLimit(const std::string& id, std::int64_t nano_cpus) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [name, c] : containers_) {
    if (c.id != id) continue;
    calls_.push_back("api-cpu " + name + " " + std::to_string(nano_cpus));
    if (Status failure = TakeFailure("api-cpu"); !failure.ok()) return failure;
    if (nano_cpus < 0) return Status::InvalidArgument("a CPU limit cannot be negative");
    nano_cpus_[id] = nano_cpus;
    return Status::Ok();
  }
  return Status::NotFound("no such container: " + id);
}

void FakeDocker::SetCpuLimit(const std::string& service, std::int64_t nano_cpus) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(service);
  if (it != containers_.end()) nano_cpus_[it->second.id] = nano_cpus;
}

std::int64_t FakeDocker::cpu_limit(const std::string& service) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = containers_.find(service);
  if (it == containers_.end()) return 0;
  auto nano = nano_cpus_.find(it->second.id);
  return nano == nano_cpus_.end() ? 0 : nano->second;
}

void FakeDocker::SetHealth(const std::string& service, const std::string& health) {
  std::lock_guard<std::mutex> lock(mu_);
  health_[service] = health;
  auto it = containers_.find(service);
  if (it != containers_.end()) SetHealthOf(it->second, health);
}

void FakeDocker::SetDown(bool down) {
  std::lock_guard<std::mutex> lock(mu_);
  down_ = down;
}

std::vector<std::string> FakeDocker::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

std::set<std::string> FakeDocker::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<std::string> out;
  for (const auto& [name, c] : containers_) {
    if (c.Running()) out.insert(name);
  }
  return out;
}

}  // namespace madre
