#include "engine/build_runner.h"

#include <spdlog/spdlog.h>

#include <chrono>

namespace madre {

Result<BuildRecord> RunRecordedBuild(BuildStore& store, ImageBuilder& builder,
                                     ImageInspector& images, const Clock& clock,
                                     const BuildPlan& plan, std::optional<std::string> intent_id,
                                     const std::string& log_dir) {
  BuildRecord row;
  row.intent_id = std::move(intent_id);
  row.service = plan.service;
  row.started_at = clock.Now();
  ASSIGN_OR_RETURN(row.image_before, images.ImageId(plan.image));
  ASSIGN_OR_RETURN(row.id, store.Start(row));
  row.log_path = log_dir + "/" + std::to_string(row.id) + ".log";
  const BuildRequest request{
      .service = plan.service,
      .image = plan.image,
      .log_path = row.log_path,
      .staging_image = StagingImage(plan.image, row.id),
      .staging_file = log_dir + "/" + std::to_string(row.id) + ".compose.yml"};
  Result<BuildOutcome> outcome = builder.Build(request);
  row.finished_at = clock.Now();
  if (outcome.ok()) {
    row.image_before = outcome->image_before;
    row.image_after = outcome->image_after;
    row.duration_ms = outcome->duration_ms;
    row.outcome = outcome->ok ? BuildOutcomeKind::kSucceeded : BuildOutcomeKind::kFailed;
    row.error = outcome->error;
  } else {
    row.outcome = BuildOutcomeKind::kFailed;
    row.error = outcome.status().message();
    row.duration_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(*row.finished_at - row.started_at)
            .count();
  }
  RETURN_IF_ERROR(store.Finish(row));
  return row;
}

Result<int> ReconcileUnfinishedBuilds(BuildStore& store, ImageInspector& images,
                                      const ServiceModel& model, TimePoint now) {
  ASSIGN_OR_RETURN(std::vector<BuildRecord> unfinished, store.ListUnfinished());
  int finished = 0;
  for (const BuildRecord& running : unfinished) {
    std::string staged;
    std::string current;
    auto def = model.services.find(running.service);
    if (def != model.services.end() && !def->second.image.empty()) {
      const std::string& image = def->second.image;
      const std::string staging = StagingImage(image, running.id);
      Result<std::string> staged_id = images.ImageId(staging);
      // A build that ran to its end without madre: its image becomes the service's, as it
      // would have had madre seen it finish.
      Status moved =
          staged_id.ok() && !staged_id->empty() ? images.TagImage(staging, image) : Status::Ok();
      if (moved.ok() && staged_id.ok() && !staged_id->empty()) {
        moved = images.RemoveImageName(staging);
      }
      Result<std::string> id = images.ImageId(image);
      if (!staged_id.ok() || !moved.ok() || !id.ok()) {
        const Status why = !staged_id.ok() ? staged_id.status() : !moved.ok() ? moved : id.status();
        spdlog::warn(
            "build {} of {}: cannot settle it with Docker, left running until the next "
            "start: {}",
            running.id, running.service, why.ToString());
        continue;
      }
      staged = *staged_id;
      current = *id;
    }
    const BuildRecord done = ReconcileUnfinishedBuild(running, staged, current, now);
    RETURN_IF_ERROR(store.Finish(done));
    spdlog::info("build {} of {} was running when madre stopped: {}{}", done.id, done.service,
                 BuildOutcomeName(done.outcome), done.error.empty() ? "" : " (" + done.error + ")");
    ++finished;
  }
  return finished;
}

}  // namespace madre
