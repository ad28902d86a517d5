#include "api/build_view.h"

#include "base/time.h"

namespace madre {

using nlohmann::json;

json BuildView(const BuildRecord& build) {
  return {
      {"id", build.id},
      {"intent_id", build.intent_id ? json(*build.intent_id) : json(nullptr)},
      {"service", build.service},
      {"outcome", BuildOutcomeName(build.outcome)},
      {"started_at", FormatRfc3339(build.started_at)},
      {"finished_at", build.finished_at ? json(FormatRfc3339(*build.finished_at)) : json(nullptr)},
      {"duration_ms", build.duration_ms},
      {"image_before", build.image_before},
      {"image_after", build.image_after},
      {"error", build.error.empty() ? json(nullptr) : json(build.error)},
      {"log_path", build.log_path}};
}

json BuildDetailView(const BuildRecord& build, const std::optional<std::string>& log_tail) {
  json view = BuildView(build);
  view["log_tail"] = log_tail ? json(*log_tail) : json(nullptr);
  return view;
}

}  // namespace madre
