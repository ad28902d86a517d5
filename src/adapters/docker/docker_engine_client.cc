#include "adapters/docker/docker_engine_client.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <initializer_list>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include "adapters/docker/docker_parse.h"

namespace madre {
namespace {

Status CheckRef(const std::string& id) {
  if (IsValidContainerRef(id)) return Status::Ok();
  return Status::InvalidArgument("not a container id or name: \"" + id + "\"");
}

// Calls work(i) for every i in [0, n), at most `max_parallel` at once: the calling thread and
// up to max_parallel - 1 helper threads each take the next index until none is left. Returns
// when every call has returned. A helper that cannot be started leaves its share to the others.
void ForEachBounded(std::size_t n, int max_parallel, const std::function<void(std::size_t)>& work) {
  if (n == 0) return;
  std::atomic<std::size_t> next{0};
  auto drain = [&] {
    for (std::size_t i = next.fetch_add(1); i < n; i = next.fetch_add(1)) work(i);
  };
  const std::size_t at_once = static_cast<std::size_t>(std::max(max_parallel, 1));
  const std::size_t helpers = std::min(n, at_once) - 1;
  std::vector<std::thread> threads;
  threads.reserve(helpers);
  for (std::size_t k = 0; k < helpers; ++k) {
    try {
      threads.emplace_back(drain);
    } catch (const std::system_error&) {
      break;  // out of threads: fewer at once, same work
    }
  }
  drain();
  for (std::thread& thread : threads) thread.join();
}

}  // namespace

DockerEngineClient::DockerEngineClient(DockerEngineOptions options)
    : DockerEngineClient(std::move(options), system_clock_) {}

DockerEngineClient::DockerEngineClient(DockerEngineOptions options, const Clock& clock)
    : options_(std::move(options)),
      api_(options_.docker_host, options_.timeout),
      clock_(&clock),
      inspect_cache_(options_.inspect_cache_max_age) {}

std::string DockerEngineClient::ApiVersion() { return api_.ApiVersion(); }

Result<UnixHttpResponse> DockerEngineClient::Call(const char* method, const std::string& path,
                                                  Duration timeout) {
  return api_.Send(method, path, timeout);
}

Result<UnixHttpResponse> DockerEngineClient::CallExpecting(const char* method,
                                                           const std::string& path,
                                                           Duration timeout,
                                                           std::initializer_list<long> ok_statuses,
                                                           std::string_view json_body) {
  return api_.SendExpecting(method, path, timeout, ok_statuses, json_body);
}

Status DockerEngineClient::Ping() {
  ASSIGN_OR_RETURN(UnixHttpResponse response,
                   api_.SendUnversioned("GET", "/_ping", options_.timeout));
  if (response.status != 200) return StatusFromDockerAnswer(response, "docker GET /_ping");
  return Status::Ok();
}

Result<std::vector<ContainerState>> DockerEngineClient::ListProject() {
  // An inspect answer serves a later list for a time measured from before its own list to
  // after the later one: never shorter than what separates the two lists.
  const TimePoint asked_at = clock_->Now();
  std::string path =
      "/containers/json?all=1&filters=" + PercentEncode(ProjectLabelFilter(options_.project));
  ASSIGN_OR_RETURN(UnixHttpResponse list, CallExpecting("GET", path, options_.timeout, {200}));
  const TimePoint listed_at = clock_->Now();
  ASSIGN_OR_RETURN(std::vector<ContainerState> containers, ParseContainerList(list.body));
  // A second, small read of the same answer for the Status texts, which ContainerState lacks.
  ASSIGN_OR_RETURN(std::vector<ListedStatus> listed, ParseListStatusTexts(list.body));
  if (listed.size() != containers.size()) {
    return Status::Internal("docker: inconsistent container list");
  }

  // The list's view of each container, replaced by its cached inspect when that is still
  // good; the others are inspected below.
  std::vector<std::string> ids;
  std::vector<std::size_t> to_inspect;
  ids.reserve(containers.size());
  for (std::size_t i = 0; i < containers.size(); ++i) {
    ContainerState& c = containers[i];
    if (listed[i].id != c.id) return Status::Internal("docker: inconsistent container list");
    ids.push_back(c.id);
    if (std::optional<ContainerState> cached =
            inspect_cache_.Find(c, listed[i].status_text, listed_at)) {
      c = std::move(*cached);
    } else {
      to_inspect.push_back(i);
    }
  }
  inspect_cache_.RetainOnly(ids);

  std::vector<Result<ContainerState>> answers(to_inspect.size(),
                                              Status::Internal("docker: inspect not sent"));
  ForEachBounded(to_inspect.size(), options_.max_parallel_inspects,
                 [&](std::size_t k) { answers[k] = Inspect(containers[to_inspect[k]].id); });

  Status first_error;
  for (std::size_t k = 0; k < to_inspect.size(); ++k) {
    const std::size_t i = to_inspect[k];
    if (answers[k].ok()) {
      // containers[i] is still the list's view here.
      inspect_cache_.Put(containers[i], listed[i].status_text, *answers[k], asked_at);
      containers[i] = std::move(*answers[k]);
    } else if (answers[k].code() != StatusCode::kNotFound && first_error.ok()) {
      first_error = answers[k].status();
    }  // kNotFound: removed since the list; keep what the list said
  }
  RETURN_IF_ERROR(first_error);
  std::sort(
      containers.begin(), containers.end(), [](const ContainerState& a, const ContainerState& b) {
        return std::tie(a.service, a.container, a.id) < std::tie(b.service, b.container, b.id);
      });
  return containers;
}

Result<ContainerState> DockerEngineClient::Inspect(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  ASSIGN_OR_RETURN(UnixHttpResponse response,
                   CallExpecting("GET", "/containers/" + id + "/json", options_.timeout, {200}));
  return ParseInspect(response.body);
}

Status DockerEngineClient::Start(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  return CallExpecting("POST", "/containers/" + id + "/start", options_.timeout, {204, 304})
      .status();
}

Result<ContainerStats> DockerEngineClient::Stats(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  ASSIGN_OR_RETURN(
      UnixHttpResponse response,
      CallExpecting("GET", "/containers/" + id + "/stats?stream=false", options_.timeout, {200}));
  return ParseStats(response.body);
}

Result<std::string> DockerEngineClient::ImageId(const std::string& name) {
  if (!IsValidImageRef(name)) {
    return Status::InvalidArgument("invalid image name: " + name);
  }
  ASSIGN_OR_RETURN(UnixHttpResponse response,
                   CallExpecting("GET", "/images/" + name + "/json", options_.timeout, {200, 404}));
  if (response.status == 404) return std::string();
  return ParseImageId(response.body);
}

Status DockerEngineClient::TagImage(const std::string& source, const std::string& target) {
  if (!IsValidImageRef(source)) return Status::InvalidArgument("invalid image name: " + source);
  if (!IsValidImageRef(target)) return Status::InvalidArgument("invalid image name: " + target);
  std::string_view repo = target;
  std::string tag = "latest";
  const std::size_t colon = repo.rfind(':');
  const std::size_t slash = repo.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    tag = std::string(repo.substr(colon + 1));
    repo = repo.substr(0, colon);
  }
  return CallExpecting("POST",
                       "/images/" + source + "/tag?repo=" + PercentEncode(repo) +
                           "&tag=" + PercentEncode(tag),
                       options_.timeout, {201})
      .status();
}

