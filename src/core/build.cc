#include "core/build.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <utility>

namespace madre {
namespace {

constexpr std::uint64_t kMiB = 1024 * 1024;

std::string Absolute(const std::string& path, const std::string& base) {
  const std::filesystem::path p(path);
  if (p.is_absolute()) return p.lexically_normal().string();
  return (std::filesystem::path(base) / p).lexically_normal().string();
}

// `path` is `dir` or below it (both canonical).
bool IsUnder(const std::string& path, const std::string& dir) {
  const std::filesystem::path rel = std::filesystem::path(path).lexically_relative(dir);
  if (rel.empty()) return false;
  const std::string first = rel.begin()->string();
  return first != ".." && !std::filesystem::path(rel).is_absolute();
}

Result<std::string> Resolve(const CanonicalPathFn& canonical, const std::string& absolute,
                            std::string_view what) {
  Result<std::string> resolved = canonical(absolute);
  if (!resolved.ok()) {
    return Status::InvalidArgument(std::string(what) + " '" + absolute +
                                   "' cannot be resolved: " + resolved.status().message());
  }
  return resolved;
}

// A requested path (relative to the compose dir, or absolute) must be the model's one.
Status CheckSame(const CanonicalPathFn& canonical, const std::string& requested,
                 const std::string& compose_dir, const std::string& expected,
                 std::string_view field) {
  if (requested.empty()) return Status::Ok();
  ASSIGN_OR_RETURN(std::string resolved,
                   Resolve(canonical, Absolute(requested, compose_dir), field));
  if (resolved != expected) {
    return Status::InvalidArgument(std::string(field) + " '" + requested + "' resolves to '" +
                                   resolved + "', not to the service's '" + expected + "'");
  }
  return Status::Ok();
}

}  // namespace

const char* BuildOutcomeName(BuildOutcomeKind outcome) {
  switch (outcome) {
    case BuildOutcomeKind::kRunning:
      return "running";
    case BuildOutcomeKind::kSucceeded:
      return "succeeded";
    case BuildOutcomeKind::kFailed:
      return "failed";
  }
  return "unknown";
}

std::optional<BuildOutcomeKind> ParseBuildOutcome(std::string_view text) {
  for (BuildOutcomeKind outcome :
       {BuildOutcomeKind::kRunning, BuildOutcomeKind::kSucceeded, BuildOutcomeKind::kFailed}) {
    if (text == BuildOutcomeName(outcome)) return outcome;
  }
  return std::nullopt;
}

std::string StagingImage(std::string_view image, std::int64_t build_id) {
  std::string_view repository = image;
  const std::size_t at = repository.find('@');
  if (at != std::string_view::npos) repository = repository.substr(0, at);
  const std::size_t colon = repository.rfind(':');
  const std::size_t slash = repository.rfind('/');
  if (colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    repository = repository.substr(0, colon);
  }
  return std::string(repository) + ":madre-build-" + std::to_string(build_id);
}

std::string StagingComposeFile(std::string_view service, std::string_view staging) {
  return "# Written by madre for one build: the build tags this name, not the service's image.\n"
         "services:\n  " +
         std::string(service) + ":\n    image: \"" + std::string(staging) + "\"\n";
}

BuildRecord ReconcileUnfinishedBuild(const BuildRecord& running,
                                     const std::string& staging_image_id,
                                     const std::string& current_image_id, TimePoint now) {
  BuildRecord out = running;
  out.finished_at = now;
  out.duration_ms = std::max<std::int64_t>(
      0, std::chrono::duration_cast<std::chrono::milliseconds>(now - running.started_at).count());
  if (!staging_image_id.empty()) {
    out.outcome = BuildOutcomeKind::kSucceeded;
    out.image_after = staging_image_id;
    out.error.clear();
  } else {
    out.outcome = BuildOutcomeKind::kFailed;
    out.image_after = current_image_id;
    out.error = kRestartedDuringBuild;
  }
  return out;
}

Result<BuildPlan> CheckBuildRequest(const ServiceModel& model, const BuildIntentRequest& request,
                                    const std::string& compose_dir,
                                    const CanonicalPathFn& canonical) {
  const std::string& name = request.target_service;
  if (name.empty()) return Status::InvalidArgument("target_service is missing");
  if (!IsValidServiceName(name)) {
    return Status::InvalidArgument("target_service '" + name + "' is not a valid service name");
  }
  auto it = model.services.find(name);
  if (it == model.services.end()) {
    return Status::InvalidArgument("target_service '" + name +
                                   "' is not a service of the compose project");
  }
  if (!it->second.build) {
    return Status::InvalidArgument("service '" + name +
                                   "' has no build: in the compose file; madre builds only what "
                                   "a service's build: names");
  }
  const BuildDef& build = *it->second.build;
  ASSIGN_OR_RETURN(std::string dir,
                   Resolve(canonical, Absolute(compose_dir, "/"), "the compose directory"));
  BuildPlan plan;
  plan.service = name;
  plan.image = it->second.image;
  ASSIGN_OR_RETURN(plan.context,
                   Resolve(canonical, Absolute(build.context, dir), "the service's build context"));
  ASSIGN_OR_RETURN(plan.dockerfile,
                   Resolve(canonical, Absolute(build.dockerfile, dir), "the service's Dockerfile"));
  if (!IsUnder(plan.context, dir)) {
    return Status::InvalidArgument("the build context of '" + name + "' (" + plan.context +
                                   ") is outside the compose directory " + dir);
  }
  if (!IsUnder(plan.dockerfile, dir)) {
    return Status::InvalidArgument("the Dockerfile of '" + name + "' (" + plan.dockerfile +
                                   ") is outside the compose directory " + dir);
  }
  RETURN_IF_ERROR(CheckSame(canonical, request.build_context, dir, plan.context, "build_context"));
  RETURN_IF_ERROR(
      CheckSame(canonical, request.dockerfile_path, dir, plan.dockerfile, "dockerfile_path"));
  return plan;
}

Status CheckBuildContextSize(const std::string& context, std::uint64_t bytes,
                             std::uint64_t max_mb) {
  if (bytes <= max_mb * kMiB) return Status::Ok();
  return Status::InvalidArgument(
      "the build context " + context + " holds " + std::to_string((bytes + kMiB - 1) / kMiB) +
      " MiB, over the cap of " + std::to_string(max_mb) + " MiB (VX11_BUILD_CONTEXT_MAX_MB)");
}

BuildApprovalView MakeBuildApprovalView(const BuildPlan& plan, std::string dockerfile_sha256,
                                        std::string image_replaced, std::uint64_t context_bytes) {
  BuildApprovalView view;
  view.service = plan.service;
  view.context = plan.context;
  view.dockerfile = plan.dockerfile;
  view.dockerfile_sha256 = std::move(dockerfile_sha256);
  view.image = plan.image;
  view.image_replaced = std::move(image_replaced);
  view.context_bytes = context_bytes;
  return view;
}

}  // namespace madre
