// One recorded image build, and the start-up reconcile of builds a restart interrupted: what
// the `build` executor (issue 11) runs on a worker thread once an intent is admitted, through
// the ports only.
#pragma once

#include <optional>
#include <string>

#include "base/clock.h"
#include "core/build.h"
#include "ports/build_store.h"
#include "ports/image_builder.h"
#include "ports/image_inspector.h"

namespace madre {

// Builds `plan` and keeps its history row: the row is written `running` (with the image id
// before, and the log path `<log_dir>/<id>.log`) before compose starts, and finished after,
// so a `kill -9` mid-build leaves a `running` row for ReconcileUnfinishedBuilds. Returns the
// finished row (outcome succeeded or failed); an error only when the row could not be written
// (then nothing was built) or finished (then the build ran: the row stays `running`).
// Blocking: never on the API thread.
Result<BuildRecord> RunRecordedBuild(BuildStore& store, ImageBuilder& builder,
                                     ImageInspector& images, const Clock& clock,
                                     const BuildPlan& plan, std::optional<std::string> intent_id,
                                     const std::string& log_dir);

// Builds tag a staging name (core/build.h StagingImage), moved onto the service's image only
// when the build succeeded.
//
// At start, before serving: every `running` row is finished by ReconcileUnfinishedBuild. When
// its staging image exists (the build ran to its end without madre), the service's image name
// is moved onto it first and the row succeeded; otherwise the row failed and the service's
// image is as it was (a build dockerd finishes later only leaves its staging name behind). The
// image name comes from `model` (a service gone from the model has none). A Docker error
// leaves the row for the next start. Returns how many were finished.
Result<int> ReconcileUnfinishedBuilds(BuildStore& store, ImageInspector& images,
                                      const ServiceModel& model, TimePoint now);

}  // namespace madre