Status DockerEngineClient::RemoveImageName(const std::string& name) {
  if (!IsValidImageRef(name)) return Status::InvalidArgument("invalid image name: " + name);
  return CallExpecting("DELETE", "/images/" + name + "?noprune=1", options_.timeout, {200, 404})
      .status();
}

Status DockerEngineClient::PauseContainer(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  return CallExpecting("POST", "/containers/" + id + "/pause", options_.timeout, {204}).status();
}

Status DockerEngineClient::UnpauseContainer(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  return CallExpecting("POST", "/containers/" + id + "/unpause", options_.timeout, {204}).status();
}

Result<std::int64_t> DockerEngineClient::CpuLimit(const std::string& id) {
  RETURN_IF_ERROR(CheckRef(id));
  ASSIGN_OR_RETURN(UnixHttpResponse response,
                   CallExpecting("GET", "/containers/" + id + "/json", options_.timeout, {200}));
  return ParseNanoCpus(response.body);
}

Status DockerEngineClient::UpdateCpuLimit(const std::string& id, std::int64_t nano_cpus) {
  RETURN_IF_ERROR(CheckRef(id));
  if (nano_cpus < 0) return Status::InvalidArgument("a CPU limit cannot be negative");
  if (nano_cpus == 0) {  // a lift: the whole host (see the header)
    std::optional<int> cpus;
    {
      std::lock_guard lock(cpus_mu_);
      cpus = host_cpus_;
    }
    if (!cpus) {
      ASSIGN_OR_RETURN(UnixHttpResponse info,
                       CallExpecting("GET", "/info", options_.timeout, {200}));
      ASSIGN_OR_RETURN(int host, ParseHostCpus(info.body));
      std::lock_guard lock(cpus_mu_);
      host_cpus_ = host;
      cpus = host;
    }
    nano_cpus = static_cast<std::int64_t>(*cpus) * 1'000'000'000;
  }
  const std::string body = "{\"NanoCpus\":" + std::to_string(nano_cpus) + "}";
  return CallExpecting("POST", "/containers/" + id + "/update", options_.timeout, {200}, body)
      .status();
}

