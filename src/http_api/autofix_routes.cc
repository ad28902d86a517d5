#include "http_api/autofix_routes.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <utility>

#include "api/diagnosis_view.h"
#include "engine/audit_records.h"
#include "http_api/http_common.h"

namespace madre {
namespace {

const ContainerState* ObservedOf(const EngineView& view, const std::string& service) {
  const ContainerState* found = nullptr;
  for (const ContainerState& c : view.observed) {
    if (c.service != service) continue;
    // With several containers (scaled, or a leftover), the running one tells the most.
    if (found == nullptr || (!found->Running() && c.Running())) found = &c;
  }
  return found;
}

}  // namespace

FailureEvidence EvidenceFromView(const EngineView& view, const std::string& service,
                                 std::string* container_id) {
  FailureEvidence e;
  e.service = service;
  auto def = view.model.services.find(service);
  if (def != view.model.services.end()) {
    e.image = def->second.image;
    e.has_build = def->second.build.has_value();
    for (const std::string& dep : def->second.depends_on) {
      const ContainerState* c = ObservedOf(view, dep);
      auto track = view.services.find(dep);
      const bool stopping = track != view.services.end() && !track->second.crashloop &&
                            (track->second.phase == ServicePhase::kStopped ||
                             track->second.phase == ServicePhase::kStopping);
      const bool as_a_stop_leaves_it =
          c != nullptr && c->state == "exited" && c->exit_code &&
          (*c->exit_code == 0 || *c->exit_code == 137 || *c->exit_code == 143);
      e.dependencies.push_back({dep, c != nullptr ? c->state : "", c != nullptr ? c->health : "",
                                stopping && as_a_stop_leaves_it});
    }
  }
  e.always_on = view.config.always_on.count(service) > 0;
  const ContainerState* c = ObservedOf(view, service);
  if (c != nullptr) {
    e.state = c->state;
    e.health = c->health;
    e.exit_code = c->exit_code;
    if (container_id != nullptr) *container_id = c->id.empty() ? c->container : c->id;
  } else if (container_id != nullptr) {
    container_id->clear();
  }
  auto track = view.services.find(service);
  if (track != view.services.end()) {
    if (!track->second.error.empty()) e.error = track->second.error;
    if (track->second.crashloop) e.kind = FailureKind::kCrashLoop;
  }
  if (e.kind != FailureKind::kCrashLoop && e.state == "running" && e.health == "unhealthy") {
    e.kind = FailureKind::kUnhealthy;
  }
  return e;
}

void AddDockerEvidence(FailureEvidence& evidence, FailureEvidence docker) {
  evidence.state = std::move(docker.state);
  evidence.exit_code = docker.exit_code;
  evidence.oom_killed = docker.oom_killed;
  if (!docker.error.empty()) evidence.error = std::move(docker.error);
  evidence.health = std::move(docker.health);
  evidence.health_log = std::move(docker.health_log);
  evidence.log_lines = std::move(docker.log_lines);
  evidence.mounts = std::move(docker.mounts);
  if (!docker.image.empty()) evidence.image = std::move(docker.image);
  if (evidence.kind != FailureKind::kCrashLoop && evidence.state == "running" &&
      evidence.health == "unhealthy") {
    evidence.kind = FailureKind::kUnhealthy;
  }
}

std::string IncidentDirName(TimePoint at, const std::string& service) {
  // FormatRfc3339: "2026-12-03T11:22:33.456Z" -> "20261203T112233Z".
  std::string stamp;
  for (char c : FormatRfc3339(at).substr(0, 19)) {
    if (c != '-' && c != ':') stamp.push_back(c);
  }
  return stamp + "Z_" + service;
}

Status WriteFileDurably(const std::filesystem::path& path, const std::string& text) {
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status::Internal("cannot write " + tmp.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  bool ok = true;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = false;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  std::error_code ec;
  if (ok) std::filesystem::rename(tmp, path, ec);
  if (!ok || ec) {
    std::filesystem::remove(tmp, ec);
    return Status::Internal("cannot write " + path.string());
  }
  return Status::Ok();
}

void AutofixRoutes::Gather(const std::string& service, std::optional<FailureKind> kind,
                           std::function<void(Gathered)> done) {
  const EngineView view = engine_.Snapshot();
  std::string container;
  FailureEvidence evidence = EvidenceFromView(view, service, &container);
  if (kind) evidence.kind = *kind;
  workers_.Submit(
      [this, evidence = std::move(evidence), container, kind, done = std::move(done)]() mutable {
        Gathered out;
        if (!container.empty()) {
          Result<FailureEvidence> docker = observer_.Evidence(container, kLogLines);
          if (docker.ok()) {
            AddDockerEvidence(evidence, std::move(*docker));
            if (kind) evidence.kind = *kind;
          } else if (docker.status().code() != StatusCode::kNotFound) {
            out.failed = docker.status();
          }
        }
        if (out.failed.ok() && images_ != nullptr && !evidence.image.empty()) {
          Result<std::string> id = images_->ImageId(evidence.image);
          if (id.ok()) {
            evidence.image_present = !id->empty();
          } else {
            out.failed = id.status();
          }
        }
        out.evidence = std::move(evidence);
        done(std::move(out));
      });
}

void AutofixRoutes::Diagnose(const std::string& service, Responder respond) {
  if (!engine_.Snapshot().model.Has(service)) {
    return respond(ErrorResponse(Status::NotFound("No service " + service)));
  }
  Gather(service, std::nullopt, [this, respond = std::move(respond)](Gathered got) mutable {
    const FailureKind kind = got.evidence.kind;
    const Diagnosis diagnosis = got.failed.ok() ? madre::Diagnose(got.evidence) : Diagnosis{};
    loop_.Submit(
        [failed = std::move(got.failed), diagnosis, kind, respond = std::move(respond)]() mutable {
          if (!failed.ok()) {
            return respond(
                ErrorResponse(Status::Unavailable("Docker did not answer: " + failed.message())));
          }
          respond(JsonResponse(200, DiagnosisView(diagnosis, kind)));
        });
  });
}

void AutofixRoutes::StartIncident(const std::string& service, FailureKind kind,
                                  const std::string& window_id) {
  if (options_.forensic_dir.empty() || !open_.insert(service).second) return;
  std::string name = IncidentDirName(engine_.Now(), service);
  std::string& last = last_names_[service];
  if (name == last ||
      (last.size() > name.size() && last.compare(0, name.size() + 1, name + "-") == 0)) {
    name += "-" + std::to_string(++same_second_);  // two incidents of a service in one second
  } else {
    same_second_ = 0;
  }
  last = name;
  const std::filesystem::path dir = options_.forensic_dir / name;
  std::weak_ptr<bool> alive = alive_;
  Gather(service, kind, [this, alive, dir, window_id, kind](Gathered got) {
    Diagnosis diagnosis = madre::Diagnose(got.evidence);
    if (!got.failed.ok()) {
      diagnosis.evidence.push_back("Docker did not answer: " + got.failed.message());
    }
    nlohmann::json analysis = {{"rule_diagnosis", DiagnosisView(diagnosis, kind)},
                               {"window_id", window_id},
                               {"adviser", nullptr}};
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    Status written = ec ? Status::Internal("cannot create " + dir.string() + ": " + ec.message())
                        : WriteFileDurably(dir / "failure_context.json",
                                           EvidenceView(got.evidence).dump(2) + "\n");
    if (written.ok()) written = WriteFileDurably(dir / "analysis.json", analysis.dump(2) + "\n");
    loop_.Submit([this, alive, dir, window_id, kind, diagnosis, written] {
      auto still = alive.lock();
      if (!still || !*still) return;
      if (!written.ok()) spdlog::warn("autofix: forensic record: {}", written.message());
      Status audited = audit_ ? audit_(audit_records::Diagnosed(diagnosis, kind, window_id,
                                                                written.ok() ? dir.string() : ""))
                              : Status::Ok();
      if (!audited.ok()) spdlog::warn("autofix: audit: {}", audited.message());
      spdlog::info("autofix: {} failure of {}: {}", FailureKindName(kind), diagnosis.service,
                   FailureCauseName(diagnosis.cause));
    });
  });
}

void AutofixRoutes::OnWindow(const Window& window) {
  if (options_.forensic_dir.empty()) return;
  for (const auto& [service, status] : window.services_status) {
    if (status.state == ServiceState::kCrashloop) {
      StartIncident(service, FailureKind::kCrashLoop, window.id);
    } else if (status.state == ServiceState::kFailed) {
      StartIncident(service, FailureKind::kReadiness, window.id);
    }
  }
}

void AutofixRoutes::OnEngineChange() {
  if (options_.forensic_dir.empty()) return;
  const EngineView view = engine_.Snapshot();
  std::map<std::string, std::string> wanted;  // service -> a live window that wants it
  std::set<std::string> open_windows;         // services of windows already open
  for (const auto& [id, window] : view.windows) {
    if (!window.Live()) continue;
    for (const std::string& service : window.effective_services) {
      wanted.emplace(service, id);
      if (window.state == WindowState::kOpen) open_windows.insert(service);
    }
  }
  for (auto it = open_.begin(); it != open_.end();) {
    const ContainerState* c = ObservedOf(view, *it);
    auto track = view.services.find(*it);
    const bool crashloop = track != view.services.end() && track->second.crashloop;
    const bool failed =
        track != view.services.end() && track->second.phase == ServicePhase::kFailed;
    const bool fine = c != nullptr && c->state == "running" && !crashloop && !failed &&
                      c->health != "unhealthy" && c->health != "starting";
    it = !wanted.count(*it) || fine ? open_.erase(it) : std::next(it);
  }
  for (const auto& [service, window_id] : wanted) {
    auto track = view.services.find(service);
    if (track != view.services.end() && track->second.crashloop) {
      StartIncident(service, FailureKind::kCrashLoop, window_id);
      continue;
    }
    const ContainerState* c = ObservedOf(view, service);
    if (c != nullptr && open_windows.count(service) && c->state == "running" &&
        c->health == "unhealthy") {
      StartIncident(service, FailureKind::kUnhealthy, window_id);
    }
  }
}

void AutofixRoutes::List(const HttpRequest& request, Responder respond) {
  for (const auto& [key, value] : request.query) {
    if (key != "limit") {
      return respond(ErrorResponse(Status::InvalidArgument("unknown query parameter " + key)));
    }
  }
  Result<int> limit = QueryInt(request, "limit", kDefaultLimit, 1, kMaxLimit);
  if (!limit.ok()) return respond(ErrorResponse(limit.status()));
  workers_.Submit([this, limit = *limit, respond = std::move(respond)]() mutable {
    std::vector<std::filesystem::path> dirs;
    std::error_code ec;
    if (!options_.forensic_dir.empty() &&
        std::filesystem::is_directory(options_.forensic_dir, ec)) {
      for (const auto& entry : std::filesystem::directory_iterator(options_.forensic_dir, ec)) {
        if (entry.is_directory(ec)) dirs.push_back(entry.path());
      }
    }
    std::sort(dirs.begin(), dirs.end(), std::greater<>());  // the names start with the time
    nlohmann::json list = nlohmann::json::array();
    for (const std::filesystem::path& dir : dirs) {
      if (static_cast<int>(list.size()) >= limit) break;
      std::ifstream in(dir / "analysis.json");
      nlohmann::json analysis = nlohmann::json::parse(in, nullptr, false);
      if (analysis.is_discarded() || !analysis.contains("rule_diagnosis")) continue;
      nlohmann::json item = analysis["rule_diagnosis"];
      item["incident"] = dir.filename().string();
      item["window_id"] = analysis.value("window_id", "");
      item["forensic_dir"] = dir.string();
      list.push_back(std::move(item));
    }
    loop_.Submit([list = std::move(list), respond = std::move(respond)]() mutable {
      const std::size_t count = list.size();
      respond(JsonResponse(200, {{"diagnoses", std::move(list)}, {"count", count}}));
    });
  });
}

}  // namespace madre
