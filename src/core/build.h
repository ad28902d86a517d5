// Image builds (issue 11, the `build` executor): the history row, the check of a manifestator's
// build request against the compose model, and the restart reconcile of builds that were
// running. Pure: paths are resolved by a function the caller passes (the I/O lives in
// adapters/compose/build_files.h), time is an argument.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/time.h"
#include "core/model.h"

namespace madre {

enum class BuildOutcomeKind { kRunning, kSucceeded, kFailed };
const char* BuildOutcomeName(BuildOutcomeKind outcome);  // "running", "succeeded", "failed"
std::optional<BuildOutcomeKind> ParseBuildOutcome(std::string_view text);

// One row of the `builds` table (docs/storage.md). Written `running` before the build starts,
// finished after.
struct BuildRecord {
  std::int64_t id = 0;                   // assigned by the store
  std::optional<std::string> intent_id;  // the intent that asked for it, when one did
  std::string service;
  TimePoint started_at{};
  std::optional<TimePoint> finished_at;  // nullopt while running
  BuildOutcomeKind outcome = BuildOutcomeKind::kRunning;
  std::string image_before;  // the image id before the build ("" when there was none)
  std::string image_after;   // after it ("" while running, or when none)
  std::int64_t duration_ms = 0;
  std::string log_path;  // the build's log file (bounded)
  std::string error;     // why it failed ("" otherwise)

  friend bool operator==(const BuildRecord&, const BuildRecord&) = default;
};

// The error of a build that was running when madre stopped.
inline constexpr char kRestartedDuringBuild[] = "madre restarted during the build";

// A build never writes the service's image itself: compose builds `StagingImage` (a tag of the
// build's own), and madre moves the service's name onto it once the build succeeded. dockerd
// finishes a build whose client died (seen with 20.10's builder), so a build that outlives a
// madre killed mid-build could otherwise replace the image after the restart had recorded it
// failed. "<repository>:madre-build-<id>": the image's own tag, if any, replaced.
std::string StagingImage(std::string_view image, std::int64_t build_id);
// The compose file added as the last `-f` of the build: it points `service`'s image at
// `staging` (a service name and an image reference, so nothing needs quoting).
std::string StagingComposeFile(std::string_view service, std::string_view staging);

// At start, for each row still `running` (BuildStore::ListUnfinished): the row finished. The
// build went on without madre only if its staging image exists (`staging_image_id`, "" when
// absent): then it succeeded with that id (the caller has moved the service's name onto it);
// otherwise it failed with kRestartedDuringBuild, image_after the service's image as it is
// (`current_image_id`). finished_at is `now`, duration_ms from started_at.
BuildRecord ReconcileUnfinishedBuild(const BuildRecord& running,
                                     const std::string& staging_image_id,
                                     const std::string& current_image_id, TimePoint now);

// A manifestator's build request: {"target_service", "dockerfile_path", "build_context"}.
// Empty paths were not given.
struct BuildIntentRequest {
  std::string target_service;
  std::string dockerfile_path;
  std::string build_context;
};

// What a checked request builds: only ever what the model's `build:` names.
struct BuildPlan {
  std::string service;
  std::string image;       // the service's image name (ServiceDef::image)
  std::string context;     // canonical
  std::string dockerfile;  // canonical
  friend bool operator==(const BuildPlan&, const BuildPlan&) = default;
};

// An absolute path, weakly canonical (symlinks of its existing part resolved, `.` and `..`
// folded); an error when it cannot be resolved.
using CanonicalPathFn = std::function<Result<std::string>(const std::string& absolute)>;

// The request against the model (all errors kInvalidArgument, saying what is wrong):
// - target_service must be a valid name of the model, with `build:`;
// - the model's context and Dockerfile, canonical, must lie under the canonical compose dir
//   (a symlink cannot take the build elsewhere);
// - a given build_context / dockerfile_path (relative to `compose_dir`, or absolute) must
//   resolve, canonical, to the model's context / Dockerfile.
Result<BuildPlan> CheckBuildRequest(const ServiceModel& model, const BuildIntentRequest& request,
                                    const std::string& compose_dir,
                                    const CanonicalPathFn& canonical);

// The context size cap (VX11_BUILD_CONTEXT_MAX_MB): kInvalidArgument naming the size and the
// cap when `bytes` is over `max_mb` MiB.
Status CheckBuildContextSize(const std::string& context, std::uint64_t bytes, std::uint64_t max_mb);

// What an approver sees of a build intent.
struct BuildApprovalView {
  std::string service;
  std::string context;
  std::string dockerfile;
  std::string dockerfile_sha256;
  std::string image;           // the name the build tags
  std::string image_replaced;  // the image id it replaces ("" when there is none yet)
  std::uint64_t context_bytes = 0;
  friend bool operator==(const BuildApprovalView&, const BuildApprovalView&) = default;
};

BuildApprovalView MakeBuildApprovalView(const BuildPlan& plan, std::string dockerfile_sha256,
                                        std::string image_replaced, std::uint64_t context_bytes);

}  // namespace madre