Status DockerEngineClient::Stop(const std::string& id, int timeout_sec) {
  RETURN_IF_ERROR(CheckRef(id));
  timeout_sec = std::max(timeout_sec, 0);
  // The engine waits up to timeout_sec before SIGKILL: the request may take that long.
  Duration request_timeout = options_.timeout + Seconds(timeout_sec);
  return CallExpecting("POST", "/containers/" + id + "/stop?t=" + std::to_string(timeout_sec),
                       request_timeout, {204, 304})
      .status();
}

Result<std::string> DockerEngineClient::Logs(const std::string& id, int tail) {
  RETURN_IF_ERROR(CheckRef(id));
  std::string path =
      "/containers/" + id + "/logs?stdout=1&stderr=1&tail=" + std::to_string(std::max(tail, 0));
  ASSIGN_OR_RETURN(UnixHttpResponse response, CallExpecting("GET", path, options_.timeout, {200}));
  return DemuxDockerLogs(response.body);
}

Result<FailureEvidence> DockerEngineClient::Evidence(const std::string& id, int tail) {
  RETURN_IF_ERROR(CheckRef(id));
  ASSIGN_OR_RETURN(UnixHttpResponse response,
                   CallExpecting("GET", "/containers/" + id + "/json", options_.timeout, {200}));
  ASSIGN_OR_RETURN(FailureEvidence evidence, ParseFailureEvidence(response.body));
  ASSIGN_OR_RETURN(const std::string logs, Logs(id, tail));
  evidence.log_lines = LogLines(logs);
  return evidence;
}

Result<HealthcheckConfig> DockerEngineClient::Healthcheck(const std::string& container) {
  RETURN_IF_ERROR(CheckRef(container));
  ASSIGN_OR_RETURN(
      UnixHttpResponse response,
      CallExpecting("GET", "/containers/" + container + "/json", options_.timeout, {200}));
  return ParseHealthcheckConfig(response.body);
}

bool DockerEngineClient::CheckMayRun(const std::string& container, const std::string& exec_id) {
  {
    std::lock_guard lock(checks_mu_);
    auto it = checks_.find(container);
    if (it == checks_.end() || it->second.exec_id != exec_id) return false;
    if (clock_->Now() - it->second.started >= options_.abandoned_check_bound) {
      checks_.erase(it);
      return false;
    }
  }
  Result<ExecProgress> progress = InspectCheck(exec_id);  // forgets it when it ended
  if (progress.ok()) return progress->running;
  // Unknown to Docker (gone with a restart of its container): it runs no more.
  return progress.code() != StatusCode::kNotFound;
}

void DockerEngineClient::ForgetCheck(const std::string& exec_id) {
  std::lock_guard lock(checks_mu_);
  for (auto it = checks_.begin(); it != checks_.end(); ++it) {
    if (it->second.exec_id == exec_id) {
      checks_.erase(it);
      return;
    }
  }
}

Result<std::string> DockerEngineClient::StartCheck(const std::string& container,
                                                   const std::vector<std::string>& argv) {
  RETURN_IF_ERROR(CheckRef(container));
  if (argv.empty()) return Status::InvalidArgument("no command to run in " + container);
  std::string earlier;
  {
    std::lock_guard lock(checks_mu_);
    auto it = checks_.find(container);
    if (it != checks_.end()) {
      if (it->second.exec_id.empty()) {
        return Status::FailedPrecondition("a check is being started in " + container);
      }
      earlier = it->second.exec_id;
    }
  }
  if (!earlier.empty() && CheckMayRun(container, earlier)) {
    return Status::FailedPrecondition("the check madre started in " + container + " (exec " +
                                      earlier.substr(0, 12) + ") has not ended yet");
  }
  {
    std::lock_guard lock(checks_mu_);
    auto [it, inserted] = checks_.try_emplace(container);
    if (!inserted && it->second.exec_id != earlier) {
      return Status::FailedPrecondition("a check is being started in " + container);
    }
    it->second = TrackedCheck{"", clock_->Now()};  // reserved: at most one at a time
  }
  auto release = [this, &container] {
    std::lock_guard lock(checks_mu_);
    auto it = checks_.find(container);
    if (it != checks_.end() && it->second.exec_id.empty()) checks_.erase(it);
  };
  Result<UnixHttpResponse> created = CallExpecting("POST", "/containers/" + container + "/exec",
                                                   options_.timeout, {201}, ExecCreateBody(argv));
  if (!created.ok()) {
    release();
    return created.status();
  }
  Result<std::string> exec_id = ParseExecCreated(created->body);
  if (!exec_id.ok()) {
    release();
    return exec_id.status();
  }
  Result<UnixHttpResponse> started =
      CallExpecting("POST", "/exec/" + *exec_id + "/start", options_.timeout, {200, 204},
                    R"({"Detach":true,"Tty":false})");
  if (!started.ok()) {
    release();
    return started.status();
  }
  std::lock_guard lock(checks_mu_);
  checks_[container].exec_id = *exec_id;
  return *exec_id;
}

Result<ExecProgress> DockerEngineClient::InspectCheck(const std::string& exec_id) {
  if (!IsValidContainerRef(exec_id)) {
    return Status::InvalidArgument("not an exec id: \"" + exec_id + "\"");
  }
  Result<UnixHttpResponse> response =
      CallExpecting("GET", "/exec/" + exec_id + "/json", options_.timeout, {200});
  if (!response.ok()) {
    if (response.code() == StatusCode::kNotFound) ForgetCheck(exec_id);
    return response.status();
  }
  ASSIGN_OR_RETURN(ExecProgress progress, ParseExecInspect(response->body));
  if (!progress.running) ForgetCheck(exec_id);
  return progress;
}

void DockerEngineClient::Abandon(const std::string& /*exec_id*/, bool timed_out) {
  // The check stays tracked: StartCheck asks Docker whether it still runs before another.
  if (timed_out) abandoned_checks_.fetch_add(1);
}

}  // namespace madre
